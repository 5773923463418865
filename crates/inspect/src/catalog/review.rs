//! The reviewed judgement on catalogue entries: every `write` of a
//! provider's classification (and every hand-made entry) carries a
//! one-line reason in the overrides file, and the judgement must agree
//! with what the generated catalogue says. A schema update that adds a
//! write therefore fails generation until someone has judged it.

use std::collections::{BTreeMap, BTreeSet};

use super::raw::Review;

/// What an entry ends up as in the generated catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome<'a> {
    pub class: &'a str,
    pub escalates: bool,
}

/// Every name in `must` has a judgement; every judgement names an entry and
/// agrees with its outcome: `write` = a plain write, `escalate` = a write
/// with escalations, `destructive` = destructive.
pub fn check(
    review: &BTreeMap<String, Review>,
    must: &BTreeSet<String>,
    outcomes: &BTreeMap<String, Outcome<'_>>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for name in must {
        if !review.contains_key(name) {
            problems.push(format!("`{name}` is a write with no [review] judgement"));
        }
    }
    for (name, r) in review {
        if r.why.trim().is_empty() {
            problems.push(format!("review of `{name}` gives no reason"));
        }
        let Some(o) = outcomes.get(name) else {
            problems.push(format!("reviewed `{name}` is not in the catalogue"));
            continue;
        };
        let agrees = match r.judgement.as_str() {
            "write" => o.class == "write" && !o.escalates,
            "escalate" => o.class == "write" && o.escalates,
            "destructive" => o.class == "destructive",
            other => {
                problems.push(format!("review of `{name}`: unknown judgement `{other}`"));
                continue;
            }
        };
        if !agrees {
            problems.push(format!(
                "review of `{name}` says `{}` but the catalogue has it {}{}",
                r.judgement,
                o.class,
                if o.escalates { " with escalations" } else { "" }
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(j: &str) -> Review {
        Review {
            judgement: j.into(),
            why: "reason".into(),
        }
    }

    #[test]
    fn judgements_must_cover_writes_and_agree() {
        let outcomes: BTreeMap<String, Outcome<'_>> = [
            (
                "a".to_owned(),
                Outcome {
                    class: "write",
                    escalates: false,
                },
            ),
            (
                "b".to_owned(),
                Outcome {
                    class: "write",
                    escalates: true,
                },
            ),
            (
                "c".to_owned(),
                Outcome {
                    class: "destructive",
                    escalates: false,
                },
            ),
        ]
        .into();
        let must: BTreeSet<String> = ["a".to_owned(), "b".to_owned()].into();
        let good: BTreeMap<_, _> = [
            ("a".to_owned(), r("write")),
            ("b".to_owned(), r("escalate")),
            ("c".to_owned(), r("destructive")),
        ]
        .into();
        assert!(check(&good, &must, &outcomes).is_empty());
        let missing: BTreeMap<_, _> = [("a".to_owned(), r("write"))].into();
        assert_eq!(check(&missing, &must, &outcomes).len(), 1);
        let wrong: BTreeMap<_, _> = [
            ("a".to_owned(), r("escalate")),
            ("b".to_owned(), r("write")),
            ("z".to_owned(), r("write")),
        ]
        .into();
        assert_eq!(check(&wrong, &must, &outcomes).len(), 3);
    }
}
