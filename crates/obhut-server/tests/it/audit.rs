//! The audit trail: reads are logged with their purpose, and `verify` finds every kind of
//! tampering with the chain, on both backends.

use crate::common::{spawn_app, Backend, TestApp};
use obhut_core::user::Role;
use obhut_server::services::audit::verify;
use obhut_server::Actor;
use serde_json::json;

crate::on_both_backends!(
    reads_are_logged_with_their_purpose_and_the_intact_chain_verifies,
    deleting_an_event_in_the_middle_is_found,
    cutting_off_the_newest_events_is_found,
    changing_an_event_is_found,
    reordering_events_is_found,
    rewinding_the_head_without_the_key_is_found,
    the_purpose_registry_is_seeded_versioned_audited_and_exported,
    a_read_names_its_purpose_and_an_unknown_purpose_is_refused_and_logged,
    every_contact_a_list_or_search_hands_out_is_logged_as_read,
    administrators_browse_and_verify_the_audit_trail_over_the_api,
    read_events_past_their_retention_are_emptied_and_the_chain_still_verifies,
    emptying_a_change_event_is_found,
);

async fn read_events_past_their_retention_are_emptied_and_the_chain_still_verifies(b: Backend) {
    let (t, ids) = seeded(b).await;
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let before = obhut_store::audit::list_for_record(&mut conn, &ids[0], 50).await.expect("events");
    assert!(before.iter().any(|e| e.entry.action == "contact.read"));
    drop(conn);
    // Nothing is old enough under the configured 365 days.
    assert_eq!(obhut_server::services::audit::apply_read_retention(&t.app, &Actor::cli()).await.expect("retention"), 0);
    // Staff may not run it.
    let user = Actor::new(None, "u", Role::User, obhut_server::gate::Channel::Api);
    assert!(obhut_server::services::audit::redact_reads_before(&t.app, &user, i64::MAX).await.is_err());
    // Everything read until now is past a retention ending now.
    let cut = t.app.now_ms() + 1;
    let n = obhut_server::services::audit::redact_reads_before(&t.app, &Actor::cli(), cut).await.expect("redact");
    assert_eq!(n, 4, "one read per contact, and the refusal of the staff member's attempt");
    let v = verify(&t.app, &Actor::cli()).await.expect("verify");
    assert!(v.intact, "{v:?}");
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let after = obhut_store::audit::list_for_record(&mut conn, &ids[0], 50).await.expect("events");
    let actions: Vec<&str> = after.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(actions, vec!["contact.create"], "the read no longer names the person; the change keeps its details");
    let emptied = obhut_store::audit::search(
        &mut conn,
        &obhut_store::audit::AuditFilter { action: Some("contact.read".into()), ..Default::default() },
        10,
        0,
    )
    .await
    .expect("search")
    .0;
    assert!(emptied.iter().all(|e| e.redacted_at.is_some() && e.entry.actor.is_empty() && e.entry.fields.is_empty()));
    // The run is audited.
    let runs = obhut_store::audit::search(
        &mut conn,
        &obhut_store::audit::AuditFilter { action: Some("audit.read_retention".into()), ..Default::default() },
        10,
        0,
    )
    .await
    .expect("search")
    .0;
    assert_eq!(runs.len(), 1);
    // A second run finds nothing left to empty.
    drop(conn);
    assert_eq!(obhut_server::services::audit::redact_reads_before(&t.app, &Actor::cli(), cut).await.expect("redact"), 0);
}

async fn emptying_a_change_event_is_found(b: Backend) {
    let (t, ids) = seeded(b).await;
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let create = obhut_store::audit::list_for_record(&mut conn, &ids[1], 50)
        .await
        .expect("events")
        .into_iter()
        .find(|e| e.entry.action == "contact.create")
        .expect("create");
    drop(conn);
    t.exec(&format!(
        "UPDATE audit_events SET actor = '', subject_id = NULL, record_id = NULL, fields = '', redacted_at = 1 WHERE seq = {}",
        create.seq
    ))
    .await;
    let v = verify(&t.app, &Actor::cli()).await.expect("verify");
    assert!(!v.intact);
    assert_eq!(v.first_bad_seq, Some(create.seq), "{v:?}");
    assert!(v.problem.unwrap_or_default().contains("only read events"));
    // Emptied without the mark, it is a change like any other.
    t.exec(&format!("UPDATE audit_events SET redacted_at = NULL WHERE seq = {}", create.seq)).await;
    let v = verify(&t.app, &Actor::cli()).await.expect("verify");
    assert_eq!(v.first_bad_seq, Some(create.seq), "{v:?}");
    assert!(v.problem.unwrap_or_default().contains("changed"));
}

/// An app with three contacts, each created and read once through the API.
async fn seeded(b: Backend) -> (TestApp, Vec<String>) {
    let t = spawn_app(b).await;
    let token = t.user_token("u1", Role::User).await;
    let mut ids = Vec::new();
    for i in 0..3 {
        let r = t
            .client
            .post(t.url("/api/v1/contacts"))
            .bearer_auth(&token)
            .json(&json!({"given_name": "Vera", "family_name": format!("Kette{i}"), "email": format!("kette{i}@example.org")}))
            .send()
            .await
            .expect("send");
        let v: serde_json::Value = r.json().await.expect("json");
        let id = v["id"].as_str().expect("id").to_string();
        let r = t.client.get(t.url(&format!("/api/v1/contacts/{id}"))).bearer_auth(&token).send().await.expect("send");
        assert_eq!(r.status().as_u16(), 200);
        ids.push(id);
    }
    (t, ids)
}

async fn max_seq(t: &TestApp) -> i64 {
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    sqlx::query_as::<_, (i64,)>("SELECT MAX(seq) FROM audit_events").fetch_one(&mut *conn).await.expect("max").0
}

async fn reads_are_logged_with_their_purpose_and_the_intact_chain_verifies(b: Backend) {
    let (t, ids) = seeded(b).await;
    let v = verify(&t.app, &Actor::cli()).await.expect("verify");
    assert!(v.intact, "{v:?}");
    assert_eq!(v.events, v.head_seq);
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let events = obhut_store::audit::list_for_record(&mut conn, &ids[1], 10).await.expect("events");
    let read = events.iter().find(|e| e.entry.action == "contact.read").expect("a read event");
    assert_eq!(read.entry.purpose.as_deref(), Some("contract"));
    assert_eq!(read.entry.subject_id.as_deref(), Some(ids[1].as_str()));
    assert!(read.entry.fields.contains(&"family_name".to_string()) && read.entry.fields.contains(&"emails".to_string()));
    assert!(read.entry.actor.starts_with("api:user:"));
    // A user may not read the audit trail.
    let user = Actor::new(None, "u", Role::User, obhut_server::gate::Channel::Api);
    assert!(verify(&t.app, &user).await.is_err());
}

async fn deleting_an_event_in_the_middle_is_found(b: Backend) {
    let (t, _) = seeded(b).await;
    let middle = max_seq(&t).await / 2;
    t.exec(&format!("DELETE FROM audit_events WHERE seq = {middle}")).await;
    let v = verify(&t.app, &Actor::cli()).await.expect("verify");
    assert!(!v.intact);
    assert_eq!(v.first_bad_seq, Some(middle), "{v:?}");
}

async fn cutting_off_the_newest_events_is_found(b: Backend) {
    let (t, _) = seeded(b).await;
    let last = max_seq(&t).await;
    t.exec(&format!("DELETE FROM audit_events WHERE seq >= {}", last - 1)).await;
    let v = verify(&t.app, &Actor::cli()).await.expect("verify");
    assert!(!v.intact);
    assert_eq!(v.first_bad_seq, Some(last - 1), "{v:?}");
    assert!(v.problem.unwrap_or_default().contains("cut off"));
}

async fn changing_an_event_is_found(b: Backend) {
    let (t, _) = seeded(b).await;
    t.exec("UPDATE audit_events SET actor = 'someone else' WHERE seq = 3").await;
    let v = verify(&t.app, &Actor::cli()).await.expect("verify");
    assert_eq!((v.intact, v.first_bad_seq), (false, Some(3)), "{v:?}");
    // A changed purpose, too: it is part of what the hash covers.
    let (t, _) = seeded(b).await;
    let read: i64 = {
        let mut conn = t.app.store.pool.acquire().await.expect("conn");
        sqlx::query_as::<_, (i64,)>("SELECT MIN(seq) FROM audit_events WHERE action = 'contact.read'")
            .fetch_one(&mut *conn)
            .await
            .expect("seq")
            .0
    };
    t.exec(&format!("UPDATE audit_events SET purpose = 'newsletter' WHERE seq = {read}")).await;
    let v = verify(&t.app, &Actor::cli()).await.expect("verify");
    assert_eq!((v.intact, v.first_bad_seq), (false, Some(read)), "{v:?}");
}

async fn reordering_events_is_found(b: Backend) {
    let (t, _) = seeded(b).await;
    t.exec("UPDATE audit_events SET seq = -1 WHERE seq = 4").await;
    t.exec("UPDATE audit_events SET seq = 4 WHERE seq = 5").await;
    t.exec("UPDATE audit_events SET seq = 5 WHERE seq = -1").await;
    let v = verify(&t.app, &Actor::cli()).await.expect("verify");
    assert_eq!((v.intact, v.first_bad_seq), (false, Some(4)), "{v:?}");
}

async fn rewinding_the_head_without_the_key_is_found(b: Backend) {
    let (t, _) = seeded(b).await;
    // Cut off the newest event and make the head name the one before, keeping its old MAC; under
    // the head's lock, so that no event the server appends meanwhile lands between the two.
    let mut tx = t.app.store.begin().await.expect("begin");
    obhut_store::audit::lock_head(&mut tx).await.expect("lock");
    let (last,): (i64,) = sqlx::query_as("SELECT seq FROM chain_head WHERE id = 1").fetch_one(&mut *tx).await.expect("head");
    sqlx::query(&format!("DELETE FROM audit_events WHERE seq = {last}")).execute(&mut *tx).await.expect("delete");
    let rewind = format!("UPDATE chain_head SET seq = {}, hash = (SELECT hash FROM audit_events WHERE seq = {}) WHERE id = 1", last - 1, last - 1);
    sqlx::query(&rewind).execute(&mut *tx).await.expect("rewind");
    tx.commit().await.expect("commit");
    let v = verify(&t.app, &Actor::cli()).await.expect("verify");
    assert!(!v.intact, "{v:?}");
    assert!(v.problem.unwrap_or_default().contains("signature"));
}

async fn the_purpose_registry_is_seeded_versioned_audited_and_exported(b: Backend) {
    use obhut_server::services::purposes::{self, RopaFormat};
    let t = spawn_app(b).await;
    let all = purposes::list(&t.app, &Actor::cli()).await.expect("list");
    assert_eq!(all.len(), 8);
    let json: serde_json::Value =
        serde_json::from_str(&purposes::ropa(&t.app, &Actor::cli(), RopaFormat::Json).await.expect("ropa")).expect("json");
    assert_eq!(json["processing_activities"].as_array().map(Vec::len), Some(8));
    let newsletter =
        json["processing_activities"].as_array().into_iter().flatten().find(|p| p["purpose"]["key"] == "newsletter").expect("newsletter");
    assert_eq!(newsletter["legal_basis"]["dpv_gdpr"], "eu-gdpr:A6-1-a");
    let md = purposes::ropa(&t.app, &Actor::cli(), RopaFormat::Markdown).await.expect("md");
    assert!(md.contains("(f) Retention") && md.contains("§ 147 AO"));

    // A change is a new version, audited; the old version stays.
    let mut p = all.into_iter().find(|p| p.key == "postal_marketing").expect("postal");
    p.retention_rule = "Until objection, else 2 years after the last contact".into();
    assert_eq!(purposes::save(&t.app, &Actor::cli(), &p).await.expect("save"), 2);
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let history = obhut_store::purposes::purpose_history(&mut conn, "postal_marketing").await.expect("history");
    assert_eq!(history.iter().map(|h| h.0).collect::<Vec<_>>(), vec![1, 2]);
    assert_ne!(history[0].1.retention_rule, history[1].1.retention_rule);
    let events = obhut_store::audit::list_for_record(&mut conn, "postal_marketing", 5).await.expect("events");
    assert_eq!(events[0].entry.action, "purpose.update");
    drop(conn);

    // A purpose without its legal basis reference is refused, naming the field, and nothing changes.
    p.basis_reference = "  ".into();
    match purposes::save(&t.app, &Actor::cli(), &p).await {
        Err(obhut_server::ServiceError::Validation(v)) => assert_eq!(v.0[0].field, "basis_reference"),
        other => panic!("not refused: {other:?}"),
    }
    let user = Actor::new(None, "u", Role::User, obhut_server::gate::Channel::Api);
    assert!(purposes::ropa(&t.app, &user, RopaFormat::Json).await.is_err());
    assert!(verify(&t.app, &Actor::cli()).await.expect("verify").intact);
}

async fn a_read_names_its_purpose_and_an_unknown_purpose_is_refused_and_logged(b: Backend) {
    let (t, ids) = seeded(b).await;
    let token = t.token("u1").await;
    let get = |path: String| {
        let (t, token) = (&t, token.clone());
        async move {
            let r = t.client.get(t.url(&path)).bearer_auth(&token).send().await.expect("send");
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    let (s, _) = get(format!("/api/v1/contacts/{}?purpose=customer_service", ids[0])).await;
    assert_eq!(s, 200);
    let (s, p) = get(format!("/api/v1/contacts/{}?purpose=werbung", ids[0])).await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["errors"][0]["field"], "purpose", "{p}");
    assert!(p["errors"][0]["message"].as_str().unwrap_or("").contains("newsletter"), "{p}");
    let (s, _) = get(format!("/api/v1/contacts/{}?purpos=contract", ids[0])).await;
    assert_eq!(s, 400, "an unknown query parameter was accepted");
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let events = obhut_store::audit::list_for_record(&mut conn, &ids[0], 10).await.expect("events");
    assert_eq!(events[0].entry.action, "contact.read_refused");
    assert_eq!(events[0].entry.purpose.as_deref(), Some("werbung"));
    assert_eq!(events[1].entry.action, "contact.read");
    assert_eq!(events[1].entry.purpose.as_deref(), Some("customer_service"));
}

async fn every_contact_a_list_or_search_hands_out_is_logged_as_read(b: Backend) {
    let (t, ids) = seeded(b).await;
    let token = t.token("u1").await;
    let reads = |id: String| {
        let t = &t;
        async move {
            let mut conn = t.app.store.pool.acquire().await.expect("conn");
            let events = obhut_store::audit::list_for_record(&mut conn, &id, 50).await.expect("events");
            events.iter().filter(|e| e.entry.action == "contact.read").count()
        }
    };
    let before: Vec<usize> = futures::future::join_all(ids.iter().map(|i| reads(i.clone()))).await;
    let r = t.client.get(t.url("/api/v1/contacts?q=Kette")).bearer_auth(&token).send().await.expect("send");
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["total"], 3);
    let r = t.client.get(t.url("/api/v1/contacts?limit=2&sort=oldest")).bearer_auth(&token).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 200);
    let after: Vec<usize> = futures::future::join_all(ids.iter().map(|i| reads(i.clone()))).await;
    // The search showed all three, the page of two the two oldest.
    assert_eq!(after.iter().zip(&before).map(|(a, b)| a - b).collect::<Vec<_>>(), vec![2, 2, 1]);
    // A list declares its purpose like a single read; an unknown one reads nothing.
    let r = t.client.get(t.url("/api/v1/contacts?q=Kette&purpose=customer_service")).bearer_auth(&token).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 200);
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let events = obhut_store::audit::list_for_record(&mut conn, &ids[0], 1).await.expect("events");
    assert_eq!(events[0].entry.purpose.as_deref(), Some("customer_service"));
    drop(conn);
    let r = t.client.get(t.url("/api/v1/contacts?q=Kette&purpose=werbung")).bearer_auth(&token).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 422);
    let last: Vec<usize> = futures::future::join_all(ids.iter().map(|i| reads(i.clone()))).await;
    assert_eq!(last.iter().zip(&after).map(|(a, b)| a - b).collect::<Vec<_>>(), vec![1, 1, 1]);
}

async fn administrators_browse_and_verify_the_audit_trail_over_the_api(b: Backend) {
    let (t, ids) = seeded(b).await;
    let admin = t.user_token("boss", Role::Admin).await;
    let user = t.token("u1").await;
    let get = |path: String, token: String| {
        let t = &t;
        async move {
            let r = t.client.get(t.url(&path)).bearer_auth(&token).send().await.expect("send");
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    let (s, v) = get(format!("/api/v1/audit?subject_id={}&action=contact.read", ids[2]), admin.clone()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["items"][0]["purpose"], "contract");
    assert_eq!(v["items"][0]["subject_id"], ids[2].as_str());
    assert_eq!(v["items"][0]["hash"].as_str().map(str::len), Some(64));
    let (s, v) = get("/api/v1/audit?since=2000-01-01T00:00:00Z&limit=2".into(), admin.clone()).await;
    assert_eq!((s, v["items"].as_array().map(Vec::len)), (200, Some(2)), "{v}");
    assert!(v["items"][0]["seq"].as_i64() > v["items"][1]["seq"].as_i64(), "newest first");
    let (s, v) = get("/api/v1/audit?until=3000-01-01T00:00:00Z&since=2999-01-01T00:00:00Z".into(), admin.clone()).await;
    assert_eq!((s, v["total"].as_i64()), (200, Some(0)));
    let (s, v) = get("/api/v1/audit?since=yesterday".into(), admin.clone()).await;
    assert_eq!((s, v["errors"][0]["field"].as_str()), (400, Some("since")), "{v}");
    let (s, _) = get("/api/v1/audit".into(), user.clone()).await;
    assert_eq!(s, 403, "a user may not browse the audit trail");
    let (s, v) = get("/api/v1/audit/verify".into(), admin).await;
    assert_eq!((s, &v["intact"]), (200, &serde_json::json!(true)), "{v}");
    let (s, _) = get("/api/v1/audit/verify".into(), user).await;
    assert_eq!(s, 403);
}
