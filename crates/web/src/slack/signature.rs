//! Slack's request signing, version 0: `v0=` + hex(HMAC-SHA256(secret,
//! `v0:{timestamp}:{body}`)), the timestamp within five minutes of now.

use ring::hmac;

/// How far a callback's timestamp may be from now, either way.
pub const WINDOW_SECS: i64 = 300;

/// Why a callback's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No timestamp or signature, or not in the v0 form.
    Missing,
    /// The timestamp is more than [`WINDOW_SECS`] from now.
    Stale,
    /// The signature does not match the body.
    Mismatch,
}

/// Checks a callback's signature (in constant time) and timestamp.
pub fn verify(
    key: &hmac::Key,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_secs: i64,
) -> Result<(), Refusal> {
    let (Some(ts), Some(sig)) = (timestamp, signature) else {
        return Err(Refusal::Missing);
    };
    let when: i64 = ts.parse().map_err(|_| Refusal::Missing)?;
    let hex = sig.strip_prefix("v0=").ok_or(Refusal::Missing)?;
    let tag = decode_hex(hex).ok_or(Refusal::Mismatch)?;
    if (now_secs - when).abs() > WINDOW_SECS {
        return Err(Refusal::Stale);
    }
    hmac::verify(key, &base_string(ts, body), &tag).map_err(|_| Refusal::Mismatch)
}

/// The `X-Slack-Signature` value for `body` sent at `timestamp`.
pub fn sign(key: &hmac::Key, timestamp: &str, body: &[u8]) -> String {
    let tag = hmac::sign(key, &base_string(timestamp, body));
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("v0={hex}")
}

fn base_string(timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(body.len() + timestamp.len() + 4);
    v.extend_from_slice(b"v0:");
    v.extend_from_slice(timestamp.as_bytes());
    v.push(b':');
    v.extend_from_slice(body);
    v
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if s.len() != 64 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, b"8f742231b10e8888abcd99yyyzzz85a5")
    }

    #[test]
    fn a_signed_body_verifies_and_a_changed_one_does_not() {
        let sig = sign(&key(), "1531420618", b"payload=x");
        assert_eq!(
            verify(
                &key(),
                Some("1531420618"),
                Some(&sig),
                b"payload=x",
                1531420618
            ),
            Ok(())
        );
        assert_eq!(
            verify(
                &key(),
                Some("1531420618"),
                Some(&sig),
                b"payload=y",
                1531420618
            ),
            Err(Refusal::Mismatch)
        );
        assert_eq!(
            verify(
                &key(),
                Some("1531420618"),
                Some(&sig),
                b"payload=x",
                1531420618 + 301
            ),
            Err(Refusal::Stale)
        );
        assert_eq!(
            verify(&key(), None, Some(&sig), b"payload=x", 1531420618),
            Err(Refusal::Missing)
        );
    }
}
