//! How fast the decision log drains into the database: appends N records
//! (as fast as the journal takes them) and reports the journal rate and the
//! time until the database holds them all.
//!
//! ```sh
//! cargo run --release -p scopegate-store --example log_throughput -- 50000 sqlite:///tmp/sg-bench.db
//! cargo run --release -p scopegate-store --example log_throughput -- 50000 postgres://postgres@127.0.0.1/bench
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use scopegate_model::{
    Decision, DecisionRecord, Mode, OpClass, Operation, OperationVerdict, RuleRef, Verdict,
};
use scopegate_store::{DecisionLog, Store};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let url = args.next().unwrap_or_else(|| {
        format!(
            "sqlite://{}",
            std::env::temp_dir()
                .join(format!("sg-log-bench-{}.db", std::process::id()))
                .display()
        )
    });
    let journal = std::env::temp_dir().join(format!("sg-log-bench-journal-{}", std::process::id()));
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let before = store.count().await.unwrap();
    let log = DecisionLog::open(store.clone(), &journal).unwrap();
    let mut op = Operation::new("railway", "project", OpClass::Read);
    op.add_resource("projectId", "p-1".into());
    let d = Decision {
        verdict: Verdict::Allow,
        mode: Mode::Enforce,
        rule: RuleRef("t/reads".into()),
        reason: "railway:project (read) matched rule `reads`".into(),
        token: Some("t".into()),
        operations: vec![OperationVerdict {
            operation: op,
            verdict: Verdict::Allow,
            rule: RuleRef("t/reads".into()),
            reason: "r".into(),
        }],
    };
    let start = Instant::now();
    for i in 0..n {
        let mut r =
            DecisionRecord::from_decision(format!("bench-{}-{i}", std::process::id()).into(), &d);
        r.provider = "railway".into();
        log.append(r).unwrap();
    }
    let appended = start.elapsed();
    loop {
        if store.count().await.unwrap() - before >= i64::try_from(n).unwrap() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained = start.elapsed();
    println!(
        "{}: {n} records; journal {:.0}/s; database holds them all after {:.2}s ({:.0}/s)",
        store.backend(),
        n as f64 / appended.as_secs_f64(),
        drained.as_secs_f64(),
        n as f64 / drained.as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&journal);
}
