//! GraphQL SDL: every Query and Subscription field is `read`; a Mutation
//! field is `destructive` when its name has one of the words of
//! [`super::openapi::DESTRUCTIVE_WORDS`] or the registry's
//! `destructive_words` (`deleteApp`, `unsetSecrets`), else `write`.
//! Resource arguments as for introspection: `id` (named after the field's
//! entity), scalar arguments ending in `Id`/`Ids`, and such fields of
//! input-object arguments. The schema is catalogued as `public`; override
//! entries replace generated ones, keeping their resource paths.

use std::collections::{BTreeMap, BTreeSet};

use graphql_parser::schema::{Definition, Document, Type, TypeDefinition};

use super::super::raw::{CatalogFile, FieldSpec, Schema};
use super::super::registry::GraphqlSdl;
use super::openapi::{DESTRUCTIVE_WORDS, words};
use super::{is_id_name, merge_fields, render, resource_kind};

pub fn generate(spec: &GraphqlSdl, sdl: &str, overrides: &str) -> Result<String, String> {
    let mut out: CatalogFile = toml::from_str(overrides).map_err(|e| format!("overrides: {e}"))?;
    let doc: Document<'_, String> =
        graphql_parser::parse_schema(sdl).map_err(|e| format!("schema: {e}"))?;
    let mut roots = (
        "Query".to_owned(),
        "Mutation".to_owned(),
        "Subscription".to_owned(),
    );
    let mut objects = BTreeMap::new();
    let mut inputs = BTreeMap::new();
    for d in &doc.definitions {
        match d {
            Definition::SchemaDefinition(s) => {
                roots = (
                    s.query.clone().unwrap_or_default(),
                    s.mutation.clone().unwrap_or_default(),
                    s.subscription.clone().unwrap_or_default(),
                );
            }
            Definition::TypeDefinition(TypeDefinition::Object(o)) => {
                objects.insert(o.name.clone(), o);
            }
            Definition::TypeDefinition(TypeDefinition::InputObject(i)) => {
                inputs.insert(i.name.clone(), i);
            }
            _ => {}
        }
    }
    let destructive: BTreeSet<String> = DESTRUCTIVE_WORDS
        .iter()
        .map(|w| (*w).to_owned())
        .chain(spec.destructive_words.iter().cloned())
        .collect();
    let mut generated = Schema::default();
    for (kind, root, target) in [
        ("query", &roots.0, &mut generated.query),
        ("mutation", &roots.1, &mut generated.mutation),
        ("subscription", &roots.2, &mut generated.subscription),
    ] {
        let Some(object) = objects.get(root) else {
            continue;
        };
        for f in &object.fields {
            let mut resources = BTreeMap::new();
            for a in &f.arguments {
                let tn = named(&a.value_type);
                if let Some(input) = inputs.get(tn) {
                    for inf in &input.fields {
                        if is_id_name(&inf.name) && !inputs.contains_key(named(&inf.value_type)) {
                            let path = format!("{}.{}", a.name, inf.name);
                            resources.insert(path.clone(), resource_kind(&f.name, &path, kind));
                        }
                    }
                } else if is_id_name(&a.name) {
                    resources.insert(a.name.clone(), resource_kind(&f.name, &a.name, kind));
                }
            }
            let class = match kind {
                "mutation" if words(&f.name).any(|w| destructive.contains(&w)) => "destructive",
                "mutation" => "write",
                _ => "read",
            };
            target.insert(
                f.name.clone(),
                FieldSpec {
                    class: class.to_owned(),
                    resources,
                    escalate: Vec::new(),
                },
            );
        }
    }
    let over = out.graphql.remove("public").unwrap_or_default();
    merge_fields(&mut generated.query, over.query);
    merge_fields(&mut generated.mutation, over.mutation);
    merge_fields(&mut generated.subscription, over.subscription);
    for name in out.review.keys() {
        if !generated.mutation.contains_key(name) {
            return Err(format!("reviewed `{name}` is not in the catalogue"));
        }
    }
    out.review.clear();
    out.graphql.insert("public".to_owned(), generated);
    render(&out)
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
        };
        let head = "version = 1\nprovider = \"p\"\nhosts = [\"p.example\"]\n\
                    [[endpoints]]\npath = \"/graphql\"\nkind = \"graphql\"\nschema = \"public\"\n";
        let out = generate(&spec, sdl, head).unwrap();
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
}
