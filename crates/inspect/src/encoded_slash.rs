//! REST paths with an encoded slash (`%2F`) inside a segment.
//!
//! GitHub's router matches the path as sent and decodes each parameter
//! afterwards, so `branches/feature%2Fx` is the branch `feature/x`. Go's
//! `url.PathEscape` and JavaScript's `encodeURIComponent` send branch, ref,
//! file-path and label names that way. scopegate reads such a path the
//! same way, but only where the catalogue says the parameter may hold a
//! slash (`params_with_slashes`), and only when the reading is not
//! ambiguous: a router (or a proxy before it) that decoded the slash first
//! must find no route, or the very same route with the same parameters.
//! Anything else stays unreadable. See docs/rest-reading.md.

use crate::catalog::Catalog;
use crate::rest::{self, PathError, RestMatch};

/// The route for a path holding encoded slashes. `Err` when the path
/// cannot be read, an encoded slash lands anywhere but on a parameter that
/// may hold one, or the two readings disagree.
pub fn find<'c>(catalog: &'c Catalog, method: &str, path: &str) -> Result<RestMatch<'c>, String> {
    let (segs, slashed) =
        rest::normalize_path_keeping_slashes(path, catalog.case_insensitive_paths)
            .map_err(|e| e.to_string())?;
    let routed = catalog
        .rest
        .find_slashed(method, &segs, &slashed, &catalog.params_with_slashes);
    let split = split_reading(&segs).map_err(|_| {
        "decoding its encoded slashes makes the path climb above the root".to_owned()
    })?;
    let decoded = catalog.rest.find(method, &split);
    match (routed, decoded) {
        (None, _) => Err(format!(
            "an encoded slash (%2F) sits where no {} route has a parameter that may hold one",
            catalog.provider
        )),
        (Some(m), None) => Ok(m),
        (Some(m), Some(d)) if d.name == m.name && d.params == m.params => Ok(m),
        (Some(m), Some(d)) => Err(format!(
            "the path reads as {} with its encoded slashes kept and as {} with them decoded",
            m.name, d.name
        )),
    }
}

/// The segments a router that decodes `%2F` before routing would see.
fn split_reading(segs: &[String]) -> Result<Vec<String>, PathError> {
    let mut out: Vec<String> = Vec::with_capacity(segs.len() + 2);
    for part in segs.iter().flat_map(|s| s.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                out.pop().ok_or(PathError::AboveRoot)?;
            }
            p => out.push(p.to_owned()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github() -> Catalog {
        let (file, text) = crate::catalog::BUNDLED[1];
        Catalog::from_toml(file, text).unwrap()
    }

    fn read(method: &str, path: &str) -> Result<(String, Vec<(String, String)>), String> {
        let c = github();
        find(&c, method, path).map(|m| (m.name.to_owned(), m.params))
    }

    fn p(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    #[test]
    fn slash_parameters_come_out_decoded() {
        assert_eq!(
            read("GET", "/repos/o/r/branches/feature%2Fx"),
            Ok((
                "repos/get-branch".into(),
                p(&[("owner", "o"), ("repo", "r"), ("branch", "feature/x")])
            ))
        );
        // a rest parameter reads the same with the slash encoded or not
        assert_eq!(
            read("PATCH", "/repos/o/r/git/refs/heads%2Ffeature%2Fx"),
            Ok((
                "git/update-ref".into(),
                p(&[("owner", "o"), ("repo", "r"), ("ref", "heads/feature/x")])
            ))
        );
    }

    #[test]
    fn ambiguous_or_misplaced_slashes_are_refused() {
        // decoded, it is another route
        assert!(read("GET", "/repos/o/r/branches/main%2Fprotection").is_err());
        assert!(read("POST", "/repos/o/r/branches/main%2Frename").is_err());
        // owner and repo never hold a slash
        assert!(read("GET", "/repos/o%2Fx/r").is_err());
        assert!(read("DELETE", "/repos/o/r%2F..").is_err());
        // a literal segment never holds one
        assert!(read("GET", "/repos%2Fo/r").is_err());
        // climbing out through a decoded `..`
        assert!(read("GET", "/repos/o/r/branches/..%2F..%2F..%2F..").is_err());
    }
}
