//! What `audit export` and `audit tail` keep beyond the store's filter:
//! one approval's story, and records whose operations were resolved to a
//! project or environment whose name matches a glob (`--environment
//! 'pr-*'`). A name that could not be resolved matches nothing.

use scopegate_model::{Attribute, DecisionRecord};
use scopegate_policy::Glob;

#[derive(Debug, Default)]
pub struct Narrow {
    /// `apr_…`: only the records of this approval's story.
    pub approval: Option<String>,
    pub project: Option<Glob>,
    pub environment: Option<Glob>,
}

impl Narrow {
    pub fn new(approval: Option<String>, project: Option<&str>, environment: Option<&str>) -> Self {
        Self {
            approval,
            project: project.map(Glob::new),
            environment: environment.map(Glob::new),
        }
    }

    /// Whether `record` passes every narrowing given.
    pub fn keeps(&self, record: &DecisionRecord) -> bool {
        if let Some(id) = &self.approval
            && !in_story(record.approval.as_deref(), id)
        {
            return false;
        }
        [
            ("project", &self.project),
            ("environment", &self.environment),
        ]
        .into_iter()
        .all(|(key, glob)| glob.as_ref().is_none_or(|g| carries(record, key, g)))
    }
}

/// Whether an operation of `record` has a known `key` named like `glob`.
fn carries(record: &DecisionRecord, key: &str, glob: &Glob) -> bool {
    record.operations.iter().any(|op| {
        op.attributes
            .get(key)
            .and_then(Attribute::values)
            .is_some_and(|vs| vs.iter().any(|v| glob.matches(v)))
    })
}

/// Whether a record's `approval` step names approval `id`.
fn in_story(step: Option<&str>, id: &str) -> bool {
    step.is_some_and(|s| s.split_whitespace().any(|w| w == id))
}
