//! The DPO's retention page in the browser: the rule catalogue, a legal hold refused at its
//! field and then placed, a dry run that looks ahead and names what would happen and why, a
//! sweep refused for a future day, the hold released; and the refusal for staff.
//! Screenshots go to `target/screenshots/retention-*.png`.

#![allow(clippy::expect_used, clippy::panic)]

use crate::browser::{start_driver, Browser};
use crate::common::{screenshot_dir, spawn_app, Backend, TestApp};
use obhut_core::contact::{ContactInput, EmailInput};
use obhut_core::user::Role;
use obhut_server::services::retention as service;
use obhut_server::Actor;
use serde_json::json;

const PASSWORD: &str = "Correct-Horse-Battery-9";

async fn new_contact(t: &TestApp, family: &str, email: &str) -> String {
    let input = ContactInput {
        kind: Some("b2c".into()),
        given_name: Some("Rolf".into()),
        family_name: Some(family.into()),
        emails: Some(vec![EmailInput { address: email.into(), label: None, purposes: None }]),
        ..Default::default()
    };
    let origin = obhut_store::contacts::Origin { source: "api".into(), detail: None, import_run_id: None };
    let (c, _) = obhut_server::services::contacts::create(&t.app, &Actor::cli(), &input, origin).await.expect("create");
    c.id.to_string()
}

async fn set_value(b: &Browser, id: &str, v: &str) {
    let script = format!("document.getElementById('{id}').value = '{v}'");
    b.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dpo_sees_what_is_due_holds_data_and_dry_runs_the_sweep_in_the_browser() {
    let Some(driver) = start_driver().await else { return };
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("dora", Role::Dpo, PASSWORD).await;
    let kept = new_contact(&t, "Prozess", "prozess@example.org").await;
    let gone = new_contact(&t, "Vergessen", "vergessen@example.org").await;
    let today = t.app.clock.now().date();
    let b = Browser::open(&driver, &t.base).await;
    let shot = |name: &'static str| {
        let b = &b;
        async move {
            b.screenshot(name).await;
            let _ = std::fs::copy(screenshot_dir().join(format!("{name}.png")), format!("/tmp/{name}.png"));
        }
    };

    b.goto("/privacy").await;
    b.fill("#username", "dora").await;
    b.fill("#password", PASSWORD).await;
    b.submit("button[type=submit]", "#retention-card").await;
    assert!(b.text("#retention-card").await.contains("Löschfristen"));
    b.click("#retention-card").await;
    b.find("#rules-table").await;
    assert_eq!(b.path().await, "/privacy/retention");
    let rules = b.text("#rules-table").await;
    assert!(rules.contains("Interessent") && rules.contains("2 Jahre") && rules.contains("Löschen"), "{rules}");
    assert!(b.text("#rule-activity\\.letter").await.contains("6 Jahre ab Jahresende"), "HGB letters from the end of the year");
    assert!(b.text("#holds-empty").await.contains("Keine Löschsperre"));

    // A hold without a reason: refused at its field, nothing stored.
    b.fill("#contact_id", &kept).await;
    b.submit("#hold-submit", "#reason-error").await;
    assert!(b.text("#reason-error").await.contains("Grund"));
    assert!(service::holds(&t.app, &Actor::cli(), None).await.expect("holds").is_empty());
    b.fill("#reason", "Klage LG Berlin 12 O 34/21").await;
    b.submit("#hold-submit", ".flash").await;
    assert_eq!(b.text(".flash").await, "Die Löschsperre ist in Kraft.");
    assert!(b.text("#holds-table").await.contains("Klage LG Berlin"));

    // A dry run three years ahead: one prospect erased, the held one held, with the reasons.
    let ahead = today + time::Duration::days(3 * 365);
    set_value(&b, "at", &ahead.to_string()).await;
    b.submit("#dry-run", "#sweep-result").await;
    let result = b.text("#sweep-result").await;
    assert!(result.contains("Probelauf") && result.contains("nichts geändert"), "{result}");
    assert!(result.contains("1 Kontakte gelöscht") && result.contains("1 zurückgehalten"), "{result}");
    assert!(result.contains("Letzter Kontakt") && result.contains("+ 2 Jahre"), "the why: {result}");
    let source = b.source().await;
    assert!(source.contains(&format!("href=\"/contacts/{gone}\"")) && source.contains(&format!("href=\"/contacts/{kept}\"")));
    shot("retention-dry-run").await;
    assert_eq!(obhut_store::contacts::count_contacts(&mut t.app.store.pool.acquire().await.expect("conn")).await.expect("count"), 2);

    // Applying as of a future day is refused at the date.
    set_value(&b, "at", &ahead.to_string()).await;
    b.submit("#run-now", "#at-error").await;
    assert!(b.text("#at-error").await.contains("Probelauf"));

    // Released, the hold is gone from the list.
    b.click("#holds-table button").await;
    b.find(".flash").await;
    assert!(b.source().await.contains("Die Löschsperre wurde aufgehoben."));
    assert!(b.try_find("#holds-table").await.is_none());
    shot("retention-page").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_cannot_open_the_retention_page() {
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("ulla", Role::User, PASSWORD).await;
    let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let page = c.get(t.url("/login")).send().await.expect("login").text().await.expect("body");
    let at = page.find("name=\"csrf\" value=\"").expect("csrf") + "name=\"csrf\" value=\"".len();
    let csrf = page[at..at + page[at..].find('"').expect("end")].to_string();
    let r = c
        .post(t.url("/login"))
        .form(&[("csrf", csrf.as_str()), ("username", "ulla"), ("password", PASSWORD), ("next", "/contacts")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303);
    let r = c.get(t.url("/privacy/retention")).send().await.expect("get");
    assert_eq!(r.status(), 403);
    let list = c.get(t.url("/contacts")).send().await.expect("get").text().await.expect("body");
    let at = list.find("name=\"csrf\" value=\"").expect("csrf") + "name=\"csrf\" value=\"".len();
    let csrf = list[at..at + list[at..].find('"').expect("end")].to_string();
    let r = c.post(t.url("/privacy/retention/run")).form(&[("csrf", csrf.as_str()), ("mode", "apply")]).send().await.expect("post");
    assert_eq!(r.status(), 403);
}

/// A signed-in client of `role` and its CSRF token.
async fn signed_in(t: &TestApp, name: &str, role: Role) -> (reqwest::Client, String) {
    fn csrf_in(html: &str) -> String {
        let at = html.find("name=\"csrf\" value=\"").expect("csrf") + "name=\"csrf\" value=\"".len();
        html[at..at + html[at..].find('"').expect("end")].to_string()
    }
    t.add_user(name, role, PASSWORD).await;
    let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let page = c.get(t.url("/login")).send().await.expect("login").text().await.expect("body");
    let csrf = csrf_in(&page);
    let r = c
        .post(t.url("/login"))
        .form(&[("csrf", csrf.as_str()), ("username", name), ("password", PASSWORD), ("next", "/contacts")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303);
    let list = c.get(t.url("/contacts")).send().await.expect("get").text().await.expect("body");
    (c, csrf_in(&list))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_from_the_contact_page_says_what_a_legal_duty_keeps_and_meets_holds() {
    let t = spawn_app(Backend::Sqlite).await;
    let id = new_contact(&t, "Briefkontakt", "briefkontakt@example.org").await;
    let input = obhut_core::activity::ActivityInput {
        kind: Some("email".into()),
        subject: Some("Auftragsbestätigung".into()),
        contact_id: Some(id.clone()),
        ..Default::default()
    };
    obhut_server::services::activities::create(&t.app, &Actor::cli(), &input).await.expect("activity");
    let (c, csrf) = signed_in(&t, "dora", Role::Dpo).await;
    let page = c.get(t.url(&format!("/contacts/{id}/erase"))).send().await.expect("get").text().await.expect("body");
    assert!(page.contains("§ 257 HGB"), "the page says what a legal duty keeps");
    // Under a hold the erasure is refused on the page, in German.
    let hold = service::place_hold(&t.app, &Actor::cli(), &id, "Klage", None).await.expect("hold");
    let form = [("csrf", csrf.as_str()), ("reason", "Antrag Art. 17"), ("confirm", "yes")];
    let r = c.post(t.url(&format!("/contacts/{id}/erase"))).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 409);
    assert!(r.text().await.expect("body").contains("Löschsperre"), "the refusal names the hold");
    service::release_hold(&t.app, &Actor::cli(), &hold.id).await.expect("release");
    // The letter stays, restricted: the answer leads to the contact, which says so.
    let r = c.post(t.url(&format!("/contacts/{id}/erase"))).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 303);
    let to = r.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(to, format!("/contacts/{id}?flash=erase_restricted"));
    let shown = c.get(t.url(&to)).send().await.expect("get").text().await.expect("body");
    assert!(shown.contains("bis zum Fristende gesperrt"), "the flash explains it");
}
