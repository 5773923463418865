//! The arguments of a REST-XML request body (Route 53 change batches, S3
//! configurations), read as leaf elements: each leaf's name and text, and
//! every element name. Only plain elements and text with entities, and an
//! `xmlns` on the root, are read; DTDs, CDATA, comments, processing
//! instructions, prefixes and other attributes are refused, and then the
//! arguments count as not read (escalations assume the worst).

use super::xml::{attributes_ok, unescape};

/// Deeper than any AWS request shape; a bound for hostile bodies.
const MAX_DEPTH: usize = 32;
/// Elements read at most.
const MAX_ELEMENTS: usize = 10_000;

/// Leaf elements (name, text) in document order, and every element name.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Args {
    pub leaves: Vec<(String, String)>,
    pub elements: Vec<String>,
}

/// Reads `body`; `Err` says why it is not the plain subset.
pub fn read(body: &[u8]) -> Result<Args, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the XML body is not UTF-8")?;
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    if let Some(r) = rest.strip_prefix("<?xml") {
        let end = r.find("?>").ok_or("unterminated XML declaration")?;
        rest = &r[end + 2..];
    }
    let mut out = Args::default();
    // open elements: name, text so far, whether a child element was seen
    let mut stack: Vec<(&str, String, bool)> = Vec::new();
    let mut root_done = false;
    loop {
        let (text, after) = rest.split_at(rest.find('<').unwrap_or(rest.len()));
        match stack.last_mut() {
            Some((_, t, _)) => t.push_str(&unescape(text)?),
            None if !text.trim().is_empty() => return Err("text outside the root".into()),
            None => {}
        }
        if after.is_empty() {
            break;
        }
        let end = after.find('>').ok_or("unterminated tag")?;
        let tag = &after[1..end];
        rest = &after[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let (open, text, parent) = stack.pop().ok_or("unbalanced closing tag")?;
            if open != name.trim() {
                return Err(format!("</{name}> closes <{open}>"));
            }
            if !parent {
                out.leaves.push((open.to_owned(), text));
            } else if !text.trim().is_empty() {
                return Err(format!("<{open}> mixes text and elements"));
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
        if name.is_empty() || name.contains(':') {
            return Err(format!("unexpected element <{name}>"));
        }
        attributes_ok(&tag[name.len()..], stack.is_empty())?;
        if let Some((_, _, parent)) = stack.last_mut() {
            *parent = true;
        }
        out.elements.push(name.to_owned());
        if out.elements.len() > MAX_ELEMENTS || stack.len() >= MAX_DEPTH {
            return Err("the XML body is too large or too deep".into());
        }
        if self_closing {
            out.leaves.push((name.to_owned(), String::new()));
            root_done = stack.is_empty();
        } else {
            stack.push((name, String::new(), false));
        }
    }
    if !stack.is_empty() || !root_done {
        return Err("the XML body is incomplete".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route53_change_batch_reads_as_leaves() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes><Change><Action>DELETE</Action><ResourceRecordSet><Name>api.example.com.</Name><Type>A</Type><TTL>300</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"#;
        let a = read(body).unwrap();
        let leaf = |n: &str| {
            a.leaves
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(leaf("Action"), Some("DELETE"));
        assert_eq!(leaf("Name"), Some("api.example.com."));
        assert_eq!(leaf("Value"), Some("192.0.2.1"));
        assert!(a.elements.contains(&"ResourceRecordSet".to_owned()));
    }

    #[test]
    fn entities_decode_and_irregular_markup_is_refused() {
        let a = read(b"<A><B>x&amp;y&#x41;</B><C/></A>").unwrap();
        assert_eq!(
            a.leaves,
            [("B".into(), "x&yA".into()), ("C".into(), String::new())]
        );
        let bad: [&[u8]; 7] = [
            b"<A><![CDATA[DELETE]]></A>",
            b"<!DOCTYPE a [<!ENTITY e \"DELETE\">]><A>&e;</A>",
            b"<A><!-- x --><B>1</B></A>",
            b"<A><r:B>1</r:B></A>",
            b"<A><B c=\"1\">1</B></A>",
            b"<A>text<B>1</B></A>",
            b"<A><B>1</B></A><A/>",
        ];
        for b in bad {
            assert!(read(b).is_err(), "{}", String::from_utf8_lossy(b));
        }
        let deep = format!("{}{}", "<A>".repeat(40), "</A>".repeat(40));
        assert!(read(deep.as_bytes()).is_err());
    }
}
