//! Just enough XML for the S3 `DeleteObjects` body:
//! `<Delete><Object><Key>k</Key></Object>…</Delete>`. Anything outside the
//! plain element-and-text subset (DTDs, CDATA, comments, processing
//! instructions but the prolog, namespace prefixes, unknown elements) is
//! refused.

const ALLOWED: &[&str] = &[
    "Delete",
    "Object",
    "Key",
    "VersionId",
    "ETag",
    "LastModifiedTime",
    "Size",
    "Quiet",
];

/// Every `Key` of every `Object`.
pub fn delete_keys(body: &[u8]) -> Result<Vec<String>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the XML body is not UTF-8")?;
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    if let Some(r) = rest.strip_prefix("<?xml") {
        let end = r.find("?>").ok_or("unterminated XML declaration")?;
        rest = &r[end + 2..];
    }
    let mut stack: Vec<&str> = Vec::new();
    let mut keys = Vec::new();
    let mut key_text: Option<String> = None;
    let mut objects = 0;
    let mut root_done = false;
    loop {
        let lt = rest.find('<');
        let (text, after) = match lt {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if let Some(k) = key_text.as_mut() {
            k.push_str(&unescape(text)?);
        } else if !text.trim().is_empty()
            && stack
                .last()
                .is_none_or(|t| *t == "Delete" || *t == "Object")
        {
            return Err("text outside an element".into());
        }
        if after.is_empty() {
            break;
        }
        let end = after.find('>').ok_or("unterminated tag")?;
        let tag = &after[1..end];
        rest = &after[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or("unbalanced closing tag")?;
            if open != name.trim() {
                return Err(format!("</{name}> closes <{open}>"));
            }
            if open == "Key" {
                keys.push(key_text.take().ok_or("misplaced Key")?);
            }
            if open == "Object" {
                objects += 1;
                if keys.len() != objects {
                    return Err("an Object without exactly one Key".into());
                }
            }
            root_done = stack.is_empty();
            continue;
        }
        if root_done || tag.starts_with(['!', '?']) {
            return Err("markup outside the plain element subset".into());
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name = tag.split_ascii_whitespace().next().unwrap_or("");
        if !ALLOWED.contains(&name) {
            return Err(format!("unexpected element <{name}>"));
        }
        attributes_ok(&tag[name.len()..], stack.is_empty())?;
        let parent_ok = match name {
            "Delete" => stack.is_empty(),
            "Object" | "Quiet" => stack == ["Delete"],
            _ => stack == ["Delete", "Object"],
        };
        if !parent_ok {
            return Err(format!("<{name}> in the wrong place"));
        }
        if name == "Key" {
            if self_closing {
                keys.push(String::new());
            } else {
                key_text = Some(String::new());
            }
        }
        if !self_closing {
            stack.push(name);
        }
    }
    if !stack.is_empty() || !root_done {
        return Err("the XML body is incomplete".into());
    }
    if keys.is_empty() {
        return Err("no Object to delete".into());
    }
    Ok(keys)
}

/// Only an `xmlns="…"` on the root element.
pub(super) fn attributes_ok(attrs: &str, root: bool) -> Result<(), String> {
    let a = attrs.trim();
    if a.is_empty() {
        return Ok(());
    }
    let ok = root
        && a.strip_prefix("xmlns=").is_some_and(|v| {
            v.len() >= 2
                && v.starts_with('"')
                && v.ends_with('"')
                && v[1..v.len() - 1].find('"').is_none()
        });
    if ok {
        Ok(())
    } else {
        Err(format!("unexpected attributes `{a}`"))
    }
}

pub(super) fn unescape(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').ok_or("unterminated entity")? + i;
        let ent = &rest[i + 1..end];
        let c = match ent {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let n = if let Some(h) = ent.strip_prefix("#x") {
                    u32::from_str_radix(h, 16).ok()
                } else if let Some(d) = ent.strip_prefix('#') {
                    d.parse().ok()
                } else {
                    None
                };
                n.and_then(char::from_u32)
                    .ok_or_else(|| format!("unknown entity &{ent};"))?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_read_with_entities() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a.txt</Key></Object><Object><Key>dir/b&amp;c&#x41;</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>"#;
        assert_eq!(delete_keys(body).unwrap(), ["a.txt", "dir/b&cA"]);
    }

    #[test]
    fn anything_irregular_is_refused() {
        let bad: [&[u8]; 8] = [
            b"<Delete><Object><Key><![CDATA[x]]></Key></Object></Delete>",
            b"<!DOCTYPE d [<!ENTITY e \"x\">]><Delete><Object><Key>&e;</Key></Object></Delete>",
            b"<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>",
            b"<Delete><Object><Key>a</Key></Object>",
            b"<Delete><Object><s3:Key>a</s3:Key></Object></Delete>",
            b"<Delete><Key>a</Key></Delete>",
            b"<Delete></Delete>",
            b"<Delete><Object><Key>a</Key></Object></Delete><Delete/>",
        ];
        for b in bad {
            assert!(delete_keys(b).is_err(), "{}", String::from_utf8_lossy(b));
        }
    }
}
