//! The checks behind the fuzz targets, as plain functions: the targets in
//! `fuzz_targets/` call them under libFuzzer, and the stable test suite
//! (`crates/inspect/tests/fuzz_seeds.rs`) replays the seed corpus and every
//! saved crash input through them. Each panics when an invariant breaks.

use std::sync::LazyLock;

use scopegate_inspect::{CatalogSet, EndpointKind, Inspector, Limits, RequestView, graphql};
use scopegate_model::OpClass;

/// The hosts a selector byte picks, derived from the bundled catalogues
/// (the provider registry's order): each provider's first host, then every
/// further host with an explicit `:443`, then `example.com` (no provider).
static HOSTS: LazyLock<Vec<(String, Option<String>)>> = LazyLock::new(|| {
    let catalogs = CatalogSet::bundled().expect("bundled catalogues");
    let providers: Vec<_> = catalogs.providers().collect();
    let first = providers
        .iter()
        .filter_map(|c| Some((c.hosts.first()?.clone(), Some(c.provider.clone()))));
    let further = providers.iter().flat_map(|c| {
        c.hosts
            .iter()
            .skip(1)
            .map(|h| (format!("{h}:443"), Some(c.provider.clone())))
    });
    first
        .chain(further)
        .chain([("example.com".to_owned(), None)])
        .collect()
});

static INSPECTOR: LazyLock<Inspector> = LazyLock::new(|| {
    Inspector::new(
        CatalogSet::bundled().expect("bundled catalogues"),
        Limits::default(),
    )
});

/// The first host and path of the first GraphQL endpoint with a schema.
static GRAPHQL: LazyLock<(String, String)> = LazyLock::new(|| {
    INSPECTOR
        .catalogs()
        .providers()
        .find_map(|c| {
            let ep = c.graphql.iter().find(|ep| ep.schema.is_some())?;
            Some((c.hosts.first()?.clone(), format!("/{}", ep.path.join("/"))))
        })
        .expect("a bundled GraphQL endpoint with a schema")
});

/// The provider a selector byte picks (`None`: the non-provider host).
pub fn provider_of(selector: u8) -> Option<String> {
    HOSTS[usize::from(selector) % HOSTS.len()].1.clone()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Arbitrary bytes as an HTTP request, through `Inspector::inspect`.
///
/// Input layout (readable, so seeds can be written by hand and mutations
/// keep some structure):
///
/// ```text
/// <host selector byte><METHOD>\n<target>\n<name>: <value>\n...\n\n<body>
/// ```
///
/// The selector picks one of [`HOSTS`], modulo their number.
///
/// Checked besides "no panic": a provider host always yields at least one
/// operation, all of that provider, and every `unknown` says why; another
/// host yields none; inspecting the same request again (its document now
/// cached) gives the same result.
pub fn inspect_request(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (host, provider) = &HOSTS[usize::from(selector) % HOSTS.len()];
    let (host, provider) = (host.as_str(), provider.as_deref());
    let (head, body) = match find(rest, b"\n\n") {
        Some(i) => (&rest[..i], &rest[i + 2..]),
        None => (rest, &[][..]),
    };
    let mut lines = head.split(|&b| b == b'\n');
    let method = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let target = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let raw_headers: Vec<(String, &[u8])> = lines
        .map(|l| match l.iter().position(|&b| b == b':') {
            Some(i) => {
                let v = &l[i + 1..];
                (
                    String::from_utf8_lossy(&l[..i]).into_owned(),
                    v.strip_prefix(b" ").unwrap_or(v),
                )
            }
            None => (String::from_utf8_lossy(l).into_owned(), &[][..]),
        })
        .collect();
    let headers: Vec<(&str, &[u8])> = raw_headers.iter().map(|(n, v)| (n.as_str(), *v)).collect();
    let req = RequestView {
        method: &method,
        host,
        target: &target,
        headers: &headers,
        body,
    };

    let first = INSPECTOR.inspect(&req);
    match provider {
        Some(p) => {
            assert_eq!(first.provider.as_deref(), Some(p));
            assert_ne!(first.endpoint, EndpointKind::NotProvider);
            assert!(
                !first.operations.is_empty(),
                "no operations for a provider host"
            );
            for op in &first.operations {
                assert_eq!(op.provider, p);
                if op.class == OpClass::Unknown {
                    assert!(
                        op.note.as_deref().is_some_and(|n| !n.is_empty()),
                        "unknown without a reason: {op:?}"
                    );
                }
            }
        }
        None => {
            assert_eq!(first.endpoint, EndpointKind::NotProvider);
            assert!(first.operations.is_empty());
        }
    }
    let second = INSPECTOR.inspect(&req);
    assert_eq!(first, second, "the document cache changed the result");
}

/// Arbitrary bytes as a GraphQL document, through
/// `scopegate_inspect::graphql::analyse` (guard, graphql-parser, fragment
/// expansion), then end to end as a JSON request to the first bundled
/// GraphQL endpoint with a schema (Railway's, today).
///
/// Checked besides "no panic": a successful analysis has at least one
/// operation and every operation at least one root field; sent there,
/// the document yields exactly one operation per root field, or a single
/// `unreadable-graphql` when it cannot be read.
pub fn graphql_document(data: &[u8]) {
    let Ok(doc) = std::str::from_utf8(data) else {
        return;
    };
    let analysis = graphql::analyse(doc, INSPECTOR.limits());
    let roots: usize = match &analysis {
        Ok(a) => {
            assert!(!a.operations.is_empty());
            assert!(a.operations.iter().all(|o| !o.roots.is_empty()));
            a.operations.iter().map(|o| o.roots.len()).sum()
        }
        Err(why) => {
            assert!(!why.is_empty());
            0
        }
    };

    let body = serde_json::json!({ "query": doc }).to_string();
    let (host, target) = &*GRAPHQL;
    let req = RequestView {
        method: "POST",
        host,
        target,
        headers: &[("content-type", b"application/json")],
        body: body.as_bytes(),
    };
    let i = INSPECTOR.inspect(&req);
    if analysis.is_ok() {
        assert_eq!(i.operations.len(), roots, "one operation per root field");
    } else {
        assert_eq!(i.operations.len(), 1, "{:?}", i.operations);
        assert_eq!(i.operations[0].class, OpClass::Unknown);
        assert_eq!(i.operations[0].name, "unreadable-graphql");
    }
}
