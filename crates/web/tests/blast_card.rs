//! The approval card says the blast radius in words: the queue's card and
//! the approval page name the volume, its backups and where it is mounted,
//! warn that its backups go with it, offer the safer step, and say plainly
//! what could not be resolved.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use scopegate_model::{ApprovalId, Attribute};

const EFFECT: &str = "Delete volume <strong>postgres-data</strong> (4.2 GB used, 3 backups, latest 2 h ago; \
<strong>its backups are deleted with it</strong>), mounted by <strong>Postgres</strong> in \
<strong>pocketos / production</strong>.";
const SAFER: &str = "<p class=\"blast-safer\">Safer: create a backup first: <code>volumeInstanceBackupCreate</code>.</p>";

#[tokio::test]
async fn the_card_and_the_page_show_names_and_the_backups_warning() {
    let app = app().await;
    let h = resolved_volume_delete_hold("apr_blast");
    let (a, _) = app
        .store
        .hold(&h, PENDING_FOR, &ApprovalId::new("apr_blast"))
        .await
        .unwrap();
    let r = app.dashboard.router();
    let (cookie, _) = session(&r, "alice").await;
    for path in ["/".to_owned(), format!("/approvals/{}", a.id)] {
        let page = send(&r, get(&path, Some(&cookie))).await;
        assert!(
            page.body
                .contains(&format!("<p class=\"blast-effect\">{EFFECT}</p>")),
            "{path}: {}",
            page.body
        );
        assert!(page.body.contains(SAFER), "{path}");
    }
}

#[tokio::test]
async fn what_could_not_be_resolved_is_said_with_why() {
    let app = app().await;
    let mut h = volume_delete_hold("apr_unres");
    let op = &mut h.operations[0];
    op.set_attribute("volume", Attribute::known(["postgres-data".to_owned()]));
    op.set_attribute(
        "environment",
        Attribute::Unresolved("lookup timed out after 2 s".into()),
    );
    let (a, _) = app
        .store
        .hold(&h, PENDING_FOR, &ApprovalId::new("apr_unres"))
        .await
        .unwrap();
    let r = app.dashboard.router();
    let (cookie, _) = session(&r, "alice").await;
    let page = send(&r, get(&format!("/approvals/{}", a.id), Some(&cookie))).await;
    assert!(
        page.body.contains(
            "<p class=\"blast-unresolved\">Could not resolve the environment of volume \
<code>vol-123</code> (lookup timed out after 2 s).</p>"
        ),
        "{}",
        page.body
    );
}
