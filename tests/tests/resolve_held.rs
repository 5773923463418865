//! A held request's card gets every attribute its ids resolve to, even
//! those no rule asked for (docs/resource-context.md), before the approval
//! queue receives it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use scopegate_e2e::railway_lookup::RW_VOLUME_PROD;
use scopegate_e2e::{Harness, Options, RAILWAY_HOST, SURROGATE, fp, gql_request};
use scopegate_model::{
    ApprovalId, ApprovalQueue, Attribute, BoxFut, Grant, HeldRequest, HoldOutcome, QueueError,
};

/// Keeps what it is asked to hold; nobody approves.
#[derive(Default)]
struct Kept(Mutex<Vec<HeldRequest>>);

struct Queue(Arc<Kept>);

impl ApprovalQueue for Queue {
    fn take_grant(&self, _: String) -> BoxFut<Result<Option<Grant>, QueueError>> {
        Box::pin(async { Ok(None) })
    }
    fn hold(&self, held: HeldRequest) -> BoxFut<Result<ApprovalId, QueueError>> {
        if let Ok(mut kept) = self.0.0.lock() {
            kept.push(held);
        }
        Box::pin(async { Ok(ApprovalId::new("apr_1")) })
    }
    fn wait(&self, _: ApprovalId, _: Duration) -> BoxFut<Result<HoldOutcome, QueueError>> {
        Box::pin(async { Ok(HoldOutcome::Pending) })
    }
    fn link(&self, id: &ApprovalId) -> String {
        format!("http://dashboard/approvals/{id}")
    }
    fn hold_for(&self) -> Duration {
        Duration::from_millis(100)
    }
    fn grant_window(&self) -> Duration {
        Duration::from_secs(60)
    }
    fn pending(&self) -> BoxFut<Result<u64, QueueError>> {
        Box::pin(async { Ok(1) })
    }
}

fn scope_map() -> String {
    format!(
        r#"version = 1
[[token]]
name = "agent"
surrogate = "{}"
secret = {{ file = "railway-secret.txt" }}

[[token.rule]]
id = "hold-destructive"
effect = "approve"
class = ["destructive"]
"#,
        fp(SURROGATE)
    )
}

#[tokio::test]
async fn a_held_volume_delete_carries_its_names_and_details_to_the_queue() {
    let kept = Arc::new(Kept::default());
    let queue = Arc::new(Queue(kept.clone()));
    let h = Harness::start_with_approvals(&scope_map(), Options::default(), Some(queue)).await;
    let body =
        format!(r#"{{"query":"mutation {{ volumeDelete(volumeId: \"{RW_VOLUME_PROD}\") }}"}}"#);
    let resp = h
        .https(RAILWAY_HOST, gql_request(RAILWAY_HOST, SURROGATE, &body))
        .await;
    assert_ne!(resp.status, 200, "{}", resp.text());
    let held = kept.0.lock().unwrap().clone();
    assert_eq!(held.len(), 1);
    let attributes = &held[0].operations[0].attributes;
    let known = |v: &str| Some(Attribute::known([v.to_owned()]));
    assert_eq!(attributes.get("volume").cloned(), known("postgres-data"));
    assert_eq!(attributes.get("environment").cloned(), known("production"));
    assert_eq!(attributes.get("project").cloned(), known("site"));
    assert_eq!(attributes.get("service").cloned(), known("web"));
    assert_eq!(attributes.get("volume.usedMB").cloned(), known("4200"));
    assert_eq!(attributes.get("volume.backups").cloned(), known("3"));
    assert_eq!(
        attributes.get("volume.latestBackup").cloned(),
        known("2026-12-01T02:00:00Z")
    );
    assert_eq!(
        h.fake.lookups().len(),
        2,
        "the projects, then the instance's backups"
    );
}
