//! A linear pre-scan of a GraphQL document, run before graphql-parser (a
//! recursive-descent parser) sees it: size, token count and bracket nesting
//! are bounded so no input can exhaust the stack or cost more than linear
//! time.

use crate::Limits;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("document is {0} bytes, over the {1}-byte limit")]
    TooLarge(usize, usize),
    #[error("document has more than {0} tokens")]
    TooManyTokens(usize),
    #[error("document nests deeper than {0} levels")]
    TooDeep(usize),
    #[error("document has an unterminated string")]
    UnterminatedString,
    #[error("document has unbalanced brackets")]
    Unbalanced,
    /// graphql-parser keeps one of the two (the last); a server may keep
    /// the other, so the document cannot be read one way only.
    #[error("an input object names the field `{0}` twice")]
    DuplicateInputField(String),
}

/// An open bracket; object values (a `{` inside arguments or variable
/// definitions) keep the field names seen so far.
struct Open {
    byte: u8,
    keys: Option<Vec<String>>,
}

/// Checks `doc` against the limits in one pass.
pub fn check(doc: &str, limits: &Limits) -> Result<(), GuardError> {
    if doc.len() > limits.max_document_bytes {
        return Err(GuardError::TooLarge(doc.len(), limits.max_document_bytes));
    }
    let b = doc.as_bytes();
    let (mut i, mut depth, mut tokens) = (0usize, 0usize, 0usize);
    let mut open: Vec<Open> = Vec::new();
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i = skip_string(b, i)?;
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                if depth > limits.max_document_depth {
                    return Err(GuardError::TooDeep(limits.max_document_depth));
                }
                // Inside parentheses a `{` is always an object value.
                let in_args = open.iter().any(|o| o.byte == b'(');
                open.push(Open {
                    byte: c,
                    keys: (c == b'{' && in_args).then(Vec::new),
                });
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.checked_sub(1).ok_or(GuardError::Unbalanced)?;
                open.pop();
                i += 1;
            }
            _ if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                let start = i;
                while i < b.len()
                    && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'.' | b'-' | b'+'))
                {
                    i += 1;
                }
                if let Some(Open {
                    keys: Some(keys), ..
                }) = open.last_mut()
                    && next_is_colon(b, i)
                {
                    let name = &doc[start..i];
                    if keys.iter().any(|k| k == name) {
                        return Err(GuardError::DuplicateInputField(name.to_owned()));
                    }
                    keys.push(name.to_owned());
                }
            }
            b'.' if b.get(i..i + 3) == Some(b"...") => i += 3,
            _ => i += 1,
        }
        tokens += 1;
        if tokens > limits.max_document_tokens {
            return Err(GuardError::TooManyTokens(limits.max_document_tokens));
        }
    }
    if depth != 0 {
        return Err(GuardError::Unbalanced);
    }
    Ok(())
}

/// Whether the next significant character from `i` is `:` (skipping what
/// GraphQL ignores: white space, commas, comments).
fn next_is_colon(b: &[u8], mut i: usize) -> bool {
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'#' => {
                while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
                    i += 1;
                }
            }
            c => return c == b':',
        }
    }
    false
}

/// Returns the index just past the string starting at `start` (`"` or `"""`).
fn skip_string(b: &[u8], start: usize) -> Result<usize, GuardError> {
    if b.get(start..start + 3) == Some(b"\"\"\"") {
        let mut i = start + 3;
        while i < b.len() {
            if b[i] == b'\\' && b.get(i + 1..i + 4) == Some(b"\"\"\"") {
                i += 4;
            } else if b.get(i..i + 3) == Some(b"\"\"\"") {
                return Ok(i + 3);
            } else {
                i += 1;
            }
        }
        return Err(GuardError::UnterminatedString);
    }
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Ok(i + 1),
            b'\n' | b'\r' => return Err(GuardError::UnterminatedString),
            _ => i += 1,
        }
    }
    Err(GuardError::UnterminatedString)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_depth_tokens_and_size() {
        let l = Limits::default();
        assert_eq!(check("{ me { id } }", &l), Ok(()));
        let deep = format!("{}{}", "{a".repeat(100_000), "}".repeat(100_000));
        assert_eq!(
            check(&deep, &l),
            Err(GuardError::TooLarge(deep.len(), l.max_document_bytes))
        );
        let deep = format!("{}{}", "{a".repeat(41), "}".repeat(41));
        assert_eq!(check(&deep, &l), Err(GuardError::TooDeep(40)));
        // brackets inside strings, block strings and comments do not count
        let s = format!(
            "{{ a(x: \"{}\", y: \"\"\"{}\\\"\"\"\"\"\") }} # {}",
            "{".repeat(99),
            "[".repeat(99),
            "(".repeat(99)
        );
        assert_eq!(check(&s, &l), Ok(()));
        let many = "a ".repeat(60_000);
        assert_eq!(
            check(&many, &l),
            Err(GuardError::TooManyTokens(l.max_document_tokens))
        );
        assert_eq!(
            check("{ a(x: \"oops) }", &l),
            Err(GuardError::UnterminatedString)
        );
        assert_eq!(check("{ a } }", &l), Err(GuardError::Unbalanced));
    }
}
