//! `scopegate policy test`: a file of requests with the verdicts (and
//! optionally the rules and operations) a scope map must give them, so a
//! team can keep its scope maps under CI.
//!
//! ```toml
//! scope_map = "../config/examples/railway-domains.toml"   # relative to this file
//!
//! [[case]]
//! name = "volumeDelete is held"
//! expect = "approve"
//! rule = "railway-domains/hold-destructive"          # optional
//! operations = ["railway:volumeDelete"]              # optional, in order
//! request = '''
//! POST https://backboard.railway.com/graphql/v2 HTTP/1.1
//! ...
//! '''
//! # or: request_file = "requests/volume-delete.http"
//! # optional: what the resources resolve to (nothing is looked up offline)
//! [case.attributes."volumeId:vol-1"]
//! environment = "production"
//! ```

use std::path::Path;

use anyhow::Context as _;
use scopegate_model::Verdict;
use serde::Deserialize;

use crate::check::check;
use crate::engine::Engine;
use crate::fixtures::Fixtures;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    scope_map: String,
    #[serde(default)]
    description: String,
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    expect: String,
    rule: Option<String>,
    operations: Option<Vec<String>>,
    request: Option<String>,
    request_file: Option<String>,
    #[serde(default)]
    attributes: Fixtures,
}

/// One case's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseResult {
    pub name: String,
    /// `None` when the case passed; otherwise what differed.
    pub failure: Option<String>,
}

/// Runs every case in a test file.
pub fn run(file: &Path) -> anyhow::Result<Vec<CaseResult>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let tf: TestFile = toml::from_str(&text).with_context(|| format!("{}", file.display()))?;
    let _ = tf.description;
    let base = file.parent().unwrap_or(Path::new("."));
    let engine = Engine::load(&base.join(&tf.scope_map))?;
    let mut out = Vec::with_capacity(tf.cases.len());
    for c in tf.cases {
        let request = match (&c.request, &c.request_file) {
            (Some(r), None) => r.clone().into_bytes(),
            (None, Some(f)) => std::fs::read(base.join(f))
                .with_context(|| format!("case `{}`: cannot read {f}", c.name))?,
            _ => anyhow::bail!(
                "case `{}`: give exactly one of request or request_file",
                c.name
            ),
        };
        let expect = Verdict::parse(&c.expect)
            .with_context(|| format!("case `{}`: expect must be allow, approve or deny", c.name))?;
        let failure = match check(&engine, &request, &c.attributes) {
            Err(e) => Some(format!("the request could not be checked: {e:#}")),
            Ok((inspection, d)) => {
                let mut problems = Vec::new();
                if d.verdict != expect {
                    problems.push(format!(
                        "expected {expect}, got {} (rule {}: {})",
                        d.verdict, d.rule, d.reason
                    ));
                }
                if let Some(rule) = &c.rule
                    && d.rule.0 != *rule
                {
                    problems.push(format!("expected rule {rule}, got {}", d.rule));
                }
                if let Some(ops) = &c.operations {
                    let got: Vec<String> = inspection
                        .operations
                        .iter()
                        .map(|o| o.qualified_name())
                        .collect();
                    if got != *ops {
                        problems.push(format!("expected operations {ops:?}, got {got:?}"));
                    }
                }
                (!problems.is_empty()).then(|| problems.join("; "))
            }
        };
        out.push(CaseResult {
            name: c.name,
            failure,
        });
    }
    Ok(out)
}
