//! Just enough CBOR (RFC 8949) to read an RPC v2 CBOR request's arguments:
//! maps with text keys, arrays, text and byte strings, integers, floats,
//! booleans, null, and the epoch-time tag (1). Indefinite lengths are read.
//! Anything else (other tags, simple values, duplicate keys, trailing
//! bytes, over-deep nesting) is refused, and then the arguments count as
//! not read. The result is a JSON value, so the JSON readers apply.

use serde_json::{Map, Number, Value};

/// Deeper than any AWS shape; a bound for hostile bodies.
const MAX_DEPTH: usize = 64;
/// Items read at most (a bound on work, not on the body's size).
const MAX_ITEMS: usize = 100_000;

/// The body as a JSON value; `Err` says why it is not plain CBOR.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    let mut r = Reader {
        b: body,
        at: 0,
        items: 0,
    };
    let v = r.item(0)?;
    if r.at != body.len() {
        return Err("bytes after the CBOR value".into());
    }
    Ok(v)
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
    items: usize,
}

/// A major type's argument: a count or value, or an indefinite length.
enum Arg {
    N(u64),
    Indefinite,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.b.get(self.at).ok_or("the CBOR body ends early")?;
        self.at += 1;
        Ok(b)
    }

    fn take(&mut self, n: u64) -> Result<&[u8], String> {
        let n = usize::try_from(n).map_err(|_| "a CBOR length too large")?;
        let end = self.at.checked_add(n).filter(|e| *e <= self.b.len());
        let end = end.ok_or("the CBOR body ends early")?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn arg(&mut self, info: u8) -> Result<Arg, String> {
        let n = match info {
            0..=23 => u64::from(info),
            24 => u64::from(self.byte()?),
            25 => u64::from(u16::from_be_bytes(
                self.take(2)?.try_into().unwrap_or_default(),
            )),
            26 => u64::from(u32::from_be_bytes(
                self.take(4)?.try_into().unwrap_or_default(),
            )),
            27 => u64::from_be_bytes(self.take(8)?.try_into().unwrap_or_default()),
            31 => return Ok(Arg::Indefinite),
            _ => return Err("a reserved CBOR length".into()),
        };
        Ok(Arg::N(n))
    }

    fn item(&mut self, depth: usize) -> Result<Value, String> {
        self.items += 1;
        if depth > MAX_DEPTH || self.items > MAX_ITEMS {
            return Err("the CBOR body is too deep or too large".into());
        }
        let first = self.byte()?;
        let (major, info) = (first >> 5, first & 0x1f);
        match (major, self.arg(info)?) {
            (0, Arg::N(n)) => Ok(Value::from(n)),
            (1, Arg::N(n)) => i64::try_from(-1 - i128::from(n))
                .map(Value::from)
                .map_err(|_| "a CBOR integer out of range".into()),
            (2, a) => Ok(Value::String(hex(&self.string(2, a)?))),
            (3, a) => String::from_utf8(self.string(3, a)?)
                .map(Value::String)
                .map_err(|_| "a CBOR text string that is not UTF-8".into()),
            (4, a) => self.array(a, depth),
            (5, a) => self.map(a, depth),
            (6, Arg::N(1)) => self.item(depth + 1),
            (6, _) => Err("a CBOR tag other than epoch time".into()),
            (7, _) => self.simple(info),
            _ => Err("an indefinite CBOR integer".into()),
        }
    }

    /// A definite string, or an indefinite one's definite chunks.
    fn string(&mut self, major: u8, a: Arg) -> Result<Vec<u8>, String> {
        match a {
            Arg::N(n) => Ok(self.take(n)?.to_vec()),
            Arg::Indefinite => {
                let mut out = Vec::new();
                loop {
                    let b = self.byte()?;
                    if b == 0xff {
                        return Ok(out);
                    }
                    match (b >> 5, self.arg(b & 0x1f)?) {
                        (m, Arg::N(n)) if m == major => out.extend_from_slice(self.take(n)?),
                        _ => return Err("a malformed indefinite CBOR string".into()),
                    }
                }
            }
        }
    }

    fn array(&mut self, a: Arg, depth: usize) -> Result<Value, String> {
        let mut out = Vec::new();
        match a {
            Arg::N(n) => {
                for _ in 0..n {
                    out.push(self.item(depth + 1)?);
                }
            }
            Arg::Indefinite => {
                while !self.at_break()? {
                    out.push(self.item(depth + 1)?);
                }
            }
        }
        Ok(Value::Array(out))
    }

    fn map(&mut self, a: Arg, depth: usize) -> Result<Value, String> {
        let mut out = Map::new();
        let mut entry = |r: &mut Self| -> Result<(), String> {
            let Value::String(k) = r.item(depth + 1)? else {
                return Err("a CBOR map key that is not text".into());
            };
            let v = r.item(depth + 1)?;
            if out.insert(k, v).is_some() {
                return Err("a CBOR map key given twice".into());
            }
            Ok(())
        };
        match a {
            Arg::N(n) => {
                for _ in 0..n {
                    entry(self)?;
                }
            }
            Arg::Indefinite => {
                while !self.at_break()? {
                    entry(self)?;
                }
            }
        }
        Ok(Value::Object(out))
    }

    fn at_break(&mut self) -> Result<bool, String> {
        let b = *self.b.get(self.at).ok_or("the CBOR body ends early")?;
        if b == 0xff {
            self.at += 1;
        }
        Ok(b == 0xff)
    }

    /// false, true, null, undefined (as null), and floats.
    fn simple(&mut self, info: u8) -> Result<Value, String> {
        // `arg` already consumed the float's bytes: read them again.
        let float = |r: &Self, n: usize| &r.b[r.at - n..r.at];
        let f = match info {
            20 => return Ok(Value::Bool(false)),
            21 => return Ok(Value::Bool(true)),
            22 | 23 => return Ok(Value::Null),
            25 => half(u16::from_be_bytes(
                float(self, 2).try_into().unwrap_or_default(),
            )),
            26 => f64::from(f32::from_be_bytes(
                float(self, 4).try_into().unwrap_or_default(),
            )),
            27 => f64::from_be_bytes(float(self, 8).try_into().unwrap_or_default()),
            _ => return Err("a CBOR simple value scopegate does not read".into()),
        };
        Ok(Number::from_f64(f).map_or(Value::Null, Value::Number))
    }
}

/// IEEE 754 half precision.
fn half(h: u16) -> f64 {
    let exp = i32::from((h >> 10) & 0x1f);
    let mant = f64::from(h & 0x3ff);
    let v = match exp {
        0 => mant * 2f64.powi(-24),
        31 => f64::NAN,
        _ => (1.0 + mant / 1024.0) * 2f64.powi(exp - 15),
    };
    if h & 0x8000 != 0 { -v } else { v }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_maps_arrays_strings_numbers_and_indefinite_lengths() {
        // {"projectName": "web", "ids": [1, -2], "force": true, "t": 1(1.5)}
        let mut b = vec![0xa4];
        b.extend([0x6b]);
        b.extend(b"projectName");
        b.extend([0x63]);
        b.extend(b"web");
        b.extend([0x63]);
        b.extend(b"ids");
        b.extend([0x82, 0x01, 0x21]);
        b.extend([0x65]);
        b.extend(b"force");
        b.extend([0xf5]);
        b.extend([0x61, b't', 0xc1, 0xf9, 0x3e, 0x00]);
        assert_eq!(
            decode(&b).unwrap(),
            json!({"projectName": "web", "ids": [1, -2], "force": true, "t": 1.5})
        );
        // indefinite map with an indefinite text string
        let mut b = vec![0xbf, 0x64];
        b.extend(b"name");
        b.extend([0x7f, 0x62]);
        b.extend(b"ab");
        b.extend([0x61, b'c', 0xff, 0xff]);
        assert_eq!(decode(&b).unwrap(), json!({"name": "abc"}));
    }

    #[test]
    fn anything_irregular_is_refused() {
        let bad: [&[u8]; 7] = [
            &[0xa1, 0x01, 0x01],                         // integer key
            &[0xa2, 0x61, b'a', 0x01, 0x61, b'a', 0x02], // duplicate key
            &[0xc2, 0x41, 0x01],                         // bignum tag
            &[0x01, 0x02],                               // trailing bytes
            &[0x62, b'a'],                               // ends early
            &[0xf0],                                     // unassigned simple value
            &[0x1c],                                     // reserved length
        ];
        for b in bad {
            assert!(decode(b).is_err(), "{b:02x?}");
        }
        let deep = [vec![0x81; 100], vec![0x00]].concat();
        assert!(decode(&deep).is_err());
    }
}
