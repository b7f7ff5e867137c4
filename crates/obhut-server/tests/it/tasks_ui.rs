//! My day and the task pages, over plain HTTP and in headless Chromium: a sales person's
//! morning (my day → overdue follow-up → call logged → ticked off → a task for next week),
//! in German and English, on a desktop and at 390 px without horizontal overflow.

use crate::browser::{start_driver, Browser};
use crate::common::{page, send_form, signed_in, try_spawn_app_at, Backend, TestApp, PASSWORD};
use obhut_core::clock::ManualClock;
use obhut_core::user::Role;
use serde_json::json;
use time::macros::datetime;

async fn morning(t: &TestApp, token: &str) -> (String, String) {
    let (c, k, _) = morning_with_deal(t, token).await;
    (c, k)
}

/// The contact, the overdue follow-up and the deal of a sales person's morning.
async fn morning_with_deal(t: &TestApp, token: &str) -> (String, String, String) {
    let c = t.api_contact(token, json!({"given_name": "Erika", "family_name": "Mustermann", "phones": [{"number": "+491712641999"}]})).await;
    let (_, stages) = t.api_get(token, "/api/v1/pipeline/stages").await;
    let deal = t
        .api_post(
            token,
            "/api/v1/deals",
            json!({"title": "Rahmenvertrag Hydraulik", "contact_id": c, "amount": "12000.00", "currency": "EUR",
                "expected_close_on": "2026-12-20", "stage_id": stages[2]["id"]}),
        )
        .await
        .1;
    assert!(deal["id"].is_string(), "{deal}");
    let (s, k) = t
        .api_post(token, "/api/v1/tasks", json!({"title": "Angebot nachfassen", "contact_id": c, "kind": "follow_up", "due_on": "2026-12-04"}))
        .await;
    assert_eq!(s, 201, "{k}");
    let (s, _) = t.api_post(token, "/api/v1/tasks", json!({"title": "Unterlagen schicken", "deal_id": deal["id"], "due_on": "2026-12-07"})).await;
    assert_eq!(s, 201);
    (c, k["id"].as_str().unwrap_or_default().to_string(), deal["id"].as_str().unwrap_or_default().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_day_and_the_task_forms_work_without_javascript() {
    let clock = ManualClock::at(datetime!(2026-12-07 08:00 UTC));
    let Some(t) = try_spawn_app_at(Backend::Sqlite, clock, |_| {}).await else { return };
    let (c, _) = signed_in(&t, "sabine", Role::User).await;
    let token = t.token("sabine").await;
    let (contact, follow_up) = morning(&t, &token).await;
    let (s, html) = page(&c, &t, "/").await;
    assert_eq!(s, 200);
    assert!(html.contains("Mein Tag"), "the start page is my day");
    let overdue = html.split("id=\"tasks-overdue\"").nth(1).and_then(|r| r.split("id=\"tasks-today\"").next()).unwrap_or_default();
    assert!(overdue.contains("Angebot nachfassen") && overdue.contains(&format!("/contacts/{contact}")), "the overdue follow-up, linked to its contact");
    assert!(overdue.contains("Erika Mustermann"), "the record by name, not id");
    let today = html.split("id=\"tasks-today\"").nth(1).unwrap_or_default();
    assert!(today.contains("Unterlagen schicken"));
    assert!(html.contains("Rahmenvertrag Hydraulik"), "my open deals");
    assert!(html.contains("6.000,00"), "weighted by the stage's probability (50 %): {html}");
    // Ticking the follow-up off from my day comes back to my day.
    let csrf = crate::common::csrf_in(&html);
    let (s, location, _) = send_form(&c, &t, &format!("/tasks/{follow_up}/done"), &[("csrf", csrf.as_str()), ("done", "1"), ("next", "/")]).await;
    assert_eq!((s, location.as_str()), (303, "/?flash=task_done"));
    let (_, html) = page(&c, &t, "/tasks?view=done").await;
    assert!(html.contains("Angebot nachfassen"));
    // The quick form on the contact page; a missing title comes back with the message.
    let (_, html) = page(&c, &t, &format!("/contacts/{contact}")).await;
    assert!(html.contains("id=\"tasks\""), "the contact page has its tasks");
    let back = format!("/contacts/{contact}");
    let (s, _, body) = send_form(&c, &t, "/tasks", &[("csrf", csrf.as_str()), ("contact_id", contact.as_str()), ("title", ""), ("next", back.as_str())]).await;
    assert_eq!(s, 422);
    assert!(body.contains("title-error"), "the field is named");
    let (s, location, _) = send_form(
        &c,
        &t,
        "/tasks",
        &[("csrf", csrf.as_str()), ("contact_id", contact.as_str()), ("title", "Nächste Woche anrufen"), ("kind", "call"), ("due_on", "2026-12-10"), ("next", back.as_str())],
    )
    .await;
    assert_eq!((s, location), (303, format!("{back}?flash=created")));
    let (_, html) = page(&c, &t, "/").await;
    let week = html.split("id=\"tasks-week\"").nth(1).unwrap_or_default();
    assert!(week.contains("Nächste Woche anrufen"), "this week on my day");
    // Recently viewed: the contact just opened.
    let recent = html.split("id=\"day-recent-title\"").nth(1).unwrap_or_default();
    assert!(recent.contains(&format!("/contacts/{contact}")), "recently viewed: {recent}");
    // The task page edits; a task of someone else's record is a 403 page for a guest's write.
    let (_, list) = page(&c, &t, "/tasks?view=week").await;
    let id = list.split("href=\"/tasks/").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_string();
    let (s, html) = page(&c, &t, &format!("/tasks/{id}")).await;
    assert_eq!(s, 200);
    let version = html.split("name=\"version\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("1").to_string();
    let (s, _, _) = send_form(
        &c,
        &t,
        &format!("/tasks/{id}"),
        &[("csrf", csrf.as_str()), ("title", "Nächste Woche anrufen (Preis)"), ("kind", "call"), ("priority", "high"), ("due_on", "2026-12-11"), ("version", version.as_str())],
    )
    .await;
    assert_eq!(s, 303);
    let (_, v) = t.api_get(&token, &format!("/api/v1/tasks/{id}")).await;
    assert_eq!((v["title"].as_str(), v["priority"].as_str(), v["due_on"].as_str()), (Some("Nächste Woche anrufen (Preis)"), Some("high"), Some("2026-12-11")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sales_persons_morning_in_the_browser() {
    let Some(driver) = start_driver().await else { return };
    let clock = ManualClock::at(datetime!(2026-12-07 08:00 UTC));
    let Some(t) = try_spawn_app_at(Backend::Sqlite, clock, |_| {}).await else { return };
    t.add_user("sabine", Role::User, PASSWORD).await;
    let token = t.token("sabine").await;
    let (contact, _, deal) = morning_with_deal(&t, &token).await;
    let b = Browser::open(&driver, &t.base).await;
    b.goto("/").await;
    b.sign_in("sabine", PASSWORD, "#tasks-overdue").await;
    assert_eq!(b.path().await, "/");
    b.shot("tasks-01-my-day-de").await;
    assert_eq!(b.overflow_at(390).await, 0, "my day fits 390 px");
    b.shot_at("tasks-02-my-day-de-390", 390).await;
    // The overdue follow-up leads to the contact; a call is logged there.
    b.click(&format!(".day-tasks a.task-on[href=\"/contacts/{contact}\"]")).await;
    b.find("#tasks").await;
    assert!(b.text("#tasks").await.contains("Angebot nachfassen"));
    b.fill("#subject", "Angebot besprochen, Preis offen").await;
    b.submit(".activity-form button[type=submit]", ".timeline-item").await;
    assert!(b.text(".timeline").await.contains("Angebot besprochen"));
    // Ticked off on the contact page, and a task for next week from the quick form.
    b.click_until("#tasks .btn-check", "Aufgabe erledigt.").await;
    assert!(!b.text("#tasks").await.contains("Angebot nachfassen"), "done tasks leave the section");
    b.fill("#task-title", "Preis nachverhandeln").await;
    b.choose("#task-kind", "follow_up").await;
    b.set_value("task-due", "2026-12-11").await;
    b.click_until(".task-quick button[type=submit]", "Preis nachverhandeln").await;
    b.shot("tasks-03-contact-with-tasks-de").await;
    assert_eq!(b.overflow_at(390).await, 0, "the contact page fits 390 px");
    b.shot_at("tasks-04-contact-de-390", 390).await;
    // The deal is dragged to the next stage on the board (the drop sends the card's move form).
    b.goto("/deals").await;
    b.find(&format!("#deal-{deal}")).await;
    assert!(b.text(&format!("#deal-{deal}")).await.contains("Erika Mustermann"), "the card names the contact");
    b.shot("tasks-08-pipeline-de").await;
    let (_, stages) = t.api_get(&token, "/api/v1/pipeline/stages").await;
    let next = stages[3]["id"].as_str().unwrap_or_default().to_string();
    let script = format!(
        "const card = document.querySelector('[data-deal=\"{deal}\"]'); const col = document.querySelector('.board-col[data-stage=\"{next}\"]'); \
         const dt = new DataTransfer(); card.dispatchEvent(new DragEvent('dragstart', {{dataTransfer: dt, bubbles: true}})); \
         col.dispatchEvent(new DragEvent('dragover', {{dataTransfer: dt, bubbles: true, cancelable: true}})); \
         col.dispatchEvent(new DragEvent('drop', {{dataTransfer: dt, bubbles: true, cancelable: true}}));"
    );
    b.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await;
    b.wait_for_text("Deal verschoben").await;
    let (_, moved) = t.api_get(&token, &format!("/api/v1/deals/{deal}")).await;
    assert_eq!(moved["stage_id"].as_str(), Some(next.as_str()), "dropped into the next stage");
    // The task list and my day in English.
    b.goto("/settings").await;
    b.choose("#language", "en").await;
    b.submit("form[action=\"/settings/language\"] button[type=submit]", ".flash").await;
    b.goto("/tasks?view=week").await;
    b.wait_for_text("Preis nachverhandeln").await;
    assert!(b.text("h1").await.contains("Tasks"));
    b.shot("tasks-05-list-en").await;
    b.goto("/").await;
    b.find("#tasks-week").await;
    assert!(b.text(".day-tasks").await.contains("Preis nachverhandeln"));
    assert!(b.text("h1").await.starts_with("My day"));
    b.shot("tasks-06-my-day-en").await;
    assert_eq!(b.overflow_at(390).await, 0);
    b.shot_at("tasks-07-my-day-en-390", 390).await;
    // Every page of the day fits a phone's width: no horizontal scrolling of the page itself.
    for path in ["/contacts", "/contacts?sort=name", "/tasks", "/deals", "/deals?view=list", "/tickets", "/organizations", "/settings", &format!("/contacts/{contact}")] {
        b.goto(path).await;
        b.find("main").await;
        assert_eq!(b.overflow_at(390).await, 0, "{path} overflows at 390 px");
    }
    b.close().await;
}
