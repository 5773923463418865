//! A parsed document reduced to what decides a request: every operation's
//! root fields with their arguments, fragments expanded. The result depends
//! only on the document text, never on variables or catalogues, so it can be
//! cached by the text.

use std::collections::{HashMap, HashSet};

use graphql_parser::query::{
    Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet, Value,
};

use crate::Limits;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    Query,
    Mutation,
    Subscription,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Query => "query",
            Self::Mutation => "mutation",
            Self::Subscription => "subscription",
        }
    }
}

/// An argument value with variables left in place.
#[derive(Debug, Clone, PartialEq)]
pub enum Tmpl {
    Var(String),
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Enum(String),
    List(Vec<Tmpl>),
    Object(Vec<(String, Tmpl)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct RootField {
    pub name: String,
    pub args: Vec<(String, Tmpl)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OpAnalysis {
    pub kind: OpKind,
    pub name: Option<String>,
    /// Declared variables with their default values.
    pub var_defaults: Vec<(String, Tmpl)>,
    pub roots: Vec<RootField>,
}

/// Every operation in a document. All of them count: scopegate does not
/// trust `operationName` to narrow what runs (see docs/graphql-reading.md).
#[derive(Debug, Clone, PartialEq)]
pub struct DocAnalysis {
    pub operations: Vec<OpAnalysis>,
}

/// Guards, parses and reduces a document. `Err` is the reason it cannot be
/// read, which makes the request `unknown`.
pub fn analyse(doc: &str, limits: &Limits) -> Result<DocAnalysis, String> {
    super::guard::check(doc, limits).map_err(|e| e.to_string())?;
    let parsed: Document<'_, &str> = graphql_parser::parse_query(doc)
        .map_err(|e| format!("document does not parse: {}", first_line(&e.to_string())))?;

    let mut fragments: HashMap<&str, &FragmentDefinition<'_, &str>> = HashMap::new();
    let mut ops = Vec::new();
    for def in &parsed.definitions {
        match def {
            Definition::Fragment(f) => {
                if fragments.insert(f.name, f).is_some() {
                    return Err(format!("fragment `{}` is defined twice", f.name));
                }
            }
            Definition::Operation(op) => ops.push(op),
        }
    }
    check_fragment_graph(&parsed, &fragments)?;

    let mut names = HashSet::new();
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        let (kind, name, vars, set) = match op {
            OperationDefinition::SelectionSet(s) => (OpKind::Query, None, &[][..], s),
            OperationDefinition::Query(q) => (
                OpKind::Query,
                q.name,
                &q.variable_definitions[..],
                &q.selection_set,
            ),
            OperationDefinition::Mutation(m) => (
                OpKind::Mutation,
                m.name,
                &m.variable_definitions[..],
                &m.selection_set,
            ),
            OperationDefinition::Subscription(s) => (
                OpKind::Subscription,
                s.name,
                &s.variable_definitions[..],
                &s.selection_set,
            ),
        };
        if let Some(n) = name
            && !names.insert(n)
        {
            return Err(format!("operation `{n}` is defined twice"));
        }
        let mut var_defaults = Vec::new();
        let mut seen_vars = HashSet::new();
        for v in vars {
            if !seen_vars.insert(v.name) {
                return Err(format!("variable `${}` is declared twice", v.name));
            }
            if let Some(d) = &v.default_value {
                var_defaults.push((v.name.to_owned(), tmpl(d)));
            }
        }
        let mut roots = Vec::new();
        let mut expanded = HashSet::new();
        collect_roots(set, &fragments, &mut roots, &mut expanded)?;
        if roots.is_empty() {
            return Err("an operation selects no fields".into());
        }
        out.push(OpAnalysis {
            kind,
            name: name.map(str::to_owned),
            var_defaults,
            roots,
        });
    }
    if out.is_empty() {
        return Err("document has no operation".into());
    }
    Ok(DocAnalysis { operations: out })
}

fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

/// Root fields of one operation: fields at the root, and the root fields of
/// every fragment spread or inline fragment at the root, at any depth.
/// Each named fragment is expanded once per operation (its fields are a set),
/// which keeps expansion linear.
fn collect_roots<'a>(
    set: &'a SelectionSet<'a, &'a str>,
    fragments: &HashMap<&'a str, &'a FragmentDefinition<'a, &'a str>>,
    out: &mut Vec<RootField>,
    expanded: &mut HashSet<&'a str>,
) -> Result<(), String> {
    for sel in &set.items {
        match sel {
            Selection::Field(f) => {
                let mut args = Vec::with_capacity(f.arguments.len());
                for (name, value) in &f.arguments {
                    if args.iter().any(|(n, _): &(String, Tmpl)| n == name) {
                        return Err(format!("argument `{name}` of `{}` is given twice", f.name));
                    }
                    args.push(((*name).to_owned(), tmpl(value)));
                }
                out.push(RootField {
                    name: f.name.to_owned(),
                    args,
                });
            }
            Selection::FragmentSpread(s) => {
                let frag = fragments
                    .get(s.fragment_name)
                    .ok_or_else(|| format!("fragment `{}` is not defined", s.fragment_name))?;
                if expanded.insert(s.fragment_name) {
                    collect_roots(&frag.selection_set, fragments, out, expanded)?;
                }
            }
            Selection::InlineFragment(i) => {
                collect_roots(&i.selection_set, fragments, out, expanded)?
            }
        }
    }
    Ok(())
}

/// Refuses spreads of undefined fragments and fragment cycles anywhere in
/// the document (depth-first search with colours; linear).
fn check_fragment_graph<'a>(
    doc: &'a Document<'a, &'a str>,
    fragments: &HashMap<&'a str, &'a FragmentDefinition<'a, &'a str>>,
) -> Result<(), String> {
    let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
    for def in &doc.definitions {
        let (from, set) = match def {
            Definition::Fragment(f) => (Some(f.name), &f.selection_set),
            Definition::Operation(OperationDefinition::SelectionSet(s)) => (None, s),
            Definition::Operation(OperationDefinition::Query(q)) => (None, &q.selection_set),
            Definition::Operation(OperationDefinition::Mutation(m)) => (None, &m.selection_set),
            Definition::Operation(OperationDefinition::Subscription(s)) => (None, &s.selection_set),
        };
        let mut spreads = Vec::new();
        spreads_in(set, &mut spreads);
        for s in &spreads {
            if !fragments.contains_key(s) {
                return Err(format!("fragment `{s}` is not defined"));
            }
        }
        if let Some(from) = from {
            edges.insert(from, spreads);
        }
    }
    // 1 = on the current path, 2 = done
    let mut colour: HashMap<&str, u8> = HashMap::new();
    for &start in edges.keys() {
        if colour.contains_key(start) {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        colour.insert(start, 1);
        while let Some((node, idx)) = stack.pop() {
            let next = edges.get(node).and_then(|e| e.get(idx)).copied();
            match next {
                None => {
                    colour.insert(node, 2);
                }
                Some(n) => {
                    stack.push((node, idx + 1));
                    match colour.get(n) {
                        Some(1) => return Err(format!("fragment `{n}` spreads itself (a cycle)")),
                        Some(_) => {}
                        None => {
                            colour.insert(n, 1);
                            stack.push((n, 0));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn spreads_in<'a>(set: &'a SelectionSet<'a, &'a str>, out: &mut Vec<&'a str>) {
    for sel in &set.items {
        match sel {
            Selection::Field(f) => spreads_in(&f.selection_set, out),
            Selection::FragmentSpread(s) => out.push(s.fragment_name),
            Selection::InlineFragment(i) => spreads_in(&i.selection_set, out),
        }
    }
}

fn tmpl<'a>(v: &Value<'a, &'a str>) -> Tmpl {
    match v {
        Value::Variable(n) => Tmpl::Var((*n).to_owned()),
        Value::Int(n) => n.as_i64().map_or(Tmpl::Null, Tmpl::Int),
        Value::Float(f) => Tmpl::Float(*f),
        Value::String(s) => Tmpl::Str(s.clone()),
        Value::Boolean(b) => Tmpl::Bool(*b),
        Value::Null => Tmpl::Null,
        Value::Enum(e) => Tmpl::Enum((*e).to_owned()),
        Value::List(l) => Tmpl::List(l.iter().map(tmpl).collect()),
        Value::Object(o) => {
            Tmpl::Object(o.iter().map(|(k, v)| ((*k).to_owned(), tmpl(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests;
