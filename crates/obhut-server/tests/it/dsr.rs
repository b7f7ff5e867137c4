//! Data subject rights: erasure by crypto-shredding (nothing of the person left in the raw
//! bytes, the audit chain still verifies, 410 afterwards), and backups that forget.

use crate::common::{contains, test_config, try_spawn_app, Backend, TestApp};
use obhut_core::user::Role;
use obhut_server::services;
use obhut_server::{Actor, App};
use serde_json::{json, Value};

crate::on_both_backends!(erasure_leaves_nothing_readable_and_the_chain_verifies, erasure_input_is_checked_and_changes_nothing,);

async fn call(t: &TestApp, method: reqwest::Method, token: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut r = t.client.request(method, t.url(path)).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Every byte under the data directory (database files, the outbox's mails, the journal), and
/// on PostgreSQL a dump of the schema.
async fn all_bytes(t: &TestApp) -> Vec<u8> {
    fn walk(dir: &std::path::Path, out: &mut Vec<u8>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.extend(std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    let mut out = Vec::new();
    walk(t.dir.path(), &mut out);
    if t.backend == Backend::Postgres {
        out.extend(t.raw_bytes().await);
    }
    out
}

async fn erasure_leaves_nothing_readable_and_the_chain_verifies(b: Backend) {
    let Some(t) = try_spawn_app(b).await else { return };
    let staff = t.user_token("anna", Role::User).await;
    let dpo = t.user_token("dora", Role::Dpo).await;
    let (s, c) = call(
        &t,
        reqwest::Method::POST,
        &staff,
        "/api/v1/contacts",
        Some(json!({"given_name": "Ella", "family_name": "Loeschbar", "email": "ella.loeschbar@example.org", "phone": "+49 30 7654321"})),
    )
    .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().expect("id").to_string();
    let (s, _) = call(&t, reqwest::Method::PATCH, &staff, &format!("/api/v1/contacts/{id}"), Some(json!({"given_name": "Ela"}))).await;
    assert_eq!(s, 200);
    // A double opt-in mail, delivered as a file: the person's address is in it.
    let (s, v) = call(&t, reqwest::Method::POST, &staff, &format!("/api/v1/contacts/{id}/consents/request"), Some(json!({"purpose": "newsletter"}))).await;
    assert_eq!(s, 202, "{v}");
    // Delivered here or by the server's worker, whichever leases it first.
    let outbox = t.dir.path().join("outbox");
    for _ in 0..100 {
        services::mail::deliver_due(&t.app).await.expect("deliver");
        if std::fs::read_dir(&outbox).into_iter().flatten().flatten().any(|e| e.path().extension().is_some_and(|x| x == "eml")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    t.app.store.checkpoint().await.expect("checkpoint");
    let before = all_bytes(&t).await;
    assert!(contains(&before, "ella.loeschbar@example.org"), "the delivered mail holds the address before the erasure");
    // A user of the staff may not erase; the DPO may.
    let body = json!({"reason": "Antrag vom 2026-11-23, Art. 17"});
    let (s, _) = call(&t, reqwest::Method::POST, &staff, &format!("/api/v1/contacts/{id}/erasure"), Some(body.clone())).await;
    assert_eq!(s, 403);
    let (s, v) = call(&t, reqwest::Method::POST, &dpo, &format!("/api/v1/contacts/{id}/erasure"), Some(body.clone())).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["mails_deleted"], 1, "{v}");
    let (s, v) = call(&t, reqwest::Method::GET, &staff, &format!("/api/v1/contacts/{id}"), None).await;
    assert_eq!(s, 410, "{v}");
    assert_eq!(v["type"].as_str().map(|t| t.ends_with("gone")), Some(true), "{v}");
    let (s, _) = call(&t, reqwest::Method::POST, &dpo, &format!("/api/v1/contacts/{id}/erasure"), Some(body)).await;
    assert_eq!(s, 410, "a second erasure answers Gone");
    // Nothing of the person is left anywhere at rest.
    let after = all_bytes(&t).await;
    for needle in ["ella.loeschbar@example.org", "Loeschbar", "7654321", "Ela"] {
        assert!(!contains(&after, needle), "'{needle}' is still stored after the erasure");
    }
    // The audit trail keeps the events (their sealed values unreadable) and still verifies.
    let v = services::audit::verify(&t.app, &Actor::cli()).await.expect("verify");
    assert!(v.intact, "{v:?}");
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let events: (i64,) =
        sqlx::query_as(&format!("SELECT COUNT(*) FROM audit_events WHERE subject_id = '{id}'")).fetch_one(&mut *conn).await.expect("count");
    assert!(events.0 >= 3, "create, update and erase stay in the chain");
    let e = obhut_store::erasure::find(&mut conn, &t.app.store.crypto, &id).await.expect("find").expect("recorded");
    assert_eq!(e.reason, "Antrag vom 2026-11-23, Art. 17");
    drop(conn);
    // The journal beside the database names the erasure (and nothing personal).
    let journal = services::dsr::read_journal(t.dir.path()).expect("journal");
    assert_eq!(journal.iter().map(|j| j.0.as_str()).collect::<Vec<_>>(), vec![id.as_str()]);
}

async fn erasure_input_is_checked_and_changes_nothing(b: Backend) {
    let Some(t) = try_spawn_app(b).await else { return };
    let dpo = t.user_token("dora", Role::Dpo).await;
    let staff = t.user_token("anna", Role::User).await;
    let (s, c) = call(&t, reqwest::Method::POST, &staff, "/api/v1/contacts", Some(json!({"family_name": "Bleibt", "email": "bleibt@example.org"}))).await;
    assert_eq!(s, 201);
    let id = c["id"].as_str().expect("id").to_string();
    for (body, status) in [
        (json!({"reason": "  "}), 422),
        (json!({"reason": "x".repeat(501)}), 422),
        (json!({"reason": "ok", "unknown": 1}), 400),
        (json!({}), 400),
    ] {
        let (s, v) = call(&t, reqwest::Method::POST, &dpo, &format!("/api/v1/contacts/{id}/erasure"), Some(body.clone())).await;
        assert_eq!(s, status, "{body} → {v}");
    }
    let (s, _) = call(&t, reqwest::Method::POST, &dpo, "/api/v1/contacts/0190d6f4-0000-7000-8000-000000000000/erasure", Some(json!({"reason": "r"}))).await;
    assert_eq!(s, 404, "unknown contact");
    let (s, _) = call(&t, reqwest::Method::POST, &dpo, "/api/v1/contacts/not-an-id/erasure", Some(json!({"reason": "r"}))).await;
    assert_eq!(s, 404);
    let (s, v) = call(&t, reqwest::Method::GET, &staff, &format!("/api/v1/contacts/{id}"), None).await;
    assert_eq!(s, 200, "nothing was erased: {v}");
    assert!(services::dsr::read_journal(t.dir.path()).expect("journal").is_empty());
}

async fn contact_email(app: &App, id: &str) -> Option<String> {
    let id = obhut_core::ids::ContactId::parse(id).expect("id");
    services::contacts::get(app, &Actor::cli(), id).await.ok().map(|c| serde_json::to_string(&c.personal).unwrap_or_default())
}

#[tokio::test]
async fn a_restored_backup_forgets_the_erased_and_refuses_bad_files() {
    let Some(t) = try_spawn_app(Backend::Sqlite).await else { return };
    let actor = Actor::cli();
    let staff = t.user_token("anna", Role::User).await;
    let mk = |name: &'static str, email: &'static str| {
        let (t, staff) = (&t, staff.clone());
        async move {
            let (s, c) = call(t, reqwest::Method::POST, &staff, "/api/v1/contacts", Some(json!({"family_name": name, "email": email}))).await;
            assert_eq!(s, 201, "{c}");
            c["id"].as_str().expect("id").to_string()
        }
    };
    let gone = mk("Vergessen", "vergessen@example.org").await;
    let kept = mk("Bleibt", "bleibt@example.org").await;
    let backups = tempfile::tempdir().expect("dir");
    let file = backups.path().join("before.bak");
    let b = services::backup::backup(&t.app, &file).await.expect("backup");
    assert!(b.file_bytes > b.database_bytes, "{b:?}");
    let bytes = std::fs::read(&file).expect("read");
    assert!(!contains(&bytes, "CREATE TABLE") && !contains(&bytes, "SQLite format"), "the backup is encrypted");
    assert!(services::backup::backup(&t.app, &file).await.is_err(), "an existing file is not overwritten");
    let late = mk("Spaet", "spaet@example.org").await;
    services::dsr::erase(&t.app, &actor, &gone, "Art. 17 request", None).await.expect("erase");

    // Bad files change nothing: not a backup, cut short, altered, another installation's.
    let cfg = t.app.config.clone();
    let not_backup = backups.path().join("notes.txt");
    std::fs::write(&not_backup, "hello").expect("write");
    let cut = backups.path().join("cut.bak");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).expect("write");
    let altered = backups.path().join("altered.bak");
    let mut a = bytes.clone();
    let at = a.len() / 2;
    a[at] ^= 0x55;
    std::fs::write(&altered, &a).expect("write");
    for (f, says) in [(&not_backup, "not an Obhut backup"), (&cut, "damaged"), (&altered, "damaged or altered")] {
        let e = services::backup::restore(&cfg, f).await.expect_err("refused");
        assert!(e.to_string().contains(says), "{}: {e}", f.display());
    }
    let mut foreign = cfg.clone();
    foreign.data_dir = tempfile::tempdir().expect("dir").keep();
    let e = services::backup::restore(&foreign, &file).await.expect_err("foreign");
    assert!(e.to_string().contains("another installation"), "{e}");
    assert!(contact_email(&t.app, &late).await.is_some(), "the refused restores left the database as it was");

    // A real restore: the later contact is gone (older state), the kept one is back, and the
    // erased person stays erased (410), with the count of erasures applied again.
    let r = services::backup::restore(&cfg, &file).await.expect("restore");
    assert_eq!(r.erasures_reapplied, 1, "{r:?}");
    let app = App::open(test_config(t.dir.path(), None)).await.expect("reopen");
    assert!(contact_email(&app, &kept).await.is_some_and(|v| v.contains("bleibt@example.org")));
    assert!(contact_email(&app, &late).await.is_none(), "the backup is older than this contact");
    let id = obhut_core::ids::ContactId::parse(&gone).expect("id");
    let e = services::contacts::get(&app, &actor, id).await.expect_err("erased");
    assert!(matches!(e, obhut_server::ServiceError::Gone(_)), "{e:?}");
    let v = services::audit::verify(&app, &actor).await.expect("verify");
    assert!(v.intact, "{v:?}");
    app.store.checkpoint().await.expect("checkpoint");
    let raw = std::fs::read(obhut_store::sqlite_path(t.dir.path())).expect("db");
    assert!(!contains(&raw, "vergessen@example.org"));
}
