//! `smithy-rpc-v2-cbor`: `POST /service/<Service>/operation/<Operation>`,
//! arguments in a CBOR body, read as JSON would be (ids, ARNs, top-level
//! arguments for escalations). A body that does not decode plainly leaves
//! the arguments unread (escalations then assume the worst).

use crate::aws::cbor_value;
use crate::aws::ctx::{Ctx, Found, Refusal, refuse};
use crate::aws::resources;
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
            let mut f = Found::new(svc, entry);
            arguments(ctx, &mut f);
            out.push(f);
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

fn arguments(ctx: &Ctx<'_, '_>, f: &mut Found) {
    if ctx.req.body.is_empty() {
        f.params = Some(Vec::new());
        return;
    }
    if let Ok(body) = ctx.body()
        && let Ok(v) = cbor_value::decode(&body)
    {
        resources::from_json(&mut f.op, &v);
        f.params = Some(resources::json_params(&v));
        resources::json_members(&v, &mut f.members);
    }
}
