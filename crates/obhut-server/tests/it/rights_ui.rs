//! The contact page's rights actions in the browser, for the DPO: restrict (a missing reason
//! refused at its field, nothing changed), the banner of a restricted contact, lifting with the
//! day the person was told, and erasure after its confirmation page. Staff see none of the
//! actions and are refused the restricted contact. Screenshots: `target/screenshots/rights-*.png`.

#![allow(clippy::expect_used, clippy::panic)]

use crate::browser::{start_driver, Browser};
use crate::common::{screenshot_dir, spawn_app, Backend, TestApp};
use obhut_core::contact::{ContactInput, EmailInput};
use obhut_core::user::Role;
use obhut_server::Actor;

const PASSWORD: &str = "Correct-Horse-Battery-9";

async fn new_contact(t: &TestApp, given: &str, family: &str, email: &str) -> String {
    let input = ContactInput {
        kind: Some("b2c".into()),
        given_name: Some(given.into()),
        family_name: Some(family.into()),
        emails: Some(vec![EmailInput { address: email.into(), label: None, purposes: None }]),
        ..Default::default()
    };
    let origin = obhut_store::contacts::Origin { source: "api".into(), detail: None, import_run_id: None };
    let (c, _) = obhut_server::services::contacts::create(&t.app, &Actor::cli(), &input, origin).await.expect("create");
    c.id.to_string()
}

async fn wait_for(b: &Browser, text: &str) {
    for _ in 0..100 {
        if b.source().await.contains(text) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no '{text}' on {} within 10 s", b.path().await);
}

async fn restricted(t: &TestApp, id: &str) -> bool {
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    obhut_store::restriction::find(&mut conn, &t.app.store.crypto, id).await.expect("find").is_some()
}

/// A plain client signed in as `name`.
async fn signed_in(t: &TestApp, name: &str, role: Role) -> reqwest::Client {
    t.add_user(name, role, PASSWORD).await;
    let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let page = c.get(t.url("/login")).send().await.expect("login page").text().await.expect("body");
    let at = page.find("name=\"csrf\" value=\"").expect("csrf") + "name=\"csrf\" value=\"".len();
    let token = page[at..at + page[at..].find('"').expect("end")].to_string();
    let r = c
        .post(t.url("/login"))
        .form(&[("csrf", token.as_str()), ("username", name), ("password", PASSWORD), ("next", "/contacts")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dpo_restricts_lifts_and_erases_from_the_contact_page() {
    let Some(driver) = start_driver().await else { return };
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("dora", Role::Dpo, PASSWORD).await;
    let rosa = new_contact(&t, "Rosa", "Sperrig", "rosa.sperrig@example.org").await;
    let b = Browser::open(&driver, &t.base).await;
    let shot = |name: &'static str| {
        let b = &b;
        async move {
            b.screenshot(name).await;
            let _ = std::fs::copy(screenshot_dir().join(format!("{name}.png")), format!("/tmp/{name}.png"));
        }
    };

    b.goto(&format!("/contacts/{rosa}")).await;
    b.fill("#username", "dora").await;
    b.fill("#password", PASSWORD).await;
    b.submit("button[type=submit]", "#action-restrict").await;
    assert_eq!(b.text("#action-rectify").await, "Berichtigen (Art. 16)");
    assert_eq!(b.text("#action-erase").await, "Löschen (Art. 17)");
    shot("rights-contact-actions").await;

    // Restrict: without a reason the problem stands at the field and nothing changes.
    b.click("#action-restrict").await;
    b.find("#restrict-form").await;
    b.submit("#restrict-submit", "#reason-error").await;
    assert!(b.text("#reason-error").await.contains("warum"), "{}", b.text("#reason-error").await);
    assert!(!restricted(&t, &rosa).await);
    b.fill("#reason", "Richtigkeit bestritten (Art. 18 Abs. 1 lit. a)").await;
    b.click("#restrict-submit").await;
    wait_for(&b, "restricted-banner").await;
    assert!(b.text("#restricted-banner").await.contains("Verarbeitung eingeschränkt"));
    assert!(b.text("#restricted-banner").await.contains("Richtigkeit bestritten"));
    assert!(restricted(&t, &rosa).await);
    assert_eq!(b.text("#action-restrict").await, "Einschränkung aufheben (Art. 18)");
    shot("rights-restricted-banner").await;

    // Staff see neither the contact nor the actions.
    let anna = signed_in(&t, "anna", Role::User).await;
    let r = anna.get(t.url(&format!("/contacts/{rosa}"))).send().await.expect("page");
    assert_eq!(r.status(), 403);
    assert!(r.text().await.expect("body").contains("Verarbeitung eingeschränkt"));
    let list = anna.get(t.url("/contacts")).send().await.expect("list").text().await.expect("body");
    assert!(!list.contains("Sperrig"));

    // Lift, with the day the person was told (today by default).
    b.click("#action-restrict").await;
    b.find("#lift-form").await;
    b.choose("#informed_via", "letter").await;
    shot("rights-lift-form").await;
    b.click("#lift-submit").await;
    wait_for(&b, "Einschränkung aufgehoben.").await;
    assert!(!restricted(&t, &rosa).await);
    let page = anna.get(t.url(&format!("/contacts/{rosa}"))).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("body");
    assert!(!html.contains("action-erase") && !html.contains("action-restrict"), "no rights actions for staff");

    // Erase: the confirmation page says what goes and what stays; without the tick nothing happens.
    b.click("#action-erase").await;
    b.find("#erase-form").await;
    assert!(b.text("#erase-warning").await.contains("§ 7a UWG"));
    b.fill("#reason", "Antrag auf Löschung vom Telefon").await;
    b.submit("#erase-submit", "#confirm-error").await;
    shot("rights-erase-confirm").await;
    assert!(obhut_store::contacts::read_contact(&t.app.store, obhut_core::ids::ContactId::parse(&rosa).expect("id"))
        .await
        .expect("read")
        .is_some());
    b.click("#confirm").await;
    b.click("#erase-submit").await;
    wait_for(&b, "Kontakt gelöscht.").await;
    assert!(b.path().await.starts_with("/contacts"));
    assert!(obhut_store::contacts::read_contact(&t.app.store, obhut_core::ids::ContactId::parse(&rosa).expect("id"))
        .await
        .expect("read")
        .is_none());
}
