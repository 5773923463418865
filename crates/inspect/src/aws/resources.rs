//! Resources an operation names in its arguments: well-known id
//! parameters, and the account and region of every ARN.

use scopegate_model::Operation;
use serde_json::Value;

use super::arn;

/// Argument name → resource kind. Plural forms and query-style lists
/// (`InstanceId.1`, `InstanceIds.member.1`) map to the same kind.
pub const ID_PARAMS: &[(&str, &str)] = &[
    ("InstanceId", "instanceId"),
    ("InstanceIds", "instanceId"),
    ("VolumeId", "volumeId"),
    ("VolumeIds", "volumeId"),
    ("SnapshotId", "snapshotId"),
    ("SnapshotIds", "snapshotId"),
    ("ImageId", "imageId"),
    ("ImageIds", "imageId"),
    ("VpcId", "vpcId"),
    ("VpcIds", "vpcId"),
    ("SubnetId", "subnetId"),
    ("SubnetIds", "subnetId"),
    ("DBInstanceIdentifier", "dbInstanceIdentifier"),
    ("DBClusterIdentifier", "dbClusterIdentifier"),
    ("DBSnapshotIdentifier", "dbSnapshotIdentifier"),
    ("DBClusterSnapshotIdentifier", "dbClusterSnapshotIdentifier"),
    ("FunctionName", "functionName"),
    ("TableName", "tableName"),
    ("KeyId", "keyId"),
    ("RoleName", "roleName"),
    ("UserName", "userName"),
    ("GroupName", "groupName"),
    ("PolicyArn", "policyArn"),
    ("RoleArn", "roleArn"),
    ("QueueUrl", "queueUrl"),
    ("TopicArn", "topicArn"),
    ("StackName", "stackName"),
    ("SecretId", "secretId"),
    ("LogGroupName", "logGroupName"),
    ("StateMachineArn", "stateMachineArn"),
    ("ClusterName", "clusterName"),
    ("RepositoryName", "repositoryName"),
];

pub fn kind_of(param: &str) -> Option<&'static str> {
    ID_PARAMS.iter().find(|(p, _)| *p == param).map(|(_, k)| *k)
}

/// The argument name a query-style key stands for: the last part that is
/// neither an index nor `member`/`entry` (`InstanceId.2` → `InstanceId`).
pub fn base_key(key: &str) -> &str {
    key.rsplit('.')
        .find(|p| !p.bytes().all(|b| b.is_ascii_digit()) && *p != "member" && *p != "entry")
        .unwrap_or(key)
}

/// Adds the account and region of `value` when it is an ARN, and the ARN.
pub fn add_arn(op: &mut Operation, value: &str) {
    if let Some(a) = arn::parse(value) {
        op.add_resource("arn", value.to_owned());
        if let Some(acct) = a.account {
            op.add_resource("account", acct.to_owned());
        }
        if let Some(region) = a.region {
            op.add_resource("region", region.to_owned());
        }
    }
}

/// From form or query pairs.
pub fn from_pairs(op: &mut Operation, pairs: &[(String, String)]) {
    for (k, v) in pairs {
        if let Some(kind) = kind_of(base_key(k)) {
            op.add_resource(kind, v.clone());
        }
        add_arn(op, v);
    }
}

/// From a JSON body, every level (depth-capped by the strict parser).
pub fn from_json(op: &mut Operation, v: &Value) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                if let Some(kind) = kind_of(k) {
                    for s in strings(v) {
                        op.add_resource(kind, s.to_owned());
                    }
                }
                from_json(op, v);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| from_json(op, v)),
        Value::String(s) => add_arn(op, s),
        _ => {}
    }
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Every member name of a JSON value, at any depth.
pub fn json_members(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                out.push(k.clone());
                json_members(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| json_members(v, out)),
        _ => {}
    }
}

/// Every member name in form keys (`Changes.member.1.Action` gives
/// `Changes` and `Action`).
pub fn pair_members(pairs: &[(String, String)]) -> Vec<String> {
    pairs
        .iter()
        .flat_map(|(k, _)| k.split('.'))
        .filter(|p| !p.bytes().all(|b| b.is_ascii_digit()) && *p != "member" && *p != "entry")
        .map(str::to_owned)
        .collect()
}

/// Top-level arguments as strings, for escalation rules.
pub fn json_params(v: &Value) -> Vec<(String, String)> {
    let Value::Object(m) = v else {
        return Vec::new();
    };
    m.iter()
        .filter_map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((k.clone(), s))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use scopegate_model::OpClass;
    use serde_json::json;

    #[test]
    fn query_lists_and_json_arrays_give_every_id() {
        let mut op = Operation::new("aws", "x", OpClass::Read);
        let pairs = vec![
            ("InstanceId.1".to_owned(), "i-1".to_owned()),
            ("InstanceId.2".to_owned(), "i-2".to_owned()),
            ("Filter.1.Name".to_owned(), "InstanceId".to_owned()),
            (
                "PolicyArn".to_owned(),
                "arn:aws:iam::123456789012:policy/p".to_owned(),
            ),
        ];
        from_pairs(&mut op, &pairs);
        assert_eq!(op.resources["instanceId"], ["i-1", "i-2"]);
        assert_eq!(op.resources["account"], ["123456789012"]);
        assert_eq!(op.resources["policyArn"].len(), 1);

        let mut op = Operation::new("aws", "x", OpClass::Read);
        from_json(
            &mut op,
            &json!({"TransactItems": [{"Delete": {"TableName": "t1"}}, {"Put": {"TableName": "arn:aws:dynamodb:eu-west-1:111122223333:table/t2"}}], "InstanceIds": ["i-3"]}),
        );
        assert_eq!(op.resources["tableName"].len(), 2);
        assert_eq!(op.resources["instanceId"], ["i-3"]);
        assert_eq!(op.resources["region"], ["eu-west-1"]);
        assert_eq!(base_key("InstanceIds.member.3"), "InstanceIds");
    }
}
