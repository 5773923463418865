//! The two GraphQL-over-WebSocket protocols as scopegate reads them: which
//! client messages carry an operation, the protocol's own `error` message
//! for a refused one, and the close codes. Pure: no IO.

use serde_json::{Map, Value, json};

/// The subprotocol a socket speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `graphql-transport-ws` (the `graphql-ws` library, Railway's CLI).
    TransportWs,
    /// `graphql-ws`: the older subscriptions-transport-ws protocol.
    Legacy,
}

impl Protocol {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "graphql-transport-ws" => Some(Self::TransportWs),
            "graphql-ws" => Some(Self::Legacy),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::TransportWs => "graphql-transport-ws",
            Self::Legacy => "graphql-ws",
        }
    }

    /// The client message type that carries an operation.
    fn operation_type(self) -> &'static str {
        match self {
            Self::TransportWs => "subscribe",
            Self::Legacy => "start",
        }
    }

    /// The client message type that ends an operation.
    fn stop_type(self) -> &'static str {
        match self {
            Self::TransportWs => "complete",
            Self::Legacy => "stop",
        }
    }

    /// The protocol's `error` message for operation `id`, carrying `error`
    /// (one GraphQL error: `message`, `extensions`).
    pub fn error_message(self, id: &str, error: Value) -> String {
        let payload = match self {
            Self::TransportWs => Value::Array(vec![error]),
            Self::Legacy => error,
        };
        json!({ "id": id, "type": "error", "payload": payload }).to_string()
    }
}

/// A client message, as read.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    /// `connection_init`, with its payload (`{}` when absent or null).
    Init(Map<String, Value>),
    /// A message that carries an operation (`subscribe`, `start`).
    Operation { id: String, payload: Value },
    /// A message that ends operation `id` (`complete`, `stop`).
    Stop { id: String },
    /// Anything else the protocol has (`ping`, `pong`,
    /// `connection_terminate`): relayed as read.
    Other,
}

/// Why a client message cannot be read; the socket closes with `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub code: u16,
    pub why: String,
}

/// Close codes.
pub mod close {
    /// Binary frames: the protocols are text only.
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// A frame with reserved bits (an extension scopegate did not
    /// negotiate, such as compression), or another protocol violation.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// Text that is not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// A message over the size limit (however fragmented).
    pub const TOO_BIG: u16 = 1009;
    /// The provider could not be reached, or refused the upgrade.
    pub const UPSTREAM: u16 = 1011;
    /// A message the protocol does not have, or JSON that does not parse.
    pub const BAD_REQUEST: u16 = 4400;
    /// An operation before `connection_init`.
    pub const UNAUTHORIZED: u16 = 4401;
    /// The credential cannot be used: ambiguous, or its secret missing.
    pub const FORBIDDEN: u16 = 4403;
    /// No `connection_init` in time.
    pub const INIT_TIMEOUT: u16 = 4408;
    /// A second `connection_init`: the credential is fixed for the socket.
    pub const TOO_MANY_INIT: u16 = 4429;
}

/// A close frame's reason: at most 123 bytes (RFC 6455 §5.5), cut at a
/// character boundary.
pub fn close_reason(why: &str) -> String {
    let mut end = why.len().min(123);
    while !why.is_char_boundary(end) {
        end -= 1;
    }
    why[..end].to_owned()
}

/// Reads one text message. Duplicate keys anywhere are refused (two
/// parsers could disagree on which one wins).
pub fn read(protocol: Protocol, text: &str) -> Result<ClientMessage, Unreadable> {
    let bad = |why: &str| Unreadable {
        code: close::BAD_REQUEST,
        why: why.to_owned(),
    };
    let value = scopegate_inspect::parse_strict_json(text.as_bytes())
        .map_err(|_| bad("the message is not JSON (or repeats a key)"))?;
    let Value::Object(mut msg) = value else {
        return Err(bad("the message is not a JSON object"));
    };
    let Some(Value::String(kind)) = msg.remove("type") else {
        return Err(bad("the message has no `type`"));
    };
    let id = match msg.remove("id") {
        Some(Value::String(id)) if !id.is_empty() => Some(id),
        None | Some(Value::Null) => None,
        Some(_) => return Err(bad("the message's `id` is not a string")),
    };
    let payload = msg.remove("payload");
    if kind == "connection_init" {
        return match payload {
            None | Some(Value::Null) => Ok(ClientMessage::Init(Map::new())),
            Some(Value::Object(p)) => Ok(ClientMessage::Init(p)),
            Some(_) => Err(bad("the connection_init payload is not an object")),
        };
    }
    if kind == protocol.operation_type() {
        let id = id.ok_or_else(|| bad("an operation message without an `id`"))?;
        return match payload {
            Some(p @ (Value::Object(_) | Value::Array(_))) => {
                Ok(ClientMessage::Operation { id, payload: p })
            }
            _ => Err(bad("an operation message without a payload object")),
        };
    }
    if kind == protocol.stop_type() {
        let id = id.ok_or_else(|| bad("a stop message without an `id`"))?;
        return Ok(ClientMessage::Stop { id });
    }
    let known: &[&str] = match protocol {
        Protocol::TransportWs => &["ping", "pong"],
        Protocol::Legacy => &["connection_terminate"],
    };
    if known.contains(&kind.as_str()) {
        Ok(ClientMessage::Other)
    } else {
        Err(bad("a message type the protocol does not have"))
    }
}

/// The operation message forwarded for a permitted operation: built from
/// the exact payload bytes that were inspected.
pub fn operation_message(protocol: Protocol, id: &str, payload: &[u8]) -> String {
    let id = Value::String(id.to_owned());
    let payload = String::from_utf8_lossy(payload);
    format!(
        r#"{{"id":{id},"type":"{}","payload":{payload}}}"#,
        protocol.operation_type()
    )
}

/// Whether a server message is the `connection_ack`.
pub fn is_ack(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
        .is_some_and(|t| t == "connection_ack")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_operations_of_each_protocol() {
        let t = Protocol::TransportWs;
        let m = read(
            t,
            r#"{"id":"1","type":"subscribe","payload":{"query":"q"}}"#,
        )
        .unwrap();
        assert_eq!(
            m,
            ClientMessage::Operation {
                id: "1".into(),
                payload: json!({"query": "q"})
            }
        );
        // `start` is not transport-ws's: refused, not relayed
        assert!(read(t, r#"{"id":"1","type":"start","payload":{}}"#).is_err());
        let l = Protocol::Legacy;
        assert!(matches!(
            read(l, r#"{"id":"1","type":"start","payload":{"query":"q"}}"#),
            Ok(ClientMessage::Operation { .. })
        ));
        assert!(read(l, r#"{"id":"1","type":"subscribe","payload":{}}"#).is_err());
    }

    #[test]
    fn close_reasons_fit_a_control_frame() {
        assert_eq!(close_reason("short"), "short");
        let long = "é".repeat(100);
        let r = close_reason(&long);
        assert!(r.len() <= 123 && long.starts_with(&r) && r.len() >= 122);
    }

    #[test]
    fn refuses_what_two_parsers_could_read_differently() {
        let t = Protocol::TransportWs;
        let dup = r#"{"id":"1","type":"subscribe","payload":{"query":"a","query":"b"}}"#;
        assert_eq!(read(t, dup).unwrap_err().code, close::BAD_REQUEST);
        let dup_type = r#"{"type":"ping","type":"subscribe","id":"1","payload":{}}"#;
        assert!(read(t, dup_type).is_err());
        assert!(read(t, r#"{"id":1,"type":"subscribe","payload":{}}"#).is_err());
        assert!(read(t, r#"{"id":"1","type":"subscribe","payload":"q"}"#).is_err());
    }

    #[test]
    fn builds_the_protocols_own_error_and_the_forwarded_message() {
        let e = json!({"message": "no"});
        let t = Protocol::TransportWs.error_message("7", e.clone());
        assert_eq!(
            serde_json::from_str::<Value>(&t).unwrap(),
            json!({"id": "7", "type": "error", "payload": [{"message": "no"}]})
        );
        let l = Protocol::Legacy.error_message("7", e);
        assert_eq!(
            serde_json::from_str::<Value>(&l).unwrap(),
            json!({"id": "7", "type": "error", "payload": {"message": "no"}})
        );
        let f = operation_message(Protocol::TransportWs, "a\"b", br#"{"query":"q"}"#);
        assert_eq!(
            serde_json::from_str::<Value>(&f).unwrap(),
            json!({"id": "a\"b", "type": "subscribe", "payload": {"query": "q"}})
        );
        assert!(is_ack(r#"{"type":"connection_ack"}"#));
        assert!(!is_ack(r#"{"type":"next"}"#));
    }
}
