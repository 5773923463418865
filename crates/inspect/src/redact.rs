//! The one rule for what an approver may see of a request's values: names
//! that look like secrets have their values masked, wherever they appear
//! below the top level. The proxy applies it before storing a held
//! request; the dashboard applies it again before showing one.

use serde_json::Value;

/// What a masked value reads as.
pub const MASK: &str = "•••";

/// Names whose values are secrets: they contain one of these words and do
/// not end in `id` (resource ids stay visible).
pub fn secret_name(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    [
        "value",
        "secret",
        "password",
        "passwd",
        "token",
        "key",
        "credential",
        "private",
        "variables",
        "env",
        "cert",
    ]
    .iter()
    .any(|s| k.contains(s))
        && !k.ends_with("id")
}

/// Masks values under secret names at `depth` ≥ 1 (top-level `variables`
/// keys are the operation's own variable names, not secrets by name).
pub fn mask_json(v: &Value, depth: usize) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let x = if depth > 0 && secret_name(k) {
                        mask_all(x)
                    } else {
                        mask_json(x, depth + 1)
                    };
                    (k.clone(), x)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| mask_json(x, depth + 1)).collect()),
        other => other.clone(),
    }
}

/// Masks every string and number inside `v`.
pub fn mask_all(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| (k.clone(), mask_all(x))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(mask_all).collect()),
        Value::String(s) if s == MASK => v.clone(),
        Value::String(_) | Value::Number(_) => Value::String(MASK.into()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_secrets_keeps_ids() {
        let v = json!({"input": {"value": "s3cret", "environmentId": "env-1", "variables": {"A": "b"}, "apiKey": 42}});
        let m = mask_json(&v, 1);
        assert_eq!(
            m,
            json!({"input": {"value": MASK, "environmentId": "env-1", "variables": {"A": MASK}, "apiKey": MASK}})
        );
        assert!(secret_name("DB_PASSWORD") && !secret_name("tokenId") && !secret_name("name"));
    }
}
