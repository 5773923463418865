//! What the catalogue can produce, for checking scope maps as they load,
//! and the `iam-sensitive` tag.

use std::collections::BTreeMap;

use scopegate_model::{OpClass, OperationWord};

use super::PROVIDER;
use super::resources::ID_PARAMS;
use super::table::Table;

/// Resource kinds any AWS operation may name.
fn resource_kinds() -> Vec<String> {
    let mut kinds: Vec<String> = [
        "region",
        "account",
        "arn",
        "bucket",
        "key",
        "keyPrefix",
        "queueName",
    ]
    .iter()
    .map(|k| (*k).to_owned())
    .chain(ID_PARAMS.iter().map(|(_, k)| (*k).to_owned()))
    .collect();
    kinds.sort();
    kinds.dedup();
    kinds
}

impl Table {
    /// One word per operation name (same-named operations of services
    /// sharing a prefix merged), with every class it can take.
    pub fn words(&self) -> Vec<OperationWord> {
        let mut by_name: BTreeMap<String, Vec<OpClass>> = BTreeMap::new();
        for svc in &self.services {
            for op in &svc.ops {
                let name = format!("{}:{}", svc.name_prefix, op.name);
                let classes = by_name.entry(name.clone()).or_default();
                classes.push(op.class);
                classes.extend(self.escalations(&name).iter().map(|e| e.class));
            }
        }
        let kinds = resource_kinds();
        by_name
            .into_iter()
            .map(|(name, mut classes)| {
                classes.sort();
                classes.dedup();
                OperationWord {
                    provider: PROVIDER.to_owned(),
                    name,
                    classes,
                    resources: kinds.clone(),
                }
            })
            .collect()
    }

    /// True when operations.tsv tags the operation `iam-sensitive` (it
    /// changes who may do what: policies, keys, roles, grants, ACLs).
    pub fn is_iam_sensitive(&self, name: &str) -> bool {
        let Some((prefix, op)) = name.split_once(':') else {
            return false;
        };
        self.services
            .iter()
            .filter(|s| s.name_prefix == prefix)
            .filter_map(|s| s.op(op))
            .any(|o| o.iam_sensitive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_carry_escalated_classes_and_tags_survive_overrides() {
        let t = Table::bundled().unwrap();
        let words = t.words();
        let modify = words
            .iter()
            .find(|w| w.name == "rds:ModifyDBInstance")
            .unwrap();
        assert_eq!(modify.classes, [OpClass::Write, OpClass::Destructive]);
        assert!(modify.resources.iter().any(|r| r == "dbInstanceIdentifier"));
        assert!(t.is_iam_sensitive("s3:PutBucketPolicy"));
        assert!(t.is_iam_sensitive("iam:AttachRolePolicy"));
        assert!(!t.is_iam_sensitive("s3:GetObject"));
    }
}
