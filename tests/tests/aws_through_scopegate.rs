//! The AWS CLI (v1) through scopegate, against moto: reads and scoped
//! writes pass; the first destructive call of `aws s3 rb --force` and
//! `ec2 terminate-instances` are held (refused at once here: no approval
//! queue), in the error shape the CLI prints, and moto still holds the
//! bucket, its object and the running instance; IAM is denied. The agent
//! holds its own AWS key (surrogate re-signing is not wired yet).
//!
//! Needs the CLI and moto (`scripts/setup-test-clients`); without them it
//! prints `skipped: <why>`, and with `CI` set it fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use scopegate_e2e::aws_cli::{ACCESS_KEY_ID, AwsCli, MOTO_AMI};
use scopegate_e2e::aws_forwarder::AwsForwarder;
use scopegate_e2e::moto::MotoServer;
use scopegate_e2e::{Harness, Options, TestCa, init};
use scopegate_model::Fingerprint;

const BUCKET: &str = "ci-artifacts";

fn scope_map() -> String {
    format!(
        r#"version = 1

[[token]]
name = "aws-ci"
fingerprint = "{fp}"

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token.rule]]
id = "ci-writes"
effect = "allow"
class = ["write"]
operations = ["aws:s3:*", "aws:ec2:RunInstances"]

[[token.rule]]
id = "hold-destructive"
effect = "approve"
class = ["destructive"]

[[token.rule]]
id = "never-iam"
effect = "deny"
operations = ["aws:iam:*"]
"#,
        fp = Fingerprint::of(ACCESS_KEY_ID.as_bytes()),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_cli_reads_and_writes_but_destructive_calls_are_held_and_moto_keeps_everything() {
    init();
    let Some(moto) = MotoServer::start().await else {
        return;
    };
    let fwd = AwsForwarder::start(&TestCa::new(), moto.addr).await;
    let mut routes = fwd.routes();
    routes.push(fwd.route(&format!("{BUCKET}.s3.amazonaws.com")));
    let opts = Options {
        distrust_fake: true,
        unrouted: true,
        routes,
        extra_ca_pems: vec![fwd.ca_pem().to_owned()],
        ..Options::default()
    };
    let h = Harness::start_with(&scope_map(), opts).await;
    let ca = std::fs::read_to_string(&h.ca_path).unwrap();
    let Some(cli) = AwsCli::new(&h.proxy_url(), &ca) else {
        return;
    };
    let file = cli.dir.write("build.log", "build 42 passed\n");

    // reads and ci writes pass
    cli.ok(&["s3", "mb", &format!("s3://{BUCKET}")]).await;
    cli.ok(&[
        "s3",
        "cp",
        file.to_str().unwrap(),
        &format!("s3://{BUCKET}/build.log"),
    ])
    .await;
    let listed = cli.run(&["s3", "ls", &format!("s3://{BUCKET}")]).await;
    assert!(listed.stdout.contains("build.log"), "{listed:?}");
    let who = cli.ok(&["sts", "get-caller-identity"]).await;
    assert!(who["Arn"].as_str().is_some(), "{who}");
    let run = cli
        .ok(&[
            "ec2",
            "run-instances",
            "--image-id",
            MOTO_AMI,
            "--count",
            "1",
        ])
        .await;
    let instance = run["Instances"][0]["InstanceId"]
        .as_str()
        .unwrap()
        .to_owned();

    // `s3 rb --force`: lists, then the first delete is held
    let before = fwd.received().len();
    let rb = cli
        .run(&["s3", "rb", &format!("s3://{BUCKET}"), "--force"])
        .await;
    assert_ne!(rb.code, Some(0), "{rb:?}");
    let said = format!("{}{}", rb.stdout, rb.stderr);
    assert!(
        said.contains("AccessDenied") && said.contains("scopegate"),
        "the CLI prints scopegate's refusal: {said}"
    );
    let reached: Vec<String> = fwd.received()[before..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.target))
        .collect();
    assert!(
        reached
            .iter()
            .all(|r| !r.starts_with("DELETE") && !r.contains("?delete")),
        "no delete reached moto: {reached:?}"
    );
    let head = cli
        .ok(&[
            "s3api",
            "head-object",
            "--bucket",
            BUCKET,
            "--key",
            "build.log",
        ])
        .await;
    assert_eq!(head["ContentLength"], 16, "the object is still there");

    // terminate-instances: held, the instance keeps running
    let term = cli
        .run(&["ec2", "terminate-instances", "--instance-ids", &instance])
        .await;
    assert_ne!(term.code, Some(0), "{term:?}");
    assert!(
        term.stderr.contains("(AccessDenied)") && term.stderr.contains("TerminateInstances"),
        "{}",
        term.stderr
    );
    let described = cli
        .ok(&["ec2", "describe-instances", "--instance-ids", &instance])
        .await;
    assert_eq!(
        described["Reservations"][0]["Instances"][0]["State"]["Name"],
        "running"
    );

    // IAM: denied outright
    let iam = cli.run(&["iam", "delete-user", "--user-name", "ops"]).await;
    assert!(
        iam.stderr.contains("(AccessDenied)") && iam.stderr.contains("never-iam"),
        "{}",
        iam.stderr
    );
    assert!(
        fwd.received().iter().all(|r| !r.host.starts_with("iam.")),
        "nothing reached IAM"
    );
}
