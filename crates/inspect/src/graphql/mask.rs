//! A GraphQL request as an approver sees it: the document re-printed, the
//! variables, and the operation name, with exactly the values the
//! catalogue marks as secrets masked (`variableUpsert`'s `input.value`, a
//! patch's variable values). What a client chose to call its variables
//! decides nothing: `$target_env` stays visible, and a secret passed
//! through `$id` is masked.

use std::collections::{HashMap, HashSet};

use graphql_parser::query::{
    Definition, Document, OperationDefinition, Selection, SelectionSet, Value as GValue,
};
use serde_json::{Map, Value};

use super::GqlRequest;
use super::analysis::OpKind;
use crate::catalog::GraphqlSchema;
use crate::redact::{MASK, mask_at};

type Doc = Document<'static, String>;
type GSet = SelectionSet<'static, String>;
type GVal = GValue<'static, String>;

/// One GraphQL request, secrets masked, ready to show.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskedRequest {
    /// Re-printed when it parses; as sent otherwise.
    pub document: String,
    pub parsed: bool,
    pub variables: Map<String, Value>,
    pub operation_name: Option<String>,
}

/// Masks the secrets in `req` as `schema` declares them.
pub fn mask_request(schema: &GraphqlSchema, req: &GqlRequest) -> MaskedRequest {
    let mut variables = req.variables.clone();
    let Ok(parsed) = graphql_parser::query::parse_query::<String>(&req.query) else {
        return MaskedRequest {
            document: req.query.clone(),
            parsed: false,
            variables,
            operation_name: req.operation_name.clone(),
        };
    };
    let mut doc: Doc = parsed.into_static();
    let kinds = fragment_kinds(&doc);

    // On a copy, secret-position variables are cut out: whatever variable
    // occurrences remain are uses the approver must see.
    let mut probe = doc.clone();
    let secret_uses = mask_doc(&mut probe, schema, &kinds, true);
    let mut open = HashSet::new();
    each_variable(&probe, &mut |v| {
        open.insert(v.to_owned());
    });
    mask_doc(&mut doc, schema, &kinds, false);

    let hidden: Vec<&(String, Vec<String>)> = secret_uses
        .iter()
        .filter(|(v, _)| !open.contains(v))
        .collect();
    for (name, path) in &hidden {
        if let Some(v) = variables.get_mut(name.as_str()) {
            mask_at(v, path);
        }
    }
    mask_defaults(&mut doc, &hidden);
    MaskedRequest {
        document: doc.to_string(),
        parsed: true,
        variables,
        operation_name: req.operation_name.clone(),
    }
}

/// The operation types each fragment is spread into at the root level, so
/// its fields are root fields of those types.
fn fragment_kinds(doc: &Doc) -> HashMap<String, HashSet<OpKind>> {
    let frags: HashMap<&str, &GSet> = doc
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Fragment(f) => Some((f.name.as_str(), &f.selection_set)),
            Definition::Operation(_) => None,
        })
        .collect();
    let mut out: HashMap<String, HashSet<OpKind>> = HashMap::new();
    for d in &doc.definitions {
        if let Definition::Operation(op) = d {
            let (kind, set) = op_parts(op);
            let mut stack = vec![set];
            while let Some(set) = stack.pop() {
                for s in &set.items {
                    match s {
                        Selection::Field(_) => {}
                        Selection::InlineFragment(i) => stack.push(&i.selection_set),
                        Selection::FragmentSpread(f) => {
                            let seen = out.entry(f.fragment_name.clone()).or_default();
                            if seen.insert(kind)
                                && let Some(set) = frags.get(f.fragment_name.as_str())
                            {
                                stack.push(set);
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

fn op_parts<'a>(op: &'a OperationDefinition<'static, String>) -> (OpKind, &'a GSet) {
    match op {
        OperationDefinition::SelectionSet(s) => (OpKind::Query, s),
        OperationDefinition::Query(q) => (OpKind::Query, &q.selection_set),
        OperationDefinition::Mutation(m) => (OpKind::Mutation, &m.selection_set),
        OperationDefinition::Subscription(s) => (OpKind::Subscription, &s.selection_set),
    }
}

/// Masks literals at secret positions of every root field; returns the
/// variables found there with the path left below them. With `cut`, those
/// variables are replaced by `null`.
fn mask_doc(
    doc: &mut Doc,
    schema: &GraphqlSchema,
    kinds: &HashMap<String, HashSet<OpKind>>,
    cut: bool,
) -> Vec<(String, Vec<String>)> {
    let mut uses = Vec::new();
    for d in &mut doc.definitions {
        match d {
            Definition::Operation(op) => {
                let kind = op_parts(op).0;
                let set = match op {
                    OperationDefinition::SelectionSet(s) => s,
                    OperationDefinition::Query(q) => &mut q.selection_set,
                    OperationDefinition::Mutation(m) => &mut m.selection_set,
                    OperationDefinition::Subscription(s) => &mut s.selection_set,
                };
                mask_roots(set, schema, kind, cut, &mut uses);
            }
            Definition::Fragment(f) => {
                for kind in kinds.get(&f.name).into_iter().flatten() {
                    mask_roots(&mut f.selection_set, schema, *kind, cut, &mut uses);
                }
            }
        }
    }
    uses
}

fn mask_roots(
    set: &mut GSet,
    schema: &GraphqlSchema,
    kind: OpKind,
    cut: bool,
    uses: &mut Vec<(String, Vec<String>)>,
) {
    let table = match kind {
        OpKind::Query => &schema.query,
        OpKind::Mutation => &schema.mutation,
        OpKind::Subscription => &schema.subscription,
    };
    for s in &mut set.items {
        match s {
            Selection::Field(f) => {
                let Some(spec) = table.get(&f.name) else {
                    continue;
                };
                for path in &spec.secret {
                    let Some((arg, rest)) = path.split_first() else {
                        continue;
                    };
                    for (name, v) in &mut f.arguments {
                        if name == arg {
                            mask_gvalue_at(v, rest, cut, uses);
                        }
                    }
                }
            }
            Selection::InlineFragment(i) => {
                mask_roots(&mut i.selection_set, schema, kind, cut, uses)
            }
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// Masks the value at `path` below `v` (`*` is any key or element; a list
/// met where a key is expected is walked element by element, as GraphQL
/// input coercion would).
fn mask_gvalue_at(v: &mut GVal, path: &[String], cut: bool, uses: &mut Vec<(String, Vec<String>)>) {
    let Some((key, rest)) = path.split_first() else {
        mask_gliteral(v, cut, uses);
        return;
    };
    match v {
        GValue::Variable(name) => {
            uses.push((name.clone(), path.to_vec()));
            if cut {
                *v = GValue::Null;
            }
        }
        GValue::Object(fields) => {
            for (k, x) in fields.iter_mut() {
                if key == "*" || k == key {
                    mask_gvalue_at(x, rest, cut, uses);
                }
            }
        }
        GValue::List(items) => {
            let below = if key == "*" { rest } else { path };
            for x in items {
                mask_gvalue_at(x, below, cut, uses);
            }
        }
        _ => {}
    }
}

/// Masks every string, number and enum in a secret value.
fn mask_gliteral(v: &mut GVal, cut: bool, uses: &mut Vec<(String, Vec<String>)>) {
    match v {
        GValue::Variable(name) => {
            uses.push((name.clone(), Vec::new()));
            if cut {
                *v = GValue::Null;
            }
        }
        GValue::String(_) | GValue::Int(_) | GValue::Float(_) | GValue::Enum(_) => {
            *v = GValue::String(MASK.to_owned());
        }
        GValue::List(items) => items.iter_mut().for_each(|x| mask_gliteral(x, cut, uses)),
        GValue::Object(fields) => fields
            .values_mut()
            .for_each(|x| mask_gliteral(x, cut, uses)),
        GValue::Boolean(_) | GValue::Null => {}
    }
}

/// Default values of variables used only at secret positions.
fn mask_defaults(doc: &mut Doc, hidden: &[&(String, Vec<String>)]) {
    for d in &mut doc.definitions {
        let vars = match d {
            Definition::Operation(OperationDefinition::Query(q)) => &mut q.variable_definitions,
            Definition::Operation(OperationDefinition::Mutation(m)) => &mut m.variable_definitions,
            Definition::Operation(OperationDefinition::Subscription(s)) => {
                &mut s.variable_definitions
            }
            _ => continue,
        };
        for var in vars {
            for (name, path) in hidden {
                if *name == var.name
                    && let Some(dv) = &mut var.default_value
                {
                    mask_gvalue_at(dv, path, false, &mut Vec::new());
                }
            }
        }
    }
}

/// Calls `f` for every variable occurrence in the document's selections
/// (arguments and directives at any depth).
fn each_variable(doc: &Doc, f: &mut dyn FnMut(&str)) {
    fn value(v: &GVal, f: &mut dyn FnMut(&str)) {
        match v {
            GValue::Variable(n) => f(n),
            GValue::List(items) => items.iter().for_each(|x| value(x, f)),
            GValue::Object(fields) => fields.values().for_each(|x| value(x, f)),
            _ => {}
        }
    }
    fn set(s: &GSet, f: &mut dyn FnMut(&str)) {
        for item in &s.items {
            let (dirs, child) = match item {
                Selection::Field(x) => {
                    x.arguments.iter().for_each(|(_, v)| value(v, f));
                    (&x.directives, Some(&x.selection_set))
                }
                Selection::InlineFragment(x) => (&x.directives, Some(&x.selection_set)),
                Selection::FragmentSpread(x) => (&x.directives, None),
            };
            dirs.iter()
                .flat_map(|d| &d.arguments)
                .for_each(|(_, v)| value(v, f));
            if let Some(c) = child {
                set(c, f);
            }
        }
    }
    for d in &doc.definitions {
        match d {
            Definition::Operation(op) => {
                let dirs = match op {
                    OperationDefinition::SelectionSet(_) => None,
                    OperationDefinition::Query(q) => Some(&q.directives),
                    OperationDefinition::Mutation(m) => Some(&m.directives),
                    OperationDefinition::Subscription(s) => Some(&s.directives),
                };
                dirs.into_iter()
                    .flatten()
                    .flat_map(|d| &d.arguments)
                    .for_each(|(_, v)| value(v, f));
                set(op_parts(op).1, f);
            }
            Definition::Fragment(fr) => {
                fr.directives
                    .iter()
                    .flat_map(|d| &d.arguments)
                    .for_each(|(_, v)| value(v, f));
                set(&fr.selection_set, f);
            }
        }
    }
}
