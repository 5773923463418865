//! The resolve phase, between inspect and decide (docs/resource-context.md):
//! the attributes the token's rules condition on, for each operation, from
//! the cache or one active lookup; each becomes `Known` or `Unresolved`
//! with why. Nothing happens when no rule needs an attribute.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use scopegate_inspect::Inspection;
use scopegate_inspect::resolve::{Graph, for_provider};
use scopegate_model::{Attribute, Operation};
use scopegate_policy::needed_attributes;

use crate::engine::Engine;
use crate::shared::State;

use super::conn::Conn;
use super::read::Inbound;

mod ids;
mod lookup;
mod rest;

use ids::{merge, of_id};

/// What one request's resolution works with.
struct Ctx<'a> {
    state: &'a State,
    engine: &'a Engine,
    conn: &'a Conn,
    inbound: &'a Inbound,
    inspection: &'a Inspection,
    /// The lookup's answer, once sent (at most one per request).
    looked_up: Option<Result<Arc<Graph>, String>>,
    /// REST reads' answers by path (each sent at most once per request).
    reads: HashMap<String, Result<serde_json::Value, String>>,
}

impl Ctx<'_> {
    /// Sends one of scopegate's own reads for this request (see
    /// [`lookup::send`]).
    async fn ask(
        &self,
        resolver: &'static scopegate_inspect::resolve::Resolver,
        ask: &lookup::Ask<'_>,
    ) -> Result<serde_json::Value, String> {
        lookup::send(
            self.state,
            self.engine,
            self.conn,
            self.inbound,
            self.inspection,
            resolver,
            ask,
        )
        .await
    }
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
            reads: HashMap::new(),
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
        let rest = resolver.kinds.get(kind).is_some_and(|k| k.is_rest());
        for id in ids {
            let derived = match rest {
                true => rest::of_id(ctx, resolver, kind, id, &op.resources).await,
                false => of_id(ctx, resolver, kind, id, keys).await,
            };
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
