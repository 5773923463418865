//! `scopegate check`: one request file, its operations and the decision.

use std::fmt::Write as _;

use scopegate_inspect::Inspection;
use scopegate_inspect::message::Message;
use scopegate_model::{Attribute, Decision, Mode, PresentedCredential, Verdict};
use serde_json::json;

use crate::engine::Engine;
use crate::fixtures::{self, Fixtures};

/// Exit codes of `check` (and of `policy test`: 0 pass, 1 fail, 3 error).
pub fn exit_code(v: Verdict) -> i32 {
    match v {
        Verdict::Allow => 0,
        Verdict::Deny => 1,
        Verdict::Hold => 2,
    }
}

pub const EXIT_USAGE: i32 = 3;

/// Inspects and decides one request message, with resolved attributes
/// only from `fixtures` (nothing is looked up offline).
pub fn check(
    engine: &Engine,
    request: &[u8],
    fixtures: &Fixtures,
) -> anyhow::Result<(Inspection, Decision)> {
    let msg = Message::parse(request)?;
    if engine.inspector.provider_for(&msg.host).is_none() {
        anyhow::bail!(
            "{} is not a provider host scopegate inspects (known: {})",
            msg.host,
            engine
                .inspector
                .catalogs()
                .providers()
                .flat_map(|c| c.hosts.iter().cloned())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let mut inspection = msg.with_view(|v| engine.inspector.inspect(v));
    fixtures::apply(
        fixtures,
        &engine.scope_map,
        &inspection.credential,
        &mut inspection.operations,
    );
    let decision = scopegate_policy::evaluate(
        &engine.scope_map,
        &inspection.credential,
        &inspection.operations,
    );
    Ok((inspection, decision))
}

pub fn to_json(inspection: &Inspection, d: &Decision) -> serde_json::Value {
    json!({
        "operations": inspection.operations,
        "verdict": d.verdict,
        "mode": d.mode,
        "rule": d.rule,
        "reason": d.reason,
        "token": d.token,
        "credential": match &inspection.credential {
            PresentedCredential::None => json!(null),
            PresentedCredential::One { fingerprint, location, also } => json!({"fingerprint_prefix": fingerprint.short(), "location": location, "also": also}),
            PresentedCredential::Ambiguous { why } => json!({"ambiguous": why}),
        },
        "per_operation": d.operations.iter().map(|o| json!({
            "operation": o.operation.qualified_name(),
            "verdict": o.verdict,
            "rule": o.rule,
            "reason": o.reason,
        })).collect::<Vec<_>>(),
    })
}

pub fn to_text(inspection: &Inspection, d: &Decision) -> String {
    let mut s = String::from("operations:\n");
    for o in &d.operations {
        let _ = write!(s, "  {:<8} {}", o.verdict.as_str(), o.operation);
        if let Some(note) = &o.operation.note {
            let _ = write!(s, "  [{note}]");
        }
        s.push('\n');
        for (name, a) in &o.operation.attributes {
            let _ = match a {
                Attribute::Known(v) => writeln!(s, "           {name} = {}", v.join(", ")),
                Attribute::Unresolved(why) => {
                    writeln!(s, "           {name}: not resolved ({why})")
                }
            };
        }
    }
    let token = match (&d.token, &inspection.credential) {
        (Some(t), _) => format!("token `{t}`"),
        (None, PresentedCredential::None) => "no credential".into(),
        (None, PresentedCredential::One { fingerprint, .. }) => {
            format!("unknown token sha256:{}…", fingerprint.short())
        }
        (None, PresentedCredential::Ambiguous { .. }) => "ambiguous credentials".into(),
    };
    let _ = writeln!(
        s,
        "decision: {} by rule {} ({token}, mode {})",
        d.verdict,
        d.rule,
        d.mode.as_str()
    );
    let _ = writeln!(s, "reason:   {}", d.reason);
    if d.mode == Mode::Observe && d.verdict != Verdict::Allow {
        s.push_str(
            "note:     observe mode: scopegate would forward this request and record the verdict\n",
        );
    }
    s
}
