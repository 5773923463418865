use super::*;

fn roots(doc: &str) -> Vec<(OpKind, String)> {
    let a = analyse(doc, &Limits::default()).unwrap();
    a.operations
        .iter()
        .flat_map(|o| o.roots.iter().map(move |r| (o.kind, r.name.clone())))
        .collect()
}

fn err(doc: &str) -> String {
    analyse(doc, &Limits::default()).unwrap_err()
}

#[test]
fn aliases_and_fragments_do_not_hide_root_fields() {
    let m = |s: &str| (OpKind::Mutation, s.to_owned());
    assert_eq!(
        roots("mutation { ok: volumeDelete(volumeId: \"v\") }"),
        vec![m("volumeDelete")]
    );
    assert_eq!(
        roots(
            "mutation { ...A } fragment A on Mutation { ...B } fragment B on Mutation { ... on Mutation { x: volumeDelete(volumeId: \"v\") } }"
        ),
        vec![m("volumeDelete")]
    );
    assert_eq!(
        roots(
            "mutation { a: me b: volumeDelete(volumeId: \"v\") ... @include(if: false) { serviceDelete(id: \"s\") } }"
        ),
        vec![m("me"), m("volumeDelete"), m("serviceDelete")]
    );
}

#[test]
fn every_operation_counts() {
    assert_eq!(
        roots("query A { me } mutation B { volumeDelete(volumeId: \"v\") }"),
        vec![
            (OpKind::Query, "me".into()),
            (OpKind::Mutation, "volumeDelete".into())
        ]
    );
}

#[test]
fn refuses_what_a_server_would_read_differently() {
    assert!(err("fragment A on Mutation { ...A } mutation { ...A }").contains("cycle"));
    assert!(
        err("fragment A on T { x { ...B } } fragment B on T { y { ...A } } { me }")
            .contains("cycle")
    );
    assert!(err("mutation { ...Nope }").contains("not defined"));
    assert!(err("fragment A on M { x } fragment A on M { y } mutation { ...A }").contains("twice"));
    assert!(err("query A { me } query A { x }").contains("twice"));
    assert!(err("mutation { volumeDelete(volumeId: \"a\", volumeId: \"b\") }").contains("twice"));
    assert!(err("mutation { volumeDelete(").contains("unbalanced"));
    assert!(err("mutation { volumeDelete(volumeId: ) }").contains("parse"));
    assert!(err("fragment A on M { x }").contains("no operation"));
}

#[test]
fn exponential_fragment_fanout_is_linear() {
    let mut doc = String::from("mutation { ...F0 }\n");
    for i in 0..30 {
        doc.push_str(&format!(
            "fragment F{i} on Mutation {{ ...F{n} ...F{n} }}\n",
            n = i + 1
        ));
    }
    doc.push_str("fragment F30 on Mutation { volumeDelete(volumeId: \"v\") }");
    assert_eq!(roots(&doc), vec![(OpKind::Mutation, "volumeDelete".into())]);
}

#[test]
fn keeps_arguments_and_variable_defaults() {
    let a = analyse(
        "mutation M($id: String = \"d\") { volumeDelete(volumeId: $id, n: 1, o: {a: [true, null]}) }",
        &Limits::default(),
    )
    .unwrap();
    let op = &a.operations[0];
    assert_eq!(op.var_defaults, vec![("id".into(), Tmpl::Str("d".into()))]);
    assert_eq!(
        op.roots[0].args,
        vec![
            ("volumeId".into(), Tmpl::Var("id".into())),
            ("n".into(), Tmpl::Int(1)),
            (
                "o".into(),
                Tmpl::Object(vec![(
                    "a".into(),
                    Tmpl::List(vec![Tmpl::Bool(true), Tmpl::Null])
                )])
            ),
        ]
    );
}
