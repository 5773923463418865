//! The blast radius of a held request in words an approver can act on, one
//! sentence per operation the proxy resolved (docs/resource-context.md):
//! *Delete volume **postgres-data** (4.2 GB used, 3 backups, latest 2 h
//! ago; **its backups are deleted with it**), mounted by **Postgres** in
//! **pocketos / production***. What could not be resolved is said plainly,
//! with why; the catalogue's safer step follows. The dashboard card, the
//! webhook and `scopegate approvals list` all render these sentences.

pub mod confirm;
mod details;
mod render;

pub use render::html_block;

use scopegate_inspect::catalog::hints::{Hint, Hints};
use scopegate_model::{Attribute, Operation};

/// A piece of a sentence: plain text, a name to stand out, or code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Span {
    Text(String),
    Strong(String),
    Code(String),
}

/// What a sentence says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Kind {
    /// What the operation would do, to what, where.
    #[default]
    Effect,
    /// What could not be resolved, and why.
    Unresolved,
    /// The catalogue's safer step.
    Safer,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Effect => "effect",
            Self::Unresolved => "unresolved",
            Self::Safer => "safer",
        }
    }
}

/// One sentence, rendered by [`Sentence::plain`], [`Sentence::html`] or
/// [`Sentence::mrkdwn`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sentence {
    pub kind: Kind,
    pub spans: Vec<Span>,
}

impl Sentence {
    fn new(kind: Kind) -> Self {
        Self {
            kind,
            spans: Vec::new(),
        }
    }
    fn text(&mut self, s: impl Into<String>) -> &mut Self {
        self.spans.push(Span::Text(s.into()));
        self
    }
    fn strong(&mut self, s: impl Into<String>) -> &mut Self {
        self.spans.push(Span::Strong(s.into()));
        self
    }
    fn code(&mut self, s: impl Into<String>) -> &mut Self {
        self.spans.push(Span::Code(s.into()));
        self
    }
}

/// The sentences for `ops`, `now_ms` for how long ago things happened.
/// An operation with no attributes and no hint says nothing (the card
/// lists it with its ids anyway).
pub fn describe(ops: &[Operation], hints: &Hints, now_ms: i64) -> Vec<Sentence> {
    let mut out = Vec::new();
    for op in ops {
        let hint = hints.get(&op.provider, &op.name);
        if op.attributes.is_empty() && hint.is_none() {
            continue;
        }
        let subject = Subject::of(op);
        out.push(main_sentence(op, &subject, hint, now_ms));
        out.extend(unresolved(op, &subject));
        if let Some(step) = hint.and_then(|h| h.safer_step.as_deref()) {
            let mut s = Sentence::new(Kind::Safer);
            s.text("Safer: ");
            with_code(&mut s, step);
            s.text(".");
            out.push(s);
        }
    }
    out
}

/// The bundled catalogue's hints; see [`describe`].
pub fn describe_bundled(ops: &[Operation], now_ms: i64) -> Vec<Sentence> {
    describe(ops, Hints::bundled(), now_ms)
}

/// What an operation acts on: `volume`, and its id (`vol-1`) if named.
struct Subject {
    kind: Option<String>,
    id: Option<String>,
}

/// Attributes that place the subject, in this order.
const CONTEXT: [&str; 3] = ["service", "project", "environment"];

impl Subject {
    fn of(op: &Operation) -> Self {
        let noun = details::noun(&op.name);
        let first = noun.split(' ').next().unwrap_or("").to_owned();
        let kind = [
            first.as_str(),
            "volume",
            "service",
            "environment",
            "project",
            "repository",
        ]
        .into_iter()
        .find(|k| {
            !k.is_empty()
                && (op.resources.contains_key(&format!("{k}Id"))
                    || op
                        .attributes
                        .keys()
                        .any(|a| a == k || a.starts_with(&format!("{k}."))))
        })
        .map(str::to_owned);
        let id = kind.as_deref().and_then(|k| {
            [format!("{k}Id"), k.to_owned()]
                .iter()
                .find_map(|r| op.resources.get(r).and_then(|v| v.first().cloned()))
        });
        Self { kind, id }
    }

    /// `volume `vol-1``, or `volume`, or `the resource`.
    fn push_named(&self, s: &mut Sentence) {
        match (&self.kind, &self.id) {
            (Some(k), Some(id)) => {
                s.text(format!("{k} ")).code(id.clone());
            }
            (Some(k), None) => {
                s.text(k.clone());
            }
            (None, _) => {
                s.text("the resource");
            }
        }
    }
}

fn main_sentence(op: &Operation, subject: &Subject, hint: Option<&Hint>, now: i64) -> Sentence {
    let mut s = Sentence::new(Kind::Effect);
    s.text(details::action(&op.name));
    let name = subject
        .kind
        .as_deref()
        .and_then(|k| op.attributes.get(k))
        .and_then(Attribute::values);
    match (name, &subject.id) {
        (Some(v), _) => {
            s.text(" ").strong(v.join(", "));
        }
        (None, Some(id)) => {
            s.text(" ").code(id.clone());
        }
        (None, None) => {}
    }
    let mut facts = details::facts(op, subject.kind.as_deref(), now);
    if let Some(c) = hint.and_then(|h| h.consequence.as_deref()) {
        facts.push(Span::Strong(c.to_owned()));
    }
    details::parenthesis(&mut s, facts);
    context(&mut s, op, subject.kind.as_deref());
    s.text(".");
    s
}

/// ", mounted by **Postgres** in **pocketos / production**".
fn context(s: &mut Sentence, op: &Operation, subject: Option<&str>) {
    let known = |k: &str| {
        (Some(k) != subject)
            .then(|| op.attributes.get(k).and_then(Attribute::values))
            .flatten()
            .map(|v| v.join(", "))
    };
    if let Some(svc) = known(CONTEXT[0]) {
        let how = if subject == Some("volume") {
            ", mounted by "
        } else {
            " of service "
        };
        s.text(how).strong(svc);
    }
    match (known(CONTEXT[1]), known(CONTEXT[2])) {
        (Some(p), Some(e)) => {
            s.text(" in ").strong(format!("{p} / {e}"));
        }
        (Some(p), None) => {
            s.text(" in project ").strong(p);
        }
        (None, Some(e)) => {
            s.text(" in environment ").strong(e);
        }
        (None, None) => {}
    }
}

/// "Could not resolve the environment and project of volume `vol-1`
/// (lookup timed out after 2 s)." — one sentence per reason; when the
/// subject itself could not be resolved, "Could not resolve volume `vol-1`
/// (why)." says it all.
fn unresolved(op: &Operation, subject: &Subject) -> Vec<Sentence> {
    let own = subject.kind.as_deref();
    let mut by_why: Vec<(&str, Vec<&str>)> = Vec::new();
    for (k, a) in &op.attributes {
        if let Attribute::Unresolved(why) = a {
            match by_why.iter_mut().find(|(w, _)| w == why) {
                Some((_, keys)) => keys.push(k),
                None => by_why.push((why, vec![k])),
            }
        }
    }
    by_why
        .into_iter()
        .map(|(why, keys)| {
            let mut s = Sentence::new(Kind::Unresolved);
            if own.is_some_and(|o| keys.contains(&o)) {
                s.text("Could not resolve ");
            } else {
                let what: Vec<String> = keys.iter().map(|k| details::label(k, own)).collect();
                s.text(format!(
                    "Could not resolve the {} of ",
                    details::and_list(&what)
                ));
            }
            subject.push_named(&mut s);
            s.text(format!(" ({why})."));
            s
        })
        .collect()
}

/// Text with `code` between backticks.
fn with_code(s: &mut Sentence, text: &str) {
    for (i, part) in text.split('`').enumerate() {
        if part.is_empty() {
            continue;
        }
        if i % 2 == 1 {
            s.code(part);
        } else {
            s.text(part);
        }
    }
}

#[cfg(test)]
mod tests;
