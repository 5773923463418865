//! `json` protocol: `X-Amz-Target: <target_prefix>.<Operation>`, arguments
//! in a JSON body.

use serde_json::{Map, Value};

use crate::aws::ctx::{Ctx, Found, Refusal, refuse};
use crate::aws::resources;
use crate::aws::table::Protocol;

pub fn read<'t>(ctx: &Ctx<'t, '_>) -> Result<Vec<Found>, Refusal> {
    ctx.no_query_action()?;
    let Some(target) = ctx.single_header("x-amz-target")? else {
        return refuse("unreadable-header", "X-Amz-Target is empty");
    };
    let Some((prefix, name)) = target.rsplit_once('.') else {
        return refuse(
            "unknown-operation",
            format!("X-Amz-Target `{target}` names no operation"),
        );
    };
    let svcs: Vec<_> = ctx
        .speaking(Protocol::Json)
        .filter(|s| s.target_prefix == prefix)
        .collect();
    if svcs.is_empty() {
        return refuse(
            "target-mismatch",
            format!(
                "X-Amz-Target `{prefix}` is not a target of the `{}` endpoint",
                ctx.endpoint.prefix
            ),
        );
    }
    if ctx.path != "/" {
        return refuse(
            "unknown-operation",
            "a json request (X-Amz-Target) goes to /, not to a path that names an operation",
        );
    }
    content_type_is_json(ctx)?;
    let body = ctx.body()?;
    let args = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        match crate::parse_strict_json(&body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return refuse("unparsable-body", "the body is not a JSON object"),
        }
    };
    let mut out = Vec::new();
    for svc in svcs {
        let Some(entry) = svc.op(name) else { continue };
        let mut f = Found::new(svc, entry);
        resources::from_json(&mut f.op, &args);
        dynamodb_request_items(&mut f.op, &args);
        f.params = Some(resources::json_params(&args));
        resources::json_members(&args, &mut f.members);
        out.push(f);
    }
    if out.is_empty() {
        return refuse(
            "unknown-operation",
            format!("`{target}` is not a known operation"),
        );
    }
    Ok(out)
}

/// Where the endpoint also speaks query, the server may choose the
/// protocol by content type: the body must then say it is JSON.
fn content_type_is_json(ctx: &Ctx<'_, '_>) -> Result<(), Refusal> {
    let speaks_query = ctx
        .services
        .iter()
        .any(|s| s.speaks(Protocol::Query) || s.speaks(Protocol::Ec2));
    let essence = ctx.media_type()?.map(|m| m.essence);
    let json = essence
        .as_deref()
        .is_some_and(|e| e.starts_with("application/x-amz-json-") || e == "application/json");
    if speaks_query && !json {
        return refuse(
            "unparsable-body",
            "a json request to an endpoint that also reads forms must say it is JSON",
        );
    }
    Ok(())
}

/// DynamoDB batch calls name their tables as keys of `RequestItems`.
fn dynamodb_request_items(op: &mut scopegate_model::Operation, args: &Value) {
    if let Some(Value::Object(items)) = args.get("RequestItems") {
        for table in items.keys() {
            op.add_resource("tableName", table.clone());
        }
    }
}
