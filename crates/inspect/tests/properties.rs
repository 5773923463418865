//! Properties of inspection, checked on generated inputs.
//!
//! (a) Wrapping the root fields of a mutation in aliases, named fragments and
//!     inline fragments (nested, in any combination, with any separators)
//!     never changes the operations found.
//! (b) No input — body, target, header values, GraphQL document, method —
//!     makes inspection panic, and a request to a provider host always yields
//!     at least one operation of that provider.
//! (c) Every document generated for (a) is a document graphql-parser reads.
//! (d) A branch name with encoded slashes reads as that branch or is refused.
//!
//! These are also the CI guard against panics: the fuzz targets in
//! `crates/inspect/fuzz` need a nightly-only compiler flag (see docs/fuzzing.md).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use scopegate_inspect::{EndpointKind, Inspection};
use scopegate_model::OpClass::{self, Destructive, Read, Unknown, Write};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// (a) and (c): wrapped mutations.

/// Railway mutation root fields: name, arguments, selection set, and the
/// class each must get.
const FIELDS: &[(&str, &str, &str, OpClass)] = &[
    ("volumeDelete", r#"(volumeId: "vol-1")"#, "", Destructive),
    (
        "serviceDelete",
        r#"(id: "svc-1", environmentId: "env-1")"#,
        "",
        Destructive,
    ),
    ("projectDelete", r#"(id: "proj-1")"#, "", Destructive),
    ("environmentDelete", r#"(id: "env-1")"#, "", Destructive),
    (
        "volumeCreate",
        r#"(input: {projectId: "proj-1", environmentId: "env-1"})"#,
        "{ id }",
        Write,
    ),
    (
        "serviceCreate",
        r#"(input: {projectId: "proj-1"})"#,
        "{ id name }",
        Write,
    ),
    (
        "environmentPatchCommit",
        r#"(environmentId: "env-1", patch: {services: {s: {isDeleted: true}}})"#,
        "",
        Destructive,
    ),
    (
        "environmentPatchCommit",
        r#"(environmentId: "env-1", patch: {services: {}})"#,
        "",
        Write,
    ),
    (
        "variableUpsert",
        r#"(input: {environmentId: "env-2", projectId: "proj-1", name: "A", value: "1"})"#,
        "",
        Destructive,
    ),
    ("notInTheCatalogue", "", "", Unknown),
    ("__typename", "", "", Read),
];

/// A selection at the root of a mutation.
#[derive(Debug, Clone)]
enum Sel {
    /// A field from [`FIELDS`], maybe aliased, maybe with a directive.
    Field {
        idx: usize,
        alias: bool,
        directive: bool,
    },
    /// `... on Mutation @include(if: true) { ... }` (condition and directive optional).
    Inline {
        typed: bool,
        directive: bool,
        items: Vec<Sel>,
    },
    /// `...F` with `fragment F on Mutation { ... }` defined at the top level.
    Named { items: Vec<Sel> },
}

fn sel() -> impl Strategy<Value = Sel> {
    let leaf =
        (0..FIELDS.len(), any::<bool>(), any::<bool>()).prop_map(|(idx, alias, directive)| {
            Sel::Field {
                idx,
                alias,
                directive,
            }
        });
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (
                any::<bool>(),
                any::<bool>(),
                prop::collection::vec(inner.clone(), 1..4)
            )
                .prop_map(|(typed, directive, items)| Sel::Inline {
                    typed,
                    directive,
                    items
                }),
            prop::collection::vec(inner, 1..4).prop_map(|items| Sel::Named { items }),
        ]
    })
}

/// Separators GraphQL ignores: whitespace, commas, comments, a BOM-free mix.
const SEPS: &[&str] = &[" ", "\n", ",", "\t", " # } ignored { \n", "\r\n", " ,\n\t"];

struct Render<'a> {
    seps: &'a [usize],
    n: usize,
    fragments: Vec<String>,
    aliases: usize,
}

impl Render<'_> {
    fn sep(&mut self) -> &'static str {
        let s = SEPS[self.seps[self.n % self.seps.len()] % SEPS.len()];
        self.n += 1;
        s
    }

    fn items(&mut self, items: &[Sel], out: &mut String) {
        out.push('{');
        for item in items {
            out.push_str(self.sep());
            self.sel(item, out);
        }
        out.push_str(self.sep());
        out.push('}');
    }

    fn sel(&mut self, s: &Sel, out: &mut String) {
        match s {
            Sel::Field {
                idx,
                alias,
                directive,
            } => {
                let (name, args, selection, _) = FIELDS[*idx];
                if *alias {
                    // aliases named after other fields, to mislead a naive reader
                    let decoy = FIELDS[(idx + 1) % FIELDS.len()].0.trim_start_matches('_');
                    let n = self.aliases;
                    let sep = self.sep();
                    out.push_str(&format!("{decoy}{n}:{sep}"));
                    self.aliases += 1;
                }
                out.push_str(name);
                out.push_str(args);
                if *directive {
                    out.push_str(self.sep());
                    out.push_str("@skip(if: true)");
                }
                out.push_str(self.sep());
                out.push_str(selection);
            }
            Sel::Inline {
                typed,
                directive,
                items,
            } => {
                out.push_str("...");
                out.push_str(self.sep());
                if *typed {
                    out.push_str("on Mutation");
                    out.push_str(self.sep());
                }
                if *directive {
                    out.push_str("@include(if: false)");
                    out.push_str(self.sep());
                }
                self.items(items, out);
            }
            Sel::Named { items } => {
                let name = format!("F{}", self.fragments.len());
                self.fragments.push(String::new());
                let slot = self.fragments.len() - 1;
                let mut body = format!("fragment {name} on Mutation{}", self.sep());
                self.items(items, &mut body);
                self.fragments[slot] = body;
                out.push_str("...");
                out.push_str(&name);
            }
        }
    }
}

/// The wrapped document, and the number of fragment definitions in it.
fn render(items: &[Sel], seps: &[usize], fragments_first: bool) -> (String, usize) {
    let mut r = Render {
        seps,
        n: 0,
        fragments: Vec::new(),
        aliases: 0,
    };
    let mut op = String::from("mutation Wrapped");
    op.push_str(r.sep());
    r.items(items, &mut op);
    let frags = r.fragments.join("\n");
    let doc = if fragments_first {
        format!("{frags}\n{op}")
    } else {
        format!("{op}\n{frags}")
    };
    (doc, r.fragments.len())
}

/// The fields of a selection, in the order a server executes them.
fn leaves(items: &[Sel], out: &mut Vec<usize>) {
    for s in items {
        match s {
            Sel::Field { idx, .. } => out.push(*idx),
            Sel::Inline { items, .. } | Sel::Named { items } => leaves(items, out),
        }
    }
}

/// The same fields, unwrapped: `mutation { f1(..) f2(..) }`.
fn plain(fields: &[usize]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|&i| format!("{}{} {}", FIELDS[i].0, FIELDS[i].1, FIELDS[i].2))
        .collect();
    format!("mutation {{ {} }}", body.join(" "))
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn wrapping_root_fields_never_changes_the_operations(
        items in prop::collection::vec(sel(), 1..5),
        seps in prop::collection::vec(any::<usize>(), 1..16),
        fragments_first in any::<bool>(),
    ) {
        let (doc, _) = render(&items, &seps, fragments_first);
        let mut fields = Vec::new();
        leaves(&items, &mut fields);

        let unwrapped = railway_doc(&plain(&fields), None);
        let expected: Vec<(String, OpClass)> =
            fields.iter().map(|&i| (FIELDS[i].0.to_owned(), FIELDS[i].3)).collect();
        prop_assert_eq!(ops(&unwrapped), expected);

        let wrapped = railway_doc(&doc, None);
        // same names, classes and resources, in the same order
        prop_assert_eq!(&wrapped.operations, &unwrapped.operations, "document:\n{}", doc);
    }

    #[test]
    fn generated_documents_parse_with_graphql_parser(
        items in prop::collection::vec(sel(), 1..5),
        seps in prop::collection::vec(any::<usize>(), 1..16),
        fragments_first in any::<bool>(),
    ) {
        let (doc, fragments) = render(&items, &seps, fragments_first);
        let parsed = graphql_parser::parse_query::<&str>(&doc);
        prop_assert!(parsed.is_ok(), "{:?}\n{}", parsed.err(), doc);
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.definitions.len(), 1 + fragments);
        // and scopegate's own analysis finds every field, in order
        let analysis = scopegate_inspect::graphql::analyse(&doc, &scopegate_inspect::Limits::default());
        let mut fields = Vec::new();
        leaves(&items, &mut fields);
        prop_assert!(analysis.is_ok(), "{:?}\n{}", analysis, doc);
        let roots: Vec<String> = analysis
            .unwrap()
            .operations
            .iter()
            .flat_map(|o| o.roots.iter().map(|r| r.name.clone()))
            .collect();
        let names: Vec<String> = fields.iter().map(|&i| FIELDS[i].0.to_owned()).collect();
        prop_assert_eq!(roots, names);
    }

    #[test]
    fn content_encoding_never_changes_the_operations(
        items in prop::collection::vec(sel(), 1..4),
        seps in prop::collection::vec(any::<usize>(), 1..8),
        encoding in 0..5usize,
    ) {
        let (doc, _) = render(&items, &seps, false);
        let body = serde_json::json!({ "query": doc }).to_string();
        let plain_body = body.as_bytes();
        let (name, data): (&[u8], Vec<u8>) = match encoding {
            0 => (b"gzip", gzip(plain_body)),
            1 => (b"deflate", deflate(plain_body)),
            2 => (b"br", brotli_stored(plain_body)),
            3 => (b"gzip, br", brotli_stored(&gzip(plain_body))),
            _ => (b"identity", plain_body.to_vec()),
        };
        let decoded = inspect("POST", RAILWAY, GQL, &[JSON, ("content-encoding", name)], &data);
        let direct = railway_json(&body);
        prop_assert_eq!(decoded, direct);
    }

    #[test]
    fn rest_path_disguises_are_seen_through(
        owner in "[a-zA-Z0-9][a-zA-Z0-9-]{0,7}",
        repo in "[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,7}",
        tricks in prop::collection::vec((0..6usize, any::<u8>()), 3),
    ) {
        // one disguise before each segment (`repos`, owner, repo), one per trick
        let segs = ["repos", owner.as_str(), repo.as_str()];
        let mut path = String::new();
        for (seg, (trick, seed)) in segs.iter().zip(&tricks) {
            let seg = match *trick {
                // percent-encode one character, upper or lower hex
                0 => {
                    let i = usize::from(*seed) % seg.len();
                    let (a, b) = seg.split_at(i);
                    let mut ch = b.chars();
                    let c = ch.next().unwrap();
                    let hex = if seed % 2 == 0 { format!("%{:02X}", c as u32) } else { format!("%{:02x}", c as u32) };
                    format!("{a}{hex}{}", ch.as_str())
                }
                // change case (GitHub's router ignores it)
                1 => seg.chars().enumerate().map(|(i, c)| if (usize::from(*seed) >> (i % 8)) & 1 == 1 { c.to_ascii_uppercase() } else { c }).collect(),
                _ => (*seg).to_owned(),
            };
            let prefix = match *trick {
                2 => "/./",
                3 => "//",
                4 => "/x/../",
                5 => "/%2e/",
                _ => "/",
            };
            path.push_str(prefix);
            path.push_str(&seg);
        }
        if tricks[0].1 % 3 == 0 {
            path.push('/');
        }
        let i = inspect("DELETE", GITHUB, &path, &[], b"");
        prop_assert_eq!(ops(&i), want(&[("repos/delete", Destructive)]), "{}", path);
        let (o, r) = (owner.to_lowercase(), repo.to_lowercase());
        let full = format!("{o}/{r}");
        prop_assert_eq!(
            resources(&i),
            res(&[("owner", &[o.as_str()]), ("repo", &[r.as_str()]), ("repository", &[full.as_str()])])
        );
    }
}

proptest! {
    #![proptest_config(config())]

    /// A branch name sent with its slashes encoded (as Go's url.PathEscape
    /// and encodeURIComponent send it) is read as that branch of that
    /// repository, or refused; never as another route.
    #[test]
    fn encoded_slashes_never_reach_another_route(
        parts in prop::collection::vec(
            prop_oneof![
                Just("feature"), Just("x"), Just("protection"), Just("rename"),
                Just(".."), Just("."), Just(""), Just("required_signatures"),
                Just("branches"), Just("r"), Just("repos")
            ],
            1..6,
        ),
        method in prop_oneof![Just("GET"), Just("DELETE"), Just("POST"), Just("PUT"), Just("PATCH")],
        lower in any::<bool>(),
    ) {
        let name = parts.join("/");
        prop_assume!(!name.is_empty());
        let enc = name.replace('/', if lower { "%2f" } else { "%2F" });
        let path = format!("/repos/o/r/branches/{enc}");
        let i = inspect(method, GITHUB, &path, &[JSON], b"{}");
        prop_assert_eq!(i.operations.len(), 1);
        let op = &i.operations[0];
        if op.class != Unknown {
            // no encoded slash means an ordinary path; otherwise the branch route
            prop_assert_eq!(op.resources["repository"].clone(), vec!["o/r".to_owned()], "{}", path);
            if name.contains('/') {
                prop_assert!(op.name.ends_with("-branch"), "{} read as {}", path, op.name);
                prop_assert_eq!(op.resources["branch"].clone(), vec![name.clone()], "{}", path);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// (b) Arbitrary input never panics, and a provider host always yields
// operations.

/// The invariant every inspection of a provider host must hold.
fn check_provider(i: &Inspection, provider: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(i.provider.as_deref(), Some(provider));
    prop_assert_ne!(i.endpoint, EndpointKind::NotProvider);
    prop_assert!(!i.operations.is_empty(), "no operations: {:?}", i);
    for op in &i.operations {
        prop_assert_eq!(&op.provider, provider);
        prop_assert!(!op.name.is_empty());
        if op.class == Unknown {
            prop_assert!(
                op.note.as_deref().is_some_and(|n| !n.is_empty()),
                "unknown without a reason: {:?}",
                op
            );
        }
    }
    Ok(())
}

const CONTENT_TYPES: &[&[u8]] = &[
    b"application/json",
    b"application/graphql",
    b"application/x-www-form-urlencoded",
    b"multipart/form-data; boundary=B",
    b"application/graphql+json; charset=utf-8",
    b"text/plain",
    b"",
];

const ENCODINGS: &[&[u8]] = &[
    b"",
    b"gzip",
    b"deflate",
    b"br",
    b"gzip, deflate",
    b"identity",
];

fn hosts() -> impl Strategy<Value = (&'static str, &'static str)> {
    prop_oneof![
        Just((RAILWAY, "railway")),
        Just(("backboard.railway.app:443", "railway")),
        Just((GITHUB, "github")),
    ]
}

fn methods() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec!["GET", "POST", "DELETE", "PATCH", "PUT", "HEAD", "OPTIONS"]).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// Targets built from the characters that matter to path and query parsing.
fn targets() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(/|//|/\\.|/\\.\\.|%2[eEfF]|%5[cC]|%[0-9a-fA-F]{0,2}|\\?|#|&|=|\\+|_method|query|access_token|repos|graphql|v2|internal|[a-zA-Z0-9]{1,4}|\u{e9}|\u{212a})*",
        "/graphql/v2\\?(query|variables|operationName|extensions|_method)=[ -~]{0,40}",
    ]
}

/// GraphQL-ish token soup: exercises the guard and the parser far more than
/// random text does.
fn document() -> impl Strategy<Value = String> {
    const TOKENS: &[&str] = &[
        "mutation",
        "query",
        "subscription",
        "fragment",
        "on",
        "Mutation",
        "F",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "...",
        ":",
        "$v",
        "=",
        "!",
        "@skip(if: true)",
        "volumeDelete",
        "volumeId",
        "a",
        "\"s\"",
        "\"\"\"b\"\"\"",
        "\"\\u0076\"",
        "#",
        "\n",
        ",",
        "1",
        "-1.5e3",
        "null",
        "true",
        "__typename",
        "\"",
        "\\",
        "\u{0}",
        "\u{feff}",
    ];
    prop_oneof![
        any::<String>(),
        prop::collection::vec(prop::sample::select(TOKENS), 0..64).prop_map(|t| t.join(" ")),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bodies_never_panic(
        (host, provider) in hosts(),
        method in methods(),
        ct in prop::sample::select(CONTENT_TYPES),
        enc in prop::sample::select(ENCODINGS),
        raw in prop::collection::vec(any::<u8>(), 0..512),
        compress in any::<bool>(),
    ) {
        // half the time, actually compress the random bytes, so the decoded
        // body (not the decoder) meets the parsers
        let body = match (compress, enc) {
            (true, b"gzip") => gzip(&raw),
            (true, b"deflate") => deflate(&raw),
            (true, b"br") => brotli_stored(&raw),
            _ => raw,
        };
        let target = if provider == "railway" { GQL } else { "/repos/o/r" };
        let mut headers: Vec<(&str, &[u8])> = Vec::new();
        if !ct.is_empty() {
            headers.push(("content-type", ct));
        }
        if !enc.is_empty() {
            headers.push(("content-encoding", enc));
        }
        let i = inspect(&method, host, target, &headers, &body);
        check_provider(&i, provider)?;
    }

    #[test]
    fn arbitrary_targets_never_panic(
        (host, provider) in hosts(),
        method in methods(),
        target in targets(),
    ) {
        let i = inspect(&method, host, &target, &[], b"");
        check_provider(&i, provider)?;
        // a host that is not a provider's yields nothing, whatever the target
        let other = inspect(&method, "example.com", &target, &[], b"");
        prop_assert_eq!(other.endpoint, EndpointKind::NotProvider);
        prop_assert!(other.operations.is_empty());
    }

    #[test]
    fn arbitrary_headers_never_panic(
        (host, provider) in hosts(),
        headers in prop::collection::vec(
            (
                prop::sample::select(vec![
                    "Authorization", "authorization", "Project-Access-Token", "Team-Access-Token", "Cookie",
                    "Content-Type", "Content-Encoding", "X-HTTP-Method-Override", "X-Method-Override", "Host", "X-Other",
                ]),
                prop_oneof![
                    prop::collection::vec(any::<u8>(), 0..48),
                    "(Bearer|Basic|token|bearer)? ?[ -~]{0,24}".prop_map(String::into_bytes),
                ],
            ),
            0..6,
        ),
    ) {
        let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_slice())).collect();
        let body = br#"{"query":"mutation { volumeDelete(volumeId: \"v\") }"}"#;
        let target = if provider == "railway" { GQL } else { "/repos/o/r" };
        let i = inspect("POST", host, target, &headers, body);
        check_provider(&i, provider)?;
        // headers never hide the mutation: it is read, or the request is unknown
        if provider == "railway" {
            let names = ops(&i);
            prop_assert!(
                names == want(&[("volumeDelete", Destructive)]) || (names.len() == 1 && names[0].1 == Unknown),
                "{:?}", names
            );
        }
    }

    #[test]
    fn arbitrary_documents_never_panic(doc in document(), as_json in any::<bool>()) {
        let i = if as_json {
            railway_doc(&doc, None)
        } else {
            inspect("POST", RAILWAY, GQL, &[("content-type", b"application/graphql")], doc.as_bytes())
        };
        check_provider(&i, "railway")?;
        // the analysis alone either reads operations or says why not
        match scopegate_inspect::graphql::analyse(&doc, &scopegate_inspect::Limits::default()) {
            Ok(a) => prop_assert!(a.operations.iter().all(|o| !o.roots.is_empty())),
            Err(why) => prop_assert!(!why.is_empty()),
        }
    }

    #[test]
    fn arbitrary_json_around_a_document_never_panics(
        parts in prop::collection::vec(
            prop::sample::select(vec![
                "{", "}", "[", "]", ",", ":", "\"query\"", "\"variables\"", "\"operationName\"", "\"extensions\"",
                "\"mutation { volumeDelete(volumeId: $id) }\"", "\"{ me { id } }\"", "\"id\"", "\"vol\"", "null",
                "1e999", "-0", "\"\\u0000\"", "\"\\ud800\"", "\"persistedQuery\"", "\"sha256Hash\"", "true",
            ]),
            0..40,
        ),
    ) {
        let body = parts.concat();
        let i = railway_json(&body);
        check_provider(&i, "railway")?;
    }
}

proptest! {
    #![proptest_config(config())]

    /// `scopegate check` reads request files with `Message::parse`: any bytes
    /// either fail with a line number or become a request that inspects
    /// without panicking.
    #[test]
    fn arbitrary_request_messages_never_panic(
        start in prop::sample::select(vec![
            "POST https://backboard.railway.com/graphql/v2 HTTP/1.1\n",
            "DELETE /repos/o/r HTTP/1.1\nHost: api.github.com\n",
            "GET http://api.github.com HTTP/2\r\n",
            "",
        ]),
        rest in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..256),
            "((Content-Length|Transfer-Encoding|Content-Type|Host|Authorization): ?[ -~]{0,16}\r?\n){0,4}\r?\n([0-9a-f]{1,3}\r?\n[ -~]{0,8}\r?\n){0,3}[ -~]{0,32}"
                .prop_map(String::into_bytes),
        ],
    ) {
        let input = [start.as_bytes(), &rest].concat();
        match scopegate_inspect::message::Message::parse(&input) {
            Ok(m) => {
                let i = m.with_view(|v| INSPECTOR.inspect(v));
                if let Some(p) = i.provider.clone() {
                    check_provider(&i, &p)?;
                }
            }
            Err(e) => prop_assert!(e.line >= 1 && !e.message.is_empty()),
        }
    }
}
