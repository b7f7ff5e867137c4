//! The DPO's cockpit for data subject requests in the browser: a case opened through the
//! form and listed with its deadline, a bad submission refused at its field with nothing
//! stored, an overdue case marked in words, the identity check, an extension and the closing,
//! an erasure request erased from its case page; and the refusal for staff and guests.
//! Screenshots go to `target/screenshots/dsr-*.png`.

#![allow(clippy::expect_used, clippy::panic)]

use crate::browser::{start_driver, Browser};
use crate::common::{page, send_form, signed_in, spawn_app, Backend, TestApp, PASSWORD};
use obhut_core::user::Role;
use obhut_server::services::dsr as service;
use obhut_server::Actor;
use time::Date;

/// "23.11.2026": how the German UI writes a date.
fn de(d: Date) -> String {
    format!("{:02}.{:02}.{}", d.day(), u8::from(d.month()), d.year())
}

async fn all_cases(t: &TestApp) -> Vec<obhut_server::services::cases::CaseView> {
    service::list_cases(&t.app, &Actor::cli(), false, 100).await.expect("cases")
}

/// The text of the list's row for a case.
async fn row(b: &Browser, reference: &str) -> String {
    b.text(&format!("#case-{reference}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dpo_runs_requests_through_the_cockpit_in_the_browser() {
    let Some(driver) = start_driver().await else { return };
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("dora", Role::Dpo, PASSWORD).await;
    let erika = t.add_contact("Erika", "Anfrage", "erika.anfrage@example.org").await;
    let max = t.add_contact("Max", "Loeschwunsch", "max.loeschwunsch@example.org").await;
    let today = t.app.clock.now().date();
    let b = Browser::open(&driver, &t.base).await;

    // Signing in leads back to the cockpit; the privacy overview links it.
    b.goto("/privacy").await;
    b.sign_in("dora", PASSWORD, "#requests-card").await;
    assert!(b.text("#requests-card").await.contains("Betroffenenanfragen"));
    b.click("#requests-card").await;
    b.find("#new-case-form").await;
    assert_eq!(b.path().await, "/privacy/requests");
    assert_eq!(b.text(".nav-links a[aria-current=page]").await, "Datenschutz");
    assert!(b.text("#case-empty").await.contains("Keine offenen Anfragen"));
    assert_eq!(b.attr("#received_on", "value").await.as_deref(), Some(today.to_string().as_str()), "received today by default");

    // A bad submission: the problem stands at its field, nothing is stored.
    // A search that finds no one says so, and what the search can find.
    b.fill("#contact_id_q", "Niemand").await;
    b.click("button[name=pick][value=contact_id]").await;
    b.wait_for_text("Nichts gefunden").await;
    b.choose("#kind", "access").await;
    b.submit("#new-case-submit", "#contact_id-error").await;
    assert!(!b.text("#contact_id-error").await.is_empty(), "without a contact the case is not opened");
    assert_eq!(b.attribute("#contact_id", "aria-invalid").await.as_deref(), Some("true"));
    assert_eq!(b.attr("#kind", "value").await.as_deref(), Some("access"), "the typed values stay");
    b.shot("dsr-form-invalid").await;
    assert!(all_cases(&t).await.is_empty(), "nothing was stored");
    // A date in the future is refused at the date. The contact is found by name (the
    // matches are logged reads under the rights purpose).
    b.pick("contact_id", "Erika Anfrage", &erika).await;
    b.shot("dsr-form-picker").await;
    b.set_value("received_on", &(today + time::Duration::days(2)).to_string()).await;
    b.submit("#new-case-submit", "#received_on-error").await;
    assert!(b.text("#received_on-error").await.contains("nicht in der Zukunft"));
    assert!(all_cases(&t).await.is_empty(), "nothing was stored");

    // An access request by letter, identity not yet checked: opened, and listed with its deadline.
    b.set_value("received_on", &today.to_string()).await;
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
    b.pick("contact_id", "erika.anfrage@example.org", &erika).await;
    b.choose("#kind", "objection").await;
    b.set_value("received_on", &(today - time::Duration::days(40)).to_string()).await;
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
    b.shot("dsr-list").await;

    // The access request: identity checked, deadline extended, completed.
    b.click(&format!("#case-{} a.row-link", access.reference)).await;
    b.find("#verify-form").await;
    // A code by email to the address the contact is known by.
    b.click_until("#code-submit", "Code gesendet; er gilt 30 Minuten.").await;
    assert!(b.text("#case-status").await.contains("Eingegangen"), "sending a code checks nothing yet");
    b.choose("#identity_check", "known_identity").await;
    b.fill("#identity_evidence", "jemand@example.org").await;
    b.submit("#verify-submit", "#identity_evidence-error").await;
    assert!(b.text("#identity_evidence-error").await.contains("nicht bekannt"));
    assert!(b.text("#case-status").await.contains("Eingegangen"), "nothing changed");
    b.choose("#identity_check", "manual").await;
    b.fill("#identity_evidence", "").await;
    b.fill("#identity_note", "Personalausweis am Empfang vorgelegt").await;
    b.click_until("#verify-submit", "Identitätsprüfung vermerkt.</div>").await;
    assert!(b.text("#case-identity").await.contains("Von Hand geprüft"));
    b.fill("#extend_reason", "Umfangreiche Datenbestände in drei Systemen").await;
    b.click_until("#extend-submit", "Frist verlängert.</div>").await;
    let latest = obhut_core::dsr::latest_extension(today);
    assert!(b.text("#case-deadline").await.contains(&de(latest)), "the latest permitted deadline");
    assert!(b.text("#case-extension").await.contains("Umfangreiche Datenbestände"));
    assert!(b.text("#case-steps").await.contains(&format!("neue Frist {}", de(latest))));
    assert!(b.try_find("#extend-form").await.is_none(), "one extension only");
    b.shot("dsr-case").await;
    b.choose("#close_status", "completed").await;
    b.fill("#close_reason", "Auskunft per Brief versandt").await;
    b.click_until("#close-submit", "Fall abgeschlossen.</div>").await;
    assert!(b.text("#case-status").await.contains("Erledigt"));
    assert!(b.text("#case-closing").await.contains("Auskunft per Brief versandt"));
    assert!(b.try_find("#close-form").await.is_none() && b.try_find("#verify-form").await.is_none(), "no steps left");
    b.shot("dsr-case-completed").await;
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
    b.pick("contact_id", "Max", &max).await;
    b.choose("#kind", "erasure").await;
    b.choose("#identity_check", "known_identity").await;
    b.fill("#identity_evidence", "max.loeschwunsch@example.org").await;
    b.submit("#new-case-submit", "#erase-form").await;
    assert!(b.text("#erase-warning").await.contains("endgültig gelöscht"));
    assert!(b.text("#erase-submit").await.contains("Jetzt löschen (Art. 17)"));
    b.shot("dsr-erasure-case").await;
    b.submit("#erase-submit", "#erase_confirm-error").await;
    assert!(b.text("#erase_confirm-error").await.contains("bestätigen"));
    assert!(obhut_server::services::tombstones::erased_at(&t.app, &max).await.expect("erased?").is_none(), "not erased without the tick");
    b.click("#erase_confirm").await;
    b.click_until("#erase-submit", "Kontakt gelöscht (Art. 17 DSGVO); der Fall ist erledigt.</div>").await;
    assert!(b.text("#case-status").await.contains("Erledigt"));
    assert!(b.text("#case-erased").await.starts_with("Gelöscht am"));
    assert!(obhut_server::services::tombstones::erased_at(&t.app, &max).await.expect("erased?").is_some());
    b.shot("dsr-erasure-done").await;

    b.goto("/privacy/requests?show=all").await;
    b.find("#case-table").await;
    b.screenshot_at("dsr-list-phone", 390).await;
    b.close().await;
    drop(driver);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_of_the_service_are_shown_on_the_page_and_change_nothing() {
    let t = spawn_app(Backend::Sqlite).await;
    let id = t.add_contact("Rita", "Refus", "rita.refus@example.org").await;
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
    let (s, _, _) = send_form(&c, &t, "/privacy/requests", &new("erasure")).await;
    assert_eq!(s, 303);
    let case = all_cases(&t).await.remove(0);
    // A second open request of the same kind: refused above the form.
    let (s, _, html) = send_form(&c, &t, "/privacy/requests", &new("erasure")).await;
    assert_eq!(s, 409);
    assert!(html.contains(&format!("Für diesen Kontakt ist bereits eine Anfrage dieser Art offen: {}.", case.reference)), "{html}");
    assert_eq!(all_cases(&t).await.len(), 1);

    // Completing, or erasing, before the identity check: 409 on the page, nothing changed.
    let case_page = format!("/privacy/requests/{}", case.id);
    let (s, _, html) =
        send_form(&c, &t, &format!("{case_page}/close"), &[("csrf", csrf.as_str()), ("close_status", "completed"), ("close_reason", "")])
            .await;
    assert_eq!(s, 409);
    assert!(html.contains("id=\"case-refusal\"") && html.contains("Zuerst muss die Identität der anfragenden Person geprüft werden."));
    let (s, _, _) =
        send_form(&c, &t, &format!("{case_page}/erasure"), &[("csrf", csrf.as_str()), ("erase_reason", "Antrag"), ("erase_confirm", "on")])
            .await;
    assert_eq!(s, 409);
    assert!(obhut_server::services::tombstones::erased_at(&t.app, &id).await.expect("erased?").is_none());
    // A rejection without its reason: at the field.
    let (s, _, html) =
        send_form(&c, &t, &format!("{case_page}/close"), &[("csrf", csrf.as_str()), ("close_status", "rejected"), ("close_reason", " ")])
            .await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"close_reason-error\"") && html.contains("Beschwerderecht"));
    // An extension told before the receipt: at the field, in German dates.
    let (s, _, html) = send_form(
        &c,
        &t,
        &format!("{case_page}/extension"),
        &[("csrf", csrf.as_str()), ("extend_reason", "Viele Systeme"), ("informed_on", "2000-01-01"), ("new_due", "")],
    )
    .await;
    assert_eq!(s, 422);
    let received = de(t.app.clock.now().date());
    assert!(html.contains("id=\"informed_on-error\"") && html.contains(&format!("zwischen Eingang ({received})")), "{html}");
    let now = service::get_case(&t.app, &Actor::cli(), &case.id).await.expect("case");
    assert_eq!((now.status.as_str(), now.extended), ("received", false), "nothing changed");

    // Rejected with its reason: the page says the person was told of the right to complain.
    let (s, _, _) = send_form(
        &c,
        &t,
        &format!("{case_page}/close"),
        &[("csrf", csrf.as_str()), ("close_status", "rejected"), ("close_reason", "Identität nicht nachgewiesen")],
    )
    .await;
    assert_eq!(s, 303);
    let (_, html) = page(&c, &t, &case_page).await;
    assert!(html.contains("Identität nicht nachgewiesen") && html.contains("Art. 77 DSGVO"));
    assert!(!html.contains("The person was told"), "no English on the German page");
    // The same page in English.
    let r = c.get(t.url(&case_page)).header("accept-language", "en-GB,en;q=0.9").send().await.expect("get");
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
    let (s, _, html) = send_form(
        &c,
        &t,
        &format!("/privacy/requests/{}/erasure", access.id),
        &[("csrf", csrf.as_str()), ("erase_reason", "Antrag"), ("erase_confirm", "on")],
    )
    .await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"case-refusal\"") && !html.contains("id=\"erase-form\""), "{html}");
    assert!(obhut_server::services::tombstones::erased_at(&t.app, &id).await.expect("erased?").is_none());
    // A closed case: a second closing is refused on the page.
    let (s, _, html) = send_form(
        &c,
        &t,
        &format!("{case_page}/close"),
        &[("csrf", csrf.as_str()), ("close_status", "cancelled"), ("close_reason", "Versehen")],
    )
    .await;
    assert_eq!(s, 409);
    assert!(html.contains(&format!("Der Fall {} ist bereits abgeschlossen (Abgelehnt).", case.reference)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_and_guests_get_the_standard_403_page() {
    let t = spawn_app(Backend::Sqlite).await;
    let id = t.add_contact("Sven", "Staff", "sven.staff@example.org").await;
    let input = service::NewCase { contact_id: id.clone(), kind: "access".into(), received_via: "email".into(), ..Default::default() };
    let case = service::open_case(&t.app, &Actor::cli(), &input).await.expect("open");
    for (name, role) in [("ulla", Role::User), ("gerd", Role::Guest)] {
        let (c, csrf) = signed_in(&t, name, role).await;
        for path in ["/privacy/requests".to_string(), format!("/privacy/requests/{}", case.id)] {
            let (s, html) = page(&c, &t, &path).await;
            assert_eq!(s, 403, "{name} {path}");
            assert!(html.contains("Keine Berechtigung"), "{html}");
            assert!(!html.contains(&case.reference), "nothing of the case is shown");
        }
        let form = [("csrf", csrf.as_str()), ("close_status", "cancelled"), ("close_reason", "nein")];
        let (s, _, _) = send_form(&c, &t, &format!("/privacy/requests/{}/close", case.id), &form).await;
        assert_eq!(s, 403);
        let (_, overview) = page(&c, &t, "/contacts").await;
        assert!(!overview.contains("/privacy/requests"), "no link for {name}");
    }
    assert_eq!(service::get_case(&t.app, &Actor::cli(), &case.id).await.expect("case").status, "received");
}
