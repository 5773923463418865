//! Words a client would rewrite. The Railway CLI replaces any GraphQL error
//! whose message contains "not authorized" with "Unauthorized. Please check
//! that your RAILWAY_API_TOKEN is valid", which sends an agent looking for
//! another token. A refusal's message must survive: scopegate's own words
//! avoid these phrases, and anything that could bring one in (a reason
//! built from a request's names) is defused here, the last step before a
//! message is sent. Matching ignores case.

/// Phrases known clients rewrite, with what scopegate says instead:
/// the Railway CLI's "not authorized" and its auth-failure markers
/// ("Unauthorized", "Not authenticated").
const REWRITTEN: &[(&str, &str)] = &[
    ("not authorized", "not permitted"),
    ("unauthorized", "not permitted"),
    ("not authenticated", "not signed in"),
];

/// `message` with every rewritten phrase replaced.
pub fn defused(message: &str) -> String {
    let mut out = message.to_owned();
    for (phrase, instead) in REWRITTEN {
        while let Some(at) = out.to_ascii_lowercase().find(phrase) {
            out.replace_range(at..at + phrase.len(), instead);
        }
    }
    out
}

/// Whether `message` holds a phrase a known client rewrites.
#[cfg(test)]
pub fn rewritable(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    REWRITTEN.iter().any(|(p, _)| lower.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewritten_phrases_are_replaced_whatever_their_case() {
        let m = defused("Not Authorized: the token is UNAUTHORIZED and not authenticated");
        assert_eq!(
            m,
            "not permitted: the token is not permitted and not signed in"
        );
        assert!(!rewritable(&m));
        assert!(rewritable("x NOT AUTHORIZED y"));
        assert_eq!(defused("nothing to see"), "nothing to see");
    }
}
