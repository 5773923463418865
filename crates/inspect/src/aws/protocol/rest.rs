//! `rest-json` and `rest-xml`: method, path and query against the
//! services' `requestUri` templates; the most specific match wins.

use crate::aws::ctx::{Ctx, Found, Refusal, refuse};
use crate::aws::table::{OpEntry, Service};
use crate::aws::template::Specificity;
use crate::aws::{resources, s3, xml, xml_args};

type Match<'t> = (Specificity, &'t Service, &'t OpEntry, Vec<(String, String)>);

pub fn read<'t>(ctx: &Ctx<'t, '_>) -> Result<Vec<Found>, Refusal> {
    let is_s3 = ctx.endpoint.prefix == "s3";
    let path = match &ctx.endpoint.bucket {
        Some(b) if ctx.path == "/" => format!("/{b}"),
        Some(b) => format!("/{b}{}", ctx.path),
        None => ctx.path.to_owned(),
    };
    if is_s3 {
        s3::check_query(ctx.table, &ctx.query)?;
    }
    let x_id = single_x_id(&ctx.query)?;
    let query: Vec<(String, String)> = ctx
        .query
        .iter()
        .filter(|(k, _)| k != "x-id")
        .cloned()
        .collect();
    let raw = &path[1..];
    let segs: Vec<&str> = if raw.is_empty() {
        Vec::new()
    } else {
        raw.split('/').collect()
    };
    if !is_s3 && segs.iter().any(|s| is_dot_segment(s)) {
        return refuse(
            "unreadable-target",
            "a `.` or `..` path segment, which a front end may resolve",
        );
    }
    let mut best = best_matches(ctx, &segs, &query);
    if best.is_empty() {
        return refuse(
            "unknown-operation",
            format!(
                "{} {} matches no operation of the `{}` endpoint",
                ctx.req.method, ctx.path, ctx.endpoint.prefix
            ),
        );
    }
    if is_s3 && best.len() > 1 {
        let copy_source = !ctx.header("x-amz-copy-source").is_empty();
        let names: Vec<&str> = best.iter().map(|m| m.2.name).collect();
        if let Some(pick) = s3::pick(&names, &query, copy_source) {
            best.retain(|m| m.2.name == pick);
        }
    }
    if let Some(x) = x_id
        && !(best.len() == 1 && best[0].2.name == x)
    {
        return refuse(
            "ambiguous-operation",
            format!("x-id={x} names another operation"),
        );
    }
    best.into_iter().map(|m| found(ctx, m)).collect()
}

fn single_x_id(query: &[(String, String)]) -> Result<Option<&str>, Refusal> {
    let ids: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "x-id")
        .map(|(_, v)| v.as_str())
        .collect();
    match ids.as_slice() {
        [] => Ok(None),
        [x] => Ok(Some(x)),
        _ => refuse("ambiguous-operation", "x-id is given more than once"),
    }
}

/// Every match of the highest specificity.
fn best_matches<'t>(
    ctx: &Ctx<'t, '_>,
    segs: &[&str],
    query: &[(String, String)],
) -> Vec<Match<'t>> {
    let mut best: Vec<Match<'t>> = Vec::new();
    for svc in ctx
        .services
        .iter()
        .filter(|s| s.protocols.iter().any(|p| p.is_rest()))
    {
        for (entry, tpl) in svc.ops.iter().zip(svc.templates()) {
            if entry.method != ctx.req.method {
                continue;
            }
            let Some((spec, labels)) = tpl.as_ref().and_then(|t| t.matches(segs, query)) else {
                continue;
            };
            match best.first().map(|b| b.0) {
                Some(top) if spec < top => {}
                Some(top) if spec == top => best.push((spec, svc, entry, labels)),
                _ => best = vec![(spec, svc, entry, labels)],
            }
        }
    }
    best
}

fn found<'t>(ctx: &Ctx<'t, '_>, (_, svc, entry, labels): Match<'t>) -> Result<Found, Refusal> {
    let mut f = Found::new(svc, entry);
    let is_s3 = ctx.endpoint.prefix == "s3";
    for (label, raw) in labels {
        let Some(value) = pct_decode(&raw) else {
            return refuse("unreadable-target", format!("{{{label}}} does not decode"));
        };
        let kind = match label.as_str() {
            // an access point fronts a bucket it does not name
            "Bucket" if is_s3 && ctx.endpoint.access_point => Some("accessPoint"),
            "Bucket" if is_s3 => Some("bucket"),
            "Key" if is_s3 => Some("key"),
            other => resources::kind_of(other),
        };
        resources::add_arn(&mut f.op, &value);
        if let Some(kind) = kind {
            f.op.add_resource(kind, value);
        }
    }
    resources::from_pairs(&mut f.op, &ctx.query);
    if is_s3 {
        s3::query_resources(&mut f.op, entry.name, &ctx.query);
    }
    if is_s3 && entry.name == "DeleteObjects" {
        let body = ctx.body()?;
        let keys = xml::delete_keys(&body).or_else(|why| refuse("unparsable-body", why))?;
        for k in keys {
            f.op.add_resource("key", k);
        }
        f.params = Some(Vec::new());
        return Ok(f);
    }
    if !json_body(ctx, &mut f) {
        xml_body(ctx, &mut f);
    }
    Ok(f)
}

/// A REST-XML body's arguments, for an operation with escalations (a
/// Route 53 change batch's `Action`): leaf elements as arguments, element
/// names as members. Other XML bodies (S3 object data) are not arguments.
fn xml_body(ctx: &Ctx<'_, '_>, f: &mut Found) {
    if ctx.table.escalations(&f.op.name).is_empty() {
        return;
    }
    let xml = match ctx.media_type() {
        Ok(Some(m)) => m.essence == "application/xml" || m.essence == "text/xml",
        Ok(None) => ctx.req.body.trim_ascii_start().starts_with(b"<"),
        Err(_) => false,
    };
    if let Some(args) = xml
        .then(|| ctx.body().ok())
        .flatten()
        .and_then(|b| xml_args::read(&b).ok())
    {
        resources::from_pairs(&mut f.op, &args.leaves);
        f.params = Some(args.leaves);
        f.members.extend(args.elements);
    }
}

/// A JSON body's ids and top-level arguments, when it reads as JSON;
/// false when the body is something else.
fn json_body(ctx: &Ctx<'_, '_>, f: &mut Found) -> bool {
    let is_json = matches!(ctx.media_type(), Ok(Some(m)) if m.essence == "application/json" || m.essence.ends_with("+json"));
    if ctx.req.body.is_empty() {
        f.params = Some(Vec::new());
        return true;
    }
    if !is_json {
        return false;
    }
    if let Ok(body) = ctx.body()
        && let Ok(v) = crate::parse_strict_json(&body)
    {
        resources::from_json(&mut f.op, &v);
        f.params = Some(resources::json_params(&v));
        resources::json_members(&v, &mut f.members);
    }
    true
}

fn is_dot_segment(s: &str) -> bool {
    matches!(pct_decode(s).as_deref(), Some("." | ".."))
}

/// Percent-decoding of one path segment (`+` stays `+`).
fn pct_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = s.get(i + 1..i + 3)?;
            if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::pct_decode;

    #[test]
    fn path_segments_decode_strictly() {
        assert_eq!(pct_decode("a%2Fb+c").as_deref(), Some("a/b+c"));
        assert_eq!(pct_decode("a%2"), None);
        assert_eq!(pct_decode("%zz"), None);
        assert_eq!(pct_decode("%ff"), None);
        assert_eq!(pct_decode("%+1"), None);
    }
}
