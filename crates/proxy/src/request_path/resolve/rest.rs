//! The attributes of one id of a REST kind (GitHub's repository, ref,
//! branch): cached, else from the kind's GETs, each path read at most once
//! per request (a ref and its repository share `/repos/{repository}`).

use scopegate_inspect::resolve::{Resolver, rest};
use scopegate_model::Resources;

use crate::resolve::{CacheKey, credential_key};

use super::ids::Found;
use super::{Ctx, lookup};

pub(super) async fn of_id(
    ctx: &mut Ctx<'_>,
    resolver: &'static Resolver,
    kind: &str,
    id: &str,
    resources: &Resources,
) -> Found {
    let Some(spec) = resolver.kinds.get(kind) else {
        return Err(format!("`{kind}` is not resolvable"));
    };
    let Some(credential) = credential_key(&ctx.inspection.credential) else {
        return Err("no single credential was presented to look it up with".into());
    };
    let paths = rest::paths(spec, id, resources)?;
    // The paths name the id in full (a ref with its repository).
    let key = CacheKey {
        provider: resolver.provider.clone(),
        credential,
        kind: kind.to_owned(),
        id: paths.join(" "),
    };
    if let Some((hit, from)) = ctx.state.resolution.get(&key).await {
        ctx.state.metrics.lookup(&resolver.provider, from.outcome());
        return Ok((hit, Vec::new()));
    }
    let mut answers = Vec::with_capacity(paths.len());
    for path in &paths {
        answers.push(read(ctx, resolver, path).await);
    }
    let (derived, missing) = rest::attributes(spec, id, &answers);
    if missing.is_empty() {
        ctx.state.resolution.insert(key, derived.clone());
    }
    Ok((derived, missing))
}

/// One GET's answer, sent once per request.
async fn read(
    ctx: &mut Ctx<'_>,
    resolver: &'static Resolver,
    path: &str,
) -> Result<serde_json::Value, String> {
    if let Some(answer) = ctx.reads.get(path) {
        return answer.clone();
    }
    let answer = ctx.ask(resolver, &lookup::Ask::Get { path }).await;
    ctx.reads.insert(path.to_owned(), answer.clone());
    answer
}
