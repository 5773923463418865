//! Finds the credential a request presents, everywhere its provider accepts
//! one, and keeps only its fingerprint.

use base64::Engine as _;
use scopegate_model::{AuthScheme, CredentialLocation, Fingerprint, PresentedCredential};

use crate::catalog::CredentialSpec;

/// Reads the presented credential. Two different credentials, or one that
/// cannot be read, is `Ambiguous`: the provider might honour either. The
/// same credential in several places is one, presented at each.
pub fn presented(
    spec: &CredentialSpec,
    headers: &[(&str, &[u8])],
    query: &[(String, String)],
) -> PresentedCredential {
    let mut found: Vec<(Fingerprint, CredentialLocation)> = Vec::new();
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
            found.extend(cookies(spec, value));
        } else {
            found.push((
                Fingerprint::of(value.as_bytes()),
                CredentialLocation::Header(lname),
            ));
        }
    }
    for (k, v) in query {
        if spec.query.iter().any(|q| q == k) {
            if v.is_empty() {
                return ambiguous(format!("the {k} query parameter is empty"));
            }
            found.push((
                Fingerprint::of(v.as_bytes()),
                CredentialLocation::Query(k.clone()),
            ));
        }
    }
    one(found)
}

/// The credentials in a `Cookie` header. Cookies the catalogue names carry
/// the provider's token, each in its own place. Anything else is a session
/// scopegate cannot scope: the whole header is then one credential of its
/// own, so that beside a token it makes the request ambiguous.
fn cookies(spec: &CredentialSpec, header: &str) -> Vec<(Fingerprint, CredentialLocation)> {
    let session = || {
        vec![(
            Fingerprint::of(header.as_bytes()),
            CredentialLocation::SessionCookie,
        )]
    };
    if spec.cookies.is_empty() {
        return session();
    }
    let mut named = Vec::new();
    for pair in header.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some((name, value)) if spec.cookies.iter().any(|c| c == name) && !value.is_empty() => {
                named.push((
                    Fingerprint::of(value.as_bytes()),
                    CredentialLocation::Cookie(name.to_owned()),
                ));
            }
            _ => return session(),
        }
    }
    named
}

/// One credential (wherever it was presented), none, or ambiguous.
fn one(found: Vec<(Fingerprint, CredentialLocation)>) -> PresentedCredential {
    let mut places = found.into_iter();
    let Some((first, location)) = places.next() else {
        return PresentedCredential::None;
    };
    let mut also = Vec::new();
    for (fp, place) in places {
        if fp != first {
            return ambiguous(format!(
                "two different credentials ({location} and {place}); send exactly one"
            ));
        }
        if place != location && !also.contains(&place) {
            also.push(place);
        }
    }
    PresentedCredential::One {
        fingerprint: first,
        location,
        also,
    }
}

fn ambiguous(why: String) -> PresentedCredential {
    PresentedCredential::Ambiguous { why }
}

/// `Bearer x`, `token x`, `Basic base64(user:pass)`. For Basic the secret is
/// the password, or the user name when the password is empty or GitHub's
/// `x-oauth-basic` placeholder.
fn authorization(
    spec: &CredentialSpec,
    value: &str,
) -> Result<(String, CredentialLocation), String> {
    let (scheme, rest) = value
        .split_once(' ')
        .ok_or_else(|| "the authorization header has no scheme".to_owned())?;
    let scheme = AuthScheme::parse(scheme);
    let rest = rest.trim();
    if !spec.authorization.contains(&scheme) {
        // The "scheme" is not quoted: it may be the secret itself
        // (`Authorization: <token> ...`).
        return Err(format!(
            "the authorization scheme is not one this provider accepts ({})",
            spec.authorization
                .iter()
                .map(AuthScheme::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if rest.is_empty() || rest.contains(' ') {
        return Err(format!("the {} credential is malformed", scheme.as_str()));
    }
    if scheme == AuthScheme::Basic {
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
        return Ok((secret.to_owned(), CredentialLocation::Authorization(scheme)));
    }
    Ok((rest.to_owned(), CredentialLocation::Authorization(scheme)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> CredentialSpec {
        CredentialSpec {
            authorization: vec![AuthScheme::Bearer, AuthScheme::Token, AuthScheme::Basic],
            headers: vec!["project-access-token".into()],
            query: vec!["access_token".into()],
            cookies: vec!["zenith".into(), "keycloak_token".into()],
        }
    }

    fn fp(s: &str) -> Fingerprint {
        Fingerprint::of(s.as_bytes())
    }

    #[test]
    fn reads_each_location() {
        let p = |h: &[(&str, &[u8])], q: &[(String, String)]| presented(&spec(), h, q);
        let one = |s: &str| PresentedCredential::One {
            fingerprint: fp("sekrit"),
            location: s.parse().unwrap(),
            also: vec![],
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
        // the same credential twice is one credential, presented at both
        let PresentedCredential::One { location, also, .. } = p(
            &[
                ("authorization", b"Bearer sekrit"),
                ("project-access-token", b"sekrit"),
            ],
            &[],
        ) else {
            panic!("one credential")
        };
        assert_eq!(location.to_string(), "authorization:bearer");
        assert_eq!(also, ["header:project-access-token".parse().unwrap()]);
    }

    #[test]
    fn named_cookies_carry_the_token_and_any_other_cookie_is_a_session() {
        let p = |h: &[(&str, &[u8])]| presented(&spec(), h, &[]);
        // neonctl: Bearer and two cookies with the same key
        let PresentedCredential::One {
            fingerprint,
            location,
            also,
        } = p(&[
            ("authorization", b"Bearer sekrit"),
            ("cookie", b"zenith=sekrit; keycloak_token=sekrit"),
        ])
        else {
            panic!("one credential")
        };
        assert_eq!(fingerprint, fp("sekrit"));
        assert_eq!(location.to_string(), "authorization:bearer");
        let also: Vec<String> = also.iter().map(ToString::to_string).collect();
        assert_eq!(also, ["cookie:zenith", "cookie:keycloak_token"]);
        // a named cookie alone is the credential
        assert!(matches!(
            p(&[("cookie", b"zenith=sekrit")]),
            PresentedCredential::One { fingerprint, .. } if fingerprint == fp("sekrit")
        ));
        // another value in a named cookie, or any cookie the catalogue does
        // not name beside the token: two credentials
        for cookie in [
            &b"zenith=other"[..],
            b"zenith=sekrit; session=abc",
            b"zenith=sekrit; keycloak_token=",
            b"zenith",
        ] {
            assert!(
                matches!(
                    p(&[("authorization", b"Bearer sekrit"), ("cookie", cookie)]),
                    PresentedCredential::Ambiguous { .. }
                ),
                "{}",
                String::from_utf8_lossy(cookie)
            );
        }
        // a provider that names no cookie: any cookie is a session
        let mut plain = spec();
        plain.cookies.clear();
        assert!(matches!(
            presented(
                &plain,
                &[
                    ("authorization", b"Bearer sekrit"),
                    ("cookie", b"zenith=sekrit")
                ],
                &[]
            ),
            PresentedCredential::Ambiguous { .. }
        ));
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
