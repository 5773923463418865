//! Finds the credential a request presents, everywhere its provider accepts
//! one, and keeps only its fingerprint.

use base64::Engine as _;
use scopegate_model::{Fingerprint, PresentedCredential};

use crate::catalog::CredentialSpec;

/// Reads the presented credential. Two different credentials, or one that
/// cannot be read, is `Ambiguous`: the provider might honour either.
pub fn presented(
    spec: &CredentialSpec,
    headers: &[(&str, &[u8])],
    query: &[(String, String)],
) -> PresentedCredential {
    let mut found: Vec<(Fingerprint, String)> = Vec::new();
    for (name, value) in headers {
        // Compared without allocating: most headers are not credentials.
        let is_auth = name.eq_ignore_ascii_case("authorization");
        let is_header_cred = spec.headers.iter().any(|h| h.eq_ignore_ascii_case(name));
        let is_cookie = name.eq_ignore_ascii_case("cookie");
        if !(is_auth || is_header_cred || is_cookie) {
            continue;
        }
        let lname = name.to_ascii_lowercase();
        let Ok(value) = std::str::from_utf8(value) else {
            return ambiguous(format!("the {lname} header is not valid UTF-8"));
        };
        let value = value.trim();
        if value.is_empty() {
            return ambiguous(format!("the {lname} header is empty"));
        }
        if is_auth {
            match authorization(spec, value) {
                Ok((secret, loc)) => found.push((Fingerprint::of(secret.as_bytes()), loc)),
                Err(why) => return ambiguous(why),
            }
        } else if is_cookie {
            // A session cookie is a credential scopegate cannot scope.
            found.push((Fingerprint::of(value.as_bytes()), "header:cookie".into()));
        } else {
            found.push((Fingerprint::of(value.as_bytes()), format!("header:{lname}")));
        }
    }
    for (k, v) in query {
        if spec.query.iter().any(|q| q == k) {
            if v.is_empty() {
                return ambiguous(format!("the {k} query parameter is empty"));
            }
            found.push((Fingerprint::of(v.as_bytes()), format!("query:{k}")));
        }
    }
    let Some((first, loc)) = found.first().cloned() else {
        return PresentedCredential::None;
    };
    if let Some((_, other)) = found.iter().find(|(fp, _)| *fp != first) {
        return ambiguous(format!(
            "two different credentials ({loc} and {other}); send exactly one"
        ));
    }
    PresentedCredential::One {
        fingerprint: first,
        location: loc,
    }
}

fn ambiguous(why: String) -> PresentedCredential {
    PresentedCredential::Ambiguous { why }
}

/// `Bearer x`, `token x`, `Basic base64(user:pass)`. For Basic the secret is
/// the password, or the user name when the password is empty or GitHub's
/// `x-oauth-basic` placeholder.
fn authorization(spec: &CredentialSpec, value: &str) -> Result<(String, String), String> {
    let (scheme, rest) = value
        .split_once(' ')
        .ok_or_else(|| "the authorization header has no scheme".to_owned())?;
    let scheme = scheme.to_ascii_lowercase();
    let rest = rest.trim();
    if !spec.authorization.contains(&scheme) {
        // The "scheme" is not quoted: it may be the secret itself
        // (`Authorization: <token> ...`).
        return Err(format!(
            "the authorization scheme is not one this provider accepts ({})",
            spec.authorization.join(", ")
        ));
    }
    if rest.is_empty() || rest.contains(' ') {
        return Err(format!("the {scheme} credential is malformed"));
    }
    if scheme == "basic" {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| "the basic credential is not valid base64 of UTF-8".to_owned())?;
        let (user, pass) = decoded.split_once(':').unwrap_or((&decoded, ""));
        let secret = if pass.is_empty() || pass == "x-oauth-basic" {
            user
        } else {
            pass
        };
        if secret.is_empty() {
            return Err("the basic credential is empty".into());
        }
        return Ok((secret.to_owned(), "authorization:basic".into()));
    }
    Ok((rest.to_owned(), format!("authorization:{scheme}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CredentialSpec {
        CredentialSpec {
            authorization: vec!["bearer".into(), "token".into(), "basic".into()],
            headers: vec!["project-access-token".into()],
            query: vec!["access_token".into()],
        }
    }

    fn fp(s: &str) -> Fingerprint {
        Fingerprint::of(s.as_bytes())
    }

    #[test]
    fn reads_each_location() {
        let p = |h: &[(&str, &[u8])], q: &[(String, String)]| presented(&spec(), h, q);
        let one = |s| PresentedCredential::One {
            fingerprint: fp("sekrit"),
            location: String::from(s),
        };
        assert_eq!(
            p(&[("Authorization", b"Bearer sekrit")], &[]),
            one("authorization:bearer")
        );
        assert_eq!(
            p(&[("authorization", b"token sekrit")], &[]),
            one("authorization:token")
        );
        // base64("x:sekrit") and base64("sekrit:x-oauth-basic")
        assert_eq!(
            p(&[("authorization", b"Basic eDpzZWtyaXQ=")], &[]),
            one("authorization:basic")
        );
        assert_eq!(
            p(
                &[("authorization", b"Basic c2Vrcml0Ongtb2F1dGgtYmFzaWM=")],
                &[]
            ),
            one("authorization:basic")
        );
        assert_eq!(
            p(&[("Project-Access-Token", b"sekrit")], &[]),
            one("header:project-access-token")
        );
        assert_eq!(
            p(&[], &[("access_token".into(), "sekrit".into())]),
            one("query:access_token")
        );
        assert_eq!(p(&[], &[]), PresentedCredential::None);
        // the same credential twice is one credential
        assert_eq!(
            p(
                &[
                    ("authorization", b"Bearer sekrit"),
                    ("project-access-token", b"sekrit")
                ],
                &[]
            ),
            one("authorization:bearer")
        );
    }

    #[test]
    fn refuses_ambiguity() {
        let amb = |h: &[(&str, &[u8])]| {
            matches!(
                presented(&spec(), h, &[]),
                PresentedCredential::Ambiguous { .. }
            )
        };
        assert!(amb(&[
            ("authorization", b"Bearer a"),
            ("project-access-token", b"b")
        ]));
        assert!(amb(&[
            ("authorization", b"Bearer a"),
            ("authorization", b"Bearer b")
        ]));
        assert!(amb(&[("authorization", b"Bearer a"), ("cookie", b"s=1")]));
        assert!(amb(&[("authorization", b"Digest a")]));
        assert!(amb(&[("authorization", b"Bearer")]));
        assert!(amb(&[("authorization", b"Bearer a b")]));
        assert!(amb(&[("authorization", b"Basic !!!")]));
        assert!(amb(&[("authorization", b"Bearer \xff")]));
        assert!(amb(&[("project-access-token", b"")]));
    }

    #[test]
    fn never_keeps_the_secret() {
        let p = presented(&spec(), &[("authorization", b"Bearer sekrit-value")], &[]);
        assert!(!format!("{p:?}").contains("sekrit"));
    }
}
