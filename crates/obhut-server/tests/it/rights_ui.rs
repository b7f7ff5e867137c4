//! The contact page's rights actions in the browser, for the DPO: restrict (a missing reason
//! refused at its field, nothing changed), the banner of a restricted contact, lifting with the
//! day the person was told, and erasure after its confirmation page. Staff see none of the
//! actions and are refused the restricted contact. Screenshots: `target/screenshots/rights-*.png`.

#![allow(clippy::expect_used, clippy::panic)]

use crate::browser::{start_driver, Browser};
use crate::common::{page, signed_in, spawn_app, Backend, TestApp, PASSWORD};
use obhut_core::user::Role;

async fn restricted(t: &TestApp, id: &str) -> bool {
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    obhut_store::restriction::find(&mut conn, &t.app.store.crypto, id).await.expect("find").is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dpo_restricts_lifts_and_erases_from_the_contact_page() {
    let Some(driver) = start_driver().await else { return };
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("dora", Role::Dpo, PASSWORD).await;
    let rosa = t.add_contact("Rosa", "Sperrig", "rosa.sperrig@example.org").await;
    let b = Browser::open(&driver, &t.base).await;

    b.goto(&format!("/contacts/{rosa}")).await;
    b.sign_in("dora", PASSWORD, "#action-restrict").await;
    assert_eq!(b.text("#action-rectify").await, "Berichtigen (Art. 16)");
    assert_eq!(b.text("#action-erase").await, "Löschen (Art. 17)");
    b.shot("rights-contact-actions").await;

    // Restrict: without a reason the problem stands at the field and nothing changes.
    b.click("#action-restrict").await;
    b.find("#restrict-form").await;
    b.submit("#restrict-submit", "#reason-error").await;
    assert!(b.text("#reason-error").await.contains("warum"), "{}", b.text("#reason-error").await);
    assert!(!restricted(&t, &rosa).await);
    b.fill("#reason", "Richtigkeit bestritten (Art. 18 Abs. 1 lit. a)").await;
    b.click_until("#restrict-submit", "restricted-banner").await;
    assert!(b.text("#restricted-banner").await.contains("Verarbeitung eingeschränkt"));
    assert!(b.text("#restricted-banner").await.contains("Richtigkeit bestritten"));
    assert!(restricted(&t, &rosa).await);
    assert_eq!(b.text("#action-restrict").await, "Einschränkung aufheben (Art. 18)");
    b.shot("rights-restricted-banner").await;

    // Staff see neither the contact nor the actions.
    let (anna, _) = signed_in(&t, "anna", Role::User).await;
    let (s, html) = page(&anna, &t, &format!("/contacts/{rosa}")).await;
    assert_eq!(s, 403);
    assert!(html.contains("Verarbeitung eingeschränkt"));
    let (_, list) = page(&anna, &t, "/contacts").await;
    assert!(!list.contains("Sperrig"));

    // Lift, with the day the person was told (today by default).
    b.click("#action-restrict").await;
    b.find("#lift-form").await;
    b.choose("#informed_via", "letter").await;
    b.shot("rights-lift-form").await;
    b.click_until("#lift-submit", "Einschränkung aufgehoben.").await;
    assert!(!restricted(&t, &rosa).await);
    let (s, html) = page(&anna, &t, &format!("/contacts/{rosa}")).await;
    assert_eq!(s, 200);
    assert!(!html.contains("action-erase") && !html.contains("action-restrict"), "no rights actions for staff");

    // Erase: the confirmation page says what goes and what stays; without the tick nothing happens.
    b.click("#action-erase").await;
    b.find("#erase-form").await;
    assert!(b.text("#erase-warning").await.contains("§ 7a UWG"));
    b.fill("#reason", "Antrag auf Löschung vom Telefon").await;
    b.submit("#erase-submit", "#confirm-error").await;
    b.shot("rights-erase-confirm").await;
    assert!(obhut_store::contacts::read_contact(&t.app.store, obhut_core::ids::ContactId::parse(&rosa).expect("id"))
        .await
        .expect("read")
        .is_some());
    b.click("#confirm").await;
    b.click_until("#erase-submit", "Kontakt gelöscht.").await;
    assert!(b.path().await.starts_with("/contacts"));
    assert!(obhut_store::contacts::read_contact(&t.app.store, obhut_core::ids::ContactId::parse(&rosa).expect("id"))
        .await
        .expect("read")
        .is_none());
}
