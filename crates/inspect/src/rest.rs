//! REST: path normalisation the way a provider's router sees a path, and
//! method + path-template matching.

use std::collections::BTreeMap;

use scopegate_model::OpClass;

use crate::escalate::Escalation;

/// Why a path could not be read unambiguously.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("path does not start with '/'")]
    NotAbsolute,
    #[error("path has a malformed percent-escape")]
    BadEscape,
    #[error("path decodes to invalid UTF-8")]
    NotUtf8,
    #[error("path segment hides a separator or control character")]
    HiddenSeparator,
    #[error("path climbs above the root with '..'")]
    AboveRoot,
    #[error("path holds a backslash")]
    Backslash,
}

/// Decodes percent-escapes in one segment, refusing anything that would make
/// our reading differ from a router's: encoded `/` or `\`, control bytes,
/// invalid UTF-8.
fn decode_segment(seg: &str) -> Result<String, PathError> {
    decode_segment_with(seg, false)
}

/// As [`decode_segment`]; `allow_slash` lets an encoded `/` through.
fn decode_segment_with(seg: &str, allow_slash: bool) -> Result<String, PathError> {
    let bytes = seg.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(PathError::BadEscape)?;
            let hi = char::from(hex[0])
                .to_digit(16)
                .ok_or(PathError::BadEscape)?;
            let lo = char::from(hex[1])
                .to_digit(16)
                .ok_or(PathError::BadEscape)?;
            out.push(u8::try_from(hi * 16 + lo).map_err(|_| PathError::BadEscape)?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    if out
        .iter()
        .any(|&b| (b == b'/' && !allow_slash) || b == b'\\' || b < 0x20 || b == 0x7f)
    {
        return Err(PathError::HiddenSeparator);
    }
    String::from_utf8(out).map_err(|_| PathError::NotUtf8)
}

/// Normalises a request path (no query) into segments: percent-decoded,
/// empty segments (repeated or trailing slashes) dropped, `.` and `..`
/// resolved (also when percent-encoded), lowercased when the provider's
/// router ignores case.
pub fn normalize_path(path: &str, case_insensitive: bool) -> Result<Vec<String>, PathError> {
    if !path.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    if path.contains('\\') {
        return Err(PathError::Backslash);
    }
    let mut out: Vec<String> = Vec::new();
    for raw in path.split('/') {
        if raw.is_empty() {
            continue;
        }
        let seg = decode_segment(raw)?;
        match seg.as_str() {
            "." => {}
            ".." => {
                out.pop().ok_or(PathError::AboveRoot)?;
            }
            _ => out.push(if case_insensitive {
                seg.to_lowercase()
            } else {
                seg
            }),
        }
    }
    Ok(out)
}

/// Normalises a path like [`normalize_path`], but keeps a segment that
/// holds an encoded slash (`feature%2Fx`) whole, decoded (`feature/x`).
/// The second vector marks those segments. A segment that decodes to `.`
/// or `..` only with its slashes is an ordinary value, not a dot segment.
pub fn normalize_path_keeping_slashes(
    path: &str,
    case_insensitive: bool,
) -> Result<(Vec<String>, Vec<bool>), PathError> {
    if !path.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    if path.contains('\\') {
        return Err(PathError::Backslash);
    }
    let (mut out, mut slashed) = (Vec::new(), Vec::new());
    for raw in path.split('/') {
        if raw.is_empty() {
            continue;
        }
        let seg = decode_segment_with(raw, true)?;
        match seg.as_str() {
            "." => {}
            ".." => {
                out.pop().ok_or(PathError::AboveRoot)?;
                slashed.pop();
            }
            _ => {
                slashed.push(seg.contains('/'));
                out.push(if case_insensitive {
                    seg.to_lowercase()
                } else {
                    seg
                });
            }
        }
    }
    Ok((out, slashed))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Param(String),
    /// A final parameter that takes every remaining segment (`{ref}` in
    /// `/repos/{owner}/{repo}/git/refs/{ref}`), written `{ref*}` in catalogues.
    Rest(String),
}

/// Matched path parameters, in template order.
type Params = Vec<(String, String)>;

/// A path template (`/repos/{owner}/{repo}`), or a value template
/// (`{owner}/{repo}`) used for composite resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    /// The first segment, when it is literal.
    pub fn first_literal(&self) -> Option<&str> {
        match self.parts.first() {
            Some(Part::Literal(s)) => Some(s),
            _ => None,
        }
    }

    pub fn parse(path: &str, case_insensitive: bool) -> Result<Self, String> {
        if !path.starts_with('/') {
            return Err("path template must start with '/'".into());
        }
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut parts = Vec::with_capacity(segs.len());
        for (i, s) in segs.iter().enumerate() {
            if let Some(name) = s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                if let Some(name) = name.strip_suffix('*') {
                    if i + 1 != segs.len() {
                        return Err("only the last parameter may take the rest of the path".into());
                    }
                    parts.push(Part::Rest(name.to_owned()));
                } else {
                    parts.push(Part::Param(name.to_owned()));
                }
            } else if s.contains(['{', '}']) {
                return Err(format!("segment `{s}` mixes text and a parameter"));
            } else {
                parts.push(Part::Literal(if case_insensitive {
                    s.to_lowercase()
                } else {
                    (*s).to_owned()
                }));
            }
        }
        Ok(Self { parts })
    }

    /// The parameter names, in order.
    pub fn params(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Param(n) | Part::Rest(n) => Some(n.as_str()),
            Part::Literal(_) => None,
        })
    }

    /// `{owner}/{repo}`: literal text and parameters, no path semantics.
    pub fn parse_value(s: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let end = after.find('}').ok_or("unclosed '{'")?;
                parts.push(Part::Param(after[..end].to_owned()));
                rest = &after[end + 1..];
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                parts.push(Part::Literal(rest[..end].to_owned()));
                rest = &rest[end..];
            }
        }
        Ok(Self { parts })
    }

    /// Fills a value template from resources; `None` if one is missing.
    pub fn render(&self, vars: &BTreeMap<String, Vec<String>>) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Literal(l) => out.push_str(l),
                Part::Param(n) | Part::Rest(n) => match vars.get(n).map(Vec::as_slice) {
                    Some([one]) => out.push_str(one),
                    _ => return None,
                },
            }
        }
        Some(out)
    }

    /// Matches normalised segments; returns the parameters and a
    /// specificity key (literal positions win over parameters).
    fn matches(&self, segs: &[String]) -> Option<(Params, Vec<u8>)> {
        // `find` tries every route of the method (hundreds for GitHub) and
        // most fail on a literal: check the shape before allocating.
        if !self.fits(segs) {
            return None;
        }
        let mut params = Vec::new();
        let mut rank = Vec::with_capacity(self.parts.len());
        let mut i = 0;
        for part in &self.parts {
            match part {
                Part::Literal(l) => {
                    if segs.get(i)? != l {
                        return None;
                    }
                    rank.push(2);
                    i += 1;
                }
                Part::Param(n) => {
                    params.push((n.clone(), segs.get(i)?.clone()));
                    rank.push(1);
                    i += 1;
                }
                Part::Rest(n) => {
                    if i >= segs.len() {
                        return None;
                    }
                    params.push((n.clone(), segs[i..].join("/")));
                    rank.push(0);
                    i = segs.len();
                }
            }
        }
        (i == segs.len()).then_some((params, rank))
    }

    /// Whether every segment marked in `slashed` lands on a parameter named
    /// in `allowed` (a rest parameter counts for all segments it takes).
    fn takes_slashes(&self, slashed: &[bool], allowed: &[String]) -> bool {
        let ok = |p: &Part| match p {
            Part::Param(n) | Part::Rest(n) => allowed.contains(n),
            Part::Literal(_) => false,
        };
        slashed.iter().enumerate().all(|(i, &s)| {
            !s || self
                .parts
                .get(i)
                .or_else(|| self.parts.last().filter(|p| matches!(p, Part::Rest(_))))
                .is_some_and(ok)
        })
    }

    /// Whether `matches` would match, without allocating.
    fn fits(&self, segs: &[String]) -> bool {
        // each part takes one segment, a final `Rest` one or more
        let open = matches!(self.parts.last(), Some(Part::Rest(_)));
        if self.parts.len() > segs.len() || (!open && self.parts.len() != segs.len()) {
            return false;
        }
        let mut i = 0;
        for part in &self.parts {
            match part {
                Part::Literal(l) if segs.get(i) != Some(l) => return false,
                _ if i >= segs.len() => return false,
                Part::Rest(_) => i = segs.len(),
                Part::Literal(_) | Part::Param(_) => i += 1,
            }
        }
        i == segs.len()
    }
}

#[derive(Debug, Clone)]
pub struct RestRoute {
    pub method: String,
    pub template: Template,
    pub name: String,
    pub class: OpClass,
    /// Body paths whose values are secrets (masked when shown).
    pub secret: Vec<Vec<String>>,
    /// Conditions on the body or query that raise the class.
    pub escalate: Vec<Escalation>,
    /// Resources named in the body (`body`, path…) or query (`query`,
    /// name) → kind.
    pub resources: Vec<(Vec<String>, String)>,
    /// Decided on its head; the body is streamed upstream unread.
    pub streamed: bool,
}

/// A provider's REST routes.
#[derive(Debug, Clone, Default)]
pub struct RestTable {
    /// Sorted by method (stably: within a method, catalogue order), so a
    /// lookup walks only its method's routes.
    routes: Vec<RestRoute>,
    /// Each method's range in `routes`.
    by_method: Vec<(String, std::ops::Range<usize>)>,
}

/// A matched route and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestMatch<'a> {
    pub name: &'a str,
    pub class: OpClass,
    pub params: Vec<(String, String)>,
    pub secret: &'a [Vec<String>],
    pub escalate: &'a [Escalation],
    pub resources: &'a [(Vec<String>, String)],
    pub streamed: bool,
}

impl RestTable {
    pub fn new(mut routes: Vec<RestRoute>) -> Self {
        routes.sort_by(|a, b| a.method.cmp(&b.method));
        let mut by_method: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        for (i, r) in routes.iter().enumerate() {
            match by_method.last_mut() {
                Some((m, range)) if *m == r.method => range.end = i + 1,
                _ => by_method.push((r.method.clone(), i..i + 1)),
            }
        }
        Self { routes, by_method }
    }

    /// The routes of one method.
    fn of_method(&self, method: &str) -> &[RestRoute] {
        self.by_method
            .iter()
            .find(|(m, _)| m == method)
            .map_or(&[], |(_, range)| &self.routes[range.clone()])
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    pub fn routes(&self) -> &[RestRoute] {
        &self.routes
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// The most specific route for `method` and normalised `segs`. `HEAD`
    /// falls back to the `GET` route, as HTTP routers do.
    pub fn find(&self, method: &str, segs: &[String]) -> Option<RestMatch<'_>> {
        self.find_where(method, segs, |_| true)
    }

    /// As [`Self::find`], for a path whose segments marked in `slashed`
    /// held an encoded slash: only routes that put each of those on a
    /// parameter named in `allowed` are considered.
    pub fn find_slashed(
        &self,
        method: &str,
        segs: &[String],
        slashed: &[bool],
        allowed: &[String],
    ) -> Option<RestMatch<'_>> {
        self.find_where(method, segs, |t| t.takes_slashes(slashed, allowed))
    }

    fn find_where(
        &self,
        method: &str,
        segs: &[String],
        accept: impl Fn(&Template) -> bool,
    ) -> Option<RestMatch<'_>> {
        let lookup = |m: &str| {
            let mut best: Option<(Vec<u8>, &RestRoute, Params)> = None;
            for r in self.of_method(m).iter().filter(|r| accept(&r.template)) {
                if let Some((params, rank)) = r.template.matches(segs)
                    && best.as_ref().is_none_or(|(b, _, _)| rank > *b)
                {
                    best = Some((rank, r, params));
                }
            }
            best.map(|(_, r, params)| RestMatch {
                name: &r.name,
                class: r.class,
                params,
                secret: &r.secret,
                escalate: &r.escalate,
                resources: &r.resources,
                streamed: r.streamed,
            })
        };
        lookup(method).or_else(|| (method == "HEAD").then(|| lookup("GET")).flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(p: &str) -> Result<Vec<String>, PathError> {
        normalize_path(p, true)
    }

    #[test]
    fn normalises_like_a_router() {
        let want = Ok(vec!["repos".to_owned(), "a".to_owned(), "b".to_owned()]);
        assert_eq!(n("/repos/a/b"), want);
        assert_eq!(n("//repos///a/b/"), want);
        assert_eq!(n("/repos/a/x/../b"), want);
        assert_eq!(n("/repos/a/x/%2e%2E/b"), want);
        assert_eq!(n("/repos/./a/b"), want);
        assert_eq!(n("/repos/a/%2E/b"), want);
        assert_eq!(n("/REPOS/A/B"), want);
        assert_eq!(n("/%72epos/a/b"), want);
    }

    #[test]
    fn refuses_ambiguous_paths() {
        assert_eq!(n("/repos/a%2fb"), Err(PathError::HiddenSeparator));
        assert_eq!(n("/repos/a%5cb"), Err(PathError::HiddenSeparator));
        assert_eq!(n("/repos/a%00"), Err(PathError::HiddenSeparator));
        assert_eq!(n("/repos\\a"), Err(PathError::Backslash));
        assert_eq!(n("/.."), Err(PathError::AboveRoot));
        assert_eq!(n("/a/%zz"), Err(PathError::BadEscape));
        assert_eq!(n("/a/%f"), Err(PathError::BadEscape));
        assert_eq!(n("/a/%ff"), Err(PathError::NotUtf8));
        assert_eq!(n("repos"), Err(PathError::NotAbsolute));
    }

    #[test]
    fn literal_beats_parameter_and_rest_takes_the_tail() {
        let route = |m: &str, p: &str, name: &str| RestRoute {
            method: m.into(),
            template: Template::parse(p, true).unwrap(),
            name: name.into(),
            class: OpClass::Read,
            secret: Vec::new(),
            escalate: Vec::new(),
            resources: Vec::new(),
            streamed: false,
        };
        let t = RestTable::new(vec![
            route("GET", "/repos/{owner}/{repo}", "repos/get"),
            route(
                "GET",
                "/repos/{owner}/{repo}/git/refs/{ref*}",
                "git/get-ref",
            ),
            route("GET", "/repos/{owner}/{repo}/{x}/{y}", "generic"),
            route("GET", "/repos/{owner}/{repo}/git/refs", "git/list"),
        ]);
        let find = |p: &str| t.find("GET", &n(p).unwrap()).map(|m| m.name.to_owned());
        assert_eq!(find("/repos/a/b").as_deref(), Some("repos/get"));
        assert_eq!(find("/repos/a/b/git/refs").as_deref(), Some("git/list"));
        assert_eq!(
            find("/repos/a/b/git/refs/heads/x/y").as_deref(),
            Some("git/get-ref")
        );
        assert_eq!(find("/repos/a/b/c/d").as_deref(), Some("generic"));
        assert_eq!(find("/repos/a").as_deref(), None);
        let m = t.find("HEAD", &n("/repos/a/b").unwrap()).unwrap();
        assert_eq!(m.name, "repos/get");
        assert!(t.find("DELETE", &n("/repos/a/b").unwrap()).is_none());
    }
}
