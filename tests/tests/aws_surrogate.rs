//! An AWS surrogate key through scopegate: the agent's AWS CLI signs with
//! a scopegate-issued key pair, scopegate verifies that signature and signs
//! each permitted request again with the real key, and moto, checking every
//! signature against the keys its IAM issued (as AWS does), accepts it as
//! the real key's user, a 10 MiB multipart upload included (its parts are
//! decided on their heads and streamed). A request signed with a guessed secret never
//! reaches moto; the surrogate sent to moto directly is rejected there.
//!
//! Needs the CLI and moto (`scripts/setup-test-clients`); without them it
//! prints `skipped: <why>`, and with `CI` set it fails.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use scopegate_e2e::aws_cli::{AwsCli, MOTO_ACCOUNT};
use scopegate_e2e::aws_forwarder::AwsForwarder;
use scopegate_e2e::moto::MotoServer;
use scopegate_e2e::{Harness, Options, TestCa, init};
use scopegate_model::Fingerprint;

const BUCKET: &str = "ci-artifacts";
/// The surrogate key the agent holds (what `token issue --provider aws`
/// prints).
const SURROGATE_ID: &str = "AKSGE2ESURROGATE0001";
const SURROGATE_SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";
/// moto's actions before it checks keys: the three that make the real key.
const SETUP_ACTIONS: u32 = 3;

fn scope_map() -> String {
    format!(
        r#"version = 1

[[token]]
name = "aws-agent"
surrogate = "{fp}"
surrogate_secret = {{ file = "aws-agent.secret" }}
secret = {{ file = "aws-real-key.json" }}

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token.rule]]
id = "ci-writes"
effect = "allow"
class = ["write"]
operations = ["aws:s3:*"]

[[token.rule]]
id = "hold-destructive"
effect = "approve"
class = ["destructive"]
"#,
        fp = Fingerprint::of(SURROGATE_ID.as_bytes()),
    )
}

/// Makes user `ci` in moto with a policy allowing everything and returns
/// its access key (id, secret), straight to moto, before it checks keys.
async fn real_key(moto: &MotoServer) -> Option<(String, String)> {
    let aws = AwsCli::new("http://127.0.0.1:9", "")?;
    let url = moto.url();
    let direct = |args: &[&'static str]| -> Vec<String> {
        let mut all = vec!["--endpoint-url".to_owned(), url.clone()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        all
    };
    let run = |args: Vec<String>| {
        let aws = &aws;
        async move {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            aws.ok(&refs).await
        }
    };
    let policy =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    run(direct(&["iam", "create-user", "--user-name", "ci"])).await;
    run(direct(&[
        "iam",
        "put-user-policy",
        "--user-name",
        "ci",
        "--policy-name",
        "all",
        "--policy-document",
        policy,
    ]))
    .await;
    let key = run(direct(&["iam", "create-access-key", "--user-name", "ci"])).await;
    let k = &key["AccessKey"];
    Some((
        k["AccessKeyId"].as_str().unwrap().to_owned(),
        k["SecretAccessKey"].as_str().unwrap().to_owned(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_surrogate_key_is_verified_then_resigned_so_moto_accepts_the_real_key() {
    init();
    let Some(moto) = MotoServer::start_checking_keys_after(Some(SETUP_ACTIONS)).await else {
        return;
    };
    let Some((real_id, real_secret)) = real_key(&moto).await else {
        return;
    };
    let fwd = AwsForwarder::start(&TestCa::new(), moto.addr).await;
    let mut routes = fwd.routes();
    routes.push(fwd.route(&format!("{BUCKET}.s3.amazonaws.com")));
    let real_json = serde_json::json!({
        "Version": 1, "AccessKeyId": real_id, "SecretAccessKey": real_secret,
    });
    let opts = Options {
        distrust_fake: true,
        unrouted: true,
        routes,
        extra_ca_pems: vec![fwd.ca_pem().to_owned()],
        files: vec![
            ("aws-agent.secret", SURROGATE_SECRET.to_owned()),
            ("aws-real-key.json", real_json.to_string()),
        ],
        ..Options::default()
    };
    let h = Harness::start_with(&scope_map(), opts).await;
    let ca = std::fs::read_to_string(&h.ca_path).unwrap();
    let agent = AwsCli::new(&h.proxy_url(), &ca)
        .unwrap()
        .with_key(SURROGATE_ID, SURROGATE_SECRET);

    // moto names the real key's user: what it received was signed with it
    let who = agent.ok(&["sts", "get-caller-identity"]).await;
    assert_eq!(
        who["Arn"],
        format!("arn:aws:iam::{MOTO_ACCOUNT}:user/ci"),
        "{who}"
    );
    let file = agent.dir.write("build.log", "build 42 passed\n");
    agent.ok(&["s3", "mb", &format!("s3://{BUCKET}")]).await;
    let to = format!("s3://{BUCKET}/build.log");
    agent.ok(&["s3", "cp", file.to_str().unwrap(), &to]).await;
    let listed = agent.run(&["s3", "ls", &format!("s3://{BUCKET}")]).await;
    assert!(listed.stdout.contains("build.log"), "{listed:?}");
    // a 10 MiB upload: multipart, 8 MiB parts over the 4 MiB body limit,
    // each decided on its head and streamed (re-signed, unread)
    let big = agent.dir.write("image.tar", vec![b'x'; 10 << 20]);
    let big_to = format!("s3://{BUCKET}/image.tar");
    agent
        .ok(&["s3", "cp", big.to_str().unwrap(), &big_to])
        .await;
    let parts = fwd
        .received()
        .iter()
        .filter(|r| r.method == "PUT" && r.target.contains("partNumber="))
        .count();
    assert_eq!(parts, 2, "two parts reached moto");
    let head = agent
        .ok(&[
            "s3api",
            "head-object",
            "--bucket",
            BUCKET,
            "--key",
            "image.tar",
        ])
        .await;
    assert_eq!(head["ContentLength"], 10 << 20);
    let sent: Vec<String> = fwd
        .received()
        .iter()
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert!(!sent.is_empty());
    assert!(
        sent.iter()
            .all(|a| a.contains(&real_id) && !a.contains(SURROGATE_ID)),
        "moto received only the real key: {sent:?}"
    );

    // destructive calls are still held, and nothing is deleted
    let rb = agent
        .run(&["s3", "rb", &format!("s3://{BUCKET}"), "--force"])
        .await;
    assert_ne!(rb.code, Some(0), "{rb:?}");
    assert!(
        fwd.received()
            .iter()
            .all(|r| r.method != "DELETE" && !r.target.contains("?delete")),
        "no delete reached moto"
    );

    // a guessed secret: refused by scopegate, nothing reaches moto
    let before = fwd.received().len();
    let forger = AwsCli::new(&h.proxy_url(), &ca)
        .unwrap()
        .with_key(SURROGATE_ID, "guessed-secret-guessed-secret-guessed-se");
    let forged = forger.run(&["s3", "ls", &format!("s3://{BUCKET}")]).await;
    assert_ne!(forged.code, Some(0), "{forged:?}");
    assert!(
        forged.stderr.contains("AccessDenied") && forged.stderr.contains("does not verify"),
        "{}",
        forged.stderr
    );
    assert_eq!(
        fwd.received().len(),
        before,
        "the forged request never left"
    );

    // the surrogate alone is worthless at the provider: moto rejects it
    let direct = agent
        .run(&["--endpoint-url", &moto.url(), "sts", "get-caller-identity"])
        .await;
    assert_ne!(direct.code, Some(0), "{direct:?}");
    assert!(
        direct.stderr.contains("InvalidClientTokenId"),
        "{}",
        direct.stderr
    );

    // the object is still there, read with the real key re-signed
    let head = agent
        .ok(&[
            "s3api",
            "head-object",
            "--bucket",
            BUCKET,
            "--key",
            "build.log",
        ])
        .await;
    assert_eq!(head["ContentLength"], 16);

    // no secret in scopegate's records
    let records = format!("{:?}", h.sink.records());
    for secret in [SURROGATE_SECRET, real_secret.as_str()] {
        assert!(
            !records.contains(secret),
            "a secret is in the decision records"
        );
    }
}
