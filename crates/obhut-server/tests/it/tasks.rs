//! Tasks and follow-ups: decided by the gate like the record they are on (class, owner, team,
//! restriction), read-logged, erased with their contact and listed in the Art. 15 report;
//! reminders by mail that name no one; views by due day; my day and the task pages.

use crate::common::{page, send_form, signed_in, spawn_app, try_spawn_app_at, Backend, TestApp};
use obhut_core::clock::ManualClock;
use obhut_core::user::{Role, Scope};
use obhut_server::services;
use obhut_server::Actor;
use serde_json::{json, Value};
use time::macros::datetime;

crate::on_both_backends!(
    a_task_is_decided_like_the_record_it_is_on,
    a_task_on_a_restricted_contact_is_refused_and_the_list_leaves_it_out,
    task_views_by_due_day_and_bad_input_changes_nothing,
    a_reminder_goes_once_to_the_assignee_and_names_no_one,
    erasing_a_contact_erases_its_tasks_and_the_access_report_lists_them,
    an_installation_on_the_earlier_default_policies_moves_to_the_current_ones,
);

async fn task(t: &TestApp, token: &str, body: Value) -> Value {
    let (s, v) = t.api_post(token, "/api/v1/tasks", body).await;
    assert_eq!(s, 201, "{v}");
    v
}

async fn a_task_is_decided_like_the_record_it_is_on(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let bernd = t.user_token("bernd", Role::User).await;
    let hr = t.user_token("hanna", Role::Hr).await;
    let guest = t.user_token("gast", Role::Guest).await;
    // An HR record's task is HR's: staff neither read it nor find it.
    let applicant = t.api_contact(&hr, json!({"family_name": "Bewerberin", "record_class": "hr"})).await;
    let hr_task = task(&t, &hr, json!({"title": "Gespräch vorbereiten", "contact_id": applicant})).await;
    let hid = hr_task["id"].as_str().expect("id");
    assert_eq!(hr_task["on_kind"], "contact");
    assert_eq!(t.api_get(&hr, &format!("/api/v1/tasks/{hid}")).await.0, 200);
    assert_eq!(t.api_get(&anna, &format!("/api/v1/tasks/{hid}")).await.0, 403);
    let (_, all) = t.api_get(&anna, "/api/v1/tasks").await;
    assert_eq!(all["total"], 0, "{all}");
    // Staff may not put a task on it, nor give an HR task to someone who may not see the record.
    let (s, _) = t.api_post(&anna, "/api/v1/tasks", json!({"title": "x", "contact_id": applicant})).await;
    assert_eq!(s, 403);
    let anna_id = t.api_get(&anna, "/api/v1/me").await.1["id"].as_str().map(str::to_string).expect("anna's id");
    let (s, v) = t.api_post(&hr, "/api/v1/tasks", json!({"title": "x", "contact_id": applicant, "assignee_id": anna_id})).await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("anna may not see the record this task is on"), "{v}");
    // Scope own: a task on Bernd's customer is Bernd's record's, not Anna's.
    let customer = t.api_contact(&bernd, json!({"family_name": "KundeVonBernd"})).await;
    let deal = t.api_post(&bernd, "/api/v1/deals", json!({"title": "Rahmenvertrag", "contact_id": customer})).await.1;
    let on_deal = task(&t, &bernd, json!({"title": "Angebot nachfassen", "deal_id": deal["id"], "kind": "follow_up", "due_on": "2030-01-10"})).await;
    services::users::set_access(&t.app, &Actor::cli(), "anna", Role::User, Scope::Own, &[], None).await.expect("access");
    assert_eq!(t.api_get(&anna, &format!("/api/v1/tasks/{}", on_deal["id"].as_str().expect("id"))).await.0, 403);
    let (s, v) = t.api_post(&bernd, "/api/v1/tasks", json!({"title": "y", "deal_id": deal["id"], "assignee_id": anna_id})).await;
    assert_eq!(s, 422, "a scope-own user cannot be handed a task on someone else's deal: {v}");
    // Back to scope all: the deal's task shows among the contact's (the contact it is about).
    services::users::set_access(&t.app, &Actor::cli(), "anna", Role::User, Scope::All, &[], None).await.expect("access");
    let (_, of_contact) = t.api_get(&anna, &format!("/api/v1/tasks?contact_id={customer}")).await;
    assert_eq!(of_contact["total"], 1, "{of_contact}");
    assert_eq!(of_contact["items"][0]["on_kind"], "deal");
    // Guests read tasks of standard records but write none.
    assert_eq!(t.api_get(&guest, &format!("/api/v1/tasks/{}", on_deal["id"].as_str().expect("id"))).await.0, 200);
    let (s, _) = t.api_post(&guest, "/api/v1/tasks", json!({"title": "z", "contact_id": customer})).await;
    assert_eq!(s, 403);
    // Every read is logged with the contact it is about; every change is audited.
    let reads = t.audit_events("task.read").await;
    assert!(reads.iter().any(|e| e.entry.subject_id.as_deref() == Some(customer.as_str())), "a task read names its contact");
    assert_eq!(t.audit_events("task.create").await.len(), 2);
}

async fn a_task_on_a_restricted_contact_is_refused_and_the_list_leaves_it_out(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let dpo = t.user_token("dora", Role::Dpo).await;
    let c = t.api_contact(&anna, json!({"family_name": "Bestreitet"})).await;
    let k = task(&t, &anna, json!({"title": "Rückruf", "contact_id": c})).await;
    let kid = k["id"].as_str().expect("id");
    services::restriction::restrict(&t.app, &Actor::cli(), &c, "Richtigkeit bestritten (Art. 18(1)(a))", None, None).await.expect("restrict");
    let (s, v) = t.api_get(&anna, &format!("/api/v1/tasks/{kid}")).await;
    assert_eq!(s, 403, "{v}");
    assert!(v["type"].as_str().unwrap_or_default().ends_with("/restricted"), "{v}");
    let (s, _) = t.api(reqwest::Method::PATCH, &anna, &format!("/api/v1/tasks/{kid}"), Some(json!({"done": true}))).await;
    assert_eq!(s, 403, "a restricted contact's task is not worked on");
    let (s, _) = t.api_post(&anna, "/api/v1/tasks", json!({"title": "neu", "contact_id": c})).await;
    assert_eq!(s, 403, "nor is a new one added");
    assert_eq!(t.api_get(&anna, "/api/v1/tasks").await.1["total"], 0);
    // The DPO, who runs the rights, still sees it.
    assert_eq!(t.api_get(&dpo, &format!("/api/v1/tasks/{kid}")).await.0, 200);
}

async fn task_views_by_due_day_and_bad_input_changes_nothing(b: Backend) {
    let clock = ManualClock::at(datetime!(2026-12-07 09:00 UTC));
    let Some(t) = try_spawn_app_at(b, clock.clone(), |_| {}).await else { return };
    let anna = t.user_token("anna", Role::User).await;
    let c = t.api_contact(&anna, json!({"family_name": "Termin"})).await;
    for (title, due) in [("gestern", "2026-12-06"), ("heute", "2026-12-07"), ("übermorgen", "2026-12-09"), ("nächsten Monat", "2027-01-20")] {
        task(&t, &anna, json!({"title": title, "contact_id": c, "due_on": due, "kind": "follow_up"})).await;
    }
    let undated = task(&t, &anna, json!({"title": "irgendwann", "contact_id": c, "priority": "high"})).await;
    let titles = |v: &Value| v["items"].as_array().map(|a| a.iter().map(|i| i["title"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>()).unwrap_or_default();
    assert_eq!(titles(&t.api_get(&anna, "/api/v1/tasks?due=overdue&assignee_id=me").await.1), ["gestern"]);
    assert_eq!(titles(&t.api_get(&anna, "/api/v1/tasks?due=today").await.1), ["heute"]);
    assert_eq!(titles(&t.api_get(&anna, "/api/v1/tasks?due=week").await.1), ["übermorgen"]);
    assert_eq!(titles(&t.api_get(&anna, "/api/v1/tasks?due=undated").await.1), ["irgendwann"]);
    // Open ones by due day, the undated last.
    assert_eq!(titles(&t.api_get(&anna, "/api/v1/tasks?done=false").await.1), ["gestern", "heute", "übermorgen", "nächsten Monat", "irgendwann"]);
    // Done, and back.
    let id = undated["id"].as_str().expect("id");
    let (s, v) = t.api(reqwest::Method::PATCH, &anna, &format!("/api/v1/tasks/{id}"), Some(json!({"done": true}))).await;
    assert_eq!((s, v["done"].clone()), (200, json!(true)), "{v}");
    assert!(v["done_at"].is_string());
    assert_eq!(titles(&t.api_get(&anna, "/api/v1/tasks?done=true").await.1), ["irgendwann"]);
    assert_eq!(t.audit_events("task.done").await.len(), 1);
    // Bad input: named, problem+json, nothing changed.
    let before = t.count("SELECT COUNT(*) FROM tasks").await;
    for (body, field) in [
        (json!({"title": "", "contact_id": c}), "title"),
        (json!({"title": "a", "contact_id": c, "kind": "follow_up"}), "due_on"),
        (json!({"title": "a", "contact_id": c, "due_on": "morgen"}), "due_on"),
        (json!({"title": "a", "contact_id": c, "deal_id": c}), "contact_id"),
        (json!({"title": "a"}), "contact_id"),
        (json!({"title": "a", "contact_id": uuid::Uuid::now_v7().to_string()}), "contact_id"),
        (json!({"title": "a", "contact_id": c, "assignee_id": uuid::Uuid::now_v7().to_string()}), "assignee_id"),
    ] {
        let (s, v) = t.api_post(&anna, "/api/v1/tasks", body.clone()).await;
        assert_eq!(s, 422, "{body}: {v}");
        assert!(v.to_string().contains(field), "{body} names {field}: {v}");
    }
    let (s, v) = t.api_post(&anna, "/api/v1/tasks", json!({"title": "a", "contact_id": c, "colour": "red"})).await;
    assert!(s == 400 || s == 422, "an unknown field is refused: {s} {v}");
    let (s, _) = t.api_get(&anna, "/api/v1/tasks?due=someday").await;
    assert_eq!(s, 400);
    let org = t.api_post(&anna, "/api/v1/organizations", json!({"name": "Andere GmbH"})).await.1;
    let (s, v) = t.api(reqwest::Method::PATCH, &anna, &format!("/api/v1/tasks/{id}"), Some(json!({"organization_id": org["id"]}))).await;
    assert_eq!(s, 422, "a task stays on its record: {v}");
    assert_eq!(t.count("SELECT COUNT(*) FROM tasks").await, before);
    // Lost updates: a stale If-Match is a conflict.
    let r = t.client.patch(t.url(&format!("/api/v1/tasks/{id}"))).bearer_auth(&anna).header("If-Match", "\"1\"").json(&json!({"title": "neu"})).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 409);
}

async fn a_reminder_goes_once_to_the_assignee_and_names_no_one(b: Backend) {
    let clock = ManualClock::at(datetime!(2026-12-07 07:00 UTC));
    let Some(t) = try_spawn_app_at(b, clock.clone(), |_| {}).await else { return };
    let anna = t.user_token("anna", Role::User).await;
    let (c, _) = signed_in(&t, "verena", Role::User).await;
    let c_page = page(&c, &t, "/settings").await.1;
    let csrf = crate::common::csrf_in(&c_page);
    let (s, _, _) = send_form(&c, &t, "/settings/reminders", &[("csrf", csrf.as_str()), ("email", "kein-mail")]).await;
    assert_eq!(s, 422, "a bad address is refused");
    let (s, _, _) = send_form(&c, &t, "/settings/reminders", &[("csrf", csrf.as_str()), ("email", "verena@firma.example")]).await;
    assert_eq!(s, 303);
    assert!(page(&c, &t, "/settings").await.1.contains("verena@firma.example"));
    let at_rest = t.raw_bytes().await;
    assert!(!crate::common::contains(&at_rest, "verena@firma.example"), "the address is sealed at rest");
    let contact = t.api_contact(&anna, json!({"given_name": "Xaver", "family_name": "Geheimnisvoll"})).await;
    let verena = services::tasks::assignees(&t.app, &Actor::cli()).await.expect("assignees").into_iter().find(|(_, n)| n == "verena").expect("verena").0;
    let k = task(
        &t,
        &anna,
        json!({"title": "Xaver wegen Scheidung anrufen", "contact_id": contact, "kind": "follow_up", "due_on": "2026-12-07",
            "remind_at": "2026-12-07T08:00:00Z", "assignee_id": verena.to_string()}),
    )
    .await;
    assert_eq!(services::tasks::send_reminders(&t.app).await.expect("remind"), Default::default(), "not yet due");
    clock.set(datetime!(2026-12-07 08:01 UTC));
    // Sent here or by the server's minute job, whichever comes first; never twice.
    services::tasks::send_reminders(&t.app).await.expect("remind");
    services::tasks::send_reminders(&t.app).await.expect("remind");
    let outbox = t.dir.path().join("outbox");
    let mut mails = Vec::new();
    for _ in 0..100 {
        services::mail::deliver_due(&t.app).await.expect("deliver");
        mails = std::fs::read_dir(&outbox).into_iter().flatten().flatten().filter(|e| e.path().extension().is_some_and(|x| x == "eml")).map(|e| e.path()).collect();
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(mails.len(), 1, "one reminder");
    let mail = std::fs::read_to_string(&mails[0]).expect("mail");
    assert!(mail.contains("verena@firma.example"), "to the assignee");
    assert!(mail.contains(&format!("/tasks/{}", k["id"].as_str().expect("id"))), "with a link: {mail}");
    assert!(mail.contains(&format!("A-{}", k["number"])), "naming the task: {mail}");
    for secret in ["Xaver", "Geheimnisvoll", "Scheidung"] {
        assert!(!mail.contains(secret), "the reminder names no one and quotes nothing ({secret}): {mail}");
    }
    let reminded = t.audit_events("task.remind").await;
    assert_eq!(reminded.len(), 1);
    assert_eq!(reminded[0].entry.subject_id, None);
    let (_, v) = t.api_get(&anna, &format!("/api/v1/tasks/{}", k["id"].as_str().expect("id"))).await;
    assert!(v["reminded_at"].is_string(), "{v}");
    // A new reminder time arms it again.
    let (s, _) = t.api(reqwest::Method::PATCH, &anna, &format!("/api/v1/tasks/{}", k["id"].as_str().expect("id")), Some(json!({"remind_at": "2026-12-08T08:00:00Z"}))).await;
    assert_eq!(s, 200);
    let (_, v) = t.api_get(&anna, &format!("/api/v1/tasks/{}", k["id"].as_str().expect("id"))).await;
    assert!(v["reminded_at"].is_null(), "{v}");
}

async fn erasing_a_contact_erases_its_tasks_and_the_access_report_lists_them(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let c = t.api_contact(&anna, json!({"given_name": "Lena", "family_name": "Löschbar"})).await;
    let org = t.api_post(&anna, "/api/v1/organizations", json!({"name": "Bleibt GmbH"})).await.1;
    let deal = t.api_post(&anna, "/api/v1/deals", json!({"title": "Vertrag", "contact_id": c, "organization_id": org["id"]})).await.1;
    task(&t, &anna, json!({"title": "Lena zurückrufen", "contact_id": c, "notes": "privat erreichbar ab 18 Uhr"})).await;
    task(&t, &anna, json!({"title": "Vertrag für Lena", "deal_id": deal["id"]})).await;
    task(&t, &anna, json!({"title": "Jahresgespräch", "organization_id": org["id"]})).await;
    let report = services::dsr_report::access_report(&t.app, &Actor::cli(), &c).await.expect("report");
    let titles: Vec<&str> = report.tasks.iter().map(|x| x.title.as_str()).collect();
    assert_eq!(titles, ["Lena zurückrufen", "Vertrag für Lena"], "the tasks about her, on her and on her deal");
    assert!(report.data_categories.iter().any(|d| d.fields.iter().any(|f| f == "task.notes")), "the notes are a category held");
    assert!(!crate::common::contains(&t.raw_bytes().await, "privat erreichbar"), "task texts are sealed at rest");
    services::erasure::erase(&t.app, &Actor::cli(), &c, "Antrag auf Löschung", None).await.expect("erase");
    assert_eq!(t.count("SELECT COUNT(*) FROM tasks").await, 1, "only the organization's task stays");
    assert_eq!(t.api_get(&anna, "/api/v1/tasks").await.1["items"][0]["title"], "Jahresgespräch");
}

async fn an_installation_on_the_earlier_default_policies_moves_to_the_current_ones(b: Backend) {
    let t = spawn_app(b).await;
    let earlier = services::policies::earlier_defaults()[0].clone();
    assert!(!earlier.contains("\"task\""));
    let mut tx = t.app.store.begin().await.expect("tx");
    obhut_store::audit::lock_head(&mut tx).await.expect("lock");
    obhut_store::policies::save_policies(&mut tx, &earlier, t.app.now_ms(), "test").await.expect("save");
    services::policies::seed_defaults(&t.app, &mut tx).await.expect("seed");
    tx.commit().await.expect("commit");
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let (version, source) = obhut_store::policies::current_policies(&mut conn).await.expect("current").expect("some");
    assert_eq!(source, obhut_server::gate::DEFAULT_POLICIES, "moved to the current defaults as version {version}");
    // Edited policies stay as saved.
    let edited = format!("{earlier}\n// edited\n");
    obhut_store::policies::save_policies(&mut conn, &edited, t.app.now_ms(), "test").await.expect("save");
    drop(conn);
    let mut tx = t.app.store.begin().await.expect("tx");
    services::policies::seed_defaults(&t.app, &mut tx).await.expect("seed");
    tx.commit().await.expect("commit");
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    assert_eq!(obhut_store::policies::current_policies(&mut conn).await.expect("current").expect("some").1, edited);
}
