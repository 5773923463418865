//! The attributes of one id: from the cache, or the request's one lookup
//! (and the resolver's `each` queries when their attributes are wanted).

use std::collections::BTreeSet;
use std::sync::Arc;

use scopegate_inspect::resolve::{Derived, Each, Graph, Resolver, each_ids, tally, walk};

use scopegate_model::PresentedCredential;

use crate::resolve::{CacheKey, credential_key};

use super::{Ctx, lookup};

/// An id's attributes, and the attributes that could not be had (why).
pub(super) type Found = Result<(Derived, Vec<(String, String)>), String>;

pub(super) fn merge(acc: &mut Result<BTreeSet<String>, String>, derived: &Found, key: &str) {
    let Ok(set) = acc else { return };
    match derived {
        Ok((_, missing)) if missing.iter().any(|(k, _)| k == key) => {
            let why = missing
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, w)| w.clone());
            *acc = Err(why.unwrap_or_default());
        }
        Ok((d, _)) => set.extend(d.get(key).into_iter().flatten().cloned()),
        Err(why) => *acc = Err(why.clone()),
    }
}

/// The attributes of one id: cached, else from the request's lookup (and
/// its `each` queries when their attributes are wanted).
pub(super) async fn of_id(
    ctx: &mut Ctx<'_>,
    resolver: &'static Resolver,
    kind: &str,
    id: &str,
    keys: &BTreeSet<String>,
) -> Found {
    let Some(credential) = credential_key(&ctx.inspection.credential) else {
        return Err("no single credential was presented to look it up with".into());
    };
    let each = resolver.kinds.get(kind).and_then(|k| k.each.as_ref());
    let each = each.filter(|e| keys.contains(&e.count) || keys.contains(&e.latest.attribute));
    let key = CacheKey {
        provider: resolver.provider.clone(),
        credential,
        kind: kind.to_owned(),
        id: id.to_owned(),
    };
    if let Some((hit, from)) = ctx.state.resolution.get(&key).await
        && each.is_none_or(|e| hit.contains_key(&e.count))
    {
        ctx.state.metrics.lookup(&resolver.provider, from.outcome());
        return Ok((hit, Vec::new()));
    }
    let graph = looked_up(ctx, resolver, &key.credential).await?;
    let mut derived = scopegate_inspect::resolve::attributes(resolver, &graph, kind, id)
        .ok_or_else(|| format!("{kind} {id} is not among what the token can see"))?;
    let mut missing = Vec::new();
    if let Some(each) = each {
        let spec = &resolver.kinds[kind];
        match each_answers(ctx, resolver, each, &each_ids(&graph, spec, id)).await {
            Ok(answers) => {
                tally(each, &answers, &mut derived);
                ctx.state.resolution.insert(key, derived.clone());
            }
            Err(why) => {
                missing = vec![
                    (each.count.clone(), why.clone()),
                    (each.latest.attribute.clone(), why),
                ]
            }
        }
    }
    Ok((derived, missing))
}

/// The request's lookup answer: sent once, then reused.
async fn looked_up(
    ctx: &mut Ctx<'_>,
    resolver: &'static Resolver,
    credential: &str,
) -> Result<Arc<Graph>, String> {
    if ctx.looked_up.is_none() {
        let location = match &ctx.inspection.credential {
            PresentedCredential::One { location, .. } => location.to_string(),
            _ => String::new(),
        };
        let Some(chosen) = resolver.lookup_for(&location) else {
            return Err(format!("no lookup for a credential in {location}"));
        };
        let query = lookup::Ask::Graphql {
            name: "scopegateResolve",
            text: &chosen.query,
            variables: serde_json::json!({}),
        };
        let answer = ctx.ask(resolver, &query).await;
        let graph = answer.map(|value| walk(resolver, &value));
        if let Ok(g) = &graph {
            ctx.state.resolution.fill(resolver, credential, g);
        }
        ctx.looked_up = Some(graph.map(Arc::new));
    }
    match &ctx.looked_up {
        Some(Ok(graph)) => Ok(Arc::clone(graph)),
        Some(Err(why)) => Err(why.clone()),
        None => Err("no lookup was made".into()),
    }
}

/// The `each` query's answers, one per related id.
async fn each_answers(
    ctx: &Ctx<'_>,
    resolver: &'static Resolver,
    each: &Each,
    ids: &[String],
) -> Result<Vec<Graph>, String> {
    let mut answers = Vec::new();
    for id in ids {
        let query = lookup::Ask::Graphql {
            name: "scopegateResolveEach",
            text: &each.query,
            variables: serde_json::json!({ "id": id }),
        };
        let answer = ctx.ask(resolver, &query).await?;
        answers.push(walk(resolver, &answer));
    }
    Ok(answers)
}
