//! `smithy-rpc-v2-cbor`: `POST /service/<Service>/operation/<Operation>`.
//! The CBOR body is not decoded: arguments are not read.

use crate::aws::ctx::{Ctx, Found, Refusal, refuse};
use crate::aws::table::Protocol;

pub fn read<'t>(ctx: &Ctx<'t, '_>) -> Result<Vec<Found>, Refusal> {
    ctx.no_query_action()?;
    let parts: Vec<&str> = ctx.path.split('/').collect();
    let ["", "service", service, "operation", name] = parts.as_slice() else {
        return refuse(
            "unknown-operation",
            "the path is not /service/<S>/operation/<O>",
        );
    };
    if ctx.req.method != "POST" {
        return refuse("unknown-operation", "RPC v2 CBOR requests are POSTs");
    }
    let mut out = Vec::new();
    for svc in ctx
        .speaking(Protocol::Cbor)
        .filter(|s| s.target_prefix == *service)
    {
        if let Some(entry) = svc.op(name) {
            out.push(Found::new(svc, entry));
        }
    }
    if out.is_empty() {
        return refuse(
            "unknown-operation",
            format!(
                "{service}.{name} is not an operation of the `{}` endpoint",
                ctx.endpoint.prefix
            ),
        );
    }
    Ok(out)
}
