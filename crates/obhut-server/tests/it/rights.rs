//! Restriction of processing (Art. 18), the recipients' notification tasks (Art. 19) and
//! rectification through a request case (Art. 16), over the API, on both backends.

use crate::common::{spawn_app, Backend, TestApp};
use obhut_core::user::Role;
use obhut_server::services;
use obhut_server::Actor;
use serde_json::{json, Value};

crate::on_both_backends!(
    a_restricted_contact_leaves_every_list_search_and_export_and_staff_are_refused,
    restricting_needs_a_reason_and_a_future_end_and_bad_input_changes_nothing,
    lifting_a_restriction_needs_the_day_the_person_was_told,
    a_restriction_through_its_case_completes_it_and_every_recipient_gets_a_task,
    erasure_creates_tasks_for_the_recipients_before_the_data_goes,
    rectification_through_the_case_corrects_audits_and_tells_the_recipients,
    no_consent_mail_goes_to_a_restricted_contact_even_when_an_administrator_asks,
);

async fn restrict(t: &TestApp, token: &str, id: &str, body: Value) -> (u16, Value) {
    t.api(reqwest::Method::PUT, token, &format!("/api/v1/contacts/{id}/restriction"), Some(body)).await
}

fn field_of(v: &Value) -> String {
    v["errors"][0]["field"].as_str().unwrap_or_default().to_string()
}

/// A contact with a newsletter consent whose address went to "Versanddienst GmbH" in an
/// audience export: the disclosure log knows one recipient.
async fn disclosed(t: &TestApp, staff: &str, admin: &str, family: &str, email: &str) -> String {
    let id = t.api_contact(staff, json!({"given_name": "Rita", "family_name": family, "email": email})).await;
    let consent = json!({"purpose": "newsletter", "channel": "email", "kind": "given", "method": "paper", "recording_ref": "Scan 1"});
    let (s, v) = t.api_post(staff, &format!("/api/v1/contacts/{id}/consents"), consent).await;
    assert_eq!(s, 201, "{v}");
    let r = t
        .client
        .get(t.url("/api/v1/audiences/export?purpose=newsletter&channel=email&recipient=Versanddienst%20GmbH"))
        .bearer_auth(admin)
        .send()
        .await
        .expect("export");
    assert_eq!(r.status().as_u16(), 200);
    id
}

async fn a_restricted_contact_leaves_every_list_search_and_export_and_staff_are_refused(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let dora = t.user_token("dora", Role::Dpo).await;
    let kept = t.api_contact(&anna, json!({"given_name": "Karl", "family_name": "Sichtbar", "email": "karl@example.org"})).await;
    let hidden = t.api_contact(&anna, json!({"given_name": "Rosa", "family_name": "Sperrig", "email": "rosa.sperrig@example.org"})).await;

    // Staff may not restrict: it is a data subject right the DPO runs.
    let (s, _) = restrict(&t, &anna, &hidden, json!({"restricted": true, "reason": "Richtigkeit bestritten"})).await;
    assert_eq!(s, 403);
    let (s, v) = restrict(&t, &dora, &hidden, json!({"restricted": true, "reason": "Richtigkeit bestritten (Art. 18(1)(a))"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["restricted"], true);

    // Lists, searches (name prefix and the email's blind index) and exports leave it out.
    let (_, list) = t.api_get(&anna, "/api/v1/contacts").await;
    let ids: Vec<&str> = list["items"].as_array().expect("items").iter().filter_map(|c| c["id"].as_str()).collect();
    assert!(ids.contains(&kept.as_str()) && !ids.contains(&hidden.as_str()), "{list}");
    for q in ["Sperrig", "rosa.sperrig@example.org"] {
        let (_, found) = t.api_get(&anna, &format!("/api/v1/contacts?q={q}")).await;
        assert_eq!(found["items"].as_array().map(Vec::len), Some(0), "{q}: {found}");
    }
    let csv = t.client.get(t.url("/api/v1/contacts/export?format=csv")).bearer_auth(&anna).send().await.expect("export");
    let csv = csv.text().await.unwrap_or_default();
    assert!(csv.contains("karl@example.org") && !csv.contains("rosa.sperrig@example.org"), "{csv}");
    let vcf = t.client.get(t.url("/api/v1/contacts/export?format=vcf")).bearer_auth(&anna).send().await.expect("export");
    assert!(!vcf.text().await.unwrap_or_default().contains("Sperrig"));

    // Any processing by staff is refused with a clear problem, and logged.
    let (s, v) = t.api_get(&anna, &format!("/api/v1/contacts/{hidden}")).await;
    assert_eq!(s, 403, "{v}");
    assert_eq!(v["type"], "/problems/restricted");
    let (s, _) = t.api(reqwest::Method::PATCH, &anna, &format!("/api/v1/contacts/{hidden}"), Some(json!({"given_name": "Rosi"}))).await;
    assert_eq!(s, 403);
    let (s, _) = t.api_post(&anna, "/api/v1/activities", json!({"kind": "call", "contact_id": hidden, "subject": "Rückruf"})).await;
    assert_eq!(s, 403);
    let (s, _) = t.api_post(&anna, "/api/v1/tickets", json!({"title": "Reklamation", "contact_id": hidden})).await;
    assert_eq!(s, 403);
    let (s, _) = t.api_post(&anna, "/api/v1/deals", json!({"title": "Fenster", "contact_id": hidden})).await;
    assert_eq!(s, 403);
    let (s, _) = t.api_post(&anna, &format!("/api/v1/contacts/{hidden}/consents/request"), json!({"purpose": "newsletter"})).await;
    assert_eq!(s, 403);
    let filter = obhut_store::audit::AuditFilter { action: Some("access.refused".into()), ..Default::default() };
    let refused = services::audit::search(&t.app, &Actor::cli(), &filter, services::Page::new(Some(200), None)).await.expect("audit").0;
    let restricted = refused.iter().filter(|e| e.entry.fields.iter().any(|f| f == "policy=restriction")).count();
    assert!(restricted >= 6, "each refusal of a restricted contact is logged as access.refused: {restricted}");

    // The DPO still sees it, in the list too; nothing was changed by the refused attempts.
    let (s, c) = t.api_get(&dora, &format!("/api/v1/contacts/{hidden}")).await;
    assert_eq!((s, c["given_name"].as_str()), (200, Some("Rosa")), "{c}");
    let (_, list) = t.api_get(&dora, "/api/v1/contacts?q=Sperrig").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    let (_, r) = t.api_get(&dora, &format!("/api/v1/contacts/{hidden}/restriction")).await;
    assert_eq!(r["reason"], "Richtigkeit bestritten (Art. 18(1)(a))");
}

async fn restricting_needs_a_reason_and_a_future_end_and_bad_input_changes_nothing(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let chef = t.user_token("chef", Role::Admin).await;
    let id = t.api_contact(&anna, json!({"family_name": "Eingabe", "email": "eingabe@example.org"})).await;
    let today = t.app.clock.now().date();
    for (body, field) in [
        (json!({"restricted": true}), "reason"),
        (json!({"restricted": true, "reason": "  "}), "reason"),
        (json!({"restricted": true, "reason": "geprüft", "until": "morgen"}), "until"),
        (json!({"restricted": true, "reason": "geprüft", "until": today.to_string()}), "until"),
        (json!({"restricted": true, "reason": "geprüft", "case_id": "DSR-1999-0001"}), "case"),
    ] {
        let (s, v) = restrict(&t, &chef, &id, body.clone()).await;
        assert_eq!((s, field_of(&v).as_str()), (422, field), "{body}: {v}");
    }
    let (s, v) = restrict(&t, &chef, &id, json!({"restricted": true, "reason": "x", "colour": "red"})).await;
    assert_eq!(s, 400, "unknown fields are refused: {v}");
    let (s, c) = t.api_get(&anna, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(s, 200, "still unrestricted: {c}");
    assert_eq!(t.audit_events("contact.restrict").await.len(), 0);
    // A restriction until a date keeps the date; a second restriction is a conflict.
    let until = (today + time::Duration::days(30)).to_string();
    let (s, v) = restrict(&t, &chef, &id, json!({"restricted": true, "reason": "Zwiebelgrund-4711", "until": until})).await;
    assert_eq!((s, v["until"].as_str()), (200, Some(until.as_str())), "{v}");
    let (s, _) = restrict(&t, &chef, &id, json!({"restricted": true, "reason": "noch einmal"})).await;
    assert_eq!(s, 409);
    let (s, _) = restrict(&t, &chef, "00000000-0000-0000-0000-000000000000", json!({"restricted": true, "reason": "x"})).await;
    assert_eq!(s, 404);
    // The reason is stored sealed.
    let raw = t.raw_bytes().await;
    assert!(!crate::common::contains(&raw, "Zwiebelgrund-4711"));
}

async fn lifting_a_restriction_needs_the_day_the_person_was_told(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let dora = t.user_token("dora", Role::Dpo).await;
    let id = t.api_contact(&anna, json!({"family_name": "Aufheber", "email": "aufheber@example.org"})).await;
    let (s, _) = restrict(&t, &dora, &id, json!({"restricted": true, "reason": "Widerspruch wird geprüft"})).await;
    assert_eq!(s, 200);
    let today = t.app.clock.now().date();
    let tomorrow = (today + time::Duration::days(1)).to_string();
    for body in [
        json!({"restricted": false}),
        json!({"restricted": false, "person_informed_on": ""}),
        json!({"restricted": false, "person_informed_on": tomorrow}),
        json!({"restricted": false, "person_informed_on": "2020-01-01"}),
    ] {
        let (s, v) = restrict(&t, &dora, &id, body.clone()).await;
        assert_eq!((s, field_of(&v).as_str()), (422, "person_informed_on"), "{body}: {v}");
    }
    let (s, v) =
        restrict(&t, &dora, &id, json!({"restricted": false, "person_informed_on": today.to_string(), "informed_via": "fax"})).await;
    assert_eq!((s, field_of(&v).as_str()), (422, "informed_via"), "{v}");
    let (s, _) = t.api_get(&anna, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(s, 403, "still restricted after refused liftings");
    let (s, v) =
        restrict(&t, &dora, &id, json!({"restricted": false, "person_informed_on": today.to_string(), "informed_via": "letter"})).await;
    assert_eq!((s, v["restricted"].as_bool()), (200, Some(false)), "{v}");
    let (s, _) = t.api_get(&anna, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(s, 200);
    let filter = obhut_store::audit::AuditFilter { action: Some("contact.restrict_lift".into()), ..Default::default() };
    let ev = services::audit::search(&t.app, &Actor::cli(), &filter, services::Page::default()).await.expect("audit").0;
    assert!(ev[0].entry.fields.contains(&format!("person_informed_on={today}")), "{:?}", ev[0].entry.fields);
    let (s, _) = restrict(&t, &dora, &id, json!({"restricted": false, "person_informed_on": today.to_string()})).await;
    assert_eq!(s, 409, "not restricted any more");
}

async fn a_restriction_through_its_case_completes_it_and_every_recipient_gets_a_task(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let chef = t.user_token("chef", Role::Admin).await;
    let dora = t.user_token("dora", Role::Dpo).await;
    let id = disclosed(&t, &anna, &chef, "Fallbezug", "fall.bezug@example.org").await;
    let (s, case) = t
        .api_post(
            &dora,
            "/api/v1/dsr/cases",
            json!({"contact_id": id, "kind": "restriction", "received_via": "email",
            "identity_check": "known_identity", "identity_evidence": "fall.bezug@example.org"}),
        )
        .await;
    assert_eq!(s, 201, "{case}");
    let reference = case["reference"].as_str().expect("reference").to_string();
    let (s, v) = restrict(&t, &dora, &id, json!({"restricted": true, "reason": "Richtigkeit bestritten", "case_id": reference})).await;
    assert_eq!((s, v["recipient_notices"].as_u64()), (200, Some(1)), "{v}");
    let (_, c) = t.api_get(&dora, &format!("/api/v1/dsr/cases/{reference}")).await;
    assert_eq!(c["status"], "completed", "{c}");

    let (s, list) = t.api_get(&dora, "/api/v1/dsr/notifications?open=true").await;
    assert_eq!(s, 200);
    let tasks = list.as_array().expect("list");
    assert_eq!(tasks.len(), 1, "{list}");
    assert_eq!((tasks[0]["recipient"].as_str(), tasks[0]["event"].as_str()), (Some("Versanddienst GmbH"), Some("restriction")));
    assert_eq!(tasks[0]["case_id"], c["id"]);
    let nid = tasks[0]["id"].as_str().expect("id").to_string();
    let (s, _) = t.api_get(&anna, "/api/v1/dsr/notifications").await;
    assert_eq!(s, 403);
    let done = format!("/api/v1/dsr/notifications/{nid}/done");
    let (s, v) = t.api_post(&dora, &done, json!({"note": " "})).await;
    assert_eq!((s, field_of(&v).as_str()), (422, "note"), "{v}");
    let (s, v) = t.api_post(&dora, &done, json!({"note": "Mail an datenschutz@versand.example am 23.11."})).await;
    assert_eq!((s, v["done"].as_bool()), (200, Some(true)), "{v}");
    let (s, _) = t.api_post(&dora, &done, json!({"note": "noch einmal"})).await;
    assert_eq!(s, 409);
    let (_, open) = t.api_get(&dora, "/api/v1/dsr/notifications?open=true").await;
    assert_eq!(open.as_array().map(Vec::len), Some(0));
    assert_eq!(t.audit_events("recipient_notice.done").await.len(), 1);
    assert_eq!(t.audit_events("recipient_notice.create").await.len(), 1);
}

async fn erasure_creates_tasks_for_the_recipients_before_the_data_goes(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let chef = t.user_token("chef", Role::Admin).await;
    let id = disclosed(&t, &anna, &chef, "Weg", "weg@example.org").await;
    let (s, v) = t.api_post(&chef, &format!("/api/v1/contacts/{id}/erasure"), json!({"reason": "Antrag Art. 17"})).await;
    assert_eq!((s, v["recipient_notices"].as_u64()), (200, Some(1)), "{v}");
    let (_, list) = t.api_get(&chef, &format!("/api/v1/dsr/notifications?contact_id={id}")).await;
    let tasks = list.as_array().expect("list");
    assert_eq!(tasks.len(), 1, "{list}");
    assert_eq!((tasks[0]["recipient"].as_str(), tasks[0]["event"].as_str()), (Some("Versanddienst GmbH"), Some("erasure")));
    // A contact without recipients makes no task.
    let quiet = t.api_contact(&anna, json!({"family_name": "Leise"})).await;
    let (s, v) = t.api_post(&chef, &format!("/api/v1/contacts/{quiet}/erasure"), json!({"reason": "Antrag"})).await;
    assert_eq!((s, v["recipient_notices"].as_u64()), (200, Some(0)), "{v}");
}

async fn rectification_through_the_case_corrects_audits_and_tells_the_recipients(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let chef = t.user_token("chef", Role::Admin).await;
    let dora = t.user_token("dora", Role::Dpo).await;
    let id = disclosed(&t, &anna, &chef, "Mueller", "mueller@example.org").await;
    let (s, case) =
        t.api_post(&dora, "/api/v1/dsr/cases", json!({"contact_id": id, "kind": "rectification", "received_via": "letter"})).await;
    assert_eq!(s, 201, "{case}");
    let cid = case["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/dsr/cases/{cid}/rectification");
    // Not before the identity is checked.
    let (s, _) = t.api_post(&dora, &path, json!({"family_name": "Müller"})).await;
    assert_eq!(s, 409);
    let (s, _) = t
        .api_post(
            &dora,
            &format!("/api/v1/dsr/cases/{cid}/identity"),
            json!({"identity_check": "manual", "identity_note": "Ausweis vorgelegt"}),
        )
        .await;
    assert_eq!(s, 200);
    // Staff may not; bad input names the field and changes nothing.
    let (s, _) = t.api_post(&anna, &path, json!({"family_name": "Müller"})).await;
    assert_eq!(s, 403);
    let (s, v) = t.api_post(&dora, &path, json!({"family_name": "Müller", "email": "kaputt"})).await;
    assert_eq!(s, 422, "{v}");
    assert!(v["errors"].as_array().expect("errors").iter().any(|e| e["field"].as_str().unwrap_or_default().starts_with("email")), "{v}");
    let (s, v) = t.api_post(&dora, &path, json!({})).await;
    assert_eq!(s, 422, "{v}");
    let (_, c) = t.api_get(&anna, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(c["family_name"], "Mueller");

    let (s, v) = t.api_post(&dora, &path, json!({"family_name": "Müller"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["rectified_fields"], json!(["family_name"]));
    let (_, c) = t.api_get(&anna, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(c["family_name"], "Müller");
    // Audited with the values before and after (sealed under the contact's key).
    let report = services::dsr_report::access_report(&t.app, &Actor::cli(), &id).await.expect("report");
    let change = report
        .audit_trail
        .iter()
        .find(|e| e.action == "contact.update" && e.fields == vec!["family_name".to_string()])
        .and_then(|e| e.detail.clone())
        .expect("the update with its detail");
    assert_eq!((change["before"]["family_name"].as_str(), change["after"]["family_name"].as_str()), (Some("Mueller"), Some("Müller")));
    assert_eq!(t.audit_events("dsr.rectify").await.len(), 1);
    let (_, list) = t.api_get(&dora, &format!("/api/v1/dsr/notifications?case_id={cid}")).await;
    assert_eq!(list[0]["event"], "rectification", "{list}");
    assert_eq!(list[0]["recipient"], "Versanddienst GmbH");
    let (s, v) = t.api_post(&dora, &format!("/api/v1/dsr/cases/{cid}/close"), json!({"status": "completed"})).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("completed")), "{v}");
    let (s, _) = t.api_post(&dora, &path, json!({"family_name": "Meier"})).await;
    assert_eq!(s, 409, "a closed case corrects nothing");
}

async fn no_consent_mail_goes_to_a_restricted_contact_even_when_an_administrator_asks(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let dora = t.user_token("dora", Role::Dpo).await;
    let chef = t.user_token("chef", Role::Admin).await;
    let id = t.api_contact(&anna, json!({"family_name": "Stumm", "email": "stumm@example.org"})).await;
    let (s, _) = restrict(&t, &dora, &id, json!({"restricted": true, "reason": "Widerspruch wird geprüft"})).await;
    assert_eq!(s, 200);
    let (s, v) = t.api_post(&chef, &format!("/api/v1/contacts/{id}/consents/request"), json!({"purpose": "newsletter"})).await;
    assert_eq!((s, v["type"].as_str()), (403, Some("/problems/restricted")), "{v}");
    // A mail queued for it (before the restriction) waits; one about its own request goes out.
    let mail = obhut_store::consent::Mail {
        from: "crm@example.org".into(),
        to: vec!["stumm@example.org".into()],
        message: b"Subject: x\r\n\r\nx".to_vec(),
    };
    let now = t.app.now_ms();
    let mut tx = t.app.store.begin().await.expect("tx");
    obhut_store::consent::enqueue(
        &mut tx,
        &t.app.store.crypto,
        "m-marketing",
        "consent_confirmation",
        Some(&id),
        "<m1@example.org>",
        &mail,
        now,
    )
    .await
    .expect("enqueue");
    obhut_store::consent::enqueue(&mut tx, &t.app.store.crypto, "m-dsr", "dsr_answer", Some(&id), "<m2@example.org>", &mail, now)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let leased = obhut_store::consent::lease_due(&mut conn, &t.app.store.crypto, now + 1000, 60_000, 50).await.expect("lease");
    assert!(!leased.iter().any(|m| m.id == "m-marketing"));
    // (The server's own worker may have leased the request's mail first.)
    let attempts = |id: &'static str| sqlx::query_as::<_, (i64,)>("SELECT attempts FROM outbox WHERE id = $1").bind(id);
    assert_eq!(attempts("m-marketing").fetch_one(&mut *conn).await.expect("row").0, 0);
    assert!(attempts("m-dsr").fetch_one(&mut *conn).await.expect("row").0 >= 1);
}
