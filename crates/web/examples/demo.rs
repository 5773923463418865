//! A dashboard with one pending `railway:volumeDelete`, for trying the
//! pages by hand and for `tests/browser/approve.mjs`.
//!
//! Run:
//!
//! ```sh
//! cargo run -p scopegate-web --example demo -- 9091
//! ```
//!
//! Expected output:
//!
//! ```text
//! dashboard: http://127.0.0.1:9091  (sign in as alice / demo-password)
//! pending: apr_demo_volume_delete  railway:volumeDelete — destructive — volumeId vol-prod-db-1 — token railway-domains — agent claude
//! ```
//!
//! and, when someone decides it, `decided: apr_demo_volume_delete approved by alice`.
//! Arguments: `[port] [user] [password]`; the SQLite store lives in a fresh
//! temporary directory.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use scopegate_model::{
    Decision, DecisionRecord, Mode, OpClass, Operation, OperationVerdict, RuleRef, Verdict,
};
use scopegate_policy::ScopeMap;
use scopegate_store::{ApprovalHub, Store};
use scopegate_web::{Dashboard, DashboardConfig, Role, UserConfig};

const ID: &str = "apr_demo_volume_delete";

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().map_or(9091, |p| p.parse().expect("port"));
    let user = args.next().unwrap_or_else(|| "alice".into());
    let password = args.next().unwrap_or_else(|| "demo-password".into());

    let dir = std::env::temp_dir().join(format!("scopegate-web-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.join("demo.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();

    // Some history first: reads allowed, a refused call.
    let mut records = Vec::new();
    for (i, (name, class, verdict)) in [
        ("project", OpClass::Read, Verdict::Allow),
        ("customDomainCreate", OpClass::Write, Verdict::Allow),
        ("environmentDelete", OpClass::Destructive, Verdict::Deny),
        ("volumeDelete", OpClass::Destructive, Verdict::Hold),
    ]
    .into_iter()
    .enumerate()
    {
        let mut op = Operation::new("railway", name, class);
        if name == "volumeDelete" {
            op.add_resource("volumeId", "vol-prod-db-1".into());
        }
        let rule = RuleRef(format!(
            "railway-domains/{}",
            if verdict == Verdict::Allow {
                "reads"
            } else {
                "hold-destructive"
            }
        ));
        let d = Decision {
            verdict,
            mode: Mode::Enforce,
            rule: rule.clone(),
            reason: format!("railway:{name} is {class}"),
            token: Some("railway-domains".into()),
            operations: vec![OperationVerdict {
                operation: op,
                verdict,
                rule,
                reason: String::new(),
            }],
        };
        let mut r = DecisionRecord::from_decision(format!("dec_demo_{i}").into(), &d);
        r.provider = "railway".into();
        r.host = "backboard.railway.com".into();
        r.method = "POST".into();
        r.path = "/graphql/v2".into();
        r.agent = Some("claude".into());
        r.forwarded = verdict == Verdict::Allow;
        records.push(r);
    }
    store.append(&records).await.unwrap();

    let hold = with_detail(
        scopegate_model::HeldRequest {
            grant_key: "demo-grant-key".into(),
            decision_id: "dec_demo_3".into(),
            token: Some("railway-domains".into()),
            fingerprint_prefix: Some("7a748b32060e".into()),
            agent: Some("claude".into()),
            provider: "railway".into(),
            host: "backboard.railway.com".into(),
            method: "POST".into(),
            path: "/graphql/v2".into(),
            rule: "railway-domains/hold-destructive".into(),
            reason:
                "railway:volumeDelete is destructive; rule hold-destructive holds it for a human"
                    .into(),
            operations: Vec::new(),
            request: serde_json::Value::Null,
            rule_note: None,
            agent_reason: None,
            who_decides: Default::default(),
        },
        serde_json::json!({
            "operations": [{"provider": "railway", "name": "volumeDelete", "class": "destructive",
                            "resources": {"volumeId": ["vol-prod-db-1"]}}],
            "request": {"method": "POST", "path": "/graphql/v2", "graphql": [{
                "query": "mutation DeleteVolume($id: String!) { volumeDelete(volumeId: $id) }",
                "variables": {"id": "vol-prod-db-1"},
                "operationName": "DeleteVolume"
            }]}
        }),
    );
    let (a, _) = store
        .hold(&hold, std::time::Duration::from_secs(3600), &ID.into())
        .await
        .unwrap();

    let config = DashboardConfig {
        listen: ([127, 0, 0, 1], port).into(),
        session_key_file: Some(dir.join("dashboard.key")),
        users: vec![UserConfig {
            name: user.clone(),
            password_hash: Some(scopegate_web::hash_password(&password).unwrap()),
            email: None,
            role: Role::Approver,
            api_token_fingerprint: None,
            slack_id: None,
            tokens: Vec::new(),
            agents: Vec::new(),
        }],
        ..DashboardConfig::default()
    };
    let map = Arc::new(
        ScopeMap::from_toml(
            "railway-domains.toml",
            include_str!("../../../config/examples/railway-domains.toml"),
        )
        .unwrap(),
    );
    let hub = ApprovalHub::default();
    let dashboard =
        Dashboard::new(config, store.clone(), hub.clone(), move || map.clone()).unwrap();
    let listener = tokio::net::TcpListener::bind(dashboard.config().listen)
        .await
        .unwrap();
    println!(
        "dashboard: {}  (sign in as {user} / {password})",
        dashboard.config().public_url()
    );
    println!("pending: {ID}  {}", scopegate_web::view::summary(&a));

    let mut rx = hub.subscribe();
    let watch = store.clone();
    tokio::spawn(async move {
        while let Ok(ev) = rx.recv().await {
            if let Ok(Some(a)) = watch.approval(&ev.id).await
                && a.state != scopegate_model::ApprovalState::Pending
            {
                println!(
                    "decided: {} {} by {}",
                    a.id,
                    a.state,
                    a.decided_by.as_deref().unwrap_or("?")
                );
            }
        }
    });
    dashboard
        .serve(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .unwrap();
}

/// `h` with the operations and request of a `detail` value.
fn with_detail(
    mut h: scopegate_model::HeldRequest,
    detail: serde_json::Value,
) -> scopegate_model::HeldRequest {
    h.set_detail(scopegate_model::HeldDetail::from_value(detail).expect("a held detail"));
    h
}
