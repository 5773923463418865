//! The credential a `connection_init` payload carries: read as the
//! headers it names (`{"Authorization": "Bearer …"}` at the top, or under
//! `headers`), and swapped there when it is a surrogate. Pure, but for the
//! secret the swap reads.

use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};

/// Where in the payload a credential header sits.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    Top(String),
    Headers(String),
}

/// The credential headers a payload carries, each with its place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InitHeaders {
    found: Vec<(Place, HeaderName, HeaderValue)>,
}

impl InitHeaders {
    /// The headers, as inspection reads them beside the handshake's.
    pub fn headers(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.found.iter().map(|(_, n, v)| (n, v))
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// Writes each header's value in `swapped` (the real secret where a
    /// surrogate was) back at its place in `payload`.
    pub fn write_back(&self, swapped: &HeaderMap, payload: &mut Map<String, Value>) {
        for (place, name, _) in &self.found {
            let Some(v) = swapped.get(name).and_then(|v| v.to_str().ok()) else {
                continue;
            };
            let slot = match place {
                Place::Top(k) => payload.get_mut(k),
                Place::Headers(k) => payload
                    .get_mut("headers")
                    .and_then(Value::as_object_mut)
                    .and_then(|h| h.get_mut(k)),
            };
            if let Some(slot) = slot {
                *slot = Value::String(v.to_owned());
            }
        }
    }
}

/// Reads the payload's credential headers. `is_credential` says whether a
/// lowercase header name carries one for this provider. A top-level field
/// that is neither a credential nor `headers` is refused: scopegate cannot
/// tell whether the provider reads a credential from it.
pub fn read(
    payload: &Map<String, Value>,
    is_credential: impl Fn(&str) -> bool,
) -> Result<InitHeaders, String> {
    let mut found = Vec::new();
    let mut take = |place: Place, key: &str, value: &Value| -> Result<(), String> {
        let lname = key.to_ascii_lowercase();
        if !is_credential(&lname) {
            return Ok(());
        }
        let Value::String(s) = value else {
            return Err(format!(
                "the connection_init credential `{key}` is not a string"
            ));
        };
        let name = HeaderName::from_bytes(lname.as_bytes()).map_err(|_| "bad header name")?;
        let value = HeaderValue::from_str(s)
            .map_err(|_| format!("the connection_init credential `{key}` is not a header value"))?;
        found.push((place, name, value));
        Ok(())
    };
    for (key, value) in payload {
        if key == "headers" {
            let Value::Object(headers) = value else {
                return Err("the connection_init `headers` is not an object".into());
            };
            for (k, v) in headers {
                take(Place::Headers(k.clone()), k, v)?;
            }
        } else if is_credential(&key.to_ascii_lowercase()) {
            take(Place::Top(key.clone()), key, value)?;
        } else {
            return Err(format!(
                "the connection_init payload field `{key}` is not one scopegate reads (only credential headers, at the top or under `headers`)"
            ));
        }
    }
    Ok(InitHeaders { found })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cred(n: &str) -> bool {
        n == "authorization" || n == "project-access-token"
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn reads_credentials_at_the_top_and_under_headers() {
        let p = obj(json!({
            "Authorization": "Bearer a",
            "headers": {"project-access-token": "b", "x-source": "cli"}
        }));
        let h = read(&p, cred).unwrap();
        let got: Vec<_> = h
            .headers()
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            got,
            [
                ("authorization".to_owned(), "Bearer a".to_owned()),
                ("project-access-token".to_owned(), "b".to_owned())
            ]
        );
    }

    #[test]
    fn refuses_fields_it_cannot_read() {
        assert!(read(&obj(json!({"authToken": "x"})), cred).is_err());
        assert!(read(&obj(json!({"Authorization": 7})), cred).is_err());
        assert!(read(&obj(json!({"headers": "x"})), cred).is_err());
        assert!(read(&Map::new(), cred).unwrap().is_empty());
    }

    #[test]
    fn writes_the_swapped_value_back_where_it_was() {
        let mut p = obj(json!({
            "Authorization": "Bearer sgs_x",
            "headers": {"project-access-token": "sgs_y", "x-source": "cli"}
        }));
        let h = read(&p, cred).unwrap();
        let mut swapped = HeaderMap::new();
        swapped.insert("authorization", HeaderValue::from_static("Bearer real"));
        swapped.insert("project-access-token", HeaderValue::from_static("real2"));
        h.write_back(&swapped, &mut p);
        assert_eq!(
            Value::Object(p),
            json!({
                "Authorization": "Bearer real",
                "headers": {"project-access-token": "real2", "x-source": "cli"}
            })
        );
    }
}
