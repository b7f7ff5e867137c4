//! Bulk actions on the contact list: tag, assign, a task each, an export of the selection as
//! one logged disclosure, erasure through the Art. 17 flow. Each contact goes through the gate;
//! what it refuses is named, the rest is done; bad input changes nothing. Over plain HTTP on
//! both backends, and in headless Chromium (a bulk tag and a bulk export).

use crate::browser::{start_driver, Browser};
use crate::common::{page, send_form, signed_in, spawn_app, Backend, TestApp, PASSWORD};
use obhut_core::user::Role;
use serde_json::json;

crate::on_both_backends!(bulk_actions_go_through_the_gate_one_contact_at_a_time);

async fn bulk(c: &reqwest::Client, t: &TestApp, csrf: &str, ids: &[&str], fields: &[(&str, &str)]) -> (u16, String, String) {
    let mut form: Vec<(String, String)> = vec![("csrf".into(), csrf.into()), ("back".into(), "/contacts?tag=x".into())];
    form.extend(ids.iter().map(|id| (format!("c.{id}"), "on".to_string())));
    form.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    send_form(c, t, "/contacts/bulk", &form).await
}

async fn bulk_actions_go_through_the_gate_one_contact_at_a_time(b: Backend) {
    let t = spawn_app(b).await;
    let (c, csrf) = signed_in(&t, "anna", Role::User).await;
    let anna = t.token("anna").await;
    let hr = t.user_token("hanna", Role::Hr).await;
    t.add_user("bernd", Role::User, PASSWORD).await;
    let a = t.api_contact(&anna, json!({"given_name": "Erika", "family_name": "Mustermann", "email": "erika@example.de"})).await;
    let b2 = t.api_contact(&anna, json!({"given_name": "Max", "family_name": "Beispiel", "email": "max@example.de"})).await;
    let other = t.api_contact(&anna, json!({"given_name": "Nicht", "family_name": "Gewählt", "email": "nicht@example.de"})).await;
    let secret = t.api_contact(&hr, json!({"family_name": "Bewerberin", "record_class": "hr"})).await;
    // Bad input: nothing chosen, no tag, an unknown action: 422, nothing changed.
    let (s, _, body) = bulk(&c, &t, &csrf, &[], &[("action", "tag"), ("tag", "messe")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("wählen Sie mindestens einen Kontakt aus"), "{body}");
    let (s, _, _) = bulk(&c, &t, &csrf, &[&a], &[("action", "tag"), ("tag", " ")]).await;
    assert_eq!(s, 422);
    let (s, _, _) = bulk(&c, &t, &csrf, &[&a], &[("action", "launch")]).await;
    assert_eq!(s, 422);
    let (s, _, _) = bulk(&c, &t, "wrong", &[&a], &[("action", "tag"), ("tag", "messe")]).await;
    assert_eq!(s, 403, "the CSRF token is checked");
    assert_eq!(t.count("SELECT COUNT(*) FROM contact_tags").await, 0);
    // Tag: the two are tagged, the HR record is refused by the gate and named.
    let (s, _, body) = bulk(&c, &t, &csrf, &[&a, &b2, &secret], &[("action", "tag"), ("tag", "Messe2026")]).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("2 Kontakte getaggt.") && body.contains("1 abgelehnt"), "{body}");
    assert!(body.contains(&format!("/contacts/{secret}")), "the refused contact is named (by id where its name may not be read)");
    assert!(body.contains("href=\"/contacts?tag=x\""), "back to the list it came from");
    let (_, tagged) = t.api_get(&anna, "/api/v1/contacts?tag=messe2026").await;
    assert_eq!(tagged["total"], 2, "{tagged}");
    let (_, body) = (0, bulk(&c, &t, &csrf, &[&a, &b2], &[("action", "tag"), ("tag", "messe2026")]).await.2);
    assert!(body.contains("0 Kontakte getaggt.") && body.contains("2 hatten das schon."), "{body}");
    assert_eq!(t.audit_events("contact.update").await.len(), 2, "each change audited once");
    // Assign to Bernd.
    let bernd = t.api_get(&t.token("bernd").await, "/api/v1/me").await.1["id"].as_str().map(str::to_string).unwrap_or_default();
    let (s, _, body) = bulk(&c, &t, &csrf, &[&a, &b2], &[("action", "assign"), ("owner_id", &bernd)]).await;
    assert_eq!(s, 200, "{body}");
    let (_, got) = t.api_get(&anna, &format!("/api/v1/contacts/{a}")).await;
    assert_eq!(got["owner_id"].as_str(), Some(bernd.as_str()));
    // A task each; a bad due day is said once and makes none.
    let (s, _, _) = bulk(&c, &t, &csrf, &[&a, &b2], &[("action", "task"), ("title", "Nach der Messe anrufen"), ("due_on", "morgen")]).await;
    assert_eq!(s, 422);
    assert_eq!(t.count("SELECT COUNT(*) FROM tasks").await, 0);
    let (s, _, body) = bulk(&c, &t, &csrf, &[&a, &b2], &[("action", "task"), ("title", "Nach der Messe anrufen"), ("due_on", "2030-03-02")]).await;
    assert_eq!(s, 200);
    assert!(body.contains("2 Aufgaben angelegt."), "{body}");
    let (_, tasks) = t.api_get(&anna, "/api/v1/tasks?assignee_id=me").await;
    assert_eq!(tasks["total"], 2, "{tasks}");
    // Export: the chosen contacts only, one disclosure with its recipient.
    let r = c
        .post(t.url("/contacts/bulk"))
        .form(&[("csrf", csrf.as_str()), ("action", "export"), ("recipient", "Messeagentur GmbH"), (&format!("c.{a}"), "on"), (&format!("c.{b2}"), "on")])
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"].to_str().unwrap_or_default().contains("attachment"));
    let csv = r.text().await.unwrap_or_default();
    assert!(csv.contains("erika@example.de") && csv.contains("max@example.de") && !csv.contains("nicht@example.de"), "{csv}");
    let start = t.audit_events("contact.export.start").await;
    assert_eq!(start.len(), 1);
    assert_eq!(start[0].entry.recipient.as_deref(), Some("Messeagentur GmbH"));
    assert!(t.audit_events("contact.export").await[0].entry.fields.iter().any(|f| f == "count=2"));
    // Erasure: not for staff (the Art. 17 flow is the DPO's); the DPO erases the two.
    let (s, _, _) = bulk(&c, &t, &csrf, &[&a, &b2], &[("action", "erase"), ("reason", "Aufräumen")]).await;
    assert_eq!(s, 403);
    let (dc, dcsrf) = signed_in(&t, "dora", Role::Dpo).await;
    let (_, html) = page(&dc, &t, "/contacts").await;
    assert!(html.contains("value=\"erase\""), "the DPO sees the erase action");
    let (s, _, _) = bulk(&dc, &t, &dcsrf, &[&a], &[("action", "erase"), ("reason", "")]).await;
    assert_eq!(s, 422, "a reason is required");
    let (s, _, body) = bulk(&dc, &t, &dcsrf, &[&a, &b2], &[("action", "erase"), ("reason", "Widerruf nach der Messe")]).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM contacts WHERE id IN ('{a}', '{b2}')")).await, 0);
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM contacts WHERE id = '{other}'")).await, 1, "the rest stays");
    assert_eq!(t.audit_events("contact.erase").await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_tag_and_a_bulk_export_in_the_browser() {
    let Some(driver) = start_driver().await else { return };
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("sabine", Role::User, PASSWORD).await;
    let token = t.token("sabine").await;
    let mut ids = Vec::new();
    for (g, f) in [("Erika", "Mustermann"), ("Max", "Beispiel"), ("Jana", "Schulz")] {
        ids.push(t.api_contact(&token, json!({"given_name": g, "family_name": f, "email": format!("{}@example.de", g.to_lowercase())})).await);
    }
    let b = Browser::open(&driver, &t.base).await;
    b.goto("/contacts").await;
    b.sign_in("sabine", PASSWORD, "#contact-table").await;
    // Two rows ticked, the tag given, applied.
    b.click(&format!("input.pick[name=\"c.{}\"]", ids[0])).await;
    b.click(&format!("input.pick[name=\"c.{}\"]", ids[1])).await;
    assert_eq!(b.text("#bulk-count").await, "2", "the selection is counted");
    b.click("details.bulk-action:nth-of-type(1) > summary").await;
    b.fill("#bulk-tag", "messe2026").await;
    b.shot("bulk-01-list-selection-de").await;
    b.submit("button[value=tag]", ".bulk-result").await;
    assert!(b.text(".bulk-result").await.contains("2 Kontakte getaggt."));
    b.shot("bulk-02-tagged-de").await;
    b.goto("/contacts?tag=messe2026").await;
    b.find("#contact-table").await;
    let list = b.text("#contact-table").await;
    assert!(list.contains("Mustermann") && list.contains("Beispiel") && !list.contains("Schulz"), "{list}");
    // Select all on the page and export: the file is one logged disclosure of all three.
    b.goto("/contacts").await;
    b.find("#contact-table").await;
    b.click("#pick-all").await;
    assert_eq!(b.text("#bulk-count").await, "3");
    b.click("details.bulk-action:nth-of-type(4) > summary").await;
    b.fill("#bulk-recipient", "Steuerberatung Kanzlei Berg").await;
    b.click("button[value=export]").await;
    for _ in 0..50 {
        if !t.audit_events("contact.export").await.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let done = t.audit_events("contact.export").await;
    assert_eq!(done.len(), 1, "the download was recorded");
    assert!(done[0].entry.fields.iter().any(|f| f == "count=3"), "{:?}", done[0].entry.fields);
    assert_eq!(t.audit_events("contact.export.start").await[0].entry.recipient.as_deref(), Some("Steuerberatung Kanzlei Berg"));
    assert_eq!(b.overflow_at(390).await, 0, "the list with its bulk bar fits 390 px");
    b.shot_at("bulk-03-list-de-390", 390).await;
    b.close().await;
}
