//! Builds catalogue files from the providers' own published descriptions,
//! by the source's format (see [`super::registry::Source`]): a GraphQL
//! introspection schema plus a reviewed classification table, or a route
//! table. Hand-made overrides (hosts, credentials, endpoints, corrected
//! entries) come from an overrides file in the catalogue format and win
//! over generated entries. No provider has code of its own here.
//!
//! Pure: text in, text out. `scopegate catalog generate` does the IO.

mod graphql_sdl;
mod openapi;
mod route_table;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::raw::{CatalogFile, FieldSpec, Schema};
use super::registry::{Provider, Source};
use super::review::{self, Outcome};

/// Generates one provider's catalogue. `source` reads a source file by its
/// path relative to the providers folder.
pub fn provider(
    p: &Provider,
    source: impl Fn(&str) -> Result<String, String>,
    overrides: &str,
) -> Result<String, String> {
    let mut text = one_source(&p.source, &source, overrides, p.also.is_empty())?;
    for (i, s) in p.also.iter().enumerate() {
        text = one_source(s, &source, &text, i + 1 == p.also.len())?;
    }
    Ok(text)
}

fn one_source(
    s: &Source,
    source: &impl Fn(&str) -> Result<String, String>,
    overrides: &str,
    last: bool,
) -> Result<String, String> {
    match s {
        Source::GraphqlIntrospection {
            schema,
            classification,
        } => graphql_introspection(&source(schema)?, &source(classification)?, overrides),
        Source::RouteTable(t) => route_table::generate(t, &source(&t.routes)?, overrides),
        Source::Openapi(o) => openapi::generate(o, &source(&o.spec)?, overrides),
        Source::GraphqlSdl(g) => {
            let classes = match &g.classification {
                Some(f) => Some(parse_classification(&source(f)?)?),
                None => None,
            };
            let input = graphql_sdl::Input {
                sdl: &source(&g.schema)?,
                classes: classes.as_ref(),
                last,
            };
            graphql_sdl::generate(g, input, overrides)
        }
    }
}

/// GraphQL introspection: every Query and Subscription field is `read`;
/// every Mutation field takes its class from the classification table,
/// which must cover them all. Resource arguments are `id` (named after the
/// field's entity), arguments ending in `Id`, and `Id` fields of
/// input-object arguments. The schema is catalogued as `public`.
pub fn graphql_introspection(
    schema_json: &str,
    classification_tsv: &str,
    overrides: &str,
) -> Result<String, String> {
    let mut out: CatalogFile = toml::from_str(overrides).map_err(|e| format!("overrides: {e}"))?;
    let schema: Value = serde_json::from_str(schema_json).map_err(|e| format!("schema: {e}"))?;
    let s = schema
        .pointer("/data/__schema")
        .or_else(|| schema.get("__schema"))
        .ok_or("schema: no __schema")?;
    let types: BTreeMap<&str, &Value> = s["types"]
        .as_array()
        .ok_or("schema: no types")?
        .iter()
        .filter_map(|t| Some((t["name"].as_str()?, t)))
        .collect();
    let root = |k: &str| s[k]["name"].as_str();

    let classes = parse_classification(classification_tsv)?;
    let mut generated = Schema::default();
    let mut problems = Vec::new();
    for (kind, type_name, target) in [
        ("query", root("queryType"), &mut generated.query),
        ("mutation", root("mutationType"), &mut generated.mutation),
        (
            "subscription",
            root("subscriptionType"),
            &mut generated.subscription,
        ),
    ] {
        let Some(t) = type_name.and_then(|n| types.get(n)) else {
            continue;
        };
        for f in t["fields"].as_array().into_iter().flatten() {
            let Some(name) = f["name"].as_str() else {
                continue;
            };
            let mut resources = schema_resources(name, kind, f, &types);
            let class = if kind == "mutation" {
                match classes.get(name) {
                    Some((class, id_args)) => {
                        for a in id_args {
                            resources.insert(a.clone(), resource_kind(name, a, kind));
                        }
                        class.clone()
                    }
                    None => {
                        problems.push(format!(
                            "mutation `{name}` is not in the classification table"
                        ));
                        continue;
                    }
                }
            } else {
                "read".to_owned()
            };
            target.insert(
                name.to_owned(),
                FieldSpec {
                    class,
                    resources,
                    escalate: Vec::new(),
                },
            );
        }
    }
    for name in classes.keys() {
        if !generated.mutation.contains_key(name) {
            problems.push(format!("classified mutation `{name}` is not in the schema"));
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let over = out.graphql.remove("public").unwrap_or_default();
    let mut must_review: BTreeSet<String> = classes
        .iter()
        .filter(|(_, (class, _))| class == "write")
        .map(|(name, _)| name.clone())
        .chain(over.mutation.keys().cloned())
        .collect();
    merge_fields(&mut generated.query, over.query);
    merge_fields(&mut generated.mutation, over.mutation);
    merge_fields(&mut generated.subscription, over.subscription);
    // Hand-made REST routes beside the schema (`railway up`) are reviewed
    // like mutations.
    let outcomes = generated
        .mutation
        .iter()
        .map(|(name, f)| (name, &f.class, !f.escalate.is_empty()))
        .chain(
            out.rest
                .iter()
                .map(|r| (&r.name, &r.class, !r.escalate.is_empty())),
        )
        .map(|(name, class, escalates)| (name.clone(), Outcome { class, escalates }))
        .collect();
    must_review.retain(|n| {
        generated
            .mutation
            .get(n)
            .is_some_and(|f| f.class == "write")
    });
    must_review.extend(out.rest.iter().map(|r| r.name.clone()));
    let problems = review::check(&out.review, &must_review, &outcomes);
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    out.review.clear();
    out.graphql.insert("public".to_owned(), generated);
    render(&out)
}

/// An override entry replaces the generated one, except that the generated
/// resource paths are kept (the override's win where both name a path).
pub(super) fn merge_fields(
    generated: &mut BTreeMap<String, FieldSpec>,
    over: BTreeMap<String, FieldSpec>,
) {
    for (name, mut spec) in over {
        if let Some(g) = generated.remove(&name) {
            for (path, kind) in g.resources {
                spec.resources.entry(path).or_insert(kind);
            }
        }
        generated.insert(name, spec);
    }
}

/// `field<TAB>class<TAB>tags<TAB>id_args(;)...`, `#` comments, one header row.
fn parse_classification(tsv: &str) -> Result<BTreeMap<String, (String, Vec<String>)>, String> {
    let mut out = BTreeMap::new();
    for (i, line) in tsv.lines().enumerate() {
        if line.starts_with('#') || line.starts_with("field\t") || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(field), Some(class)) = (cols.first(), cols.get(1)) else {
            return Err(format!("classification line {}: too few columns", i + 1));
        };
        if !matches!(*class, "read" | "write" | "destructive") {
            return Err(format!("classification line {}: class `{class}`", i + 1));
        }
        let ids = cols
            .get(3)
            .map(|c| {
                c.split(';')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        out.insert((*field).to_owned(), ((*class).to_owned(), ids));
    }
    Ok(out)
}

fn named_type(t: &Value) -> Option<(&str, &str)> {
    let mut t = t;
    while t["name"].is_null() {
        t = &t["ofType"];
        if t.is_null() {
            return None;
        }
    }
    Some((t["kind"].as_str()?, t["name"].as_str()?))
}

pub(super) fn is_id_name(n: &str) -> bool {
    n == "id" || (n.ends_with("Id") && n.len() > 2) || (n.ends_with("Ids") && n.len() > 3)
}

fn schema_resources(
    field: &str,
    kind: &str,
    f: &Value,
    types: &BTreeMap<&str, &Value>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for a in f["args"].as_array().into_iter().flatten() {
        let Some(an) = a["name"].as_str() else {
            continue;
        };
        match named_type(&a["type"]) {
            Some(("INPUT_OBJECT", tn)) => {
                let fields = types.get(tn).and_then(|t| t["inputFields"].as_array());
                for inf in fields.into_iter().flatten() {
                    if let Some(n) = inf["name"].as_str().filter(|n| is_id_name(n))
                        && matches!(named_type(&inf["type"]), Some(("SCALAR", _)))
                    {
                        let path = format!("{an}.{n}");
                        out.insert(path.clone(), resource_kind(field, &path, kind));
                    }
                }
            }
            Some(("SCALAR", _)) if is_id_name(an) => {
                out.insert(an.to_owned(), resource_kind(field, an, kind));
            }
            _ => {}
        }
    }
    out
}

/// `input.environmentId` → `environmentId`; `serviceIds` → `serviceId`;
/// `id` of `customDomainDelete` → `customDomainId` (the field name without
/// its last word, the verb); `id` of the query `project` → `projectId`.
pub(super) fn resource_kind(field: &str, path: &str, kind: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path);
    if last != "id" {
        return last
            .strip_suffix('s')
            .filter(|s| s.ends_with("Id"))
            .unwrap_or(last)
            .to_owned();
    }
    let entity = if kind == "mutation" {
        let cut = field
            .rfind(|c: char| c.is_ascii_uppercase())
            .unwrap_or(field.len());
        &field[..cut.max(1)]
    } else {
        field
    };
    format!("{entity}Id")
}

pub(crate) fn render(c: &CatalogFile) -> Result<String, String> {
    let body = toml::to_string(c).map_err(|e| format!("render: {e}"))?;
    Ok(format!(
        "# GENERATED by `scripts/generate-catalogs` from the provider's published description\n\
         # and the overrides file next to this one. Do not edit: change the overrides and regenerate.\n\n{body}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_kinds() {
        assert_eq!(
            resource_kind("customDomainDelete", "id", "mutation"),
            "customDomainId"
        );
        assert_eq!(
            resource_kind("volumeDelete", "volumeId", "mutation"),
            "volumeId"
        );
        assert_eq!(
            resource_kind("x", "input.environmentId", "mutation"),
            "environmentId"
        );
        assert_eq!(resource_kind("project", "id", "query"), "projectId");
        assert_eq!(resource_kind("x", "serviceIds", "query"), "serviceId");
        assert_eq!(route_table::kebab("deleteRef"), "delete-ref");
    }

    const SCHEMA: &str = r#"{"__schema": {"queryType": {"name": "Query"}, "mutationType": {"name": "Mutation"},
        "types": [{"name": "Query", "fields": []}, {"name": "Mutation", "fields": [
            {"name": "thingUpdate", "args": [{"name": "id", "type": {"kind": "SCALAR", "name": "String"}}]},
            {"name": "thingDelete", "args": []}]}]}}"#;
    const TSV: &str = "thingUpdate\twrite\t\t\nthingDelete\tdestructive\t\t\n";
    const HEAD: &str = "version = 1\nprovider = \"railway\"\nhosts = [\"x.example\"]\n";

    fn make(overrides: &str) -> Result<String, String> {
        graphql_introspection(SCHEMA, TSV, &format!("{HEAD}{overrides}"))
    }

    #[test]
    fn every_write_needs_a_judgement_that_agrees() {
        let err = make("").unwrap_err();
        assert!(
            err.contains("`thingUpdate` is a write with no [review]"),
            "{err}"
        );
        let ok =
            make("[review]\nthingUpdate = { judgement = \"write\", why = \"renames\" }\n").unwrap();
        assert!(
            !ok.contains("[review]"),
            "the review stays in the overrides"
        );
        // a judgement that disagrees with the catalogue
        let err = make("[review]\nthingUpdate = { judgement = \"escalate\", why = \"x\" }\n")
            .unwrap_err();
        assert!(err.contains("says `escalate`"), "{err}");
        // an override that escalates, judged so; its generated resources kept
        let ok = make(concat!(
            "[graphql.public.mutation.thingUpdate]\nclass = \"write\"\n",
            "escalate = [{ arg = \"id\", when = \"present\", class = \"destructive\", why = \"w\" }]\n",
            "[review]\nthingUpdate = { judgement = \"escalate\", why = \"x\" }\n"
        ))
        .unwrap();
        crate::Catalog::from_toml("t", &ok).unwrap();
        assert!(ok.contains("id = \"thingId\""), "{ok}");
        // an override lowering a destructive field to write must be judged too
        let err = make(concat!(
            "[graphql.public.mutation.thingDelete]\nclass = \"write\"\n",
            "[review]\nthingUpdate = { judgement = \"write\", why = \"x\" }\n"
        ))
        .unwrap_err();
        assert!(
            err.contains("`thingDelete` is a write with no [review]"),
            "{err}"
        );
        // a judgement for something the catalogue does not have
        let err = make(concat!(
            "[review]\nthingUpdate = { judgement = \"write\", why = \"x\" }\n",
            "nothing = { judgement = \"write\", why = \"x\" }\n"
        ))
        .unwrap_err();
        assert!(
            err.contains("reviewed `nothing` is not in the catalogue"),
            "{err}"
        );
    }
}

#[cfg(test)]
mod also_tests {
    use super::*;
    use crate::catalog::registry::Registry;

    #[test]
    fn a_second_source_is_merged_into_the_first_s_catalogue() {
        let registry = Registry::from_toml(
            r#"version = 1
[[provider]]
name = "p"
catalog = "p.toml"
overrides = "p.overrides.toml"
source = { format = "graphql-sdl", schema = "s.graphql" }
also = [{ format = "route-table", routes = "r.tsv", base_path = "/v1", name = "rest/{op}" }]
"#,
        )
        .unwrap();
        let files = |f: &str| match f {
            "s.graphql" => Ok(
                "type Query { app(appId: ID): Int } type Mutation { deleteApp(appId: ID): Int }"
                    .to_owned(),
            ),
            "r.tsv" => Ok(
                "http_method\tpath\top\tclass\nDELETE\t/apps/{app}\tdelete-app\tdestructive\n"
                    .to_owned(),
            ),
            other => Err(format!("no {other}")),
        };
        let over = "version = 1\nprovider = \"p\"\nhosts = [\"p.example\"]\n\
                    [[endpoints]]\npath = \"/graphql\"\nkind = \"graphql\"\nschema = \"public\"\n";
        let text = provider(&registry.providers[0], files, over).unwrap();
        let c = crate::Catalog::from_toml("p.toml", &text).unwrap();
        let schema = c.graphql[0].schema.as_ref().unwrap();
        assert_eq!(
            schema.mutation["deleteApp"].class,
            scopegate_model::OpClass::Destructive
        );
        assert_eq!(c.rest.len(), 1);
        assert_eq!(c.rest.routes()[0].name, "rest/delete-app");
    }
}
