//! GraphQL SDL: every Query and Subscription field is `read`; a Mutation
//! field takes its class from the registry's `classification` table when
//! there is one (which must cover the mutations exactly, as for
//! introspection), else it is `destructive` when its name has one of the
//! words of [`super::openapi::DESTRUCTIVE_WORDS`] or the registry's
//! `destructive_words` (`deleteApp`, `unsetSecrets`), and `write` otherwise.
//! Resource arguments as for introspection: `id` (named after the field's
//! entity), scalar arguments ending in `Id`/`Ids`, and such fields of
//! input-object arguments. The schema is catalogued as `public`; override
//! entries replace generated ones, keeping their resource paths. A
//! `[review]` judgement must name a mutation, unless a later source (`also`)
//! may hold what it names.

use std::collections::{BTreeMap, BTreeSet};

use graphql_parser::schema::{Definition, Document, Type, TypeDefinition};

use super::super::raw::{CatalogFile, FieldSpec, Schema};
use super::super::registry::GraphqlSdl;
use super::super::review::{self, Outcome};
use super::openapi::{DESTRUCTIVE_WORDS, words};
use super::{is_id_name, merge_fields, render, resource_kind};

/// The texts one SDL source is generated from.
pub struct Input<'a> {
    pub sdl: &'a str,
    /// The classification table, parsed: field → (class, id arguments).
    pub classes: Option<&'a BTreeMap<String, (String, Vec<String>)>>,
    /// No further source follows: every `[review]` entry must be ours.
    pub last: bool,
}

pub fn generate(spec: &GraphqlSdl, input: Input<'_>, overrides: &str) -> Result<String, String> {
    let Input { sdl, classes, last } = input;
    let mut out: CatalogFile = toml::from_str(overrides).map_err(|e| format!("overrides: {e}"))?;
    let doc: Document<'_, String> =
        graphql_parser::parse_schema(sdl).map_err(|e| format!("schema: {e}"))?;
    let types = Types::of(&doc);
    let destructive: BTreeSet<String> = DESTRUCTIVE_WORDS
        .iter()
        .map(|w| (*w).to_owned())
        .chain(spec.destructive_words.iter().cloned())
        .collect();
    let mut generated = Schema::default();
    let mut problems = Vec::new();
    for (kind, root, target) in [
        ("query", &types.roots.0, &mut generated.query),
        ("mutation", &types.roots.1, &mut generated.mutation),
        ("subscription", &types.roots.2, &mut generated.subscription),
    ] {
        let Some(object) = types.objects.get(root) else {
            continue;
        };
        for f in &object.fields {
            let class = match field_class(kind, &f.name, classes, &destructive) {
                Ok(class) => class,
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            };
            let spec = FieldSpec {
                class: class.to_owned(),
                resources: types.resources(f, kind),
                escalate: Vec::new(),
            };
            target.insert(f.name.clone(), spec);
        }
    }
    for name in classes.into_iter().flat_map(BTreeMap::keys) {
        if !generated.mutation.contains_key(name) {
            problems.push(format!("classified mutation `{name}` is not in the schema"));
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let over = out.graphql.remove("public").unwrap_or_default();
    merge_fields(&mut generated.query, over.query);
    merge_fields(&mut generated.mutation, over.mutation);
    merge_fields(&mut generated.subscription, over.subscription);
    check_reviews(&mut out, &generated, last)?;
    out.graphql.insert("public".to_owned(), generated);
    render(&out)
}

/// The schema's root type names and its object and input types by name.
struct Types<'d> {
    roots: (String, String, String),
    objects: BTreeMap<String, &'d graphql_parser::schema::ObjectType<'d, String>>,
    inputs: BTreeMap<String, &'d graphql_parser::schema::InputObjectType<'d, String>>,
}

impl<'d> Types<'d> {
    fn of(doc: &'d Document<'d, String>) -> Self {
        let mut t = Types {
            roots: (
                "Query".to_owned(),
                "Mutation".to_owned(),
                "Subscription".to_owned(),
            ),
            objects: BTreeMap::new(),
            inputs: BTreeMap::new(),
        };
        for d in &doc.definitions {
            match d {
                Definition::SchemaDefinition(s) => {
                    t.roots = (
                        s.query.clone().unwrap_or_default(),
                        s.mutation.clone().unwrap_or_default(),
                        s.subscription.clone().unwrap_or_default(),
                    );
                }
                Definition::TypeDefinition(TypeDefinition::Object(o)) => {
                    t.objects.insert(o.name.clone(), o);
                }
                Definition::TypeDefinition(TypeDefinition::InputObject(i)) => {
                    t.inputs.insert(i.name.clone(), i);
                }
                _ => {}
            }
        }
        t
    }

    /// A root field's resource arguments: scalar id arguments, and the id
    /// fields of its input-object arguments (`input.environmentId`).
    fn resources(
        &self,
        f: &graphql_parser::schema::Field<'_, String>,
        kind: &str,
    ) -> BTreeMap<String, String> {
        let mut resources = BTreeMap::new();
        for a in &f.arguments {
            if let Some(input) = self.inputs.get(named(&a.value_type)) {
                for inf in &input.fields {
                    if is_id_name(&inf.name) && !self.inputs.contains_key(named(&inf.value_type)) {
                        let path = format!("{}.{}", a.name, inf.name);
                        resources.insert(path.clone(), resource_kind(&f.name, &path, kind));
                    }
                }
            } else if is_id_name(&a.name) {
                resources.insert(a.name.clone(), resource_kind(&f.name, &a.name, kind));
            }
        }
        resources
    }
}

/// A root field's class: queries and subscriptions read; a mutation's from
/// the classification table when there is one (missing from it is a
/// problem), else by its words.
fn field_class<'a>(
    kind: &str,
    name: &str,
    classes: Option<&'a BTreeMap<String, (String, Vec<String>)>>,
    destructive: &BTreeSet<String>,
) -> Result<&'a str, String> {
    Ok(match (kind, classes) {
        ("mutation", Some(table)) => match table.get(name) {
            Some((class, _)) => class.as_str(),
            None => {
                return Err(format!(
                    "mutation `{name}` is not in the classification table"
                ));
            }
        },
        ("mutation", None) if words(name).any(|w| destructive.contains(&w)) => "destructive",
        ("mutation", None) => "write",
        _ => "read",
    })
}

/// `[review]` judgements on this schema's mutations must agree with the
/// catalogue; the rest are left in `out` for the source that follows (a
/// REST route table), unless this is the last source.
fn check_reviews(out: &mut CatalogFile, generated: &Schema, last: bool) -> Result<(), String> {
    if last
        && let Some(name) = out
            .review
            .keys()
            .find(|n| !generated.mutation.contains_key(*n))
    {
        return Err(format!("reviewed `{name}` is not in the catalogue"));
    }
    let (ours, rest) = std::mem::take(&mut out.review)
        .into_iter()
        .partition(|(name, _)| generated.mutation.contains_key(name));
    out.review = rest;
    let outcomes = generated
        .mutation
        .iter()
        .map(|(name, f)| {
            let o = Outcome {
                class: &f.class,
                escalates: !f.escalate.is_empty(),
            };
            (name.clone(), o)
        })
        .collect();
    let problems = review::check(&ours, &BTreeSet::new(), &outcomes);
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    Ok(())
}

fn named<'a>(t: &'a Type<'_, String>) -> &'a str {
    match t {
        Type::NamedType(n) => n,
        Type::ListType(t) | Type::NonNullType(t) => named(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_by_name_and_resources_by_argument() {
        let sdl = r#"schema { query: Queries mutation: Mutations }
            type Queries { app(name: String, id: ID): App }
            type Mutations {
              deleteApp(appId: ID!): Boolean
              unsetSecrets(input: UnsetSecretsInput!): Boolean
              createApp(input: CreateAppInput!): App
            }
            input UnsetSecretsInput { appId: ID! keys: [String!]! }
            input CreateAppInput { organizationId: ID! name: String }
            type App { id: ID! }"#;
        let spec = GraphqlSdl {
            schema: "s.graphql".into(),
            destructive_words: vec!["unset".into()],
            classification: None,
        };
        let head = "version = 1\nprovider = \"p\"\nhosts = [\"p.example\"]\n\
                    [[endpoints]]\npath = \"/graphql\"\nkind = \"graphql\"\nschema = \"public\"\n";
        let input = Input {
            sdl,
            classes: None,
            last: true,
        };
        let out = generate(&spec, input, head).unwrap();
        crate::Catalog::from_toml("t", &out).unwrap();
        let c: CatalogFile = toml::from_str(&out).unwrap();
        let m = &c.graphql["public"].mutation;
        assert_eq!(m["deleteApp"].class, "destructive");
        assert_eq!(m["unsetSecrets"].class, "destructive");
        assert_eq!(m["createApp"].class, "write");
        assert_eq!(
            m["createApp"].resources["input.organizationId"],
            "organizationId"
        );
        assert_eq!(m["deleteApp"].resources["appId"], "appId");
        assert_eq!(c.graphql["public"].query["app"].resources["id"], "appId");
        assert_eq!(c.graphql["public"].query["app"].class, "read");
    }

    #[test]
    fn a_classification_table_classes_every_mutation_and_leaves_rest_reviews() {
        let sdl = "type Query { repository(owner: String!, name: String!): Int }
            type Mutation { deleteRef(input: DeleteRefInput!): Int createRef(input: CreateRefInput!): Int }
            input DeleteRefInput { refId: ID! }
            input CreateRefInput { repositoryId: ID! name: String! }";
        let spec = GraphqlSdl {
            schema: "s.graphql".into(),
            destructive_words: Vec::new(),
            classification: Some("c.tsv".into()),
        };
        let head = "version = 1\nprovider = \"p\"\nhosts = [\"p.example\"]\n\
                    [review]\n\"repos/delete\" = { judgement = \"destructive\", why = \"r\" }\n";
        let table = |rows: &[(&str, &str)]| -> BTreeMap<String, (String, Vec<String>)> {
            rows.iter()
                .map(|(f, c)| ((*f).to_owned(), ((*c).to_owned(), Vec::new())))
                .collect()
        };
        let classes = table(&[("deleteRef", "write"), ("createRef", "write")]);
        let input = |classes, last| Input {
            sdl,
            classes: Some(classes),
            last,
        };
        // the table wins over the name
        let out = generate(&spec, input(&classes, false), head).unwrap();
        let c: CatalogFile = toml::from_str(&out).unwrap();
        let m = &c.graphql["public"].mutation;
        assert_eq!(m["deleteRef"].class, "write");
        assert_eq!(
            m["createRef"].resources["input.repositoryId"],
            "repositoryId"
        );
        // a REST judgement is left for the route table that follows...
        assert!(c.review.contains_key("repos/delete"), "{out}");
        // ...and refused when nothing follows
        let err = generate(&spec, input(&classes, true), head).unwrap_err();
        assert!(err.contains("reviewed `repos/delete`"), "{err}");
        // the table must cover the schema exactly
        let short = table(&[("deleteRef", "destructive")]);
        let err = generate(&spec, input(&short, false), head).unwrap_err();
        assert!(
            err.contains("`createRef` is not in the classification"),
            "{err}"
        );
        let long = table(&[
            ("deleteRef", "destructive"),
            ("createRef", "write"),
            ("gone", "write"),
        ]);
        let err = generate(&spec, input(&long, false), head).unwrap_err();
        assert!(err.contains("`gone` is not in the schema"), "{err}");
    }
}
