//! Problems in a settings file, each with its line, column and a hint, and
//! all of them: serde stops at the first wrong key, so a table is read again
//! without each key it refused until it reads (the scope maps' style,
//! `file:line:column: message (help: ...)`).

use std::fmt;
use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

pub use scopegate_policy::Problem;

/// Every problem found in a settings file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SettingsError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Problem::render_all(&self.problems, &self.file))
    }
}

/// A settings document parsed with the position of every key and value.
pub struct Doc<'t> {
    text: &'t str,
    root: Spanned<DeTable<'t>>,
}

impl<'t> Doc<'t> {
    /// Parses TOML syntax; a syntax error stops here (the first one only).
    pub fn parse(text: &'t str) -> Result<Self, Problem> {
        match DeTable::parse(text) {
            Ok(root) => Ok(Self { text, root }),
            Err(e) => Err(Self::problem_in(text, e.span(), e.message().trim(), None)),
        }
    }

    /// The table at `path` (e.g. `["dashboard"]`), if there is one.
    pub fn table(&self, path: &[&str]) -> Option<Spanned<DeValue<'t>>> {
        let mut v = self.root();
        for key in path {
            let next = v.get_ref().as_table()?.get(*key)?.clone();
            v = next;
        }
        v.get_ref().is_table().then_some(v)
    }

    /// The top-level string `key`, if it is one.
    pub fn string(&self, key: &str) -> Option<&str> {
        self.root.get_ref().get(key)?.get_ref().as_str()
    }

    /// The whole document as a value.
    pub fn root(&self) -> Spanned<DeValue<'t>> {
        Spanned::new(
            self.root.span(),
            DeValue::Table(self.root.get_ref().clone()),
        )
    }

    /// Where the key at `path` is written (array elements by index), or
    /// its nearest written parent; the file's start when none is.
    pub fn span_of(&self, path: &[&str]) -> Range<usize> {
        let Some((first, rest)) = path.split_first() else {
            return 0..0;
        };
        match self.root.get_ref().get_key_value(*first) {
            Some((k, v)) => find(v.get_ref(), rest, k.span()),
            None => 0..0,
        }
    }

    /// A problem at the key `path` names.
    pub fn at(&self, path: &[&str], message: impl Into<String>, help: Option<&str>) -> Problem {
        Self::problem_in(self.text, Some(self.span_of(path)), &message.into(), help)
    }

    fn problem_in(
        text: &str,
        span: Option<Range<usize>>,
        message: &str,
        help: Option<&str>,
    ) -> Problem {
        let (line, column) = span.map_or((1, 1), |s| line_col(text, s.start));
        Problem {
            line,
            column,
            message: message.to_owned(),
            help: help.map(str::to_owned),
        }
    }

    /// Reads `value` as a `T`, collecting every problem serde finds: each
    /// refused key is reported (named by its section, `table` being where
    /// `value` is) and dropped, and the rest read again.
    pub fn read<T: DeserializeOwned>(
        &self,
        mut value: Spanned<DeValue<'t>>,
        table: &[&str],
        problems: &mut Vec<Problem>,
    ) -> Option<T> {
        for _ in 0..200 {
            let e = match T::deserialize(ValueDeserializer::from(value.clone())) {
                Ok(t) => return Some(t),
                Err(e) => e,
            };
            let span = e.span();
            let mut path: Vec<String> = table.iter().map(|s| (*s).to_owned()).collect();
            let whole = value.span();
            // An error about the table itself (a missing key) drops nothing.
            let dropped = span
                .as_ref()
                .is_some_and(|s| *s != whole && remove_at(value.get_mut(), s, &mut path));
            let (message, help) = explain(e.message().trim());
            // Named by its section: the line says the rest.
            let message = match path.first() {
                Some(section) if path.len() > usize::from(dropped) => {
                    format!("[{section}]: {message}")
                }
                _ => message,
            };
            problems.push(Self::problem_in(self.text, span, &message, help.as_deref()));
            if !dropped {
                return None;
            }
        }
        None
    }
}

fn find(v: &DeValue<'_>, path: &[&str], best: Range<usize>) -> Range<usize> {
    let Some((seg, rest)) = path.split_first() else {
        return best;
    };
    let next = match v {
        DeValue::Table(t) => t.get_key_value(*seg).map(|(k, v)| (k.span(), v)),
        DeValue::Array(a) => seg
            .parse::<usize>()
            .ok()
            .and_then(|n| a.get(n))
            .map(|v| (v.span(), v)),
        _ => None,
    };
    match next {
        Some((at, v)) => find(v.get_ref(), rest, at),
        None => best,
    }
}

/// Removes the innermost entry whose key or value holds `at`, adding the
/// keys down to it (array elements left out) to `path`.
fn remove_at(v: &mut DeValue<'_>, at: &Range<usize>, path: &mut Vec<String>) -> bool {
    let holds = |s: Range<usize>| s.start <= at.start && at.end <= s.end;
    match v {
        DeValue::Table(t) => {
            for (k, child) in t.iter_mut() {
                path.push(k.get_ref().to_string());
                // A table's own span may cover only its header: look inside.
                if remove_at(child.get_mut(), at, path) {
                    return true;
                }
                path.pop();
            }
            let key = t
                .iter()
                .find(|(k, v)| holds(k.span()) || holds(v.span()))
                .map(|(k, _)| k.clone());
            let Some(key) = key else { return false };
            path.push(key.get_ref().to_string());
            t.remove(&key).is_some()
        }
        DeValue::Array(a) => a
            .iter_mut()
            .any(|child| remove_at(child.get_mut(), at, path)),
        _ => false,
    }
}

/// serde's message, and a hint: the nearest known key for a misspelt one,
/// how to write a value of the wrong type.
fn explain(message: &str) -> (String, Option<String>) {
    let Some((head, expected)) = message.split_once(", expected ") else {
        return (message.to_owned(), None);
    };
    if head.starts_with("invalid type") {
        return (message.to_owned(), written_as(expected).map(str::to_owned));
    }
    let Some(unknown) = head
        .strip_prefix("unknown field `")
        .or_else(|| head.strip_prefix("unknown variant `"))
        .and_then(|r| r.strip_suffix('`'))
    else {
        return (message.to_owned(), None);
    };
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let help = match nearest(unknown, &known) {
        Some(k) => format!("did you mean `{k}`?"),
        None if known.is_empty() => "this table takes no keys".to_owned(),
        None if head.starts_with("unknown variant") => format!("use one of {}", known.join(", ")),
        None => format!("known keys: {}", known.join(", ")),
    };
    (head.to_owned(), Some(help))
}

/// How a value of serde's `expected` type is written in TOML.
fn written_as(expected: &str) -> Option<&'static str> {
    let number = [
        "u8", "u16", "u32", "u64", "usize", "i8", "i16", "i32", "i64", "isize",
    ];
    Some(match expected {
        e if number.contains(&e) => "a whole number, without quotes",
        "a string" => "a quoted string",
        "a boolean" => "true or false, without quotes",
        "a sequence" => "a list in brackets, e.g. [\"a\", \"b\"]",
        e if e.starts_with("struct ") || e == "a map" => "a table: a [section] or { key = value }",
        _ => return None,
    })
}

/// The known name closest to `word`, if it is close (a typo, not another word).
pub fn nearest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (distance(word, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()
        .map(|(_, k)| k)
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// 1-based line and column of byte offset `at`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |n| before.len() - n - 1)
        + 1;
    (line, col)
}
