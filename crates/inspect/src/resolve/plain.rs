//! Whether a read's answer may fill the cache: its document must have no
//! aliases. With aliases the agent chooses the answer's keys, and could
//! make any object look like an environment named `staging`.

use graphql_parser::query::{Definition, OperationDefinition, Selection, SelectionSet};
use serde_json::Value;

/// A JSON GraphQL request (one document, not a batch) without aliases.
pub fn plain_query(body: &[u8]) -> bool {
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(body) else {
        return false;
    };
    let Some(Value::String(query)) = request.get("query") else {
        return false;
    };
    let Ok(doc) = graphql_parser::parse_query::<&str>(query) else {
        return false;
    };
    doc.definitions.iter().all(|d| match d {
        Definition::Operation(op) => match op {
            OperationDefinition::SelectionSet(s) => unaliased(s),
            OperationDefinition::Query(q) => unaliased(&q.selection_set),
            OperationDefinition::Mutation(m) => unaliased(&m.selection_set),
            OperationDefinition::Subscription(s) => unaliased(&s.selection_set),
        },
        Definition::Fragment(f) => unaliased(&f.selection_set),
    })
}

fn unaliased<'a>(set: &SelectionSet<'a, &'a str>) -> bool {
    set.items.iter().all(|item| match item {
        Selection::Field(f) => f.alias.is_none() && unaliased(&f.selection_set),
        Selection::InlineFragment(f) => unaliased(&f.selection_set),
        Selection::FragmentSpread(_) => true,
    })
}

#[cfg(test)]
mod tests {
    use super::plain_query;

    #[test]
    fn only_documents_without_aliases_are_plain() {
        let q = |doc: &str| serde_json::json!({ "query": doc }).to_string();
        assert!(plain_query(
            q("query { project(id: \"p\") { id name } }").as_bytes()
        ));
        let forged = "query { environments: volumes { edges { node { id name } } } }";
        assert!(!plain_query(q(forged).as_bytes()));
        let nested = "query { project(id: \"p\") { ... on Project { id name: description } } }";
        assert!(!plain_query(q(nested).as_bytes()));
        let spread = "query { project(id: \"p\") { ...F } } fragment F on Project { name: id }";
        assert!(!plain_query(q(spread).as_bytes()));
        assert!(!plain_query(b"[{\"query\":\"{ me { id } }\"}]"));
    }
}
