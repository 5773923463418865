//! Masking secret values in what an approver is shown. What is a secret is
//! decided by the catalogue (arguments and body fields that carry secret
//! values) and by credential locations, never by the name a client gave a
//! value: see `view.rs` and `graphql/mask.rs`.

use serde_json::Value;

/// What a masked value reads as.
pub const MASK: &str = "•••";

/// Masks the value at `path` below `v`: `*` is any key or element, and a
/// list met where a key is expected is walked element by element (as
/// GraphQL input coercion and most JSON readers would).
pub fn mask_at(v: &mut Value, path: &[String]) {
    let Some((key, rest)) = path.split_first() else {
        *v = mask_all(v);
        return;
    };
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if key == "*" || k == key {
                    mask_at(x, rest);
                }
            }
        }
        Value::Array(items) => {
            let below = if key == "*" { rest } else { path };
            items.iter_mut().for_each(|x| mask_at(x, below));
        }
        _ => {}
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
    fn masks_only_at_the_path() {
        let mut v = json!({"input": {"value": "s3cret", "environmentId": "env-1", "token": "t"},
            "list": [{"value": 1}, {"value": true}], "map": {"A": {"value": "x"}, "B": {"value": "y"}}});
        for p in ["input.value", "list.value", "map.*.value"] {
            let path: Vec<String> = p.split('.').map(str::to_owned).collect();
            mask_at(&mut v, &path);
        }
        assert_eq!(
            v,
            json!({"input": {"value": MASK, "environmentId": "env-1", "token": "t"},
                "list": [{"value": MASK}, {"value": true}], "map": {"A": {"value": MASK}, "B": {"value": MASK}}})
        );
    }
}
