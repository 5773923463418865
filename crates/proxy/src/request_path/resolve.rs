//! The resolve phase, between inspect and decide (docs/resource-context.md):
//! the attributes the token's rules condition on, for each operation, from
//! the cache or one active lookup; each becomes `Known` or `Unresolved`
//! with why. Nothing happens when no rule needs an attribute.

use std::collections::BTreeSet;
use std::sync::Arc;

use scopegate_inspect::Inspection;
use scopegate_inspect::resolve::{Derived, Each, Graph, Resolver, each_ids, for_provider, tally};
use scopegate_model::{Attribute, Operation};
use scopegate_policy::needed_attributes;

use crate::engine::Engine;
use crate::resolve::{CacheKey, credential_key};
use crate::shared::State;

use super::conn::Conn;
use super::read::Inbound;

mod lookup;

/// What one request's resolution works with.
struct Ctx<'a> {
    state: &'a State,
    engine: &'a Engine,
    conn: &'a Conn,
    inbound: &'a Inbound,
    inspection: &'a Inspection,
    /// The lookup's answer, once sent (at most one per request).
    looked_up: Option<Result<Arc<Graph>, String>>,
}

/// Sets the attributes the rules need. Free when none is needed.
pub async fn needed(
    state: &State,
    engine: &Engine,
    conn: &Conn,
    inbound: &Inbound,
    inspection: &mut Inspection,
) {
    let needed = needed_attributes(
        &engine.scope_map,
        &inspection.credential,
        &inspection.operations,
    );
    if needed.is_empty() {
        return;
    }
    let mut wanted: Vec<(usize, BTreeSet<String>)> = Vec::new();
    for (i, key) in needed {
        match wanted.iter_mut().find(|(j, _)| *j == i) {
            Some((_, keys)) => {
                keys.insert(key);
            }
            None => wanted.push((i, BTreeSet::from([key]))),
        }
    }
    set(state, engine, conn, inbound, inspection, wanted).await;
}

/// Sets every attribute the operations' ids can give: what an approval
/// card shows, for a held request.
pub async fn all(
    state: &State,
    engine: &Engine,
    conn: &Conn,
    inbound: &Inbound,
    inspection: &mut Inspection,
) {
    let wanted = inspection
        .operations
        .iter()
        .enumerate()
        .filter_map(|(i, op)| {
            let r = for_provider(&op.provider)?;
            let keys: BTreeSet<String> = op
                .resources
                .keys()
                .flat_map(|k| r.yields(k))
                .cloned()
                .collect();
            (!keys.is_empty()).then_some((i, keys))
        })
        .collect();
    set(state, engine, conn, inbound, inspection, wanted).await;
}

/// Copies the operations' attributes into the decision's (a held request's
/// card and record show what was resolved after deciding).
pub fn onto(inspection: &Inspection, decision: &mut scopegate_model::Decision) {
    if decision.operations.len() != inspection.operations.len() {
        return;
    }
    for (verdict, op) in decision.operations.iter_mut().zip(&inspection.operations) {
        if verdict.operation.name == op.name {
            verdict.operation.attributes = op.attributes.clone();
        }
    }
}

async fn set(
    state: &State,
    engine: &Engine,
    conn: &Conn,
    inbound: &Inbound,
    inspection: &mut Inspection,
    wanted: Vec<(usize, BTreeSet<String>)>,
) {
    let mut found = Vec::new();
    {
        let mut ctx = Ctx {
            state,
            engine,
            conn,
            inbound,
            inspection,
            looked_up: None,
        };
        for (i, keys) in wanted {
            let op = &ctx.inspection.operations[i];
            found.push((i, resolve_op(&mut ctx, op, &keys).await));
        }
    }
    for (i, attributes) in found {
        for (key, attribute) in attributes {
            inspection.operations[i].set_attribute(&key, attribute);
        }
    }
}

/// The wanted attributes of one operation, from every id it names of a
/// kind that gives them (all values together: a rule must match each).
async fn resolve_op(
    ctx: &mut Ctx<'_>,
    op: &Operation,
    keys: &BTreeSet<String>,
) -> Vec<(String, Attribute)> {
    let Some(resolver) = for_provider(&op.provider) else {
        return Vec::new();
    };
    let mut values: Vec<(String, Result<BTreeSet<String>, String>)> = keys
        .iter()
        .map(|k| (k.clone(), Ok(BTreeSet::new())))
        .collect();
    for (kind, ids) in &op.resources {
        let gives: Vec<&String> = keys
            .iter()
            .filter(|k| resolver.yields(kind).contains(k))
            .collect();
        if gives.is_empty() {
            continue;
        }
        for id in ids {
            let derived = of_id(ctx, resolver, kind, id, keys).await;
            for (key, acc) in values.iter_mut().filter(|(k, _)| gives.contains(&k)) {
                merge(acc, &derived, key);
            }
        }
    }
    values
        .into_iter()
        .filter_map(|(k, v)| match v {
            Ok(set) if set.is_empty() => None,
            Ok(set) => Some((k, Attribute::known(set))),
            Err(why) => Some((k, Attribute::Unresolved(why))),
        })
        .collect()
}

/// An id's attributes, and the attributes that could not be had (why).
type Found = Result<(Derived, Vec<(String, String)>), String>;

fn merge(acc: &mut Result<BTreeSet<String>, String>, derived: &Found, key: &str) {
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
async fn of_id(
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
    if let Some(hit) = ctx.state.resolution.cached(&key)
        && each.is_none_or(|e| hit.contains_key(&e.count))
    {
        ctx.state.metrics.lookup(&resolver.provider, "cached");
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
                ctx.state
                    .resolution
                    .cache
                    .insert(key, derived.clone(), std::time::Instant::now());
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
        let query = lookup::Query {
            name: "scopegateResolve",
            text: &resolver.lookup.query,
            variables: serde_json::json!({}),
        };
        let graph = lookup::send(
            ctx.state,
            ctx.engine,
            ctx.conn,
            ctx.inbound,
            ctx.inspection,
            resolver,
            &query,
        )
        .await;
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
        let query = lookup::Query {
            name: "scopegateResolveEach",
            text: &each.query,
            variables: serde_json::json!({ "id": id }),
        };
        answers.push(
            lookup::send(
                ctx.state,
                ctx.engine,
                ctx.conn,
                ctx.inbound,
                ctx.inspection,
                resolver,
                &query,
            )
            .await?,
        );
    }
    Ok(answers)
}
