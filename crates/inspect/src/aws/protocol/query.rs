//! `query` and `ec2` protocols: one `Action` in the form body (POST) or
//! the query string.

use crate::aws::ctx::{Ctx, Found, Refusal, refuse};
use crate::aws::resources;
use crate::aws::table::Protocol;
use crate::content::parse_urlencoded;

pub fn read<'t>(ctx: &Ctx<'t, '_>) -> Result<Vec<Found>, Refusal> {
    let form = form(ctx)?;
    let pairs: Vec<(String, String)> = ctx.query.iter().cloned().chain(form).collect();
    let actions: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("action"))
        .collect();
    let name = match actions.as_slice() {
        [(k, v)] if k == "Action" => v,
        [] => return refuse("unknown-operation", "the request names no Action"),
        [(k, _)] => return refuse("ambiguous-action", format!("`{k}` is not spelled `Action`")),
        _ => {
            return refuse(
                "ambiguous-action",
                format!(
                    "{} Action parameters (query and body together)",
                    actions.len()
                ),
            );
        }
    };
    let mut out = Vec::new();
    for svc in ctx
        .services
        .iter()
        .copied()
        .filter(|s| s.speaks(Protocol::Query) || s.speaks(Protocol::Ec2))
    {
        let Some(entry) = svc.op(name) else { continue };
        let mut f = Found::new(svc, entry);
        resources::from_pairs(&mut f.op, &pairs);
        if let Some((account, queue)) = ctx.sqs_queue() {
            f.op.add_resource("account", account.to_owned());
            f.op.add_resource("queueName", queue.to_owned());
        }
        f.params = Some(pairs.clone());
        f.members = resources::pair_members(&pairs);
        out.push(f);
    }
    if out.is_empty() {
        return refuse(
            "unknown-operation",
            format!(
                "`{name}` is not an operation of the `{}` endpoint",
                ctx.endpoint.prefix
            ),
        );
    }
    Ok(out)
}

/// The form body of a POST (empty for other methods, which must not have
/// a body).
fn form(ctx: &Ctx<'_, '_>) -> Result<Vec<(String, String)>, Refusal> {
    let body = ctx.body()?;
    if body.is_empty() {
        return Ok(Vec::new());
    }
    if ctx.req.method != "POST" {
        return refuse(
            "unparsable-body",
            format!("a {} with a body", ctx.req.method),
        );
    }
    let form_type = ctx
        .media_type()?
        .is_some_and(|m| m.essence == "application/x-www-form-urlencoded" && m.charset_is_utf8());
    if !form_type {
        return refuse(
            "unparsable-body",
            "the body is not an x-www-form-urlencoded form",
        );
    }
    match parse_urlencoded(&body) {
        Some(p) => Ok(p),
        None => refuse("unparsable-body", "the form body does not decode"),
    }
}
