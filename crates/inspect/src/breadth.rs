//! Token breadth from relayed answers (docs/token-breadth.md): each
//! provider's description is data (`config/catalog/*.breadth.toml`); this
//! reads an answer's headers, and the request's credential location, into
//! a [`Breadth`]. Pure: the proxy calls it on answers it already relays.

use std::sync::OnceLock;

use scopegate_model::{Breadth, BreadthSpec};

pub use crate::catalog::BREADTHS;

/// Longest value kept from a header: scopes and permission lists are short;
/// anything longer is cut, not stored whole.
pub const MAX_VALUE: usize = 512;

/// The bundled descriptions, parsed once. A broken one is a test failure
/// (`bundled_breadths_parse`), and is skipped here.
pub fn bundled() -> &'static [BreadthSpec] {
    static ALL: OnceLock<Vec<BreadthSpec>> = OnceLock::new();
    ALL.get_or_init(|| {
        BREADTHS
            .iter()
            .filter_map(|(_, text)| toml::from_str(text).ok())
            .collect()
    })
}

/// The bundled description of a provider.
pub fn for_provider(provider: &str) -> Option<&'static BreadthSpec> {
    bundled().iter().find(|s| s.provider == provider)
}

/// What an answer says of the token that made the request: its kind from
/// `location` (`header:project-access-token`), and the headers the
/// description names, looked up by lowercase name with `header`. `None`
/// when it says nothing.
pub fn observe<'a>(
    spec: &BreadthSpec,
    location: Option<&str>,
    header: impl Fn(&str) -> Option<&'a [u8]>,
) -> Option<Breadth> {
    let get = |name: &Option<String>| header(name.as_deref()?).and_then(clean);
    let h = &spec.headers;
    let b = Breadth {
        kind: location.and_then(|l| spec.presented.get(l).cloned()),
        scopes: get(&h.scopes),
        accepted_scopes: get(&h.accepted_scopes),
        accepted_permissions: get(&h.accepted_permissions),
        expires: get(&h.expires),
    };
    (!b.is_empty()).then_some(b)
}

/// A header value as recorded: printable ASCII, trimmed, at most
/// [`MAX_VALUE`] bytes. An empty `X-OAuth-Scopes` (a token with no scopes)
/// is kept as empty: it says something.
fn clean(v: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(v).ok()?;
    if !s.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
        return None;
    }
    let s = s.trim();
    let mut end = s.len().min(MAX_VALUE);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Some(s[..end].to_owned())
}

#[cfg(test)]
mod tests;
