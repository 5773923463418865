//! One `[[token]]` of a scope map: its name, mode, fingerprints, surrogate
//! and rules, validated.

use std::collections::HashMap;
use std::ops::Range;

use scopegate_model::{Fingerprint, Mode};
use toml::Spanned;

use super::{SecretRef, Surrogate, Token, Validator, raw};

/// Where each fingerprint points: the token's index, and whether it is
/// that token's surrogate.
pub(super) type ByFingerprint = HashMap<Fingerprint, (usize, bool)>;

impl Validator<'_> {
    /// Builds token number `index`, claiming its fingerprints.
    pub(super) fn token(
        &mut self,
        rt: raw::Token,
        index: usize,
        by_fingerprint: &mut ByFingerprint,
        names: &mut HashMap<String, ()>,
    ) -> Token {
        let name = rt.name.get_ref().clone();
        self.name(&rt.name, names);
        let mode = self.mode(rt.mode.as_ref());
        let fingerprint = rt.fingerprint.as_ref().and_then(|f| self.fingerprint(f));
        if let (Some(fp), Some(f)) = (fingerprint, &rt.fingerprint) {
            self.claim(by_fingerprint, fp, (index, false), f.span());
        }
        if rt.fingerprint.is_none() && rt.surrogate.is_none() {
            self.problem(rt.name.span(), format!("token `{name}` has neither a fingerprint nor a surrogate"), Some("run `scopegate token fingerprint` and paste its output as fingerprint = \"sha256:...\""));
        }
        let span = rt.name.span();
        let surrogate = self.surrogate(&name, span, rt.surrogate, rt.secret, rt.surrogate_secret);
        if let Some(s) = &surrogate {
            self.claim(by_fingerprint, s.fingerprint, (index, true), s.span.clone());
        }
        let mut placed = Vec::new();
        let mut ids = HashMap::new();
        for rr in rt.rules {
            if ids.insert(rr.id.get_ref().clone(), ()).is_some() {
                self.problem(
                    rr.id.span(),
                    format!(
                        "rule id `{}` is used twice in token `{name}`",
                        rr.id.get_ref()
                    ),
                    None,
                );
            }
            if let Some(p) = self.rule(rr) {
                placed.push(p);
            }
        }
        self.shadowed(&name, &placed);
        Token {
            name,
            mode,
            fingerprint,
            surrogate: surrogate.map(|s| s.built),
            rules: placed.into_iter().map(|p| p.rule).collect(),
        }
    }

    fn name(&mut self, name: &Spanned<String>, names: &mut HashMap<String, ()>) {
        let n = name.get_ref();
        if n.is_empty() || n.contains(['/', ' ']) {
            self.problem(
                name.span(),
                format!("token name `{n}` must be non-empty, without '/' or spaces"),
                None,
            );
        }
        if names.insert(n.clone(), ()).is_some() {
            self.problem(name.span(), format!("token `{n}` is defined twice"), None);
        }
    }

    fn mode(&mut self, mode: Option<&Spanned<String>>) -> Mode {
        match mode.map(|m| (m.get_ref().as_str(), m.span())) {
            None | Some(("enforce", _)) => Mode::Enforce,
            Some(("observe", _)) => Mode::Observe,
            Some((other, span)) => {
                self.problem(
                    span,
                    format!("mode `{other}` is not valid"),
                    Some("use \"enforce\" or \"observe\""),
                );
                Mode::Enforce
            }
        }
    }

    /// The surrogate, its real secret and (AWS) its own signing secret:
    /// all or nothing.
    fn surrogate(
        &mut self,
        name: &str,
        name_span: Range<usize>,
        surrogate: Option<Spanned<String>>,
        secret: Option<raw::Secret>,
        signing: Option<raw::Secret>,
    ) -> Option<Claimed> {
        let Some(s) = surrogate else {
            if secret.is_some() {
                let why = format!("token `{name}` has a secret but no surrogate");
                self.problem(name_span.clone(), why, None);
            }
            if signing.is_some() {
                let why = format!("token `{name}` has a surrogate_secret but no surrogate");
                self.problem(name_span, why, None);
            }
            return None;
        };
        let Some(secret) = secret else {
            self.problem(
                s.span(),
                format!("token `{name}` has a surrogate but no secret"),
                Some("add secret = { env = \"VAR\" } or secret = { file = \"path\" }"),
            );
            return None;
        };
        let fingerprint = self.fingerprint(&s);
        let secret = self.secret_ref(name, "secret", s.span(), secret);
        let signing = match signing {
            Some(g) => Some(self.secret_ref(name, "surrogate_secret", s.span(), g)?),
            None => None,
        };
        Some(Claimed {
            fingerprint: fingerprint?,
            span: s.span(),
            built: Surrogate {
                fingerprint: fingerprint?,
                secret: secret?,
                signing,
            },
        })
    }

    fn secret_ref(
        &mut self,
        name: &str,
        field: &str,
        span: Range<usize>,
        secret: raw::Secret,
    ) -> Option<SecretRef> {
        match (secret.env, secret.file) {
            (Some(env), None) => Some(SecretRef::Env(env)),
            (None, Some(file)) => Some(SecretRef::File(file)),
            _ => {
                let why = format!("token `{name}`: {field} needs exactly one of env or file");
                self.problem(span, why, None);
                None
            }
        }
    }
}

/// A surrogate and where its fingerprint is written.
pub(super) struct Claimed {
    fingerprint: Fingerprint,
    span: Range<usize>,
    built: Surrogate,
}
