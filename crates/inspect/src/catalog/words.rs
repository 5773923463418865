//! Every operation the catalogues can produce, for checking scope maps
//! against them at load (a misspelled name in a deny rule must not load).

use std::collections::BTreeSet;

use scopegate_model::{OpClass, OperationWord};

use super::{Catalog, CatalogSet, FieldSpec};

impl CatalogSet {
    /// Every catalogued operation of every provider.
    pub fn words(&self) -> Vec<OperationWord> {
        let mut words: Vec<OperationWord> =
            self.providers().flat_map(|c| catalog_words(c)).collect();
        if self.aws().is_some()
            && let Ok(t) = crate::aws::bundled()
        {
            words.extend(t.words());
        }
        words
    }
}

fn catalog_words(c: &Catalog) -> Vec<OperationWord> {
    let mut out = Vec::new();
    let resolver = crate::resolve::for_provider(&c.provider);
    let word = |name: &str, classes: Vec<OpClass>, resources: BTreeSet<String>| OperationWord {
        provider: c.provider.clone(),
        name: name.to_owned(),
        classes,
        resources: with_attributes(resolver, resources).into_iter().collect(),
    };
    let mut seen = BTreeSet::new();
    for schema in c.graphql.iter().filter_map(|ep| ep.schema.as_ref()) {
        for table in [&schema.query, &schema.mutation, &schema.subscription] {
            for (name, spec) in table {
                if seen.insert(name.clone()) {
                    out.push(word(name, field_classes(spec), field_resources(c, spec)));
                }
            }
        }
        for intro in ["__typename", "__schema", "__type"] {
            if seen.insert(intro.to_owned()) {
                out.push(word(intro, vec![OpClass::Read], BTreeSet::new()));
            }
        }
    }
    for r in c.rest.routes() {
        if seen.insert(r.name.clone()) {
            let kinds = r
                .template
                .params()
                .map(str::to_owned)
                .chain(c.query_resources.iter().map(|(_, kind)| kind.clone()))
                .chain(r.resources.iter().map(|(_, kind)| kind.clone()))
                .collect();
            let mut classes = vec![r.class];
            for e in &r.escalate {
                if !classes.contains(&e.class) {
                    classes.push(e.class);
                }
            }
            out.push(word(&r.name, classes, with_composites(c, kinds)));
        }
    }
    out
}

fn field_classes(spec: &FieldSpec) -> Vec<OpClass> {
    let mut classes = vec![spec.class];
    for e in &spec.escalate {
        if !classes.contains(&e.class) {
            classes.push(e.class);
        }
    }
    classes
}

fn field_resources(c: &Catalog, spec: &FieldSpec) -> BTreeSet<String> {
    let kinds = spec.resources.iter().map(|(_, k)| k.clone()).collect();
    with_composites(c, kinds)
}

/// Composite kinds (`repository` = `{owner}/{repo}`) an operation names
/// when it names all their parts.
fn with_composites(c: &Catalog, mut kinds: BTreeSet<String>) -> BTreeSet<String> {
    for (kind, tmpl) in &c.composite_resources {
        if tmpl.params().all(|p| kinds.contains(p)) {
            kinds.insert(kind.clone());
        }
    }
    kinds
}

/// The attributes the provider's resolver gives for the kinds an operation
/// names (`volumeId` → `environment`, `project`...): rules may name them.
fn with_attributes(
    resolver: Option<&crate::resolve::Resolver>,
    mut kinds: BTreeSet<String>,
) -> BTreeSet<String> {
    if let Some(r) = resolver {
        let attributes: Vec<String> = kinds.iter().flat_map(|k| r.yields(k)).cloned().collect();
        kinds.extend(attributes);
    }
    kinds
}
