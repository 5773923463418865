//! The scope-map file format (TOML, versioned, unknown fields refused) and
//! its validated model.

pub mod raw;
mod token;

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::ops::Range;

use scopegate_model::{Fingerprint, Mode, OpClass, Verdict};

use crate::glob::Glob;
use crate::vocabulary::Vocabulary;

/// One problem in a scope-map file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub help: Option<String>,
}

/// Every problem found in a scope-map file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl Problem {
    /// `file:line:column: {label}message (help: …)`; `label` is `""` for an
    /// error, `"warning: "` for a warning.
    pub fn render(&self, file: &str, label: &str) -> String {
        let mut line = format!(
            "{file}:{}:{}: {label}{}",
            self.line, self.column, self.message
        );
        if let Some(h) = &self.help {
            line.push_str(&format!(" (help: {h})"));
        }
        line
    }

    /// Every problem, one per line.
    pub fn render_all(problems: &[Problem], file: &str) -> String {
        problems
            .iter()
            .map(|p| p.render(file, ""))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Problem::render_all(&self.problems, &self.file))
    }
}

/// Where a surrogate token's real secret comes from. Holds a reference,
/// never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(String),
    File(String),
}

/// A scopegate-issued surrogate credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Surrogate {
    /// The fingerprint the agent presents (an AWS surrogate: of its access
    /// key id).
    pub fingerprint: Fingerprint,
    /// The real secret forwarded in its place (AWS: the real key pair, as
    /// `credential_process` JSON, that re-signs the request).
    pub secret: SecretRef,
    /// AWS only: the surrogate's own secret access key, which verifies the
    /// agent's signature before anything else is read.
    pub signing: Option<SecretRef>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub effect: Verdict,
    /// `provider:name` patterns; empty matches every operation.
    pub operations: Vec<Glob>,
    /// `provider:name` patterns the rule never matches.
    pub except: Vec<Glob>,
    /// Classes; empty matches every class except `unknown`, which a rule
    /// must name to match.
    pub classes: Vec<OpClass>,
    /// Resource kind → value patterns. An operation matches when it names
    /// at least one value of the kind and every value it names matches.
    pub resources: Vec<(String, Vec<Glob>)>,
    /// The scope map's own words for why the rule exists (shown to
    /// approvers); empty when it has none.
    pub note: String,
    /// Who may approve what an `approve` rule holds.
    pub who_decides: WhoDecides,
}

pub use scopegate_model::{MAX_APPROVERS, WhoDecides};

#[derive(Debug, Clone)]
pub struct Token {
    pub name: String,
    pub mode: Mode,
    pub fingerprint: Option<Fingerprint>,
    /// The scopegate-issued surrogate, and where its real secret is.
    pub surrogate: Option<Surrogate>,
    pub rules: Vec<Rule>,
}

/// A validated scope map.
#[derive(Debug, Clone)]
pub struct ScopeMap {
    pub tokens: Vec<Token>,
    /// What a request with no known token gets: deny (default) or approve.
    pub unknown_token: Verdict,
    /// Extra catalogue files, as written (relative to the scope-map file).
    pub catalogs: Vec<String>,
    /// Problems that do not stop the map from loading (a rule that never
    /// decides because another always wins).
    pub warnings: Vec<Problem>,
    by_fingerprint: token::ByFingerprint,
}

impl ScopeMap {
    /// Parses and validates; `file` names the file in problems. Names are
    /// not checked against catalogues: see [`Self::from_toml_checked`].
    pub fn from_toml(file: &str, text: &str) -> Result<Self, PolicyError> {
        Self::parse(file, text, None)
    }

    /// Parses and validates, and checks every operation pattern, provider
    /// and resource key against the catalogues' `vocabulary`: a name that
    /// matches nothing is an error (with the nearest names suggested), and
    /// a rule another rule always overrides is a warning.
    pub fn from_toml_checked(
        file: &str,
        text: &str,
        vocabulary: &Vocabulary,
    ) -> Result<Self, PolicyError> {
        Self::parse(file, text, Some(vocabulary))
    }

    fn parse(file: &str, text: &str, vocab: Option<&Vocabulary>) -> Result<Self, PolicyError> {
        let fail = |problems| PolicyError {
            file: file.to_owned(),
            problems,
        };
        let raw: raw::ScopeMapFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            fail(vec![Problem {
                line,
                column,
                message: e.message().trim().to_owned(),
                help: None,
            }])
        })?;
        Validator::new(text, vocab).build(raw).map_err(fail)
    }

    /// The warnings, one line each, as `file:line:column: message`.
    pub fn warning_lines(&self, file: &str) -> Vec<String> {
        self.warnings
            .iter()
            .map(|p| p.render(file, "warning: "))
            .collect()
    }

    /// A rule by its reference (`token/rule-id`).
    pub fn rule(&self, rule: &str) -> Option<&Rule> {
        let (token, id) = rule.split_once('/')?;
        self.tokens
            .iter()
            .find(|t| t.name == token)?
            .rules
            .iter()
            .find(|r| r.id == id)
    }

    /// The note of a rule by its reference (`token/rule-id`), when it has one.
    pub fn rule_note(&self, rule: &str) -> Option<&str> {
        self.rule(rule)
            .map(|r| r.note.trim())
            .filter(|n| !n.is_empty())
    }

    /// The token a fingerprint names, and whether it was its surrogate.
    pub fn token_for(&self, fp: &Fingerprint) -> Option<(&Token, bool)> {
        self.by_fingerprint
            .get(fp)
            .map(|&(i, surrogate)| (&self.tokens[i], surrogate))
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, col)
}

struct Validator<'a> {
    text: &'a str,
    vocab: Option<&'a Vocabulary>,
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
}

/// A built rule with where it is and what it can match (with a vocabulary).
struct Placed {
    rule: Rule,
    span: Range<usize>,
    matched: BTreeSet<(usize, OpClass)>,
}

impl<'a> Validator<'a> {
    fn new(text: &'a str, vocab: Option<&'a Vocabulary>) -> Self {
        Self {
            text,
            vocab,
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn at(&self, span: &Range<usize>, message: String, help: Option<&str>) -> Problem {
        let (line, column) = line_col(self.text, span.start);
        Problem {
            line,
            column,
            message,
            help: help.map(str::to_owned),
        }
    }

    fn problem(&mut self, span: Range<usize>, message: String, help: Option<&str>) {
        let p = self.at(&span, message, help);
        self.problems.push(p);
    }

    /// Rules that never decide: another rule with a stronger effect (or
    /// the same, earlier) and no resource conditions matches every
    /// operation and class they do.
    fn shadowed(&mut self, token: &str, placed: &[Placed]) {
        if self.vocab.is_none() {
            return;
        }
        for (i, r) in placed.iter().enumerate() {
            let unknown = r.rule.classes.contains(&OpClass::Unknown);
            let winner = placed.iter().enumerate().find(|(j, s)| {
                *j != i
                    && s.rule.resources.is_empty()
                    && (s.rule.effect > r.rule.effect || (s.rule.effect == r.rule.effect && *j < i))
                    && !r.matched.is_empty()
                    && r.matched.is_subset(&s.matched)
                    && (!unknown || s.rule.classes.contains(&OpClass::Unknown))
            });
            if let Some((_, s)) = winner {
                let w = self.at(
                    &r.span,
                    format!(
                        "rule `{}` of token `{token}` never decides: rule `{}` ({}) matches every operation it does",
                        r.rule.id, s.rule.id, s.rule.effect
                    ),
                    Some("remove it, or narrow the other rule"),
                );
                self.warnings.push(w);
            }
        }
    }

    fn build(mut self, raw: raw::ScopeMapFile) -> Result<ScopeMap, Vec<Problem>> {
        if *raw.version.get_ref() != 1 {
            self.problem(
                raw.version.span(),
                format!("unsupported scope-map version {}", raw.version.get_ref()),
                Some("this scopegate reads version = 1"),
            );
        }
        let unknown_token = match raw
            .settings
            .unknown_token
            .as_ref()
            .map(|s| (s.get_ref().as_str(), s.span()))
        {
            None | Some(("deny", _)) => Verdict::Deny,
            Some(("approve", _)) => Verdict::Hold,
            Some((other, span)) => {
                self.problem(
                    span,
                    format!("unknown_token = \"{other}\" is not valid"),
                    Some("use \"deny\" or \"approve\""),
                );
                Verdict::Deny
            }
        };
        let mut tokens = Vec::new();
        let mut by_fingerprint = HashMap::new();
        let mut names = HashMap::new();
        for rt in raw.tokens {
            let token = self.token(rt, tokens.len(), &mut by_fingerprint, &mut names);
            tokens.push(token);
        }
        if !self.problems.is_empty() {
            return Err(self.problems);
        }
        Ok(ScopeMap {
            tokens,
            unknown_token,
            catalogs: raw.catalogs,
            warnings: self.warnings,
            by_fingerprint,
        })
    }

    fn claim(
        &mut self,
        map: &mut token::ByFingerprint,
        fp: Fingerprint,
        at: (usize, bool),
        span: Range<usize>,
    ) {
        if map.insert(fp, at).is_some() {
            self.problem(
                span,
                "this fingerprint is already used by another token".into(),
                Some("a presented credential must name exactly one token"),
            );
        }
    }

    fn fingerprint(&mut self, s: &toml::Spanned<String>) -> Option<Fingerprint> {
        let fp = Fingerprint::parse(s.get_ref());
        if fp.is_none() {
            self.problem(
                s.span(),
                "expected sha256:<64 hex digits>".into(),
                Some("`scopegate token fingerprint` prints one from the token on stdin"),
            );
        }
        fp
    }

    fn rule(&mut self, rr: raw::Rule) -> Option<Placed> {
        let id = rr.id.get_ref().clone();
        let span = rr.id.span();
        let before = self.problems.len();
        let effect = match rr.effect.get_ref().as_str() {
            "allow" => Verdict::Allow,
            "approve" => Verdict::Hold,
            "deny" => Verdict::Deny,
            other => {
                self.problem(
                    rr.effect.span(),
                    format!("rule `{id}`: effect `{other}` is not valid"),
                    Some("use allow, approve or deny"),
                );
                Verdict::Deny
            }
        };
        let operations = self.patterns(&id, &rr.operations);
        let except = self.patterns(&id, &rr.except);
        let mut classes = Vec::new();
        for c in &rr.class {
            match OpClass::parse(c.get_ref()) {
                Some(class) => classes.push(class),
                None => self.problem(
                    c.span(),
                    format!("rule `{id}`: class `{}` is not valid", c.get_ref()),
                    Some("use read, write, destructive or unknown"),
                ),
            }
        }
        let resources = rr
            .resources
            .into_iter()
            .map(|(k, vs)| (k, vs.iter().map(|v| Glob::new(v)).collect()))
            .collect();
        let who_decides = self.who_decides(&id, effect, rr.approvers, rr.self_approval);
        if self.problems.len() != before {
            return None;
        }
        let rule = Rule {
            id,
            effect,
            operations,
            except,
            classes,
            resources,
            note: rr.note,
            who_decides,
        };
        let matched = self.vocab.map(|v| v.matched(&rule)).unwrap_or_default();
        if let Some(v) = self.vocab
            && rule.classes != [OpClass::Unknown]
        {
            for (kind, _) in &rule.resources {
                if let Some((message, help)) = v.check_resource(&matched, kind) {
                    let message = format!("rule `{}`: {message}", rule.id);
                    self.problem(span.clone(), message, help.as_deref());
                }
            }
        }
        Some(Placed {
            rule,
            span,
            matched,
        })
    }

    /// `approvers` and `self_approval`: only on `approve` rules, 1 to
    /// [`MAX_APPROVERS`] approvers.
    fn who_decides(
        &mut self,
        id: &str,
        effect: Verdict,
        approvers: Option<toml::Spanned<u32>>,
        self_approval: Option<toml::Spanned<bool>>,
    ) -> WhoDecides {
        let mut who = WhoDecides::default();
        if effect != Verdict::Hold {
            for span in [
                approvers.as_ref().map(toml::Spanned::span),
                self_approval.as_ref().map(toml::Spanned::span),
            ]
            .into_iter()
            .flatten()
            {
                self.problem(
                    span,
                    format!("rule `{id}`: only an `approve` rule has approvers"),
                    Some("remove it, or make the rule's effect `approve`"),
                );
            }
            return who;
        }
        if let Some(n) = approvers {
            match u8::try_from(*n.get_ref()) {
                Ok(v @ 1..=MAX_APPROVERS) => who.approvers = v,
                _ => self.problem(
                    n.span(),
                    format!(
                        "rule `{id}`: approvers = {} is not between 1 and {MAX_APPROVERS}",
                        n.get_ref()
                    ),
                    Some("2 asks for two different approvers"),
                ),
            }
        }
        if let Some(s) = self_approval {
            who.self_approval = *s.get_ref();
        }
        who
    }

    fn patterns(&mut self, id: &str, raw: &[toml::Spanned<String>]) -> Vec<Glob> {
        let mut out = Vec::with_capacity(raw.len());
        for p in raw {
            let text = p.get_ref();
            if text != "*" && !text.contains(':') {
                self.problem(
                    p.span(),
                    format!("rule `{id}`: operation pattern `{text}` names no provider"),
                    Some("write provider:name, e.g. railway:volumeDelete or railway:*"),
                );
            }
            if let Some(v) = self.vocab
                && let Some((message, help)) = v.check_pattern(text)
            {
                self.problem(p.span(), format!("rule `{id}`: {message}"), help.as_deref());
            }
            out.push(Glob::new(text));
        }
        out
    }
}

#[cfg(test)]
mod tests;
