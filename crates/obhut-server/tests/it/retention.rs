//! Retention: the sweep applies due rules (erase, anonymize, restrict until a duty ends,
//! pseudonymize), a dry run changes nothing, legal holds postpone rules and refuse erasure,
//! an erasure request restricts what a legal duty keeps. Time is moved, never slept.

use crate::common::{try_spawn_app_at, Backend, TestApp};
use obhut_core::clock::ManualClock;
use obhut_core::user::Role;
use obhut_server::services;
use obhut_server::Actor;
use reqwest::Method;
use serde_json::{json, Value};
use time::macros::datetime;

crate::on_both_backends!(
    the_sweep_applies_due_rules_and_a_dry_run_changes_nothing,
    a_legal_hold_postpones_the_sweep_and_refuses_erasure,
    an_erasure_request_restricts_what_a_legal_duty_keeps,
    pseudonyms_hide_the_person_and_only_the_dpo_resolves_them,
);

/// The app on a clock the test moves; `None` when PostgreSQL is asked for and unavailable.
async fn spawn_at(b: Backend, clock: &ManualClock) -> Option<TestApp> {
    // The test runs the sweeps itself; the server's daily one would race it as time moves.
    try_spawn_app_at(b, clock.clone(), |c| c.retention_sweep = false).await
}

async fn contact(t: &TestApp, token: &str, family: &str, email: &str) -> String {
    t.api_contact(token, json!({"given_name": "Rita", "family_name": family, "email": email})).await
}

async fn activity(t: &TestApp, token: &str, contact: &str, kind: &str, subject: &str) -> String {
    let (s, a) = t.api_post(token, "/api/v1/activities", json!({"kind": kind, "subject": subject, "contact_id": contact})).await;
    assert_eq!(s, 201, "{a}");
    a["id"].as_str().expect("id").to_string()
}

fn step<'a>(report: &'a Value, id: &str) -> Option<&'a Value> {
    report["steps"].as_array().expect("steps").iter().find(|s| s["contact_id"] == id)
}

async fn the_sweep_applies_due_rules_and_a_dry_run_changes_nothing(b: Backend) {
    let clock = ManualClock::at(datetime!(2020-03-01 10:00 UTC));
    let Some(t) = spawn_at(b, &clock).await else { return };
    let staff = t.user_token("anna", Role::User).await;
    let dpo = t.user_token("dora", Role::Dpo).await;
    let prospect = contact(&t, &staff, "Interessent", "interessent@example.org").await;
    let customer = contact(&t, &staff, "Kundin", "kundin@example.org").await;
    activity(&t, &staff, &customer, "order", "Bestellung 4711").await;
    let note = activity(&t, &staff, &customer, "note", "Rückruf erbeten").await;

    // Only the DPO (and administrators) run retention.
    let (s, _) = t.api_post(&staff, "/api/v1/retention/run", json!({"dry_run": true})).await;
    assert_eq!(s, 403);
    for (body, field) in [(json!({"dry_run": true, "at": "2022-13-01"}), "at"), (json!({"at": "2030-01-01"}), "at")] {
        let (s, v) = t.api_post(&dpo, "/api/v1/retention/run", body).await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["errors"][0]["field"], field, "{v}");
    }

    // Two years and a day after the last contact the prospect is due; a dry run says so.
    clock.set(datetime!(2022-03-02 08:00 UTC));
    let (s, dry) = t.api_post(&dpo, "/api/v1/retention/run", json!({"dry_run": true})).await;
    assert_eq!(s, 200, "{dry}");
    let p = step(&dry, &prospect).expect("the prospect is due");
    assert_eq!(p["action"], "erase");
    assert_eq!(p["data_type"], "contact.prospect");
    assert_eq!(p["reason"]["due_on"], "2022-03-02", "{p}");
    assert!(step(&dry, &customer).is_none(), "the customer is not due: {dry}");
    // Looking ahead: at the start of 2024 the customer's relationship rule is due, but the
    // order of 2020 is kept under the HGB until the end of 2026.
    let (s, ahead) = t.api_post(&dpo, "/api/v1/retention/run", json!({"dry_run": true, "at": "2024-01-01"})).await;
    assert_eq!(s, 200, "{ahead}");
    let c = step(&ahead, &customer).expect("the customer is due in 2024");
    assert_eq!(c["action"], "restrict_until", "{c}");
    assert_eq!(c["until"], "2027-01-01", "{c}");
    assert_eq!(c["records"][0]["id"], note.as_str(), "the note goes, the order stays: {c}");
    // Nothing changed.
    let (s, _) = t.api_get(&staff, &format!("/api/v1/contacts/{prospect}")).await;
    assert_eq!(s, 200);
    assert_eq!(t.count("SELECT COUNT(*) FROM retention_runs ").await, 0);

    // The sweep itself.
    let (s, run) = t.api_post(&dpo, "/api/v1/retention/run", json!({})).await;
    assert_eq!(s, 200, "{run}");
    assert_eq!(run["counts"]["contacts_erased"], 1, "{run}");
    let (s, _) = t.api_get(&staff, &format!("/api/v1/contacts/{prospect}")).await;
    assert_eq!(s, 410, "the erased prospect answers Gone");
    let journal = services::tombstones::read_journal(t.dir.path()).expect("journal");
    assert!(journal.iter().any(|j| j.0 == prospect), "the erasure is journalled for restores");

    // 2024: the customer is restricted, the note erased, the order kept.
    clock.set(datetime!(2024-01-02 08:00 UTC));
    let (s, run) = t.api_post(&dpo, "/api/v1/retention/run", json!({})).await;
    assert_eq!(s, 200, "{run}");
    assert_eq!(run["counts"]["contacts_restricted"], 1, "{run}");
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM activities WHERE contact_id = '{customer}'")).await, 1);
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM contacts WHERE id = '{customer}' AND restricted_at IS NOT NULL")).await, 1);
    // A second sweep the same year has nothing more to do.
    let (_, again) = t.api_post(&dpo, "/api/v1/retention/run", json!({})).await;
    assert!(step(&again, &customer).is_none(), "{again}");

    // The Wiedervorlage names the day the duty ends.
    clock.set(datetime!(2026-11-01 08:00 UTC));
    let (s, due) = t.api_get(&dpo, "/api/v1/retention/due?days=90").await;
    assert_eq!(s, 200, "{due}");
    assert_eq!(due["entries"][0]["contact_id"], customer.as_str(), "{due}");
    assert_eq!(due["entries"][0]["due_on"], "2027-01-01", "{due}");
    assert_eq!(due["entries"][0]["action"], "anonymize", "{due}");

    // 2027: the order's period ends; the customer is anonymized, the order kept without them.
    clock.set(datetime!(2027-01-01 08:00 UTC));
    let (s, run) = t.api_post(&dpo, "/api/v1/retention/run", json!({})).await;
    assert_eq!(s, 200, "{run}");
    assert_eq!(run["counts"]["contacts_anonymized"], 1, "{run}");
    let (s, _) = t.api_get(&staff, &format!("/api/v1/contacts/{customer}")).await;
    assert_eq!(s, 410);
    assert_eq!(t.count("SELECT COUNT(*) FROM anonymized_activities WHERE kind = 'order'").await, 1);
    assert_eq!(t.count("SELECT COUNT(*) FROM activities").await, 0);
    let v = services::audit::verify(&t.app, &Actor::cli()).await.expect("verify");
    assert!(v.intact, "{v:?}");
    assert!(t.count("SELECT COUNT(*) FROM audit_events WHERE action = 'retention.anonymize'").await >= 1);
    assert_eq!(t.count("SELECT COUNT(*) FROM retention_runs ").await, 4);
}

async fn a_legal_hold_postpones_the_sweep_and_refuses_erasure(b: Backend) {
    let clock = ManualClock::at(datetime!(2021-05-10 10:00 UTC));
    let Some(t) = spawn_at(b, &clock).await else { return };
    let staff = t.user_token("anna", Role::User).await;
    let dpo = t.user_token("dora", Role::Dpo).await;
    let id = contact(&t, &staff, "Streitig", "streitig@example.org").await;

    // Bad input is refused and changes nothing.
    for (body, status) in [
        (json!({"contact_id": id, "reason": " "}), 422),
        (json!({"contact_id": id, "reason": "Klage", "until": "morgen"}), 422),
        (json!({"contact_id": id, "reason": "Klage", "until": "2020-01-01"}), 422),
        (json!({"contact_id": "kein-kontakt", "reason": "Klage"}), 422),
        (json!({"contact_id": "0190b0c4-7d5e-7000-8000-000000000000", "reason": "Klage"}), 404),
    ] {
        let (s, v) = t.api_post(&dpo, "/api/v1/retention/holds", body.clone()).await;
        assert_eq!(s, status, "{body}: {v}");
    }
    let (s, _) = t.api_post(&staff, "/api/v1/retention/holds", json!({"contact_id": id, "reason": "Klage"})).await;
    assert_eq!(s, 403);
    assert_eq!(t.count("SELECT COUNT(*) FROM legal_holds").await, 0);

    let (s, hold) = t.api_post(&dpo, "/api/v1/retention/holds", json!({"contact_id": id, "reason": "Klage LG Berlin 12 O 34/21"})).await;
    assert_eq!(s, 201, "{hold}");
    let hold_id = hold["id"].as_str().expect("id").to_string();

    clock.set(datetime!(2024-01-01 10:00 UTC));
    let (_, run) = t.api_post(&dpo, "/api/v1/retention/run", json!({})).await;
    assert_eq!(step(&run, &id).expect("due but held")["action"], "held", "{run}");
    assert_eq!(run["counts"]["held"], 1, "{run}");
    let (s, _) = t.api_get(&staff, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(s, 200, "a held contact stays");
    // An erasure request meets the hold.
    let (s, v) = t.api_post(&dpo, &format!("/api/v1/contacts/{id}/erasure"), json!({"reason": "Antrag Art. 17"})).await;
    assert_eq!(s, 409, "{v}");
    assert!(v["detail"].as_str().unwrap_or_default().contains("legal hold"), "{v}");

    // Released, the next sweep erases.
    let (s, v) = t.api(Method::POST, &dpo, &format!("/api/v1/retention/holds/{hold_id}/release"), None).await;
    assert_eq!(s, 200, "{v}");
    let (s, _) = t.api(Method::POST, &dpo, &format!("/api/v1/retention/holds/{hold_id}/release"), None).await;
    assert_eq!(s, 409, "released once");
    let (_, run) = t.api_post(&dpo, "/api/v1/retention/run", json!({})).await;
    assert_eq!(step(&run, &id).expect("due")["action"], "erase", "{run}");
    let (s, _) = t.api_get(&staff, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(s, 410);
    let actions =
        t.count("SELECT COUNT(*) FROM audit_events WHERE action IN ('retention.hold', 'retention.hold_release', 'retention.erase')").await;
    assert_eq!(actions, 3);
}

async fn an_erasure_request_restricts_what_a_legal_duty_keeps(b: Backend) {
    let clock = ManualClock::at(datetime!(2026-11-23 10:00 UTC));
    let Some(t) = spawn_at(b, &clock).await else { return };
    let staff = t.user_token("anna", Role::User).await;
    let dpo = t.user_token("dora", Role::Dpo).await;
    let id = contact(&t, &staff, "Briefpartner", "brief@example.org").await;
    let letter = activity(&t, &staff, &id, "email", "Auftragsbestätigung").await;
    activity(&t, &staff, &id, "call", "Telefonat über Lieferung").await;

    let (s, e) = t.api_post(&dpo, &format!("/api/v1/contacts/{id}/erasure"), json!({"reason": "Antrag Art. 17"})).await;
    assert_eq!(s, 200, "{e}");
    // The letter of 2026 is kept until the end of 2032 (HGB § 257: six years from year end).
    assert_eq!(e["restricted_until"], "2033-01-01", "{e}");
    assert!(e["kept"][0].as_str().unwrap_or_default().contains(&letter), "{e}");
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM activities WHERE contact_id = '{id}'")).await, 1, "the call is erased");
    assert_eq!(t.count(&format!("SELECT COUNT(*) FROM contacts WHERE id = '{id}' AND restricted_at IS NOT NULL")).await, 1);
    assert_eq!(t.count("SELECT COUNT(*) FROM audit_events WHERE action = 'contact.erase_restricted'").await, 1);

    // When the duty ends, the sweep erases what the person asked to have erased.
    clock.set(datetime!(2032-12-31 10:00 UTC));
    let (_, run) = t.api_post(&dpo, "/api/v1/retention/run", json!({})).await;
    assert!(step(&run, &id).is_none(), "not before the duty ends: {run}");
    clock.set(datetime!(2033-01-01 10:00 UTC));
    let (_, run) = t.api_post(&dpo, "/api/v1/retention/run", json!({})).await;
    assert_eq!(step(&run, &id).expect("due")["action"], "erase", "{run}");
    let (s, _) = t.api_get(&dpo, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(s, 410);
    assert_eq!(t.count("SELECT COUNT(*) FROM retention_restrictions").await, 0);
}

async fn pseudonyms_hide_the_person_and_only_the_dpo_resolves_them(b: Backend) {
    let clock = ManualClock::at(datetime!(2023-02-01 10:00 UTC));
    let Some(t) = spawn_at(b, &clock).await else { return };
    let staff = t.user_token("anna", Role::User).await;
    let dpo = t.user_token("dora", Role::Dpo).await;
    // Rule changes are checked: no legal duty cut short, no action that does not fit.
    for (path, body, field) in [
        ("activity.order", json!({"period": "5y"}), "period"),
        ("activity.note", json!({"action": "pseudonymize"}), "action"),
        ("contact.prospect", json!({"period": "zwei Jahre"}), "period"),
        ("contact.prospect", json!({"purpose": "gibt_es_nicht"}), "purpose"),
    ] {
        let (s, v) = t.api(Method::PATCH, &dpo, &format!("/api/v1/retention/rules/{path}"), Some(body)).await;
        assert_eq!(s, 422, "{v}");
        assert_eq!(v["errors"][0]["field"], field, "{v}");
    }
    let (s, _) = t.api(Method::PATCH, &staff, "/api/v1/retention/rules/contact.prospect", Some(json!({"action": "pseudonymize"}))).await;
    assert_eq!(s, 403);
    let (s, r) = t.api(Method::PATCH, &dpo, "/api/v1/retention/rules/contact.prospect", Some(json!({"action": "pseudonymize"}))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["action"], "pseudonymize");

    let id = contact(&t, &staff, "Pseudonyma", "pseudonyma@example.org").await;
    clock.set(datetime!(2025-02-02 10:00 UTC));
    let (_, run) = t.api_post(&dpo, "/api/v1/retention/run", json!({})).await;
    assert_eq!(run["counts"]["contacts_pseudonymized"], 1, "{run}");
    let (s, c) = t.api_get(&dpo, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(s, 200, "{c}");
    let token = c["family_name"].as_str().expect("pseudonym").to_string();
    assert!(token.starts_with("PSN-") && token.len() == 20, "{c}");
    assert!(!c.to_string().contains("pseudonyma@example.org"), "{c}");
    let (_, found) = t.api_get(&staff, "/api/v1/contacts?q=pseudonyma@example.org").await;
    assert_eq!(found["total"], 0, "the address no longer finds the person: {found}");
    // A second sweep leaves it alone.
    let (_, again) = t.api_post(&dpo, "/api/v1/retention/run", json!({})).await;
    assert!(step(&again, &id).is_none(), "{again}");

    let path = format!("/api/v1/retention/pseudonyms/{token}/resolve");
    let (s, _) = t.api_post(&staff, &path, json!({"reason": "Neugier"})).await;
    assert_eq!(s, 403);
    let (s, v) = t.api_post(&dpo, &path, json!({"reason": ""})).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(t.count("SELECT COUNT(*) FROM audit_events WHERE action = 'pseudonym.resolve'").await, 0);
    let (s, v) = t.api_post(&dpo, &path, json!({"reason": "Auskunftsersuchen der Staatsanwaltschaft"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["contact_id"], id.as_str());
    assert_eq!(v["personal"]["emails"][0]["address"], "pseudonyma@example.org", "{v}");
    assert_eq!(t.count("SELECT COUNT(*) FROM audit_events WHERE action = 'pseudonym.resolve'").await, 1);
    let (s, _) = t.api_post(&dpo, "/api/v1/retention/pseudonyms/PSN-UNKNOWN/resolve", json!({"reason": "x"})).await;
    assert_eq!(s, 404);
}
