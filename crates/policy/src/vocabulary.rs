//! The names a scope map may use, from the catalogues: providers,
//! operations with the classes they can take, and the resource kinds each
//! can name. A scope map is checked against them when it loads, so a
//! misspelled operation in a deny rule is an error, not a rule that
//! silently never matches.

use std::collections::BTreeSet;

use scopegate_model::{OpClass, OperationWord};

use crate::eval::rule_matches_name;
use crate::glob::Glob;
use crate::scope_map::Rule;

#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    words: Vec<Word>,
    providers: BTreeSet<String>,
}

#[derive(Debug, Clone)]
struct Word {
    qualified: String,
    classes: Vec<OpClass>,
    resources: Vec<String>,
}

/// A problem's message and help.
pub(crate) type Finding = (String, Option<String>);

impl Vocabulary {
    pub fn new(words: impl IntoIterator<Item = OperationWord>) -> Self {
        let mut v = Self::default();
        for w in words {
            v.providers.insert(w.provider.clone());
            v.words.push(Word {
                qualified: w.qualified_name(),
                classes: w.classes,
                resources: w.resources,
            });
        }
        v
    }

    /// What is wrong with an operation pattern, if anything: characters no
    /// operation name has, a provider no catalogue has, or no catalogued
    /// operation matched.
    pub(crate) fn check_pattern(&self, pattern: &str) -> Option<Finding> {
        if let Some(c) = pattern.chars().find(|c| !name_char(*c)) {
            return Some((
                format!("operation pattern `{pattern}` has `{c}`, which no operation name has"),
                Some(
                    "patterns are provider:name with `*` (any run) and `?` (one character)".into(),
                ),
            ));
        }
        let provider = pattern.split(':').next().unwrap_or("");
        let glob = Glob::new(provider);
        if !self.providers.iter().any(|p| glob.matches(p)) {
            let known: Vec<&str> = self.providers.iter().map(String::as_str).collect();
            return Some((
                format!(
                    "operation pattern `{pattern}` names provider `{provider}`, which no catalogue has"
                ),
                Some(suggest(provider, known.iter().copied()).map_or_else(
                    || format!("known providers: {}", known.join(", ")),
                    |s| format!("did you mean `{s}`? known providers: {}", known.join(", ")),
                )),
            ));
        }
        let glob = Glob::new(pattern);
        if self.words.iter().any(|w| glob.matches(&w.qualified)) {
            return None;
        }
        let near = suggest(pattern, self.words.iter().map(|w| w.qualified.as_str()));
        Some((
            format!("operation pattern `{pattern}` matches no operation in the catalogues"),
            Some(near.map_or_else(
                || "`scopegate catalog list` shows every operation".into(),
                |s| format!("did you mean `{s}`?"),
            )),
        ))
    }

    /// Every (operation, class) the rule can match, ignoring resources.
    pub(crate) fn matched(&self, rule: &Rule) -> BTreeSet<(usize, OpClass)> {
        let mut out = BTreeSet::new();
        for (i, w) in self.words.iter().enumerate() {
            for c in &w.classes {
                if rule_matches_name(rule, &w.qualified, *c) {
                    out.insert((i, *c));
                }
            }
        }
        out
    }

    /// A resource kind none of the operations the rule matches can name:
    /// the rule could never match.
    pub(crate) fn check_resource(
        &self,
        matched: &BTreeSet<(usize, OpClass)>,
        kind: &str,
    ) -> Option<Finding> {
        let named: BTreeSet<&str> = matched
            .iter()
            .flat_map(|(i, _)| self.words[*i].resources.iter().map(String::as_str))
            .collect();
        if named.contains(kind) {
            return None;
        }
        let help = match suggest(kind, named.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if named.is_empty() => "the operations it matches name no resources".into(),
            None => format!(
                "the operations it matches name: {}",
                named.into_iter().collect::<Vec<_>>().join(", ")
            ),
        };
        Some((
            format!(
                "resource `{kind}` is named by none of the operations this rule matches, so the rule never matches"
            ),
            Some(help),
        ))
    }
}

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-' | '/' | '.' | '*' | '?')
}

/// The nearest candidate by edit distance (case-insensitive), if near.
fn suggest<'a>(wrong: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let w = wrong.to_ascii_lowercase();
    let limit = (w.chars().count() / 3).max(2);
    candidates
        .map(|c| (distance(&w, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_suggestions() {
        assert_eq!(distance("volumedelte", "volumedelete"), 1);
        assert_eq!(
            suggest(
                "railway:volumeDelte",
                ["railway:volumeDelete", "railway:volumeCreate"].into_iter()
            ),
            Some("railway:volumeDelete")
        );
        assert_eq!(suggest("zzzz", ["railway"].into_iter()), None);
    }
}
