//! The AWS CLI (v1) against moto, WITHOUT scopegate: proves the harness
//! that scopegate's AWS tests build on. The CLI runs with `HTTPS_PROXY` set
//! to a CONNECT proxy ([`CorpProxy`]) that sends every tunnel to the
//! [`AwsForwarder`]; the forwarder answers TLS for the real AWS host names
//! (certificate from a [`TestCa`], trusted through `AWS_CA_BUNDLE`),
//! records each request and forwards it to `moto_server` over plain HTTP.
//! So the CLI uses its real endpoints (`s3.amazonaws.com`,
//! `sts.us-east-1.amazonaws.com`, …), as it will through scopegate.
//!
//! `record_request_shapes` (ignored; run it by name) regenerates
//! tests/fixtures/aws-requests/. `scripts/setup-test-clients` installs the
//! CLI and moto; without them these tests print `skipped: <why>`, and with
//! `CI` set they fail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use scopegate_e2e::aws_cli::{AwsCli, MOTO_ACCOUNT, MOTO_AMI, SECRET_ACCESS_KEY};
use scopegate_e2e::aws_forwarder::{AwsForwarder, AwsRequest};
use scopegate_e2e::aws_shapes;
use scopegate_e2e::clients::repo_root;
use scopegate_e2e::moto::MotoServer;
use scopegate_e2e::{
    CorpProxy, Fake, GITHUB_HOST, GITHUB_TOKEN, Harness, Options, TestCa, github_request, init,
    standard_scope_map,
};

/// moto, the forwarder in front of it, the CONNECT proxy and the CLI.
struct Aws {
    moto: MotoServer,
    fwd: AwsForwarder,
    corp: CorpProxy,
    cli: AwsCli,
}

impl Aws {
    async fn start() -> Option<Self> {
        init();
        let moto = MotoServer::start().await?;
        let fwd = AwsForwarder::start(&TestCa::new(), moto.addr).await;
        let corp = CorpProxy::start(None).await;
        corp.resolve_names_to(fwd.addr);
        let cli = AwsCli::new(&corp.url(), fwd.ca_pem())?;
        Some(Self {
            moto,
            fwd,
            corp,
            cli,
        })
    }

    /// `(method, host, operation)` of every request the forwarder saw.
    fn seen(&self) -> Vec<(String, String, String)> {
        self.fwd
            .received()
            .iter()
            .map(|r| {
                let op = aws_shapes::operation(r).unwrap_or_else(|| "?".into());
                (r.method.clone(), r.host.clone(), op)
            })
            .collect()
    }

    fn sent(&self, op: &str) -> AwsRequest {
        self.fwd
            .received()
            .into_iter()
            .find(|r| aws_shapes::operation(r).as_deref() == Some(op))
            .unwrap_or_else(|| panic!("no {op} among {:?}", self.seen()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_reaches_moto_through_the_forwarder() {
    let Some(aws) = Aws::start().await else {
        return;
    };
    let file = aws
        .cli
        .dir
        .write("notes.txt", "hello from the e2e harness\n");
    let file = file.to_str().unwrap();

    aws.cli.ok(&["s3", "mb", "s3://e2e-bucket"]).await;
    aws.cli
        .ok(&["s3", "cp", file, "s3://e2e-bucket/notes.txt"])
        .await;
    let listed = aws.cli.run(&["s3", "ls", "s3://e2e-bucket"]).await;
    assert!(listed.stdout.contains("notes.txt"), "{listed:?}");
    let who = aws.cli.ok(&["sts", "get-caller-identity"]).await;
    assert_eq!(who["Account"], MOTO_ACCOUNT);
    let run = aws
        .cli
        .ok(&[
            "ec2",
            "run-instances",
            "--image-id",
            MOTO_AMI,
            "--instance-type",
            "t2.micro",
            "--count",
            "1",
        ])
        .await;
    let id = run["Instances"][0]["InstanceId"]
        .as_str()
        .unwrap()
        .to_owned();
    let described = aws.cli.ok(&["ec2", "describe-instances"]).await;
    assert_eq!(
        described["Reservations"][0]["Instances"][0]["InstanceId"],
        id.as_str()
    );

    // What the CLI sent, as the forwarder read it: real AWS hosts, signed
    // for the right service, the object's bytes in PutObject.
    let put = aws.sent("PutObject");
    assert_eq!(put.host, "e2e-bucket.s3.amazonaws.com");
    assert_eq!(put.target, "/notes.txt");
    let body = String::from_utf8_lossy(&put.body);
    assert!(body.contains("hello from the e2e harness"), "{body}");
    assert_eq!(aws_shapes::service(&put).as_deref(), Some("s3"));
    let sts = aws.sent("GetCallerIdentity");
    assert_eq!(aws_shapes::service(&sts).as_deref(), Some("sts"));
    assert!(sts.host.starts_with("sts."), "{}", sts.host);
    let ec2 = aws.sent("RunInstances");
    assert_eq!(ec2.host, "ec2.us-east-1.amazonaws.com");
    let tunnels: Vec<String> = aws.corp.connects().into_iter().map(|c| c.target).collect();
    assert!(
        tunnels.contains(&"e2e-bucket.s3.amazonaws.com:443".to_owned()),
        "{tunnels:?}"
    );

    // moto's own state: the bucket, the object and the instance exist.
    let state = aws.moto.get("/moto-api/data.json").await.unwrap();
    assert!(state.contains("e2e-bucket"), "moto has no bucket: {state}");
    assert!(state.contains(&id), "moto has no instance {id}");
    let head = aws
        .cli
        .ok(&[
            "s3api",
            "head-object",
            "--bucket",
            "e2e-bucket",
            "--key",
            "notes.txt",
        ])
        .await;
    assert_eq!(head["ContentLength"], 27);
}

/// What an AWS test through scopegate will need from the harness: a route
/// to a server whose certificate comes from a CA of the test's own
/// (`Options::extra_ca_pems`, as an `AwsForwarder`'s). Shown with a second
/// fake provider under its own CA: the proxy reaches it, trusting only
/// that CA.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_trusts_a_routed_upstream_under_an_extra_ca() {
    init();
    let own_ca = TestCa::new();
    let other = Fake::start(&own_ca).await;
    let opts = Options {
        distrust_fake: true,
        unrouted: true,
        routes: vec![(format!("{GITHUB_HOST}:443"), other.addr)],
        extra_ca_pems: vec![own_ca.pem.clone()],
        ..Options::default()
    };
    let h = Harness::start_with(&standard_scope_map(), opts).await;
    let resp = h
        .https(
            GITHUB_HOST,
            github_request("GET", "/repos/acme/site", GITHUB_TOKEN),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let got = other.received();
    assert_eq!(got.len(), 1, "the routed fake received the read");
    assert_eq!(got[0].target, "/repos/acme/site");
    h.fake.assert_nothing_received("the harness's own fake");
}

/// The operations recorded into tests/fixtures/aws-requests/.
const WANTED: &[&str] = &[
    "s3-ListBuckets",
    "s3-ListObjectsV2",
    "s3-PutObject",
    "s3-DeleteObjects",
    "s3-DeleteObject",
    "s3-DeleteBucket",
    "ec2-DescribeInstances",
    "ec2-TerminateInstances",
    "sts-GetCallerIdentity",
    "dynamodb-DeleteTable",
    "rds-DeleteDBInstance",
    "lambda-DeleteFunction",
];

/// `s3api delete-objects --delete`: two keys, one of them absent.
const DELETE_TWO: &str = r#"{"Objects":[{"Key":"two.txt"},{"Key":"absent.txt"}],"Quiet":false}"#;

/// Records the requests behind tests/fixtures/aws-requests/ (see its
/// README.md). With `SCOPEGATE_E2E_RECORD=1` it rewrites the fixtures;
/// without, it checks that each committed fixture still has the recorded
/// request line and header names:
/// `SCOPEGATE_E2E_RECORD=1 cargo nextest run -p scopegate-e2e --test aws_cli --run-ignored only`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "regenerates the committed fixtures; run by name"]
async fn record_request_shapes() {
    let Some(aws) = Aws::start().await else {
        return;
    };
    let file = aws.cli.dir.write("notes.txt", "a recorded object\n");
    let file = file.to_str().unwrap();
    let mut shapes: BTreeMap<String, AwsRequest> = BTreeMap::new();
    let mut keep = |aws: &Aws| {
        for r in aws.fwd.received() {
            if let Some(name) = aws_shapes::fixture_name(&r) {
                shapes.entry(name).or_insert(r);
            }
        }
        aws.fwd.clear();
    };

    aws.cli.ok(&["s3", "mb", "s3://shapes-bucket"]).await;
    aws.fwd.clear();
    for args in [
        vec!["s3", "ls"],
        vec!["s3", "cp", file, "s3://shapes-bucket/notes.txt"],
        vec!["s3", "ls", "s3://shapes-bucket"],
        // the CLI's `s3` commands delete key by key (DeleteObject); the
        // batch delete is s3api's
        vec!["s3", "cp", file, "s3://shapes-bucket/two.txt"],
        vec![
            "s3api",
            "delete-objects",
            "--bucket",
            "shapes-bucket",
            "--delete",
            DELETE_TWO,
        ],
        vec!["s3", "rb", "s3://shapes-bucket", "--force"],
    ] {
        aws.cli.ok(&args).await;
        keep(&aws);
    }

    let ids = run_two_instances(&aws).await;
    aws.fwd.clear();
    aws.cli.ok(&["ec2", "describe-instances"]).await;
    let terminate = ["ec2", "terminate-instances", "--instance-ids"];
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    aws.cli.ok(&[&terminate[..], &ids].concat()).await;
    aws.cli.ok(&["sts", "get-caller-identity"]).await;
    keep(&aws);

    create_table(&aws).await;
    aws.fwd.clear();
    aws.cli
        .ok(&["dynamodb", "delete-table", "--table-name", "shapes-table"])
        .await;
    // The shape is the request's: moto may answer these with "not found".
    for args in [
        &[
            "rds",
            "delete-db-instance",
            "--db-instance-identifier",
            "shapes-db",
            "--skip-final-snapshot",
        ][..],
        &["lambda", "delete-function", "--function-name", "shapes-fn"][..],
    ] {
        aws.cli.run(args).await;
    }
    keep(&aws);

    write_fixtures(&shapes);
}

async fn run_two_instances(aws: &Aws) -> Vec<String> {
    let args = ["--image-id", MOTO_AMI, "--instance-type", "t2.micro"];
    let run = aws
        .cli
        .ok(&[&["ec2", "run-instances", "--count", "2"][..], &args].concat())
        .await;
    run["Instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["InstanceId"].as_str().unwrap().to_owned())
        .collect()
}

async fn create_table(aws: &Aws) {
    aws.cli
        .ok(&[
            "dynamodb",
            "create-table",
            "--table-name",
            "shapes-table",
            "--attribute-definitions",
            "AttributeName=id,AttributeType=S",
            "--key-schema",
            "AttributeName=id,KeyType=HASH",
            "--billing-mode",
            "PAY_PER_REQUEST",
        ])
        .await;
}

fn write_fixtures(shapes: &BTreeMap<String, AwsRequest>) {
    let dir = repo_root().join("tests/fixtures/aws-requests");
    std::fs::create_dir_all(&dir).unwrap();
    let record = std::env::var_os("SCOPEGATE_E2E_RECORD").is_some();
    let mut written = Vec::new();
    for want in WANTED {
        let name = format!("{want}.http");
        if let Some(r) = shapes.get(&name) {
            let text = aws_shapes::fixture(r, SECRET_ACCESS_KEY);
            if record {
                std::fs::write(dir.join(&name), text).unwrap();
            } else {
                let committed = std::fs::read(dir.join(&name)).unwrap();
                assert_eq!(outline(&text), outline(&committed), "{name} changed shape");
            }
            written.push(*want);
        }
    }
    let missing: Vec<&&str> = WANTED.iter().filter(|w| !written.contains(w)).collect();
    eprintln!(
        "recorded {written:?}; not sent by these commands: {missing:?}; all seen: {:?}",
        shapes.keys().collect::<Vec<_>>()
    );
    for must in ["s3-ListBuckets", "s3-PutObject", "ec2-TerminateInstances"] {
        assert!(written.contains(&must), "{must} was not recorded");
    }
}

/// A fixture's request line and header names (what stays the same from one
/// recording to the next).
fn outline(fixture: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(fixture);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or_default().to_owned();
    let names = lines.map(|l| l.split(':').next().unwrap_or_default().to_owned());
    std::iter::once(first).chain(names).collect()
}
