//! `*` (any run of characters) and `?` (one character) patterns.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
    chars: Vec<char>,
    literal: bool,
}

impl Glob {
    pub fn new(p: &str) -> Self {
        Self {
            text: p.to_owned(),
            chars: p.chars().collect(),
            literal: !p.contains(['*', '?']),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Linear-time matching with single-star backtracking.
    pub fn matches(&self, s: &str) -> bool {
        if self.literal {
            return self.text == s;
        }
        // `ti` and `st` are byte offsets into `s`, always on a char
        // boundary: no copy of `s` (this runs for every operation and rule).
        let p = &self.chars;
        let (mut pi, mut ti) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while let Some(c) = s[ti..].chars().next() {
            if pi < p.len() && (p[pi] == '?' || p[pi] == c) {
                pi += 1;
                ti += c.len_utf8();
            } else if pi < p.len() && p[pi] == '*' {
                star = Some((pi, ti));
                pi += 1;
            } else if let Some((sp, st)) = star {
                // st <= ti < s.len(): there is a char at st
                let next = st + s[st..].chars().next().map_or(1, char::len_utf8);
                pi = sp + 1;
                ti = next;
                star = Some((sp, next));
            } else {
                return false;
            }
        }
        p[pi..].iter().all(|&c| c == '*')
    }
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches() {
        let g = |p: &str, s: &str| Glob::new(p).matches(s);
        assert!(g("railway:*", "railway:volumeDelete"));
        assert!(g("*:*Delete", "railway:volumeDelete"));
        assert!(!g("*:*Delete", "railway:volumeDeleted"));
        assert!(g("railway:customDomain*", "railway:customDomainCreate"));
        assert!(g("a?c", "abc"));
        assert!(!g("a?c", "ac"));
        assert!(g("*", ""));
        assert!(!g("abc", "abd"));
        assert!(g("a*b*c", "aXXbYYbc"));
    }
}
