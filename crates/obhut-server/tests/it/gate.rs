//! The privacy gate end to end: Cedar policies stored, validated and in force; record classes,
//! ownership, processors; purpose binding of data items; the field catalog and its lint.

use crate::common::{spawn_app, Backend, TestApp};
use obhut_core::user::{Role, Scope};
use obhut_server::services;
use obhut_server::Actor;
use serde_json::json;

crate::on_both_backends!(
    an_email_collected_for_the_contract_is_not_returned_under_the_newsletter_purpose,
    a_field_no_active_purpose_justifies_is_refused_and_the_lint_finds_stored_ones,
    policies_are_validated_before_they_are_saved_and_take_effect_at_once,
    hr_records_are_for_hr_and_refusals_are_logged,
    a_user_of_scope_own_reaches_only_their_own_contacts,
    a_processor_user_is_confined_to_its_grant,
);

/// How many contacts there are (the total of the contact list).
async fn contacts_total(t: &TestApp) -> i64 {
    let page = services::Page::new(Some(200), None);
    services::contact_list::list(&t.app, &Actor::cli(), None, &Default::default(), Default::default(), page).await.expect("list").total
}

async fn an_email_collected_for_the_contract_is_not_returned_under_the_newsletter_purpose(b: Backend) {
    let t = spawn_app(b).await;
    let token = t.user_token("anna", Role::User).await;
    let (s, c) = t
        .api_post(
            &token,
            "/api/v1/contacts",
            json!({"given_name": "Erika", "family_name": "Zweck", "emails": [
                {"address": "vertrag@example.org"},
                {"address": "news@example.org", "purposes": ["newsletter"]}
            ]}),
        )
        .await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().expect("id");
    assert_eq!(c["purposes"], json!(["contract"]), "collected for the contract by default");
    // Under the contract: the contract's address (and not the newsletter's).
    let (_, v) = t.api_get(&token, &format!("/api/v1/contacts/{id}")).await;
    let emails: Vec<&str> = v["emails"].as_array().expect("emails").iter().filter_map(|e| e["address"].as_str()).collect();
    assert_eq!(emails, vec!["vertrag@example.org"]);
    // Under the newsletter: only what was collected for it. The contract's email is not returned.
    let (s, v) = t.api_get(&token, &format!("/api/v1/contacts/{id}?purpose=newsletter")).await;
    assert_eq!(s, 200);
    let emails: Vec<&str> = v["emails"].as_array().expect("emails").iter().filter_map(|e| e["address"].as_str()).collect();
    assert_eq!(emails, vec!["news@example.org"]);
    assert!(v["family_name"].is_null(), "the name was collected for the contract only: {v}");
    // Customer service may use contract data (compatible purpose, Art. 6(4)).
    let (_, v) = t.api_get(&token, &format!("/api/v1/contacts/{id}?purpose=customer_service")).await;
    assert_eq!(v["email"], "vertrag@example.org");
    // The read log names what was handed out under which purpose.
    let reads = t.audit_events("contact.read").await;
    let news = reads.iter().find(|e| e.entry.purpose.as_deref() == Some("newsletter")).expect("newsletter read");
    assert_eq!(news.entry.fields, vec!["emails".to_string()]);
    // A change made under the newsletter purpose cannot remove the contract's address it did not see.
    let (s, _) =
        t.api(reqwest::Method::PATCH, &token, &format!("/api/v1/contacts/{id}?purpose=newsletter"), Some(json!({"emails": []}))).await;
    assert_eq!(s, 200);
    let (_, v) = t.api_get(&token, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(v["email"], "vertrag@example.org");
    // A read naming no purpose at all (`?purpose=`) is refused like an unknown one, and logged.
    let (s, p) = t.api_get(&token, &format!("/api/v1/contacts/{id}?purpose=")).await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["errors"][0]["field"], "purpose");
    assert!(!t.audit_events("contact.read_refused").await.is_empty());
    // An unknown collection purpose is refused, naming the field.
    let (s, p) = t.api_post(&token, "/api/v1/contacts", json!({"family_name": "X", "purposes": ["gibtsnicht"]})).await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["errors"][0]["field"], "purposes");
}

async fn a_field_no_active_purpose_justifies_is_refused_and_the_lint_finds_stored_ones(b: Backend) {
    let t = spawn_app(b).await;
    let token = t.user_token("anna", Role::User).await;
    let (s, c) = t.api_post(&token, "/api/v1/contacts", json!({"family_name": "Geburt", "birthday": "1980-05-01"})).await;
    assert_eq!(s, 201, "{c}");
    let lint = services::privacy::lint(&t.app, &Actor::cli(), 100).await.expect("lint");
    assert!(lint.clean(), "{lint:?}");
    // The DPO takes the date of birth out of the contract purpose: no purpose justifies it now.
    let mut contract =
        services::purposes::list(&t.app, &Actor::cli()).await.expect("list").into_iter().find(|p| p.key == "contract").expect("contract");
    contract.data_categories.retain(|c| c != "user.demographic.date_of_birth");
    services::purposes::save(&t.app, &Actor::cli(), &contract).await.expect("save");
    let before = contacts_total(&t).await;
    let (s, p) = t.api_post(&token, "/api/v1/contacts", json!({"family_name": "Zuviel", "birthday": "1990-01-01"})).await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["errors"][0]["field"], "birthday");
    assert!(p["errors"][0]["message"].as_str().unwrap_or("").contains("no active purpose"), "{p}");
    let after = contacts_total(&t).await;
    assert_eq!(before, after, "nothing stored");
    // The lint names the field and the stored record holding it.
    let lint = services::privacy::lint(&t.app, &Actor::cli(), 100).await.expect("lint");
    assert!(lint.unjustified_fields.iter().any(|f| f.name == "birthday"), "{lint:?}");
    assert_eq!(lint.findings.len(), 1, "{lint:?}");
    assert_eq!(lint.findings[0].record_id, c["id"].as_str().unwrap_or_default());
    assert_eq!(lint.findings[0].field, "birthday");
    let (s, v) = t.api_get(&t.user_token("chefin", Role::Admin).await, "/api/v1/privacy/lint").await;
    assert_eq!((s, v["total_findings"].as_u64()), (200, Some(1)));
    assert_eq!(t.api_get(&token, "/api/v1/privacy/lint").await.0, 403, "staff do not run the lint");
}

async fn policies_are_validated_before_they_are_saved_and_take_effect_at_once(b: Backend) {
    let t = spawn_app(b).await;
    let admin = t.user_token("chefin", Role::Admin).await;
    let guest = t.user_token("gast", Role::Guest).await;
    let (s, v) = t.api_get(&admin, "/api/v1/policies").await;
    assert_eq!(s, 200);
    let version = v["version"].as_i64().expect("version");
    let source = v["source"].as_str().expect("source").to_string();
    assert!(v["schema"].as_str().unwrap_or("").contains("entity User"));
    // A policy that does not validate: refused with the validator's message, nothing changed.
    let bad = format!("{source}\npermit (principal, action, resource) when {{ principal.department == \"x\" }};");
    let (s, p) = t.api(reqwest::Method::PUT, &admin, "/api/v1/policies", Some(json!({"source": bad}))).await;
    assert_eq!(s, 422, "{p}");
    assert!(p["errors"][0]["message"].as_str().unwrap_or("").contains("department"), "{p}");
    assert_eq!(t.api_get(&admin, "/api/v1/policies").await.1["version"].as_i64(), Some(version));
    // Locking administrators out of the policies is refused too.
    let lockout = source.replace("@id(\"admin\")\npermit", "@id(\"admin\")\nforbid");
    assert_eq!(t.api(reqwest::Method::PUT, &admin, "/api/v1/policies", Some(json!({"source": lockout}))).await.0, 422);
    // Guests may not edit policies.
    assert_eq!(t.api(reqwest::Method::PUT, &guest, "/api/v1/policies", Some(json!({"source": source}))).await.0, 403);
    // A valid change is saved as the next version, audited, and in force at once.
    let (s, _) = t.api_get(&guest, "/api/v1/contacts").await;
    assert_eq!(s, 200);
    let stricter = source.replace("@id(\"guest-read\")\npermit", "@id(\"guest-read\")\nforbid");
    let (s, v) = t.api(reqwest::Method::PUT, &admin, "/api/v1/policies", Some(json!({"source": stricter}))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["version"].as_i64(), Some(version + 1));
    assert_eq!(t.api_get(&guest, "/api/v1/contacts").await.0, 403);
    assert!(!t.audit_events("policy.update").await.is_empty());
    // Another process (a CLI) sees the saved version when it opens the store.
    let again = obhut_server::App::open(t.app.config.clone()).await.expect("open");
    assert_eq!(again.gate.policies().0, version + 1);
}

async fn hr_records_are_for_hr_and_refusals_are_logged(b: Backend) {
    let t = spawn_app(b).await;
    let hr = t.user_token("personal", Role::Hr).await;
    let staff = t.user_token("vertrieb", Role::User).await;
    let (s, c) =
        t.api_post(&hr, "/api/v1/contacts", json!({"family_name": "Angestellt", "record_class": "hr", "birthday": "1985-02-03"})).await;
    assert_eq!(s, 201, "{c}");
    let id = c["id"].as_str().expect("id");
    assert_eq!(c["record_class"], "hr");
    assert_eq!(t.api_get(&hr, &format!("/api/v1/contacts/{id}")).await.0, 200);
    let (s, p) = t.api_get(&staff, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(s, 403, "{p}");
    // Nor add to its history.
    let note = json!({"kind": "note", "subject": "Gespräch", "body": "vertraulich", "contact_id": id});
    assert_eq!(t.api_post(&staff, "/api/v1/activities", note.clone()).await.0, 403);
    assert_eq!(t.api_post(&hr, "/api/v1/activities", note).await.0, 201);
    // Staff cannot create HR records either, nor move one there.
    assert_eq!(t.api_post(&staff, "/api/v1/contacts", json!({"family_name": "X", "record_class": "hr"})).await.0, 403);
    let (_, own) = t.api_post(&staff, "/api/v1/contacts", json!({"family_name": "Kunde"})).await;
    let own_id = own["id"].as_str().expect("id");
    let (s, _) = t.api(reqwest::Method::PATCH, &staff, &format!("/api/v1/contacts/{own_id}"), Some(json!({"record_class": "hr"}))).await;
    assert_eq!(s, 403);
    // Lists leave HR records out for staff.
    let (_, list) = t.api_get(&staff, "/api/v1/contacts").await;
    let ids: Vec<&str> = list["items"].as_array().expect("items").iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids, vec![own_id]);
    let (_, list) = t.api_get(&hr, "/api/v1/contacts").await;
    assert_eq!(list["total"].as_i64(), Some(2));
    // Refusals are logged with the record and the policy decision.
    let refused = t.audit_events("access.refused").await;
    assert!(
        refused.iter().any(|e| e.entry.record_id.as_deref() == Some(id) && e.entry.fields.contains(&"action=read".to_string())),
        "{refused:?}"
    );
}

async fn a_user_of_scope_own_reaches_only_their_own_contacts(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let bernd = t.user_token("bernd", Role::User).await;
    let (_, a) = t.api_post(&anna, "/api/v1/contacts", json!({"family_name": "VonAnna"})).await;
    let (_, b2) = t.api_post(&bernd, "/api/v1/contacts", json!({"family_name": "VonBernd"})).await;
    assert!(a["owner_id"].is_string(), "the creator owns a new contact: {a}");
    services::users::set_access(&t.app, &Actor::cli(), "anna", Role::User, Scope::Own, &[], None).await.expect("access");
    assert_eq!(t.api_get(&anna, &format!("/api/v1/contacts/{}", a["id"].as_str().unwrap_or_default())).await.0, 200);
    assert_eq!(t.api_get(&anna, &format!("/api/v1/contacts/{}", b2["id"].as_str().unwrap_or_default())).await.0, 403);
    let (_, list) = t.api_get(&anna, "/api/v1/contacts").await;
    assert_eq!(list["total"].as_i64(), Some(1), "{list}");
    // A search finds only her own too.
    let (_, found) = t.api_get(&anna, "/api/v1/contacts?q=VonBernd").await;
    assert_eq!(found["total"].as_i64(), Some(0), "{found}");
    // With the team scope, records of her team come back.
    let bid = b2["id"].as_str().unwrap_or_default();
    let (s, _) = t.api(reqwest::Method::PATCH, &bernd, &format!("/api/v1/contacts/{bid}"), Some(json!({"team": "nord"}))).await;
    assert_eq!(s, 200);
    services::users::set_access(&t.app, &Actor::cli(), "anna", Role::User, Scope::Team, &["nord".into()], None).await.expect("access");
    assert_eq!(t.api_get(&anna, &format!("/api/v1/contacts/{bid}")).await.0, 200);
    let (_, list) = t.api_get(&anna, "/api/v1/contacts").await;
    assert_eq!(list["total"].as_i64(), Some(2), "{list}");
}

fn processor(window: (time::Date, time::Date)) -> obhut_core::processor::Processor {
    obhut_core::processor::Processor {
        key: "callcenter".into(),
        name: "Callcenter Nord GmbH".into(),
        contract_date: "2026-01-15".into(),
        purposes: vec!["phone_marketing".into()],
        scope_tag: "callcenter".into(),
        valid_from: window.0.to_string(),
        valid_until: window.1.to_string(),
        country: "DE".into(),
        transfer_mechanism: None,
        safeguard_document: None,
        contact: "datenschutz@callcenter.example".into(),
        version: 0,
    }
}

async fn a_processor_user_is_confined_to_its_grant(b: Backend) {
    let t = spawn_app(b).await;
    let staff = t.user_token("vertrieb", Role::User).await;
    let today = time::OffsetDateTime::now_utc().date();
    let day = time::Duration::days(1);
    // A processor outside the EEA without a transfer mechanism is refused.
    let mut abroad = processor((today - day, today + day));
    abroad.country = "US".into();
    let e = services::policies::save_processor(&t.app, &Actor::cli(), &abroad).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("transfer_mechanism"), "{e}");
    services::policies::save_processor(&t.app, &Actor::cli(), &processor((today - day, today + day))).await.expect("processor");
    t.add_user("agent", Role::User, "Correct-Horse-Battery-9").await;
    services::users::set_access(&t.app, &Actor::cli(), "agent", Role::Processor, Scope::All, &[], Some("callcenter"))
        .await
        .expect("access");
    let agent = t.token("agent").await;
    let (_, inside) = t.api_post(&staff, "/api/v1/contacts", json!({"given_name": "Rufe", "family_name": "Mich", "email": "rufe@example.org", "phone": "030 1234567", "birthday": "1970-01-01",
            "tags": ["callcenter"], "purposes": ["contract", "phone_marketing"]}))
    .await;
    let (_, outside) = t
        .api_post(
            &staff,
            "/api/v1/contacts",
            json!({"family_name": "Nicht", "phone": "030 7654321", "purposes": ["contract", "phone_marketing"]}),
        )
        .await;
    // Data collected for the contract alone does not serve phone marketing (purpose binding).
    let (_, only_contract) =
        t.api_post(&staff, "/api/v1/contacts", json!({"family_name": "Vertrag", "phone": "030 5555555", "tags": ["callcenter"]})).await;
    let (inside, outside) = (inside["id"].as_str().expect("id"), outside["id"].as_str().expect("id"));
    // In scope, under its purpose: only the fields phone marketing needs.
    let (s, v) = t.api_get(&agent, &format!("/api/v1/contacts/{inside}?purpose=phone_marketing")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["phone"], "+49301234567");
    assert_eq!(v["family_name"], "Mich");
    assert!(v["email"].is_null() && v["birthday"].is_null(), "{v}");
    // The read is a disclosure to the processor, logged with it as recipient.
    let reads = t.audit_events("contact.read").await;
    let disclosed = reads.iter().find(|e| e.entry.subject_id.as_deref() == Some(inside)).expect("read event");
    assert_eq!(disclosed.entry.recipient.as_deref(), Some("processor:callcenter"));
    // Staff export to a named third party: the disclosure names it.
    let r = t
        .client
        .get(t.url("/api/v1/contacts/export?format=csv&recipient=Steuerberater%20Meier"))
        .bearer_auth(&staff)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
    let exports = t.audit_events("contact.export").await;
    assert_eq!(exports[0].entry.recipient.as_deref(), Some("Steuerberater Meier"));
    // Not under another purpose, not outside its scope, no export, no list beyond its scope.
    assert_eq!(t.api_get(&agent, &format!("/api/v1/contacts/{inside}")).await.0, 403);
    assert_eq!(t.api_get(&agent, &format!("/api/v1/contacts/{outside}?purpose=phone_marketing")).await.0, 403);
    assert_eq!(t.api_get(&agent, "/api/v1/contacts/export?format=csv").await.0, 403);
    let (_, list) = t.api_get(&agent, "/api/v1/contacts?purpose=phone_marketing").await;
    assert_eq!(list["total"].as_i64(), Some(2), "{list}");
    let (_, v) =
        t.api_get(&agent, &format!("/api/v1/contacts/{}?purpose=phone_marketing", only_contract["id"].as_str().unwrap_or_default())).await;
    assert!(v["phone"].is_null() && v["family_name"].is_null(), "{v}");
    // Outside the window everything is refused.
    services::policies::save_processor(&t.app, &Actor::cli(), &processor((today - day * 30, today - day))).await.expect("processor");
    let (s, p) = t.api_get(&agent, &format!("/api/v1/contacts/{inside}?purpose=phone_marketing")).await;
    assert_eq!(s, 403, "{p}");
    let refused = t.audit_events("access.refused").await;
    assert!(refused.iter().any(|e| e.entry.fields.contains(&"policy=processor-window".to_string())), "{refused:?}");
    assert!(refused.iter().any(|e| e.entry.fields.contains(&"policy=processor-scope".to_string())), "{refused:?}");
}
