//! The DPO's cockpit for data subject requests in the browser: a case opened through the
//! form and listed with its deadline, a bad submission refused at its field with nothing
//! stored, an overdue case marked in words, the identity check, an extension and the closing,
//! an erasure request erased from its case page; and the refusal for staff and guests.
//! Screenshots go to `target/screenshots/dsr-*.png`.

#![allow(clippy::expect_used, clippy::panic)]

use crate::browser::{start_driver, Browser};
use crate::common::{screenshot_dir, spawn_app, Backend, TestApp};
use obhut_core::contact::{ContactInput, EmailInput};
use obhut_core::user::Role;
use obhut_server::services::dsr as service;
use obhut_server::Actor;
use serde_json::json;
use time::Date;

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

/// "23.11.2026": how the German UI writes a date.
fn de(d: Date) -> String {
    format!("{:02}.{:02}.{}", d.day(), u8::from(d.month()), d.year())
}

async fn all_cases(t: &TestApp) -> Vec<obhut_server::services::cases::CaseView> {
    service::list_cases(&t.app, &Actor::cli(), false, 100).await.expect("cases")
}

/// Sets a date input directly: typed keys would depend on the browser's locale.
async fn set_date(b: &Browser, id: &str, d: Date) {
    let script = format!("document.getElementById('{id}').value = '{d}'");
    b.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await;
}

/// Clicks `button` and waits until the next page holds `text` (a selector alone could match
/// the page being left, which has a flash message too).
async fn submit_until(b: &Browser, button: &str, text: &str) {
    b.click(button).await;
    for _ in 0..100 {
        if b.source().await.contains(text) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no '{text}' on {} within 10 s", b.path().await);
}

/// The text of the list's row for a case.
async fn row(b: &Browser, reference: &str) -> String {
    b.text(&format!("#case-{reference}")).await
}

fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field in the page");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').expect("end of the csrf value")].to_string()
}

/// A plain HTTP client signed in as a new user of `role`, and its CSRF token.
async fn signed_in(t: &TestApp, name: &str, role: Role) -> (reqwest::Client, String) {
    t.add_user(name, role, PASSWORD).await;
    let c = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let page = c.get(t.url("/login")).send().await.expect("login page").text().await.expect("body");
    let token = csrf_in(&page);
    let r = c
        .post(t.url("/login"))
        .form(&[("csrf", token.as_str()), ("username", name), ("password", PASSWORD), ("next", "/contacts")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303, "login must redirect");
    let list = c.get(t.url("/contacts")).send().await.expect("contacts").text().await.expect("body");
    (c, csrf_in(&list))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dpo_runs_requests_through_the_cockpit_in_the_browser() {
    let Some(driver) = start_driver().await else { return };
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("dora", Role::Dpo, PASSWORD).await;
    let erika = new_contact(&t, "Erika", "Anfrage", "erika.anfrage@example.org").await;
    let max = new_contact(&t, "Max", "Loeschwunsch", "max.loeschwunsch@example.org").await;
    let today = t.app.clock.now().date();
    let b = Browser::open(&driver, &t.base).await;
    let shot = |name: &'static str| {
        let b = &b;
        async move {
            b.screenshot(name).await;
            let _ = std::fs::copy(screenshot_dir().join(format!("{name}.png")), format!("/tmp/{name}.png"));
        }
    };

    // Signing in leads back to the cockpit; the privacy overview links it.
    b.goto("/privacy").await;
    b.fill("#username", "dora").await;
    b.fill("#password", PASSWORD).await;
    b.submit("button[type=submit]", "#requests-card").await;
    assert!(b.text("#requests-card").await.contains("Betroffenenanfragen"));
    b.click("#requests-card").await;
    b.find("#new-case-form").await;
    assert_eq!(b.path().await, "/privacy/requests");
    assert_eq!(b.text(".nav-links a[aria-current=page]").await, "Datenschutz");
    assert!(b.text("#case-empty").await.contains("Keine offenen Anfragen"));
    assert_eq!(b.attr("#received_on", "value").await.as_deref(), Some(today.to_string().as_str()), "received today by default");

    // A bad submission: the problem stands at its field, nothing is stored.
    b.fill("#contact_id", "kein-kontakt").await;
    b.choose("#kind", "access").await;
    b.submit("#new-case-submit", "#contact_id-error").await;
    assert_eq!(b.text("#contact_id-error").await, "Das ist keine Kontakt-ID.");
    assert_eq!(b.attribute("#contact_id", "aria-invalid").await.as_deref(), Some("true"));
    assert_eq!(b.attr("#kind", "value").await.as_deref(), Some("access"), "the typed values stay");
    shot("dsr-form-invalid").await;
    assert!(all_cases(&t).await.is_empty(), "nothing was stored");
    // A date in the future is refused at the date.
    b.fill("#contact_id", &erika).await;
    set_date(&b, "received_on", today + time::Duration::days(2)).await;
    b.submit("#new-case-submit", "#received_on-error").await;
    assert!(b.text("#received_on-error").await.contains("nicht in der Zukunft"));
    assert!(all_cases(&t).await.is_empty(), "nothing was stored");

    // An access request by letter, identity not yet checked: opened, and listed with its deadline.
    set_date(&b, "received_on", today).await;
    b.choose("#received_via", "letter").await;
    b.submit("#new-case-submit", ".flash").await;
    assert_eq!(b.text(".flash").await, "Anfrage erfasst; die Frist läuft.");
    let cases = all_cases(&t).await;
    assert_eq!(cases.len(), 1);
    let access = cases[0].clone();
    assert_eq!(b.path().await, format!("/privacy/requests/{}?flash=dsr_opened", access.id));
    let due = obhut_core::dsr::due_date(today);
    assert_eq!(access.due_on, due.to_string());
    assert!(b.text("#case-status").await.contains("Eingegangen"));
    assert!(b.text("#case-deadline").await.contains(&de(due)));
    assert!(b.text("#case-steps").await.contains("Als Nächstes: die Identität prüfen"));
    assert!(b.try_find("#verify-form").await.is_some() && b.try_find("#extend-form").await.is_some());
    assert!(b.try_find("#close_status option[value=completed]").await.is_none(), "not completed before the identity check");

    // An objection received 40 days ago: overdue, in red and in words.
    b.goto("/privacy/requests").await;
    b.fill("#contact_id", &erika).await;
    b.choose("#kind", "objection").await;
    set_date(&b, "received_on", today - time::Duration::days(40)).await;
    b.choose("#received_via", "email").await;
    b.choose("#identity_check", "known_identity").await;
    b.fill("#identity_evidence", "erika.anfrage@example.org").await;
    b.submit("#new-case-submit", ".flash").await;
    assert!(b.text("#case-overdue").await.contains("ÜBERFÄLLIG") || b.text("#case-overdue").await.contains("überfällig"));
    assert!(b.text("#case-status").await.contains("In Bearbeitung"), "the identity was checked on the form");
    let objection = all_cases(&t).await.into_iter().find(|c| c.kind == "objection").expect("the objection");
    assert!(objection.overdue);
    assert!(b.try_find("#extend-form").await.is_none(), "too late to extend");

    b.goto("/privacy/requests").await;
    b.find("#case-table").await;
    let late = row(&b, &objection.reference).await;
    assert!(late.to_lowercase().contains("überfällig"), "{late}");
    assert!(late.contains("Widerspruch (Art. 21 DSGVO)") && late.contains("E-Mail"), "{late}");
    assert_eq!(b.attribute(&format!("#case-{}", objection.reference), "class").await.as_deref(), Some("dsr-overdue"));
    let open = row(&b, &access.reference).await;
    assert!(open.contains(&de(due)) && open.contains("Auskunft (Art. 15 DSGVO)") && open.contains("Brief"), "{open}");
    assert!(!open.to_lowercase().contains("überfällig"), "{open}");
    assert!(b.text("#overdue-alert").await.contains("Überfällige Anfragen: 1"));
    let source = b.source().await;
    let first = source.find(&format!("id=\"case-{}\"", objection.reference)).expect("row");
    let second = source.find(&format!("id=\"case-{}\"", access.reference)).expect("row");
    assert!(first < second, "by deadline: the overdue case first");
    assert!(source.contains(&format!("href=\"/contacts/{erika}\"")), "the contact is linked");
    shot("dsr-list").await;

    // The access request: identity checked, deadline extended, completed.
    b.click(&format!("#case-{} a.row-link", access.reference)).await;
    b.find("#verify-form").await;
    // A code by email to the address the contact is known by.
    submit_until(&b, "#code-submit", "Code gesendet; er gilt 30 Minuten.").await;
    assert!(b.text("#case-status").await.contains("Eingegangen"), "sending a code checks nothing yet");
    b.choose("#identity_check", "known_identity").await;
    b.fill("#identity_evidence", "jemand@example.org").await;
    b.submit("#verify-submit", "#identity_evidence-error").await;
    assert!(b.text("#identity_evidence-error").await.contains("nicht bekannt"));
    assert!(b.text("#case-status").await.contains("Eingegangen"), "nothing changed");
    b.choose("#identity_check", "manual").await;
    b.fill("#identity_evidence", "").await;
    b.fill("#identity_note", "Personalausweis am Empfang vorgelegt").await;
    submit_until(&b, "#verify-submit", "Identitätsprüfung vermerkt.</div>").await;
    assert!(b.text("#case-identity").await.contains("Von Hand geprüft"));
    b.fill("#extend_reason", "Umfangreiche Datenbestände in drei Systemen").await;
    submit_until(&b, "#extend-submit", "Frist verlängert.</div>").await;
    let latest = obhut_core::dsr::latest_extension(today);
    assert!(b.text("#case-deadline").await.contains(&de(latest)), "the latest permitted deadline");
    assert!(b.text("#case-extension").await.contains("Umfangreiche Datenbestände"));
    assert!(b.text("#case-steps").await.contains(&format!("neue Frist {}", de(latest))));
    assert!(b.try_find("#extend-form").await.is_none(), "one extension only");
    shot("dsr-case").await;
    b.choose("#close_status", "completed").await;
    b.fill("#close_reason", "Auskunft per Brief versandt").await;
    submit_until(&b, "#close-submit", "Fall abgeschlossen.</div>").await;
    assert!(b.text("#case-status").await.contains("Erledigt"));
    assert!(b.text("#case-closing").await.contains("Auskunft per Brief versandt"));
    assert!(b.try_find("#close-form").await.is_none() && b.try_find("#verify-form").await.is_none(), "no steps left");
    shot("dsr-case-completed").await;
    let done = service::get_case(&t.app, &Actor::cli(), &access.id).await.expect("case");
    assert_eq!((done.status.as_str(), done.identity_check.as_deref()), ("completed", Some("manual")));

    // The list: open cases by default, all on request.
    b.goto("/privacy/requests").await;
    b.find("#case-table").await;
    assert!(b.try_find(&format!("#case-{}", access.reference)).await.is_none(), "closed cases are not open");
    b.click("#filter-all").await;
    b.find(&format!("#case-{}", access.reference)).await;
    assert!(row(&b, &access.reference).await.contains("Erledigt"));

    // An erasure request whose identity is checked: erased from its case page after the tick.
    b.goto("/privacy/requests").await;
    b.fill("#contact_id", &max).await;
    b.choose("#kind", "erasure").await;
    b.choose("#identity_check", "known_identity").await;
    b.fill("#identity_evidence", "max.loeschwunsch@example.org").await;
    b.submit("#new-case-submit", "#erase-form").await;
    assert!(b.text("#erase-warning").await.contains("endgültig gelöscht"));
    assert!(b.text("#erase-submit").await.contains("Jetzt löschen (Art. 17)"));
    shot("dsr-erasure-case").await;
    b.submit("#erase-submit", "#erase_confirm-error").await;
    assert!(b.text("#erase_confirm-error").await.contains("bestätigen"));
    assert!(obhut_server::services::tombstones::erased_at(&t.app, &max).await.expect("erased?").is_none(), "not erased without the tick");
    b.click("#erase_confirm").await;
    submit_until(&b, "#erase-submit", "Kontakt gelöscht (Art. 17 DSGVO); der Fall ist erledigt.</div>").await;
    assert!(b.text("#case-status").await.contains("Erledigt"));
    assert!(b.text("#case-erased").await.starts_with("Gelöscht am"));
    assert!(obhut_server::services::tombstones::erased_at(&t.app, &max).await.expect("erased?").is_some());
    shot("dsr-erasure-done").await;

    b.goto("/privacy/requests?show=all").await;
    b.find("#case-table").await;
    b.screenshot_at("dsr-list-phone", 390).await;
    b.close().await;
    drop(driver);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_of_the_service_are_shown_on_the_page_and_change_nothing() {
    let t = spawn_app(Backend::Sqlite).await;
    let id = new_contact(&t, "Rita", "Refus", "rita.refus@example.org").await;
    let (c, csrf) = signed_in(&t, "dora", Role::Dpo).await;
    let new = |kind: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("contact_id", id.clone()),
            ("kind", kind.to_string()),
            ("received_on", String::new()),
            ("received_via", "email".to_string()),
            ("identity_check", String::new()),
            ("identity_evidence", String::new()),
            ("identity_note", String::new()),
        ]
    };
    let r = c.post(t.url("/privacy/requests")).form(&new("erasure")).send().await.expect("post");
    assert_eq!(r.status(), 303);
    let case = all_cases(&t).await.remove(0);
    // A second open request of the same kind: refused above the form.
    let r = c.post(t.url("/privacy/requests")).form(&new("erasure")).send().await.expect("post");
    assert_eq!(r.status(), 409);
    let html = r.text().await.expect("body");
    assert!(html.contains(&format!("Für diesen Kontakt ist bereits eine Anfrage dieser Art offen: {}.", case.reference)), "{html}");
    assert_eq!(all_cases(&t).await.len(), 1);

    // Completing, or erasing, before the identity check: 409 on the page, nothing changed.
    let page = format!("/privacy/requests/{}", case.id);
    let r = c
        .post(t.url(&format!("{page}/close")))
        .form(&[("csrf", csrf.as_str()), ("close_status", "completed"), ("close_reason", "")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 409);
    let html = r.text().await.expect("body");
    assert!(html.contains("id=\"case-refusal\"") && html.contains("Zuerst muss die Identität der anfragenden Person geprüft werden."));
    let r = c
        .post(t.url(&format!("{page}/erasure")))
        .form(&[("csrf", csrf.as_str()), ("erase_reason", "Antrag"), ("erase_confirm", "on")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 409);
    assert!(obhut_server::services::tombstones::erased_at(&t.app, &id).await.expect("erased?").is_none());
    // A rejection without its reason: at the field.
    let r = c
        .post(t.url(&format!("{page}/close")))
        .form(&[("csrf", csrf.as_str()), ("close_status", "rejected"), ("close_reason", " ")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("body");
    assert!(html.contains("id=\"close_reason-error\"") && html.contains("Beschwerderecht"));
    // An extension told before the receipt: at the field, in German dates.
    let r = c
        .post(t.url(&format!("{page}/extension")))
        .form(&[("csrf", csrf.as_str()), ("extend_reason", "Viele Systeme"), ("informed_on", "2000-01-01"), ("new_due", "")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("body");
    let received = de(t.app.clock.now().date());
    assert!(html.contains("id=\"informed_on-error\"") && html.contains(&format!("zwischen Eingang ({received})")), "{html}");
    let now = service::get_case(&t.app, &Actor::cli(), &case.id).await.expect("case");
    assert_eq!((now.status.as_str(), now.extended), ("received", false), "nothing changed");

    // Rejected with its reason: the page says the person was told of the right to complain.
    let r = c
        .post(t.url(&format!("{page}/close")))
        .form(&[("csrf", csrf.as_str()), ("close_status", "rejected"), ("close_reason", "Identität nicht nachgewiesen")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let html = c.get(t.url(&page)).send().await.expect("get").text().await.expect("body");
    assert!(html.contains("Identität nicht nachgewiesen") && html.contains("Art. 77 DSGVO"));
    assert!(!html.contains("The person was told"), "no English on the German page");
    // The same page in English.
    let r = c.get(t.url(&page)).header("accept-language", "en-GB,en;q=0.9").send().await.expect("get");
    let html = r.text().await.expect("body");
    for needle in
        ["Data subject requests", "Erasure (Art. 17 GDPR)", ">Rejected<", "Art. 77 GDPR", "Case closed", "Identität nicht nachgewiesen"]
    {
        assert!(html.contains(needle), "the English page lacks {needle}");
    }
    // An access request is not erased: the refusal is shown although the page has no erase form.
    let input = service::NewCase { contact_id: id.clone(), kind: "access".into(), received_via: "email".into(), ..Default::default() };
    let access = service::open_case(&t.app, &Actor::cli(), &input).await.expect("open");
    service::verify_identity(&t.app, &Actor::cli(), &access.id, "manual", None, Some("Ausweis")).await.expect("verify");
    let r = c
        .post(t.url(&format!("/privacy/requests/{}/erasure", access.id)))
        .form(&[("csrf", csrf.as_str()), ("erase_reason", "Antrag"), ("erase_confirm", "on")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("body");
    assert!(html.contains("id=\"case-refusal\"") && !html.contains("id=\"erase-form\""), "{html}");
    assert!(obhut_server::services::tombstones::erased_at(&t.app, &id).await.expect("erased?").is_none());
    // A closed case: a second closing is refused on the page.
    let r = c
        .post(t.url(&format!("{page}/close")))
        .form(&[("csrf", csrf.as_str()), ("close_status", "cancelled"), ("close_reason", "Versehen")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 409);
    assert!(r.text().await.expect("body").contains(&format!("Der Fall {} ist bereits abgeschlossen (Abgelehnt).", case.reference)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_and_guests_get_the_standard_403_page() {
    let t = spawn_app(Backend::Sqlite).await;
    let id = new_contact(&t, "Sven", "Staff", "sven.staff@example.org").await;
    let input = service::NewCase { contact_id: id.clone(), kind: "access".into(), received_via: "email".into(), ..Default::default() };
    let case = service::open_case(&t.app, &Actor::cli(), &input).await.expect("open");
    for (name, role) in [("ulla", Role::User), ("gerd", Role::Guest)] {
        let (c, csrf) = signed_in(&t, name, role).await;
        for path in ["/privacy/requests".to_string(), format!("/privacy/requests/{}", case.id)] {
            let r = c.get(t.url(&path)).send().await.expect("get");
            assert_eq!(r.status(), 403, "{name} {path}");
            let html = r.text().await.expect("body");
            assert!(html.contains("Keine Berechtigung"), "{html}");
            assert!(!html.contains(&case.reference), "nothing of the case is shown");
        }
        let r = c
            .post(t.url(&format!("/privacy/requests/{}/close", case.id)))
            .form(&[("csrf", csrf.as_str()), ("close_status", "cancelled"), ("close_reason", "nein")])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 403);
        let overview = c.get(t.url("/contacts")).send().await.expect("get").text().await.expect("body");
        assert!(!overview.contains("/privacy/requests"), "no link for {name}");
    }
    assert_eq!(service::get_case(&t.app, &Actor::cli(), &case.id).await.expect("case").status, "received");
}
