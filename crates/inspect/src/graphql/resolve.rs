//! From analysed root fields to catalogued operations: class (raised by
//! escalations on argument values) and resources, with variables resolved.

use scopegate_model::{OpClass, Operation};
use serde_json::{Map, Value};

use super::analysis::{OpAnalysis, OpKind, Tmpl};
use super::{DocAnalysis, GqlRequest};
use crate::catalog::{FieldSpec, GraphqlSchema};
use crate::escalate::{self, Escalation};

/// The operations one GraphQL request asks for, against `schema`.
pub fn operations_for(
    provider: &str,
    schema: &GraphqlSchema,
    analysis: &DocAnalysis,
    req: &GqlRequest,
    out: &mut Vec<Operation>,
) {
    for op in &analysis.operations {
        let table = match op.kind {
            OpKind::Query => &schema.query,
            OpKind::Mutation => &schema.mutation,
            OpKind::Subscription => &schema.subscription,
        };
        for root in &op.roots {
            if root.name.starts_with("__") {
                // __typename, __schema, __type: introspection reads.
                out.push(Operation::new(provider, root.name.clone(), OpClass::Read));
                continue;
            }
            let Some(spec) = table.get(&root.name) else {
                out.push(Operation::unknown(
                    provider,
                    &root.name,
                    format!(
                        "`{}` is not a {} field in the {provider} catalogue",
                        root.name,
                        op.kind.as_str()
                    ),
                ));
                continue;
            };
            out.push(field_operation(
                provider,
                spec,
                op,
                &root.name,
                &root.args,
                &req.variables,
            ));
        }
    }
}

fn field_operation(
    provider: &str,
    spec: &FieldSpec,
    op: &OpAnalysis,
    name: &str,
    args: &[(String, Tmpl)],
    vars: &Map<String, Value>,
) -> Operation {
    let mut out = Operation::new(provider, name, spec.class);
    let ctx = Ctx { op, vars };
    for (path, kind) in &spec.resources {
        if let Some(v) = ctx.resolve(args, path) {
            add_scalars(&mut out, kind, &v);
        }
    }
    // Each argument an escalation looks into is resolved once.
    let mut resolved: Vec<(&str, Option<Value>)> = Vec::new();
    for e in &spec.escalate {
        if e.class <= out.class {
            continue;
        }
        if ctx.escalates(args, e, &mut resolved) {
            out.class = e.class;
            out.note = Some(e.why.clone());
        }
    }
    out
}

fn add_scalars(op: &mut Operation, kind: &str, v: &Value) {
    match v {
        Value::String(s) => op.add_resource(kind, s.clone()),
        Value::Number(n) => op.add_resource(kind, n.to_string()),
        Value::Bool(b) => op.add_resource(kind, b.to_string()),
        Value::Array(items) => items.iter().for_each(|i| add_scalars(op, kind, i)),
        Value::Null | Value::Object(_) => {}
    }
}

struct Ctx<'a> {
    op: &'a OpAnalysis,
    vars: &'a Map<String, Value>,
}

impl Ctx<'_> {
    fn var(&self, name: &str) -> Option<Value> {
        if let Some(v) = self.vars.get(name) {
            return Some(v.clone());
        }
        self.op
            .var_defaults
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| self.to_json(t, 0, false))
    }

    /// Whether an escalation holds: its argument is resolved (variables
    /// substituted, once per field in `resolved`), the rest of its path
    /// walked as JSON.
    fn escalates<'e>(
        &self,
        args: &[(String, Tmpl)],
        e: &'e Escalation,
        resolved: &mut Vec<(&'e str, Option<Value>)>,
    ) -> bool {
        let (first, rest) = (&e.arg[..1], &e.arg[1..]);
        let i = match resolved.iter().position(|(n, _)| *n == first[0]) {
            Some(i) => i,
            None => {
                resolved.push((&first[0], self.resolve(args, first)));
                resolved.len() - 1
            }
        };
        resolved[i]
            .1
            .as_ref()
            .is_some_and(|v| escalate::any_at(v, rest, &e.when))
    }

    /// The value at `path` (`input.environmentId`) among `args`, variables
    /// substituted; `None` when absent.
    fn resolve(&self, args: &[(String, Tmpl)], path: &[String]) -> Option<Value> {
        let (first, rest) = path.split_first()?;
        let mut t = &args.iter().find(|(n, _)| n == first)?.1;
        for (i, key) in rest.iter().enumerate() {
            match t {
                Tmpl::Object(fields) => t = &fields.iter().find(|(n, _)| n == key)?.1,
                Tmpl::Var(v) => {
                    let mut json = self.var(v)?;
                    for k in &rest[i..] {
                        json = json.get(k)?.clone();
                    }
                    return Some(json);
                }
                _ => return None,
            }
        }
        Some(self.to_json(t, 0, true))
    }

    /// `vars`: whether variables may be substituted. Default values are
    /// constants; a variable inside one is read as `null`, so a default
    /// cannot refer to itself.
    fn to_json(&self, t: &Tmpl, depth: usize, vars: bool) -> Value {
        if depth > 64 {
            return Value::Null;
        }
        match t {
            Tmpl::Var(v) if vars => self.var(v).unwrap_or(Value::Null),
            Tmpl::Var(_) => Value::Null,
            Tmpl::Null => Value::Null,
            Tmpl::Bool(b) => Value::Bool(*b),
            Tmpl::Int(i) => Value::from(*i),
            Tmpl::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Tmpl::Str(s) | Tmpl::Enum(s) => Value::String(s.clone()),
            Tmpl::List(l) => {
                Value::Array(l.iter().map(|x| self.to_json(x, depth + 1, vars)).collect())
            }
            Tmpl::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| (k.clone(), self.to_json(x, depth + 1, vars)))
                    .collect(),
            ),
        }
    }
}
