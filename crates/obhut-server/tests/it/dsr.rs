//! Data subject rights: erasure by crypto-shredding (nothing of the person left in the raw
//! bytes, the audit chain still verifies, 410 afterwards), and backups that forget.

use crate::common::{contains, test_config, try_spawn_app, Backend, TestApp};
use obhut_core::user::Role;
use obhut_server::services;
use obhut_server::{Actor, App};
use serde_json::{json, Value};

crate::on_both_backends!(
    erasure_leaves_nothing_readable_and_the_chain_verifies,
    erasure_input_is_checked_and_changes_nothing,
    request_cases_keep_their_deadlines,
    an_erasure_request_is_answered_through_its_case,
    the_identity_is_checked_by_a_code_sent_to_a_known_address,
);

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
    let (s, c) = t
        .api_post(
            &staff,
            "/api/v1/contacts",
            json!({"given_name": "Ella", "family_name": "Loeschbar", "email": "ella.loeschbar@example.org", "phone": "+49 30 7654321"}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().expect("id").to_string();
    let (s, _) = t.api(reqwest::Method::PATCH, &staff, &format!("/api/v1/contacts/{id}"), Some(json!({"given_name": "Ela"}))).await;
    assert_eq!(s, 200);
    // A double opt-in mail, delivered as a file: the person's address is in it.
    let (s, v) = t.api_post(&staff, &format!("/api/v1/contacts/{id}/consents/request"), json!({"purpose": "newsletter"})).await;
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
    let (s, _) = t.api_post(&staff, &format!("/api/v1/contacts/{id}/erasure"), body.clone()).await;
    assert_eq!(s, 403);
    let (s, v) = t.api_post(&dpo, &format!("/api/v1/contacts/{id}/erasure"), body.clone()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["mails_deleted"], 1, "{v}");
    let (s, v) = t.api_get(&staff, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(s, 410, "{v}");
    assert_eq!(v["type"].as_str().map(|t| t.ends_with("gone")), Some(true), "{v}");
    let (s, _) = t.api_post(&dpo, &format!("/api/v1/contacts/{id}/erasure"), body).await;
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
    let journal = services::tombstones::read_journal(t.dir.path()).expect("journal");
    assert_eq!(journal.iter().map(|j| j.0.as_str()).collect::<Vec<_>>(), vec![id.as_str()]);
}

async fn erasure_input_is_checked_and_changes_nothing(b: Backend) {
    let Some(t) = try_spawn_app(b).await else { return };
    let dpo = t.user_token("dora", Role::Dpo).await;
    let staff = t.user_token("anna", Role::User).await;
    let id = t.api_contact(&staff, json!({"family_name": "Bleibt", "email": "bleibt@example.org"})).await;
    for (body, status) in [
        (json!({"reason": "  "}), 422),
        (json!({"reason": "x".repeat(501)}), 422),
        (json!({"reason": "ok", "unknown": 1}), 400),
        (json!({}), 400),
    ] {
        let (s, v) = t.api_post(&dpo, &format!("/api/v1/contacts/{id}/erasure"), body.clone()).await;
        assert_eq!(s, status, "{body} → {v}");
    }
    let (s, _) = t.api_post(&dpo, "/api/v1/contacts/0190d6f4-0000-7000-8000-000000000000/erasure", json!({"reason": "r"})).await;
    assert_eq!(s, 404, "unknown contact");
    let (s, _) = t.api_post(&dpo, "/api/v1/contacts/not-an-id/erasure", json!({"reason": "r"})).await;
    assert_eq!(s, 404);
    let (s, v) = t.api_get(&staff, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(s, 200, "nothing was erased: {v}");
    assert!(services::tombstones::read_journal(t.dir.path()).expect("journal").is_empty());
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
            let (s, c) = t.api_post(&staff, "/api/v1/contacts", json!({"family_name": name, "email": email})).await;
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
    services::erasure::erase(&t.app, &actor, &gone, "Art. 17 request", None).await.expect("erase");

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

fn day(d: time::Date) -> String {
    d.to_string()
}

async fn request_cases_keep_their_deadlines(b: Backend) {
    let Some(t) = try_spawn_app(b).await else { return };
    let staff = t.user_token("anna", Role::User).await;
    let dpo = t.user_token("dora", Role::Dpo).await;
    let id = t.api_contact(&staff, json!({"family_name": "Fragt", "email": "fragt@example.org"})).await;
    let today = time::OffsetDateTime::now_utc().date();
    let received = today - time::Duration::days(25);
    let due = obhut_core::dsr::due_date(received);
    let post = |path: String, token: String, body: Value| {
        let t = &t;
        async move { t.api_post(&token, &path, body).await }
    };
    let open = json!({"contact_id": id, "kind": "access", "received_via": "email", "received_on": day(received),
        "identity_check": "known_identity", "identity_evidence": "someone.else@example.org"});
    // Staff cannot run requests; an identity the contact is not known by is refused, and
    // nothing is written.
    assert_eq!(post("/api/v1/dsr/cases".into(), staff.clone(), open.clone()).await.0, 403);
    let (s, v) = post("/api/v1/dsr/cases".into(), dpo.clone(), open.clone()).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["field"], "identity_evidence", "{v}");
    let (s, v) = t.api_get(&dpo, "/api/v1/dsr/cases").await;
    assert_eq!((s, v.as_array().map(Vec::len)), (200, Some(0)));
    for (body, field) in [
        (json!({"contact_id": id, "kind": "everything", "received_via": "email"}), "kind"),
        (json!({"contact_id": id, "kind": "access", "received_via": "pigeon"}), "received_via"),
        (
            json!({"contact_id": id, "kind": "access", "received_via": "email", "received_on": day(today + time::Duration::days(1))}),
            "received_on",
        ),
        (json!({"contact_id": id, "kind": "access", "received_via": "email", "received_on": "23.11.2026"}), "received_on"),
        (json!({"contact_id": "0190d6f4-0000-7000-8000-000000000000", "kind": "access", "received_via": "email"}), "contact_id"),
        (json!({"contact_id": id, "kind": "access", "received_via": "email", "identity_check": "manual"}), "identity_note"),
    ] {
        let (s, v) = post("/api/v1/dsr/cases".into(), dpo.clone(), body.clone()).await;
        assert_eq!((s, v["errors"][0]["field"].as_str()), (422, Some(field)), "{body} → {v}");
    }
    // Received 25 days ago: due one month after receipt, a few days from now.
    let mut good = open.clone();
    good["identity_evidence"] = json!("Fragt@Example.org");
    let (s, a) = post("/api/v1/dsr/cases".into(), dpo.clone(), good.clone()).await;
    assert_eq!(s, 201, "{a}");
    assert_eq!(
        (a["status"].as_str(), a["due_on"].as_str(), a["article"].as_str()),
        (Some("in_progress"), Some(day(due).as_str()), Some("Art. 15"))
    );
    assert_eq!(a["days_left"], (due - today).whole_days());
    let reference = a["reference"].as_str().expect("reference").to_string();
    assert!(reference.starts_with("DSR-"), "{reference}");
    let (s, v) = post("/api/v1/dsr/cases".into(), dpo.clone(), good).await;
    assert_eq!(s, 409, "a second open request of the same kind: {v}");
    // An older one, past its deadline.
    let old = today - time::Duration::days(40);
    let (s, o) = post(
        "/api/v1/dsr/cases".into(),
        dpo.clone(),
        json!({"contact_id": id, "kind": "objection", "received_via": "letter", "received_on": day(old)}),
    )
    .await;
    assert_eq!(s, 201, "{o}");
    assert_eq!((o["status"].as_str(), o["overdue"].as_bool()), (Some("received"), Some(true)));
    // The cockpit lists open cases by deadline: the overdue one first.
    let (_, list) = t.api_get(&dpo, "/api/v1/dsr/cases?open=true").await;
    let refs: Vec<&str> = list.as_array().expect("list").iter().filter_map(|c| c["reference"].as_str()).collect();
    assert_eq!(refs, vec![o["reference"].as_str().expect("r"), reference.as_str()]);
    // The daily job: one reminder, one overdue flag, each once.
    assert_eq!(services::dsr::remind(&t.app).await.expect("remind"), (1, 1));
    assert_eq!(services::dsr::remind(&t.app).await.expect("remind"), (0, 0));
    // An extension after the deadline is refused; before it, without reason or with the person
    // told too late, too.
    let oid = o["id"].as_str().expect("id");
    let (s, v) =
        post(format!("/api/v1/dsr/cases/{oid}/extension"), dpo.clone(), json!({"reason": "viele Datensätze", "informed_on": day(today)}))
            .await;
    assert_eq!(s, 409, "{v}");
    let ext = format!("/api/v1/dsr/cases/{reference}/extension");
    let (s, _) = post(ext.clone(), dpo.clone(), json!({"reason": " ", "informed_on": day(today)})).await;
    assert_eq!(s, 422);
    let (s, _) =
        post(ext.clone(), dpo.clone(), json!({"reason": "viele Datensätze", "informed_on": day(today + time::Duration::days(1))})).await;
    assert_eq!(s, 422);
    let (s, _) = post(
        ext.clone(),
        dpo.clone(),
        json!({"reason": "viele Datensätze", "informed_on": day(today), "new_due": day(obhut_core::dsr::add_months(received, 4))}),
    )
    .await;
    assert_eq!(s, 422, "more than two further months");
    let (s, e) = post(ext.clone(), dpo.clone(), json!({"reason": "viele Datensätze in drei Systemen", "informed_on": day(today)})).await;
    assert_eq!(s, 200, "{e}");
    assert_eq!(
        (e["due_on"].as_str(), e["first_due_on"].as_str(), e["extended"].as_bool()),
        (Some(day(obhut_core::dsr::latest_extension(received)).as_str()), Some(day(due).as_str()), Some(true))
    );
    let (s, _) = post(ext, dpo.clone(), json!({"reason": "noch mehr", "informed_on": day(today)})).await;
    assert_eq!(s, 409, "only one extension");
    // Closing: a rejection needs its reason and tells of the right to complain; an unverified
    // case cannot be completed.
    let (s, _) = post(format!("/api/v1/dsr/cases/{oid}/close"), dpo.clone(), json!({"status": "completed"})).await;
    assert_eq!(s, 409);
    let (s, _) = post(format!("/api/v1/dsr/cases/{oid}/close"), dpo.clone(), json!({"status": "rejected"})).await;
    assert_eq!(s, 422);
    let (s, r) =
        post(format!("/api/v1/dsr/cases/{oid}/close"), dpo.clone(), json!({"status": "rejected", "reason": "offensichtlich unbegründet"}))
            .await;
    assert_eq!(s, 200, "{r}");
    assert!(r["closing_reason"].as_str().is_some_and(|t| t.contains("Art. 77")), "{r}");
    let (s, _) = post(format!("/api/v1/dsr/cases/{oid}/close"), dpo.clone(), json!({"status": "cancelled", "reason": "x"})).await;
    assert_eq!(s, 409, "closed already");
    let (s, c) = post(format!("/api/v1/dsr/cases/{reference}/close"), dpo.clone(), json!({"status": "completed"})).await;
    assert_eq!((s, c["status"].as_str()), (200, Some("completed")), "{c}");
    // Every step is in the audit trail, about the person.
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let actions: Vec<(String,)> =
        sqlx::query_as(&format!("SELECT action FROM audit_events WHERE subject_id = '{id}' AND action LIKE 'dsr.%' ORDER BY seq"))
            .fetch_all(&mut *conn)
            .await
            .expect("audit");
    let actions: Vec<&str> = actions.iter().map(|a| a.0.as_str()).collect();
    assert_eq!(actions, vec!["dsr.open", "dsr.open", "dsr.overdue", "dsr.due_soon", "dsr.extend", "dsr.close", "dsr.close"]);
}

async fn an_erasure_request_is_answered_through_its_case(b: Backend) {
    let Some(t) = try_spawn_app(b).await else { return };
    let staff = t.user_token("anna", Role::User).await;
    let dpo = t.user_token("dora", Role::Dpo).await;
    let (_, c) = t.api_post(&staff, "/api/v1/contacts", json!({"family_name": "Weg", "email": "weg@example.org"})).await;
    let id = c["id"].as_str().expect("id").to_string();
    let (s, case) = t.api_post(&dpo, "/api/v1/dsr/cases", json!({"contact_id": id, "kind": "erasure", "received_via": "letter"})).await;
    assert_eq!(s, 201, "{case}");
    let reference = case["reference"].as_str().expect("reference").to_string();
    let erase = json!({"reason": format!("Antrag {reference}"), "case_id": reference});
    let (s, v) = t.api_post(&dpo, &format!("/api/v1/contacts/{id}/erasure"), erase.clone()).await;
    assert_eq!(s, 409, "identity first: {v}");
    let (s, v) = t
        .api_post(
            &dpo,
            &format!("/api/v1/dsr/cases/{reference}/identity"),
            json!({"identity_check": "manual", "identity_note": "Ausweis vorgelegt am Empfang"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = t.api_post(&dpo, &format!("/api/v1/contacts/{id}/erasure"), erase).await;
    assert_eq!(s, 200, "{v}");
    let (_, case) = t.api_get(&dpo, &format!("/api/v1/dsr/cases/{reference}")).await;
    assert_eq!(case["status"], "completed", "{case}");
    assert_eq!(case["identity_note"], "Ausweis vorgelegt am Empfang", "the case keeps its notes (sealed, readable to the DPO)");
    // The person is gone: a new request about them is answered, not opened.
    let (s, v) = t.api_post(&dpo, "/api/v1/dsr/cases", json!({"contact_id": id, "kind": "access", "received_via": "email"})).await;
    assert_eq!(s, 409, "{v}");
    let raw = t.raw_bytes().await;
    assert!(!contains(&raw, "Ausweis vorgelegt"), "case notes are sealed at rest");
}

/// The code in the last delivered mail to `to` (the file transport writes `.eml` files).
async fn delivered_code(t: &TestApp) -> String {
    let outbox = t.dir.path().join("outbox");
    for _ in 0..100 {
        services::mail::deliver_due(&t.app).await.expect("deliver");
        for e in std::fs::read_dir(&outbox).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            if text.contains("Best=C3=A4tigungscode") || text.contains("Bestätigungscode") || text.contains("confirmation code") {
                let digits: Vec<&str> = text.split(|c: char| !c.is_ascii_digit()).filter(|w| w.len() == 6).collect();
                if let Some(code) = digits.last() {
                    return code.to_string();
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no identity code was delivered");
}

async fn the_identity_is_checked_by_a_code_sent_to_a_known_address(b: Backend) {
    let Some(t) = try_spawn_app(b).await else { return };
    let staff = t.user_token("anna", Role::User).await;
    let dpo = t.user_token("dora", Role::Dpo).await;
    let id = t.api_contact(&staff, json!({"family_name": "Codiert", "email": "codiert@example.org"})).await;
    // A code cannot be claimed at opening: it is sent once the case exists.
    let open =
        json!({"contact_id": id, "kind": "access", "received_via": "email", "identity_check": "email_code", "identity_evidence": "123456"});
    let (s, v) = t.api_post(&dpo, "/api/v1/dsr/cases", open).await;
    assert_eq!((s, v["errors"][0]["field"].as_str()), (422, Some("identity_check")), "{v}");
    let (s, case) = t.api_post(&dpo, "/api/v1/dsr/cases", json!({"contact_id": id, "kind": "access", "received_via": "email"})).await;
    assert_eq!(s, 201, "{case}");
    let case_id = case["id"].as_str().expect("id").to_string();
    let verify = |code: &str| json!({"identity_check": "email_code", "identity_evidence": code});
    let path = format!("/api/v1/dsr/cases/{case_id}/identity");
    // Before a code was sent, no code counts.
    let (s, v) = t.api_post(&dpo, &path, verify("000000")).await;
    assert_eq!(s, 422, "{v}");
    assert!(v["errors"][0]["message"].as_str().unwrap_or_default().contains("send one first"), "{v}");
    // Only to an address the contact is known by.
    let code_path = format!("/api/v1/dsr/cases/{case_id}/identity/code");
    let (s, v) = t.api_post(&dpo, &code_path, json!({"address": "fremd@example.org"})).await;
    assert_eq!((s, v["errors"][0]["field"].as_str()), (422, Some("address")), "{v}");
    let (s, _) = t.api_post(&staff, &code_path, json!({})).await;
    assert_eq!(s, 403);
    let (s, sent) = t.api_post(&dpo, &code_path, json!({})).await;
    assert_eq!(s, 202, "{sent}");
    assert_eq!(sent["sent_to"], "c***@example.org", "{sent}");
    let code = delivered_code(&t).await;
    let wrong = if code == "111111" { "222222" } else { "111111" };
    let (s, v) = t.api_post(&dpo, &path, verify(wrong)).await;
    assert_eq!((s, v["errors"][0]["field"].as_str()), (422, Some("identity_evidence")), "{v}");
    let (_, still) = t.api_get(&dpo, &format!("/api/v1/dsr/cases/{case_id}")).await;
    assert_eq!(still["status"], "received", "a wrong code changes nothing");
    let (s, v) = t.api_post(&dpo, &path, verify(&code)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "in_progress");
    assert_eq!(v["identity_check"], "email_code");
    // Used once: the same code does not open a second door.
    let (s, _) = t.api_post(&dpo, &code_path, json!({})).await;
    assert_eq!(s, 409, "the identity is checked already");

    // Five wrong codes void it, even for the right one after.
    let (_, other) = t.api_post(&dpo, "/api/v1/dsr/cases", json!({"contact_id": id, "kind": "erasure", "received_via": "email"})).await;
    let other_id = other["id"].as_str().expect("id").to_string();
    let (s, _) = t.api_post(&dpo, &format!("/api/v1/dsr/cases/{other_id}/identity/code"), json!({})).await;
    assert_eq!(s, 202);
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let (hash,): (Vec<u8>,) = sqlx::query_as(&format!("SELECT code_hash FROM dsr_identity_codes WHERE case_id = '{other_id}'"))
        .fetch_one(&mut *conn)
        .await
        .expect("code");
    drop(conn);
    assert_eq!(hash.len(), 16, "kept as a keyed hash only");
    let opath = format!("/api/v1/dsr/cases/{other_id}/identity");
    for _ in 0..5 {
        let (s, _) = t.api_post(&dpo, &opath, verify("999999x")).await;
        assert_eq!(s, 422);
    }
    let (s, v) = t.api_post(&dpo, &opath, verify("123456")).await;
    assert_eq!(s, 422);
    assert!(v["errors"][0]["message"].as_str().unwrap_or_default().contains("too many"), "{v}");
}
