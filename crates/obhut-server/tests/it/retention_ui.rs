//! The DPO's retention page in the browser: the rule catalogue, a legal hold refused at its
//! field and then placed, a dry run that looks ahead and names what would happen and why, a
//! sweep refused for a future day, the hold released; and the refusal for staff.
//! Screenshots go to `target/screenshots/retention-*.png`.

#![allow(clippy::expect_used, clippy::panic)]

use crate::browser::{start_driver, Browser};
use crate::common::{page, send_form, signed_in, spawn_app, Backend, PASSWORD};
use obhut_core::user::Role;
use obhut_server::services::retention as service;
use obhut_server::Actor;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dpo_sees_what_is_due_holds_data_and_dry_runs_the_sweep_in_the_browser() {
    let Some(driver) = start_driver().await else { return };
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("dora", Role::Dpo, PASSWORD).await;
    let kept = t.add_contact("Rolf", "Prozess", "prozess@example.org").await;
    let gone = t.add_contact("Rolf", "Vergessen", "vergessen@example.org").await;
    let today = t.app.clock.now().date();
    let b = Browser::open(&driver, &t.base).await;

    b.goto("/privacy").await;
    b.sign_in("dora", PASSWORD, "#retention-card").await;
    assert!(b.text("#retention-card").await.contains("Löschfristen"));
    b.click("#retention-card").await;
    b.find("#rules-table").await;
    assert_eq!(b.path().await, "/privacy/retention");
    let rules = b.text("#rules-table").await;
    assert!(rules.contains("Interessent") && rules.contains("2 Jahre") && rules.contains("Löschen"), "{rules}");
    assert!(b.text("#rule-activity\\.letter").await.contains("6 Jahre ab Jahresende"), "HGB letters from the end of the year");
    assert!(b.text("#holds-empty").await.contains("Keine Löschsperre"));

    // A hold without a reason: refused at its field, nothing stored.
    b.pick("contact_id", "Rolf Prozess", &kept).await;
    b.submit("#hold-submit", "#reason-error").await;
    assert!(b.text("#reason-error").await.contains("Grund"));
    assert!(service::holds(&t.app, &Actor::cli(), None).await.expect("holds").is_empty());
    b.fill("#reason", "Klage LG Berlin 12 O 34/21").await;
    b.submit("#hold-submit", ".flash").await;
    assert_eq!(b.text(".flash").await, "Die Löschsperre ist in Kraft.");
    assert!(b.text("#holds-table").await.contains("Klage LG Berlin"));

    // A dry run three years ahead: one prospect erased, the held one held, with the reasons.
    let ahead = today + time::Duration::days(3 * 365);
    b.set_value("at", &ahead.to_string()).await;
    b.submit("#dry-run", "#sweep-result").await;
    let result = b.text("#sweep-result").await;
    assert!(result.contains("Probelauf") && result.contains("nichts geändert"), "{result}");
    assert!(result.contains("1 Kontakte gelöscht") && result.contains("1 zurückgehalten"), "{result}");
    assert!(result.contains("Letzter Kontakt") && result.contains("+ 2 Jahre"), "the why: {result}");
    let source = b.source().await;
    assert!(source.contains(&format!("href=\"/contacts/{gone}\"")) && source.contains(&format!("href=\"/contacts/{kept}\"")));
    b.shot("retention-dry-run").await;
    assert_eq!(obhut_store::contacts::count_contacts(&mut t.app.store.pool.acquire().await.expect("conn")).await.expect("count"), 2);

    // Applying as of a future day is refused at the date.
    b.set_value("at", &ahead.to_string()).await;
    b.submit("#run-now", "#at-error").await;
    assert!(b.text("#at-error").await.contains("Probelauf"));

    // Released, the hold is gone from the list.
    b.click("#holds-table button").await;
    b.find(".flash").await;
    assert!(b.source().await.contains("Die Löschsperre wurde aufgehoben."));
    assert!(b.try_find("#holds-table").await.is_none());
    b.shot("retention-page").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_cannot_open_the_retention_page() {
    let t = spawn_app(Backend::Sqlite).await;
    let (c, csrf) = signed_in(&t, "ulla", Role::User).await;
    let (s, _) = page(&c, &t, "/privacy/retention").await;
    assert_eq!(s, 403);
    let (s, _, _) = send_form(&c, &t, "/privacy/retention/run", &[("csrf", csrf.as_str()), ("mode", "apply")]).await;
    assert_eq!(s, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn erasing_from_the_contact_page_says_what_a_legal_duty_keeps_and_meets_holds() {
    let t = spawn_app(Backend::Sqlite).await;
    let id = t.add_contact("Rolf", "Briefkontakt", "briefkontakt@example.org").await;
    let input = obhut_core::activity::ActivityInput {
        kind: Some("email".into()),
        subject: Some("Auftragsbestätigung".into()),
        contact_id: Some(id.clone()),
        ..Default::default()
    };
    obhut_server::services::activities::create(&t.app, &Actor::cli(), &input).await.expect("activity");
    let (c, csrf) = signed_in(&t, "dora", Role::Dpo).await;
    let (_, html) = page(&c, &t, &format!("/contacts/{id}/erase")).await;
    assert!(html.contains("§ 257 HGB"), "the page says what a legal duty keeps");
    // Under a hold the erasure is refused on the page, in German.
    let hold = service::place_hold(&t.app, &Actor::cli(), &id, "Klage", None).await.expect("hold");
    let form = [("csrf", csrf.as_str()), ("reason", "Antrag Art. 17"), ("confirm", "yes")];
    let (s, _, html) = send_form(&c, &t, &format!("/contacts/{id}/erase"), &form).await;
    assert_eq!(s, 409);
    assert!(html.contains("Löschsperre"), "the refusal names the hold");
    service::release_hold(&t.app, &Actor::cli(), &hold.id).await.expect("release");
    // The letter stays, restricted: the answer leads to the contact, which says so.
    let (s, to, _) = send_form(&c, &t, &format!("/contacts/{id}/erase"), &form).await;
    assert_eq!(s, 303);
    assert_eq!(to, format!("/contacts/{id}?flash=erase_restricted"));
    let (_, shown) = page(&c, &t, &to).await;
    assert!(shown.contains("bis zum Fristende gesperrt"), "the flash explains it");
}
