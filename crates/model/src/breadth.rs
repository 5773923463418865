//! Token breadth: what a provider says about a token's power on the answers
//! scopegate already relays, and how the request presented it
//! (docs/token-breadth.md). Recorded with a forwarded request's outcome;
//! never fetched with a call of scopegate's own.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::OpClass;

/// What one answer (and the request's credential) said of the token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breadth {
    /// The token's kind, from where the request presented it (Railway's
    /// `Project-Access-Token`: `project token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// What the token has (GitHub's `X-OAuth-Scopes`), as the provider sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<String>,
    /// What the endpoint needed, in scopes (`X-Accepted-OAuth-Scopes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_scopes: Option<String>,
    /// What the endpoint needed, in fine-grained permissions
    /// (`X-Accepted-GitHub-Permissions`: `contents=read,issues=read` is one
    /// set; `;` separates sets, any one of which is enough).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_permissions: Option<String>,
    /// When the token expires, as the provider wrote it
    /// (`GitHub-Authentication-Token-Expiration`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl Breadth {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The granted scopes, one each (`repo, delete_repo` → both).
    pub fn scope_list(&self) -> Vec<&str> {
        split_list(self.scopes.as_deref().unwrap_or(""))
    }
}

/// A comma- or space-separated list, without empty items.
pub fn split_list(s: &str) -> Vec<&str> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect()
}

/// One provider's breadth description (`config/catalog/*.breadth.toml`):
/// where its answers say what a token may do, what that reaches, and which
/// narrower token to create instead.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreadthSpec {
    pub provider: String,
    /// Credential location (`header:project-access-token`) → token kind.
    #[serde(default)]
    pub presented: BTreeMap<String, String>,
    /// Which response headers carry what (lowercase names).
    #[serde(default)]
    pub headers: BreadthHeaders,
    /// A granted scope or token kind → the most it lets the token do.
    #[serde(default)]
    pub power: BTreeMap<String, OpClass>,
    /// Narrower tokens to advise, first match wins.
    #[serde(default)]
    pub narrower: Vec<Narrower>,
    /// Operation name prefix (`pulls/`) → the fine-grained permission its
    /// operations need (`pull_requests`), longest prefix first; the level is
    /// `read` for reads and `write` otherwise.
    #[serde(default)]
    pub permissions: BTreeMap<String, String>,
}

/// Response header names, lowercase.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreadthHeaders {
    pub scopes: Option<String>,
    pub accepted_scopes: Option<String>,
    pub accepted_permissions: Option<String>,
    pub expires: Option<String>,
}

/// A narrower kind of token, for a grant that spans more than its use.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Narrower {
    /// Applies to tokens of this kind (`account or workspace token`)...
    #[serde(default)]
    pub kind: Option<String>,
    /// ...or to tokens whose answers list granted scopes (classic tokens).
    #[serde(default)]
    pub scoped: bool,
    /// What to create (`a project token`).
    pub create: String,
    /// Resource kinds (or resolved attributes) that name its span, most
    /// telling first (`environment`, `project`; `repository`).
    pub limited_to: Vec<String>,
    /// Whether to list the fine-grained permissions the use needs.
    #[serde(default)]
    pub with_permissions: bool,
    /// Whether one such token covers one value of its span only (a Railway
    /// project token: one environment), so a use across several needs one
    /// token each.
    #[serde(default)]
    pub one_each: bool,
}

impl BreadthSpec {
    /// The most a grant lets its token do: the strongest power of its kind
    /// and of its scopes; `None` when nothing known is granted.
    pub fn granted_power(&self, b: &Breadth) -> Option<OpClass> {
        b.kind
            .iter()
            .map(String::as_str)
            .chain(b.scope_list())
            .filter_map(|item| self.power.get(item).copied())
            .max_by_key(|c| power_rank(*c))
    }

    /// How broad a token kind is: kinds with a narrower kind to create
    /// rank above those without (the narrowest).
    pub fn kind_rank(&self, kind: &str) -> u8 {
        u8::from(
            self.narrower
                .iter()
                .any(|n| n.kind.as_deref() == Some(kind)),
        )
    }

    /// The narrower token that applies to this grant, if any.
    pub fn narrower_for(&self, b: &Breadth) -> Option<&Narrower> {
        self.narrower.iter().find(|n| match &n.kind {
            Some(k) => b.kind.as_deref() == Some(k.as_str()),
            // An empty list is no classic token's to narrow.
            None => n.scoped && b.scopes.as_deref().is_some_and(|s| !s.is_empty()),
        })
    }

    /// The fine-grained permission an operation name (`pulls/list`) needs.
    pub fn permission_of(&self, name: &str, class: OpClass) -> Option<String> {
        let (_, perm) = self
            .permissions
            .iter()
            .filter(|(prefix, _)| name.starts_with(prefix.as_str()))
            .max_by_key(|(prefix, _)| prefix.len())?;
        let level = if class == OpClass::Read {
            "read"
        } else {
            "write"
        };
        Some(format!("{perm}={level}"))
    }
}

/// Read < write < destructive; unknown ranks with destructive (the worst
/// is assumed of what cannot be read).
pub fn power_rank(c: OpClass) -> u8 {
    match c {
        OpClass::Read => 1,
        OpClass::Write => 2,
        OpClass::Destructive | OpClass::Unknown => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github() -> BreadthSpec {
        BreadthSpec {
            provider: "github".into(),
            power: [
                ("repo".to_owned(), OpClass::Destructive),
                ("read:org".to_owned(), OpClass::Read),
                ("workflow".to_owned(), OpClass::Write),
            ]
            .into(),
            permissions: [
                ("repos/".to_owned(), "administration".to_owned()),
                ("repos/get-content".to_owned(), "contents".to_owned()),
            ]
            .into(),
            ..BreadthSpec::default()
        }
    }

    #[test]
    fn the_strongest_granted_scope_is_the_grants_power() {
        let b = Breadth {
            scopes: Some("read:org, workflow,repo".into()),
            ..Breadth::default()
        };
        assert_eq!(github().granted_power(&b), Some(OpClass::Destructive));
        let b = Breadth {
            scopes: Some("read:org gist".into()),
            ..Breadth::default()
        };
        assert_eq!(github().granted_power(&b), Some(OpClass::Read));
        assert_eq!(github().granted_power(&Breadth::default()), None);
    }

    #[test]
    fn the_longest_prefix_names_the_permission() {
        let s = github();
        assert_eq!(
            s.permission_of("repos/get-content", OpClass::Read)
                .as_deref(),
            Some("contents=read")
        );
        assert_eq!(
            s.permission_of("repos/delete", OpClass::Destructive)
                .as_deref(),
            Some("administration=write")
        );
        assert_eq!(s.permission_of("gists/list", OpClass::Read), None);
    }
}
