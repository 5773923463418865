//! Benchmarks of the engine: inspection (`Inspector::inspect`) plus decision
//! (`scopegate_policy::evaluate`), over the documents the Railway CLI sends.
//!
//! Groups (see docs/performance-engine.md for figures and how to read them):
//!
//! - `cached/<doc>`: end to end for a document seen before (the analysis comes
//!   from the document cache); the variables change on every iteration, so
//!   only the document text repeats. `cached/corpus` is one pass over the
//!   whole corpus (134 requests) per iteration.
//! - `cached_each/<doc>`: the same, for every document of the corpus, with a
//!   short measurement: the target is a ceiling, so the worst document counts.
//! - `cold/<doc>`: end to end for a document seen for the first time (a fresh
//!   `Inspector`, so the document is parsed, analysed and cached).
//!   `analyse/<doc>` is the analysis alone and `parse/<doc>` graphql-parser
//!   alone, to show where first-sight time goes.
//! - `scaling/<shape>-<cold|cached>/<KiB>`: generated documents from 1 to 128 KiB,
//!   `roots` (aliased root fields: one operation each) and `fields` (one
//!   root field with a wide selection); throughput is reported in bytes, so
//!   linear cost shows as a flat throughput.
//! - `rest/<case>`: GitHub REST requests end to end.
//! - `aws/<case>`: AWS requests end to end (query, JSON and S3), against
//!   `config/examples/aws-platform.toml`.
//! - `sigv4/<case>`: what an AWS surrogate key adds: reading, verifying and
//!   re-signing the signature of a request (the proxy's `aws_key`).
//!
//! The corpus is read from `../shared/providers/railway/cli-operations`
//! beside the repository, or from `$SCOPEGATE_CORPUS`; without it the corpus
//! groups are skipped and the generated ones still run.

// A bench harness: a setup that cannot run should stop loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use graphql_parser::query::{Definition, OperationDefinition, Type};
use scopegate_inspect::{CatalogSet, Inspection, Inspector, Limits, RequestView};
use scopegate_model::{Decision, OpClass};
use scopegate_policy::{ScopeMap, evaluate, needed_attributes};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

const RAILWAY_HOST: &str = "backboard.railway.com";
const RAILWAY_TOKEN: &str = "5b0c3a39-7a4e-4d0f-9d57-2f6f1f0c9b11";
const GITHUB_TOKEN: &str = "ghp_R4nd0mL00k1ngT0k3nF0rB3nchm4rk1ngX";

/// The documents a representative request mix is made of: the smallest, the
/// one that started it all, a write with an input object, a nested-input
/// upsert, and the largest ones.
const REPRESENTATIVE: [&str; 6] = [
    "queries/UserMeta",
    "mutations/VolumeDelete",
    "mutations/ServiceInstanceUpdate",
    "mutations/VariableCollectionUpsert",
    "queries/Domains",
    "queries/EnvironmentInstances",
];

fn fingerprint(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut s = String::from("sha256:");
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// A scope map of the kind a platform engineer writes: an agent token for
/// Railway with reads allowed, staging writes allowed, destructive calls
/// held and volume deletion denied; a GitHub token alongside.
fn scope_map() -> ScopeMap {
    let text = format!(
        r#"version = 1

[[token]]
name = "railway-agent"
fingerprint = "{railway}"

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token.rule]]
id = "staging-writes"
effect = "allow"
class = ["write"]
resources = {{ environmentId = ["env-staging-*"] }}

[[token.rule]]
id = "domains"
effect = "allow"
operations = ["railway:customDomain*", "railway:serviceDomain*"]
resources = {{ environmentId = ["env-staging-*", "env-preview-*"] }}

[[token.rule]]
id = "hold-destructive"
effect = "approve"
class = ["destructive"]

[[token.rule]]
id = "never-volumes"
effect = "deny"
operations = ["railway:volume*Delete", "railway:volumeInstanceBackup*"]

[[token]]
name = "github-ci"
fingerprint = "{github}"

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token.rule]]
id = "own-repos"
effect = "allow"
class = ["write"]
resources = {{ repository = ["acme/*"] }}

[[token.rule]]
id = "hold-destructive"
effect = "approve"
class = ["destructive"]
"#,
        railway = fingerprint(RAILWAY_TOKEN),
        github = fingerprint(GITHUB_TOKEN),
    );
    ScopeMap::from_toml("bench.toml", &text).expect("the bench scope map is valid")
}

fn inspector() -> Inspector {
    Inspector::new(
        CatalogSet::bundled().expect("bundled catalogues load"),
        Limits::default(),
    )
}

/// One document of the corpus, with what a request for it needs.
struct Doc {
    /// `queries/Project`, `mutations/VolumeDelete`.
    name: String,
    text: String,
    operation_name: Option<String>,
    /// Declared variables: name and type.
    vars: Vec<(String, Type<'static, String>)>,
}

impl Doc {
    fn new(name: String, text: String) -> Self {
        let parsed = graphql_parser::parse_query::<String>(&text)
            .unwrap_or_else(|e| panic!("{name} does not parse: {e}"))
            .into_static();
        let mut operation_name = None;
        let mut vars = Vec::new();
        for def in parsed.definitions {
            let (n, defs) = match def {
                Definition::Operation(OperationDefinition::Query(q)) => {
                    (q.name, q.variable_definitions)
                }
                Definition::Operation(OperationDefinition::Mutation(m)) => {
                    (m.name, m.variable_definitions)
                }
                Definition::Operation(OperationDefinition::Subscription(s)) => {
                    (s.name, s.variable_definitions)
                }
                _ => continue,
            };
            operation_name = operation_name.or(n);
            vars.extend(defs.into_iter().map(|d| (d.name, d.var_type)));
        }
        Self {
            name,
            text,
            operation_name,
            vars,
        }
    }

    /// The JSON body a client sends for this document; `n` varies every id,
    /// so consecutive requests share only the document text.
    fn body(&self, n: u64) -> Vec<u8> {
        let variables: Map<String, Value> = self
            .vars
            .iter()
            .map(|(name, ty)| (name.clone(), value_for(name, ty, n)))
            .collect();
        let mut req = Map::new();
        req.insert("query".into(), Value::String(self.text.clone()));
        req.insert("variables".into(), Value::Object(variables));
        if let Some(op) = &self.operation_name {
            req.insert("operationName".into(), Value::String(op.clone()));
        }
        serde_json::to_vec(&Value::Object(req)).expect("a JSON value serialises")
    }
}

/// A plausible value for a variable of type `ty`: ids that look like Railway
/// ids (staging environments), small ints, `false`, input objects that name
/// a project, environment and service.
fn value_for(name: &str, ty: &Type<'static, String>, n: u64) -> Value {
    match ty {
        Type::NonNullType(inner) => value_for(name, inner, n),
        Type::ListType(inner) => Value::Array(vec![value_for(name, inner, n)]),
        Type::NamedType(t) => match t.as_str() {
            "String" | "ID" => {
                let lower = name.to_ascii_lowercase();
                if lower.contains("environment") {
                    json!(format!("env-staging-{n:012x}"))
                } else if lower.ends_with("id") {
                    json!(format!("{:08x}-1c2d-4e5f-8a9b-{n:012x}", name.len()))
                } else {
                    json!(format!("{name}-{n}"))
                }
            }
            "Int" => json!(n % 1000),
            "Float" => json!(1.5),
            "Boolean" => json!(false),
            "DateTime" => json!("2025-06-01T12:00:00.000Z"),
            "EnvironmentVariables" => {
                json!({ "DATABASE_URL": format!("postgres://db-{n}/app"), "PORT": "8080" })
            }
            "EnvironmentConfig" => json!({
                "services": { format!("svc-{n}"): { "variables": { "PORT": { "value": "8080" } } } }
            }),
            "SerializedTemplateConfig" => json!({ "services": {} }),
            t if t.ends_with("Input") => json!({
                "projectId": format!("prj-{n:012x}"),
                "environmentId": format!("env-staging-{n:012x}"),
                "serviceId": format!("svc-{n:012x}"),
            }),
            // enums (MetricMeasurement, MetricTag, ...)
            _ => json!("CPU_USAGE"),
        },
    }
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("SCOPEGATE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/providers/railway/cli-operations")
        });
    dir.is_dir().then_some(dir)
}

/// Every query and mutation document the Railway CLI sends (subscriptions
/// go over WebSocket and are not read from request bodies), sorted by name.
fn corpus() -> Vec<Doc> {
    let Some(dir) = corpus_dir() else {
        eprintln!(
            "scopegate bench: Railway CLI corpus not found; set SCOPEGATE_CORPUS. Corpus groups skipped."
        );
        return Vec::new();
    };
    let mut docs = Vec::new();
    for kind in ["mutations", "queries"] {
        let Ok(entries) = std::fs::read_dir(dir.join(kind)) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "graphql") {
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&path).unwrap();
                docs.push(Doc::new(format!("{kind}/{stem}"), text));
            }
        }
    }
    docs.sort_by(|a, b| a.name.cmp(&b.name));
    docs
}

fn railway_request<'a>(headers: &'a [(&'a str, &'a [u8])], body: &'a [u8]) -> RequestView<'a> {
    RequestView {
        method: "POST",
        host: RAILWAY_HOST,
        target: "/graphql/v2",
        headers,
        body,
    }
}

/// What the CLI sends besides the body.
fn railway_headers(auth: &str) -> [(&str, &[u8]); 4] {
    [
        ("content-type", b"application/json"),
        ("authorization", auth.as_bytes()),
        ("user-agent", b"railwayapp/4.10.0"),
        ("accept", b"*/*"),
    ]
}

/// The whole engine: inspect, then decide.
fn engine(inspector: &Inspector, map: &ScopeMap, req: &RequestView<'_>) -> (Inspection, Decision) {
    let inspection = inspector.inspect(req);
    let decision = evaluate(map, &inspection.credential, &inspection.operations);
    (inspection, decision)
}

/// Runs every document once and checks the bench measures what it claims:
/// each request is read as Railway operations, none `unknown`, and decided
/// by a rule of the agent's token. Prints what the corpus turns into.
fn check_corpus(docs: &[Doc], map: &ScopeMap) {
    let auth = format!("Bearer {RAILWAY_TOKEN}");
    let headers = railway_headers(&auth);
    let inspector = inspector();
    let (mut ops, mut verdicts) = (0usize, std::collections::BTreeMap::<String, usize>::new());
    let mut unknown = Vec::new();
    for d in docs {
        let body = d.body(0);
        let (i, dec) = engine(&inspector, map, &railway_request(&headers, &body));
        assert_eq!(i.provider.as_deref(), Some("railway"), "{}", d.name);
        assert_eq!(dec.token.as_deref(), Some("railway-agent"), "{}", d.name);
        for op in &i.operations {
            if op.class == OpClass::Unknown {
                unknown.push(format!(
                    "{} → {} ({})",
                    d.name,
                    op.name,
                    op.note.as_deref().unwrap_or("")
                ));
            }
        }
        ops += i.operations.len();
        *verdicts.entry(dec.verdict.as_str().to_owned()).or_default() += 1;
    }
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    eprintln!(
        "scopegate bench: {} documents, {bytes} bytes, {ops} operations; decisions {verdicts:?}",
        docs.len()
    );
    assert!(
        unknown.is_empty(),
        "documents read as unknown:\n{}",
        unknown.join("\n")
    );
}

fn cached(c: &mut Criterion) {
    let docs = corpus();
    if docs.is_empty() {
        return;
    }
    let map = scope_map();
    check_corpus(&docs, &map);
    let auth = format!("Bearer {RAILWAY_TOKEN}");
    let headers = railway_headers(&auth);
    let inspector = inspector();
    // warm the document cache: every document seen once
    for d in &docs {
        let body = d.body(0);
        black_box(engine(&inspector, &map, &railway_request(&headers, &body)));
    }
    let (_, misses_before, _) = inspector.cache().stats();

    let mut g = c.benchmark_group("cached");
    for name in REPRESENTATIVE {
        let Some(d) = docs.iter().find(|d| d.name == name) else {
            continue;
        };
        let mut n = 0u64;
        g.throughput(Throughput::Elements(1));
        g.bench_function(name, |b| {
            b.iter_batched(
                || {
                    n += 1;
                    d.body(n)
                },
                |body| {
                    engine(
                        &inspector,
                        &map,
                        &railway_request(&headers, black_box(&body)),
                    )
                    .1
                    .verdict
                },
                BatchSize::SmallInput,
            );
        });
    }
    let mut n = 0u64;
    g.throughput(Throughput::Elements(docs.len() as u64));
    g.bench_function("corpus", |b| {
        b.iter_batched(
            || {
                n += 1;
                docs.iter().map(|d| d.body(n)).collect::<Vec<_>>()
            },
            |bodies| {
                for body in &bodies {
                    black_box(
                        engine(
                            &inspector,
                            &map,
                            &railway_request(&headers, black_box(body)),
                        )
                        .1
                        .verdict,
                    );
                }
            },
            BatchSize::LargeInput,
        );
    });
    g.finish();

    let mut g = c.benchmark_group("cached_each");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(400))
        .throughput(Throughput::Elements(1));
    for d in &docs {
        let mut n = 0u64;
        g.bench_function(&d.name, |b| {
            b.iter_batched(
                || {
                    n += 1;
                    d.body(n)
                },
                |body| {
                    engine(
                        &inspector,
                        &map,
                        &railway_request(&headers, black_box(&body)),
                    )
                    .1
                    .verdict
                },
                BatchSize::SmallInput,
            );
        });
    }
    g.finish();

    let (_, misses_after, _) = inspector.cache().stats();
    assert_eq!(
        misses_before, misses_after,
        "the cached groups must never miss the document cache"
    );
}

fn cold(c: &mut Criterion) {
    let docs = corpus();
    if docs.is_empty() {
        return;
    }
    let map = scope_map();
    let catalogs = CatalogSet::bundled().expect("bundled catalogues load");
    let limits = Limits::default();
    let auth = format!("Bearer {RAILWAY_TOKEN}");
    let headers = railway_headers(&auth);

    let mut g = c.benchmark_group("cold");
    for name in REPRESENTATIVE {
        let Some(d) = docs.iter().find(|d| d.name == name) else {
            continue;
        };
        let mut n = 0u64;
        g.bench_function(name, |b| {
            // a fresh inspector (empty cache) per request; made and dropped
            // outside the timing
            b.iter_batched_ref(
                || {
                    n += 1;
                    (Inspector::new(catalogs.clone(), limits), d.body(n))
                },
                |(inspector, body)| {
                    engine(inspector, &map, &railway_request(&headers, black_box(body)))
                        .1
                        .verdict
                },
                BatchSize::SmallInput,
            );
        });
    }
    g.finish();

    let mut g = c.benchmark_group("analyse");
    for name in REPRESENTATIVE {
        if let Some(d) = docs.iter().find(|d| d.name == name) {
            g.bench_function(name, |b| {
                b.iter(|| scopegate_inspect::graphql::analyse(black_box(&d.text), &limits).is_ok());
            });
        }
    }
    g.finish();

    let mut g = c.benchmark_group("parse");
    for name in REPRESENTATIVE {
        if let Some(d) = docs.iter().find(|d| d.name == name) {
            g.bench_function(name, |b| {
                b.iter(|| graphql_parser::parse_query::<&str>(black_box(&d.text)).is_ok());
            });
        }
    }
    g.finish();
}

/// Generated documents of about `kib` KiB. `roots`: aliased root fields,
/// each an operation to decide (the shape that hides a destructive field
/// among many); `fields`: one root field selecting many fields.
fn generated(shape: &str, kib: usize) -> Doc {
    let target = kib * 1024;
    let mut text = String::with_capacity(target + 128);
    match shape {
        "roots" => {
            text.push_str("query Scaling($environmentId: String!, $projectId: String!) {\n");
            let mut i = 0;
            while text.len() + 80 < target {
                let _ = writeln!(
                    text,
                    "  env{i:05}: environment(id: $environmentId, projectId: $projectId) {{ id name }}"
                );
                i += 1;
            }
        }
        _ => {
            text.push_str("query Scaling($environmentId: String!, $projectId: String!) {\n");
            text.push_str("  environment(id: $environmentId, projectId: $projectId) {\n");
            let mut i = 0;
            while text.len() + 40 < target {
                let _ = writeln!(text, "    f{i:05}: name");
                i += 1;
            }
            text.push_str("  }\n");
        }
    }
    text.push_str("}\n");
    Doc::new(format!("{shape}/{kib}"), text)
}

fn scaling(c: &mut Criterion) {
    let map = scope_map();
    let catalogs = CatalogSet::bundled().expect("bundled catalogues load");
    let limits = Limits::default();
    let auth = format!("Bearer {RAILWAY_TOKEN}");
    let headers = railway_headers(&auth);
    let sizes = [1usize, 2, 4, 8, 16, 32, 64, 128];

    let mut g = c.benchmark_group("scaling");
    g.sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for shape in ["roots", "fields"] {
        for kib in sizes {
            let d = generated(shape, kib);
            g.throughput(Throughput::Bytes(d.text.len() as u64));
            // sanity: the generated document is read, not refused
            {
                let body = d.body(0);
                let (i, _) = engine(&inspector(), &map, &railway_request(&headers, &body));
                assert!(
                    i.operations.iter().all(|o| o.class != OpClass::Unknown),
                    "{}: {:?}",
                    d.name,
                    i.operations.first()
                );
            }
            let mut n = 0u64;
            g.bench_function(BenchmarkId::new(format!("{shape}-cold"), kib), |b| {
                b.iter_batched_ref(
                    || {
                        n += 1;
                        (Inspector::new(catalogs.clone(), limits), d.body(n))
                    },
                    |(inspector, body)| {
                        engine(inspector, &map, &railway_request(&headers, black_box(body)))
                            .1
                            .verdict
                    },
                    BatchSize::SmallInput,
                );
            });
            let warm = Inspector::new(catalogs.clone(), limits);
            let body = d.body(0);
            black_box(engine(&warm, &map, &railway_request(&headers, &body)));
            g.bench_function(BenchmarkId::new(format!("{shape}-cached"), kib), |b| {
                b.iter_batched(
                    || {
                        n += 1;
                        d.body(n)
                    },
                    |body| {
                        engine(&warm, &map, &railway_request(&headers, black_box(&body)))
                            .1
                            .verdict
                    },
                    BatchSize::SmallInput,
                );
            });
        }
    }
    g.finish();
}

fn rest(c: &mut Criterion) {
    let map = scope_map();
    let inspector = inspector();
    let auth = format!("Bearer {GITHUB_TOKEN}");
    let headers: [(&str, &[u8]); 5] = [
        ("authorization", auth.as_bytes()),
        ("accept", b"application/vnd.github+json"),
        ("x-github-api-version", b"2022-11-28"),
        ("user-agent", b"gh/2.62.0"),
        ("content-length", b"0"),
    ];
    let cases = [
        ("github-repos-delete", "DELETE", "/repos/acme/widgets"),
        ("github-pulls-get", "GET", "/repos/acme/widgets/pulls/1347"),
        (
            "github-git-ref-get",
            "GET",
            "/repos/acme/widgets/git/ref/heads/feature/x",
        ),
    ];
    let mut g = c.benchmark_group("rest");
    for (name, method, target) in cases {
        let req = RequestView {
            method,
            host: "api.github.com",
            target,
            headers: &headers,
            body: b"",
        };
        let (i, d) = engine(&inspector, &map, &req);
        assert!(
            i.operations.iter().all(|o| o.class != OpClass::Unknown)
                && d.token.as_deref() == Some("github-ci"),
            "{name}: {:?} {:?}",
            i.operations,
            d.rule
        );
        g.bench_function(name, |b| {
            b.iter(|| engine(&inspector, &map, black_box(&req)).1.verdict)
        });
    }
    g.finish();
}

/// The check every intercepted request now pays before its body is read:
/// does it go to a route decided on its head alone (`railway up`)?
fn streamed_check(c: &mut Criterion) {
    let inspector = inspector();
    let cases = [
        // Railway has a streamed route: the path is normalised and matched.
        (
            "railway-graphql",
            "POST",
            "backboard.railway.com",
            "/graphql/v2",
        ),
        (
            "railway-up",
            "POST",
            "backboard.railway.com",
            "/project/p/environment/e/up?serviceId=s",
        ),
        // GitHub has none: a host lookup and a flag.
        (
            "github-rest",
            "GET",
            "api.github.com",
            "/repos/acme/widgets",
        ),
    ];
    let mut g = c.benchmark_group("streams_body");
    for (name, method, host, target) in cases {
        let expected = name == "railway-up";
        assert_eq!(
            inspector.streams_body(method, host, target),
            expected,
            "{name}"
        );
        g.bench_function(name, |b| {
            b.iter(|| inspector.streams_body(black_box(method), black_box(host), black_box(target)))
        });
    }
    g.finish();
}

/// The decision path as the proxy runs it since resource context: inspect,
/// `needed_attributes` (empty: no rule of this map names an attribute),
/// decide; beside the path without the check, and the check alone
/// (docs/resource-context.md).
fn no_attributes(c: &mut Criterion) {
    let docs = corpus();
    let Some(d) = docs.iter().find(|d| d.name == "mutations/VolumeDelete") else {
        return;
    };
    let (map, inspector) = (scope_map(), inspector());
    let auth = format!("Bearer {RAILWAY_TOKEN}");
    let headers = railway_headers(&auth);
    let body = d.body(0);
    let inspection = inspector.inspect(&railway_request(&headers, &body));
    assert!(needed_attributes(&map, &inspection.credential, &inspection.operations).is_empty());
    let mut g = c.benchmark_group("no_attributes");
    g.bench_function("decide", |b| {
        b.iter(|| {
            engine(
                &inspector,
                &map,
                &railway_request(&headers, black_box(&body)),
            )
            .1
            .verdict
        });
    });
    g.bench_function("needed_then_decide", |b| {
        b.iter(|| {
            let i = inspector.inspect(&railway_request(&headers, black_box(&body)));
            black_box(needed_attributes(&map, &i.credential, &i.operations));
            evaluate(&map, &i.credential, &i.operations).verdict
        });
    });
    g.bench_function("needed_alone", |b| {
        b.iter(|| {
            needed_attributes(
                &map,
                &inspection.credential,
                black_box(&inspection.operations),
            )
            .len()
        });
    });
    g.finish();
}

/// name, method, host, target, headers, body.
type AwsCase<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Vec<(&'a str, &'a [u8])>,
    &'a [u8],
);

/// AWS requests as the AWS CLI sends them, read and decided.
fn aws(c: &mut Criterion) {
    let map = ScopeMap::from_toml(
        "aws-platform.toml",
        include_str!("../../../config/examples/aws-platform.toml"),
    )
    .unwrap();
    let inspector = inspector();
    let auth = |service: &str| {
        format!(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/{service}/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={}",
            "0".repeat(64)
        )
    };
    let (ec2, ddb, s3) = (auth("ec2"), auth("dynamodb"), auth("s3"));
    let form: &[u8] = b"application/x-www-form-urlencoded; charset=utf-8";
    let date: &[u8] = b"20261201T120000Z";
    let cases: [AwsCase; 3] = [
        (
            "ec2-terminate-instances",
            "POST",
            "ec2.us-east-1.amazonaws.com",
            "/",
            vec![
                ("content-type", form),
                ("x-amz-date", date),
                ("authorization", ec2.as_bytes()),
            ],
            b"Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2",
        ),
        (
            "dynamodb-delete-table",
            "POST",
            "dynamodb.us-east-1.amazonaws.com",
            "/",
            vec![
                ("content-type", b"application/x-amz-json-1.0"),
                ("x-amz-target", b"DynamoDB_20120810.DeleteTable"),
                ("x-amz-date", date),
                ("authorization", ddb.as_bytes()),
            ],
            br#"{"TableName":"orders"}"#,
        ),
        (
            "s3-put-object",
            "PUT",
            "ci-artifacts.s3.us-east-1.amazonaws.com",
            "/builds/42.log",
            vec![
                ("x-amz-content-sha256", b"UNSIGNED-PAYLOAD"),
                ("x-amz-date", date),
                ("authorization", s3.as_bytes()),
            ],
            b"build 42 passed",
        ),
    ];
    let mut g = c.benchmark_group("aws");
    for (name, method, host, target, headers, body) in &cases {
        let req = RequestView {
            method,
            host,
            target,
            headers,
            body,
        };
        let (i, d) = engine(&inspector, &map, &req);
        assert!(
            i.operations.iter().all(|o| o.class != OpClass::Unknown)
                && d.token.as_deref() == Some("aws-ci"),
            "{name}: {:?} {:?}",
            i.operations,
            d.rule
        );
        g.bench_function(*name, |b| {
            b.iter(|| engine(&inspector, &map, black_box(&req)).1.verdict)
        });
    }
    g.finish();
}

/// An AWS surrogate key's cost: read the signature, verify it with the
/// surrogate's secret, sign again with the real key (and session token).
fn sigv4(c: &mut Criterion) {
    use scopegate_inspect::sigv4::{self, Credentials, Request};
    let key = |id: &str, secret: &str, token: Option<&str>| Credentials {
        access_key_id: id.into(),
        secret_access_key: secret.into(),
        session_token: token.map(str::to_owned),
    };
    let surrogate = key("AKSGEXAMPLEAGENTKEY2", "surrogate-secret", None);
    let real = key("AKIAIOSFODNN7EXAMPLE", "real-secret", Some("session-token"));
    let body: &[u8] = b"Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-1";
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("host", b"ec2.us-east-1.amazonaws.com"),
        (
            "content-type",
            b"application/x-www-form-urlencoded; charset=utf-8",
        ),
        ("x-amz-date", b"20261201T120000Z"),
    ];
    let unsigned = Request {
        method: "POST",
        target: "/",
        headers: &headers,
        body,
    };
    let names = ["content-type", "host", "x-amz-date"];
    let signed = sigv4::sign(&unsigned, &surrogate, "us-east-1", "ec2", &names).unwrap();
    let auth = signed.authorization().to_owned();
    headers.push(("authorization", auth.as_bytes()));
    let req = Request {
        method: "POST",
        target: "/",
        headers: &headers,
        body,
    };
    let run = |req: &Request<'_>| {
        let p = sigv4::presented(req).unwrap().unwrap();
        let v = sigv4::verify(req, "surrogate-secret", &p).unwrap();
        sigv4::resign(req, &v, &real).unwrap()
    };
    assert!(
        run(&req)
            .set_headers
            .iter()
            .any(|(n, _)| n == "authorization")
    );
    let mut g = c.benchmark_group("sigv4");
    g.bench_function("ec2-verify-resign", |b| b.iter(|| run(black_box(&req))));
    g.finish();
}

/// Token breadth (docs/token-breadth.md): reading what a GitHub answer
/// says of its token (on the proxy's path, per forwarded request), and one
/// token's report as the Tokens page computes it (its map weighed against
/// every bundled operation, a thousand records).
fn breadth(c: &mut Criterion) {
    use scopegate_inspect::breadth::{for_provider, observe};
    use scopegate_model::{DecisionId, DecisionRecord, Operation};
    let spec = for_provider("github").unwrap();
    // A header list searched as a header map is (this crate has no `http`).
    let answer: Vec<(&str, &[u8])> = [
        ("content-type", "application/json; charset=utf-8"),
        ("x-oauth-scopes", "repo, delete_repo, admin:org, workflow"),
        ("x-accepted-oauth-scopes", "repo"),
        (
            "github-authentication-token-expiration",
            "2027-01-31 12:00:00 UTC",
        ),
        ("x-github-media-type", "github.v3; format=json"),
        ("x-ratelimit-limit", "5000"),
        ("x-ratelimit-remaining", "4999"),
        ("x-github-request-id", "CB3C:1E3F:1A2B3C:1D2E3F:65A1B2C3"),
        ("etag", "W/\"2f4c9a7e81b44d0f9c6e2b7d5a1e8f43\""),
        ("cache-control", "private, max-age=60, s-maxage=60"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.as_bytes()))
    .collect();
    let run = |h: &[(&str, &[u8])]| {
        observe(spec, Some("authorization:token"), |name| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        })
    };
    assert!(run(&answer).is_some_and(|b| b.scopes.is_some()));
    let mut g = c.benchmark_group("breadth");
    g.bench_function("observe-github-answer", |b| {
        b.iter(|| run(black_box(&answer)))
    });

    let map = scopegate_policy::ScopeMap::from_toml(
        "bench.toml",
        "version = 1\n[[token]]\nname = \"ci\"\nfingerprint = \"sha256:1a7674eb4ee78df7e1ac439a93c3fa8e3c945784d4dec9fd8e3011738b2f1d62\"\n[[token.rule]]\nid = \"reads\"\neffect = \"allow\"\nclass = [\"read\"]\n[[token.rule]]\nid = \"hold\"\neffect = \"approve\"\nclass = [\"write\", \"destructive\"]\nresources = { repository = [\"acme/*\"] }\n",
    )
    .unwrap();
    let words = scopegate_inspect::catalog::CatalogSet::bundled()
        .unwrap()
        .words();
    let records: Vec<DecisionRecord> = (0..1000)
        .map(|i| {
            let d = scopegate_model::Decision {
                verdict: scopegate_model::Verdict::Allow,
                mode: scopegate_model::Mode::Enforce,
                rule: scopegate_model::RuleRef::builtin("bench"),
                reason: String::new(),
                token: Some("ci".into()),
                operations: Vec::new(),
            };
            let mut r = DecisionRecord::from_decision(DecisionId::new(format!("d{i}")), &d);
            let mut op = Operation::new("github", "pulls/list", scopegate_model::OpClass::Read);
            op.add_resource("repository", format!("acme/repo-{}", i % 7));
            r.provider = "github".into();
            r.operations = vec![op];
            r.breadth = run(&answer);
            r
        })
        .collect();
    g.sample_size(10);
    g.bench_function("report-all-operations-1000-records", |b| {
        b.iter(|| {
            scopegate_policy::breadth::report(
                &map,
                &map.tokens[0],
                black_box(&records),
                &words,
                for_provider,
            )
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    breadth,
    cached,
    cold,
    scaling,
    rest,
    aws,
    sigv4,
    streamed_check,
    no_attributes
);
criterion_main!(benches);
