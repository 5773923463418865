//! Unit tests for the phases: no sockets, a `State` built for tests, a
//! sink that keeps records in memory and an approval queue that answers
//! as scripted.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use scopegate_model::{
    ApprovalId, ApprovalQueue, BoxFut, DecisionOutcome, DecisionRecord, DecisionSink, Grant,
    HeldRequest, HoldOutcome, QueueError, RecordError, Ticket,
};

use crate::body::Body;
use crate::engine::Engine;
use crate::respond::Refusal;

use super::Conn;
use super::read::Inbound;

mod admit_read;
mod decide;
mod inspect;
mod path;
mod record;
mod settle;

/// The token every test request presents (Bearer).
pub const TOKEN: &str = "phase-test-token";
/// A surrogate whose real secret is in an unset environment variable.
pub const SURROGATE: &str = "phase-test-surrogate";

/// A Railway scope map: reads allowed, volume deletes held, the rest
/// denied; the surrogate may read.
fn scope_map() -> String {
    let fp = scopegate_model::Fingerprint::of(TOKEN.as_bytes());
    let sfp = scopegate_model::Fingerprint::of(SURROGATE.as_bytes());
    format!(
        r#"version = 1

[[token]]
name = "t"
fingerprint = "{fp}"

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]

[[token.rule]]
id = "hold-volume-deletes"
effect = "approve"
operations = ["railway:volumeDelete"]
note = "a volume's backups go with it"
approvers = 2
self_approval = false

[[token]]
name = "s"
surrogate = "{sfp}"
secret = {{ env = "SCOPEGATE_PHASE_TEST_UNSET_SECRET" }}

[[token.rule]]
id = "reads"
effect = "allow"
class = ["read"]
"#
    )
}

/// A folder of its own for one test.
pub fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "scopegate-phase-{name}-{}-{}",
        std::process::id(),
        crate::ids::decision_id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The test engine; its folder is gone once it is loaded (tests leave
/// nothing behind).
pub fn engine() -> Arc<Engine> {
    let dir = folder("engine");
    let path = dir.join("scope.toml");
    std::fs::write(&path, scope_map()).unwrap();
    let engine = Engine::load(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    Arc::new(engine)
}

pub fn conn() -> Conn {
    Conn {
        host: "backboard.railway.com".into(),
        port: 443,
        agent: Some("agent-1".into()),
        peer: "127.0.0.1:50000".parse().unwrap(),
        scheme: "https",
    }
}

/// A Railway GraphQL request presenting `token`.
pub fn graphql(query: &str, token: &str) -> Request<Bytes> {
    let body = serde_json::json!({ "query": query }).to_string();
    Request::post("/graphql/v2")
        .header("host", "backboard.railway.com")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Bytes::from(body))
        .unwrap()
}

pub const READ: &str = "query { me { id } }";
pub const VOLUME_DELETE: &str = r#"mutation { volumeDelete(volumeId: "vol-1") }"#;
pub const PROJECT_DELETE: &str = r#"mutation { projectDelete(id: "p-1") }"#;

pub fn inbound(req: Request<Bytes>) -> Inbound {
    let (parts, body) = req.into_parts();
    Inbound { parts, body }
}

/// The request with a body hyper-style (for admit and read).
pub fn streaming(req: Request<Bytes>) -> Request<Full<Bytes>> {
    req.map(Full::new)
}

/// Keeps every record; fails every write while `failing`.
#[derive(Default)]
pub struct MemorySink {
    pub records: Mutex<Vec<DecisionRecord>>,
    pub outcomes: Mutex<Vec<DecisionOutcome>>,
    pub failing: AtomicBool,
}

impl MemorySink {
    pub fn records(&self) -> Vec<DecisionRecord> {
        self.records.lock().unwrap().clone()
    }
}

impl DecisionSink for MemorySink {
    fn record(&self, record: DecisionRecord) -> Result<Ticket, RecordError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(RecordError::JournalWrite {
                cause: "failing on purpose".into(),
            });
        }
        let mut records = self.records.lock().unwrap();
        records.push(record);
        Ok(Ticket(records.len() as u64))
    }

    fn outcome(&self, outcome: DecisionOutcome) {
        self.outcomes.lock().unwrap().push(outcome);
    }
}

/// An approval queue that answers as scripted and remembers its calls.
#[derive(Default)]
pub struct ScriptedQueue {
    /// Answers to `take_grant`, in order (`Ok(None)` once exhausted).
    pub grants: Mutex<VecDeque<Result<Option<Grant>, QueueError>>>,
    pub hold_error: Mutex<Option<QueueError>>,
    pub outcome: Mutex<Option<Result<HoldOutcome, QueueError>>>,
    pub held: Mutex<Vec<HeldRequest>>,
    pub grant_keys: Mutex<Vec<String>>,
    pub waited: AtomicBool,
}

impl ScriptedQueue {
    pub fn answering(outcome: HoldOutcome) -> Self {
        let q = Self::default();
        *q.outcome.lock().unwrap() = Some(Ok(outcome));
        q
    }

    pub fn then_grant(self, g: Result<Option<Grant>, QueueError>) -> Self {
        self.grants.lock().unwrap().push_back(g);
        self
    }
}

impl ApprovalQueue for ScriptedQueue {
    fn take_grant(&self, grant_key: String) -> BoxFut<Result<Option<Grant>, QueueError>> {
        self.grant_keys.lock().unwrap().push(grant_key);
        let next = self.grants.lock().unwrap().pop_front().unwrap_or(Ok(None));
        Box::pin(async move { next })
    }

    fn hold(&self, request: HeldRequest) -> BoxFut<Result<ApprovalId, QueueError>> {
        self.held.lock().unwrap().push(request);
        let result = match self.hold_error.lock().unwrap().clone() {
            Some(e) => Err(e),
            None => Ok(ApprovalId::from("apr_1")),
        };
        Box::pin(async move { result })
    }

    fn wait(&self, _id: ApprovalId, _timeout: Duration) -> BoxFut<Result<HoldOutcome, QueueError>> {
        self.waited.store(true, Ordering::SeqCst);
        let o = self
            .outcome
            .lock()
            .unwrap()
            .clone()
            .unwrap_or(Ok(HoldOutcome::Pending));
        Box::pin(async move { o })
    }

    fn link(&self, id: &ApprovalId) -> String {
        format!("http://dash/approvals/{id}")
    }

    fn hold_for(&self) -> Duration {
        Duration::from_millis(10)
    }

    fn grant_window(&self) -> Duration {
        Duration::from_secs(60)
    }

    fn pending(&self) -> BoxFut<Result<u64, QueueError>> {
        Box::pin(async { Ok(0) })
    }
}

/// The policy refusal inside a refusal, or a panic naming what it was.
pub fn policy(r: Refusal) -> Box<crate::respond::PolicyRefusal> {
    match r {
        Refusal::Policy(p) => p,
        other => panic!("expected a policy refusal, got {other:?}"),
    }
}
