//! Consents in the web UI over plain HTTP: the contact page's section with its forms (record,
//! refusal at the field, withdraw), what a guest sees, and the DPO's page with statistics,
//! outbox, notices and the review queue.

use crate::common::{page, pg_available, send_form, signed_in, spawn_app, try_spawn_app_at, Backend, TestApp};
use obhut_core::clock::ManualClock;
use obhut_core::consent::Reason;
use obhut_core::user::Role;
use obhut_server::services::consent as service;
use obhut_server::Actor;

crate::on_both_backends!(
    a_consent_recorded_through_the_form_shows_in_the_timeline_and_allows_the_channel,
    the_withdraw_button_makes_the_channel_not_allowed
);

/// The permission table's cell for a purpose (by its German name) and channel.
fn perm_cell(html: &str, purpose: &str, channel: &str) -> String {
    let row_at = html.find(&format!("<th scope=\"row\">{purpose}</th>")).unwrap_or_else(|| panic!("no row for {purpose}"));
    let row = &html[row_at..];
    let row = &row[..row.find("</tr>").expect("end of row")];
    let cell_at = row.find(&format!("data-channel=\"{channel}\"")).unwrap_or_else(|| panic!("no cell for {channel}"));
    let cell = &row[cell_at..];
    cell[..cell.find("</td>").expect("end of cell")].to_string()
}

async fn newsletter_by_email(t: &TestApp, id: &str) -> (bool, Reason) {
    let ov = service::overview(&t.app, &Actor::cli(), id).await.expect("overview");
    let p = ov.permissions.iter().find(|p| p.purpose == "newsletter" && p.channel.as_str() == "email").expect("newsletter by email");
    (p.allowed, p.reason)
}

/// A newsletter consent by email given for `id`, recorded through the service.
async fn record_newsletter(t: &TestApp, id: &str, method: &str, recording_ref: &str) {
    let input = service::RecordInput {
        purpose: Some("newsletter".into()),
        channel: "email".into(),
        kind: "given".into(),
        method: Some(method.into()),
        recording_ref: Some(recording_ref.into()),
        ..Default::default()
    };
    service::record(&t.app, &Actor::cli(), id, &input).await.expect("record");
}

fn paper_consent<'a>(csrf: &'a str, recording_ref: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("consent_purpose", "newsletter"),
        ("consent_channel", "email"),
        ("consent_topic", ""),
        ("consent_kind", "given"),
        ("consent_method", "paper"),
        ("recording_ref", recording_ref),
        ("consent_address", ""),
        ("consent_note", ""),
        ("presumed_consent_reason", ""),
    ]
}

async fn a_consent_recorded_through_the_form_shows_in_the_timeline_and_allows_the_channel(b: Backend) {
    let t = spawn_app(b).await;
    let id = t.add_contact("Erika", "Einwillig", "erika@example.org").await;
    let (c, csrf) = signed_in(&t, "ulla", Role::User).await;
    let (s, html) = page(&c, &t, &format!("/contacts/{id}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"consents\"") && html.contains("Einwilligungen"), "the section is on the page");
    assert!(perm_cell(&html, "Newsletter per E-Mail", "email").contains("perm-no"), "no consent yet");
    assert!(html.contains("keine Einwilligung"), "the reason in German");

    let (s, location, _) = send_form(&c, &t, &format!("/contacts/{id}/consents"), &paper_consent(&csrf, "Ordner 7, Blatt 12")).await;
    assert_eq!(s, 303);
    assert_eq!(location, format!("/contacts/{id}?flash=consent_recorded#consents"));

    let (_, html) = page(&c, &t, &format!("/contacts/{id}?flash=consent_recorded")).await;
    assert!(html.contains("Einwilligung erfasst."), "the flash");
    let cell = perm_cell(&html, "Newsletter per E-Mail", "email");
    assert!(cell.contains("perm-yes") && cell.contains("erlaubt") && cell.contains(">Einwilligung<"), "{cell}");
    let timeline = &html[html.find("id=\"consent-timeline\"").expect("the timeline")..];
    for needle in ["erteilt", "Papier", "Ordner 7, Blatt 12", "Version 1 (de)", "ui: ulla"] {
        assert!(timeline.contains(needle), "the timeline lacks {needle}");
    }
    assert_eq!(newsletter_by_email(&t, &id).await, (true, Reason::Consent));

    // The receipt of the consent, as JSON.
    let receipt = format!("/contacts/{id}/consents/receipt?purpose=newsletter&channel=email&topic=");
    assert!(html.contains(&format!("/contacts/{id}/consents/receipt?purpose=newsletter")), "the page links the receipt");
    let r = c.get(t.url(&receipt)).send().await.expect("receipt");
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().expect("ct").starts_with("application/json"));
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["status"]["valid"], true);
    assert_eq!(v["evidence"]["recording_ref"], "Ordner 7, Blatt 12");
    assert_eq!(v["data_subject"]["id"], id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_consent_without_its_recording_reference_is_refused_at_the_field_and_nothing_is_stored() {
    let t = spawn_app(Backend::Sqlite).await;
    let id = t.add_contact("Erika", "Einwillig", "ohne@example.org").await;
    let (c, csrf) = signed_in(&t, "ulla", Role::User).await;
    let (s, _, html) = send_form(&c, &t, &format!("/contacts/{id}/consents"), &paper_consent(&csrf, "  ")).await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"recording_ref-error\""), "the error stands at its field");
    assert!(html.contains("Bitte angeben, wo das unterschriebene Formular oder die Aufzeichnung liegt."), "in German");
    assert!(
        html.contains("id=\"recording_ref\" name=\"recording_ref\" type=\"text\" value=\"  \" aria-invalid=\"true\""),
        "marked invalid"
    );
    assert!(html.contains("<details class=\"consent-form-box\" id=\"consent-record\" open>"), "the form is open");
    let ov = service::overview(&t.app, &Actor::cli(), &id).await.expect("overview");
    assert!(ov.events.is_empty(), "nothing was stored");

    // A purpose consent is not asked for is refused at the purpose.
    let mut form = paper_consent(&csrf, "Ordner 1");
    form[1] = ("consent_purpose", "contract");
    let (s, _, html) = send_form(&c, &t, &format!("/contacts/{id}/consents"), &form).await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"consent_purpose-error\""));
    assert!(service::overview(&t.app, &Actor::cli(), &id).await.expect("overview").events.is_empty());
}

async fn the_withdraw_button_makes_the_channel_not_allowed(b: Backend) {
    let t = spawn_app(b).await;
    let id = t.add_contact("Erika", "Einwillig", "widerruf@example.org").await;
    record_newsletter(&t, &id, "recorded_call", "Aufnahme 2026-11-23-0815").await;
    let (c, csrf) = signed_in(&t, "ulla", Role::User).await;
    let (_, html) = page(&c, &t, &format!("/contacts/{id}")).await;
    assert!(html.contains("withdraw-button"), "a valid consent has its withdraw button");
    assert!(perm_cell(&html, "Newsletter per E-Mail", "email").contains("perm-yes"));

    let (s, location, _) = send_form(
        &c,
        &t,
        &format!("/contacts/{id}/consents/withdraw"),
        &[("csrf", csrf.as_str()), ("purpose", "newsletter"), ("channel", "email"), ("topic", "")],
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(location, format!("/contacts/{id}?flash=consent_withdrawn#consents"));
    let (_, html) = page(&c, &t, &location).await;
    assert!(html.contains("Einwilligung widerrufen."));
    let cell = perm_cell(&html, "Newsletter per E-Mail", "email");
    assert!(cell.contains("perm-no") && cell.contains("nicht erlaubt"), "{cell}");
    assert!(html.contains("cstatus-withdrawn"), "the consent's state");
    assert!(!html.contains("withdraw-button"), "nothing left to withdraw");
    assert_eq!(newsletter_by_email(&t, &id).await, (false, Reason::NoConsent));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_sees_the_consents_but_no_forms() {
    let t = spawn_app(Backend::Sqlite).await;
    let id = t.add_contact("Erika", "Einwillig", "gast@example.org").await;
    record_newsletter(&t, &id, "paper", "Ordner 3").await;
    let (c, csrf) = signed_in(&t, "gerd", Role::Guest).await;
    let (s, html) = page(&c, &t, &format!("/contacts/{id}")).await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"consent-permissions\"") && html.contains("id=\"consent-timeline\""), "a guest reads the section");
    assert!(!html.contains(&format!("action=\"/contacts/{id}/consents")), "no forms for a guest");
    assert!(!html.contains("withdraw-button") && !html.contains("id=\"consent-record\""));
    let (s, _, _) = send_form(&c, &t, &format!("/contacts/{id}/consents"), &paper_consent(&csrf, "Ordner 9")).await;
    assert_eq!(s, 403, "and the service refuses the post");
    assert_eq!(service::overview(&t.app, &Actor::cli(), &id).await.expect("overview").events.len(), 1);
}

/// An app on a clock the test moves (SQLite, or PostgreSQL when reachable).
async fn spawn_with_clock(clock: &ManualClock) -> TestApp {
    let pg = std::env::var("OBHUT_TEST_PG").is_ok() && pg_available().await;
    let backend = if pg { Backend::Postgres } else { Backend::Sqlite };
    try_spawn_app_at(backend, clock.clone(), |_| {}).await.expect("the backend is reachable")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dpo_page_shows_statistics_the_outbox_notices_and_the_review_queue() {
    let clock = ManualClock::at(time::macros::datetime!(2024-01-15 10:00 UTC));
    let t = spawn_with_clock(&clock).await;
    let id = t.add_contact("Erika", "Einwillig", "alt@example.org").await;
    let (c, csrf) = signed_in(&t, "dora", Role::Admin).await;
    let controller = obhut_core::purpose::Controller {
        name: "Quellwerk GmbH".into(),
        address: "Industriestraße 12, 34117 Kassel".into(),
        email: "datenschutz@quellwerk.example".into(),
        phone: None,
        representative: None,
        joint_controllers: vec![],
        dpo_name: "Dora Schutz".into(),
        dpo_email: "dsb@quellwerk.example".into(),
        general_measures: vec![],
        general_measures_de: vec![],
        privacy_notice_url: Some("https://quellwerk.example/datenschutz".into()),
        imprint_url: Some("https://quellwerk.example/impressum".into()),
    };
    obhut_server::services::purposes::save_controller(&t.app, &Actor::cli(), &controller).await.expect("controller");
    // A consent on paper, and a double opt-in mail sent through the form.
    let (s, _, _) = send_form(&c, &t, &format!("/contacts/{id}/consents"), &paper_consent(&csrf, "Ordner 1")).await;
    assert_eq!(s, 303);
    let (s, location, body) = send_form(
        &c,
        &t,
        &format!("/contacts/{id}/consents/request"),
        &[("csrf", csrf.as_str()), ("request_purpose", "newsletter"), ("request_topic", "")],
    )
    .await;
    let shown = body.find("consent-request-error").map(|i| &body[i..(i + 400).min(body.len())]).unwrap_or_default();
    assert_eq!(s, 303, "{shown}");
    assert_eq!(location, format!("/contacts/{id}?flash=consent_requested#consents"));

    let (_, overview) = page(&c, &t, "/privacy").await;
    assert!(overview.contains("href=\"/privacy/consent\""), "the privacy overview links the page");
    let (s, html) = page(&c, &t, "/privacy/consent").await;
    assert_eq!(s, 200);
    assert!(html.contains("aria-current=\"page\">Datenschutz<"));
    let stats = &html[html.find("id=\"consent-stats\"").expect("statistics")..];
    assert!(stats.contains("Newsletter per E-Mail") && stats.contains("erteilt") && stats.contains("angefragt"), "events by kind");
    let outbox = &html[html.find("id=\"outbox-table\"").expect("the outbox")..];
    assert!(outbox.contains("Bestätigungs-E-Mail") && outbox.contains(&id), "the confirmation mail");
    let notices = &html[html.find("id=\"notice-table\"").expect("the notices")..];
    assert!(notices.contains("Newsletter per E-Mail"), "the default notice was created with the first consent");
    assert!(html.contains("id=\"review-empty\""), "nothing is due yet");

    // A new notice version: refused when empty, saved otherwise.
    let notice = |text: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("notice_purpose", "newsletter".into()),
            ("notice_channel", "email".into()),
            ("notice_language", "de".into()),
            ("notice_text", text.to_string()),
        ]
    };
    let r = c.post(t.url("/privacy/consent/notices")).form(&notice("   ")).send().await.expect("post");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("id=\"notice_text-error\""));
    let r = c
        .post(t.url("/privacy/consent/notices"))
        .form(&notice("Ja, ich möchte den Newsletter erhalten (Fassung 2)."))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    let (_, html) = page(&c, &t, "/privacy/consent").await;
    assert!(html.contains("Fassung 2"), "the new version is listed");

    // Twenty-five months later and never used: due for review.
    clock.advance(time::Duration::days(25 * 30));
    let (c, csrf) = signed_in(&t, "dirk", Role::Admin).await;
    let (_, html) = page(&c, &t, "/privacy/consent").await;
    let queue = &html[html.find("id=\"review-queue\"").expect("the review queue")..];
    assert!(queue.contains(&id) && queue.contains("nie"), "the old consent is due");
    assert!(html.contains("id=\"review-send\"") && html.contains("id=\"review-expire\""));
    let (s, location, _) = send_form(&c, &t, "/privacy/consent/review", &[("csrf", csrf.as_str()), ("run", "expire")]).await;
    assert_eq!(s, 303);
    assert_eq!(location, "/privacy/consent?queued=0&expired=1&skipped=0#review");
    let (_, html) = page(&c, &t, &location).await;
    assert!(html.contains("id=\"review-run\"") && html.contains("1 Einwilligungen ausgelaufen"));
    assert!(html.contains("id=\"review-empty\""), "nothing is due any more");
    assert_eq!(newsletter_by_email(&t, &id).await, (false, Reason::NoConsent));
}

crate::on_both_backends!(the_sign_up_page_marks_what_is_required_and_links_the_legal_pages);

async fn the_sign_up_page_marks_what_is_required_and_links_the_legal_pages(b: Backend) {
    let t = spawn_app(b).await;
    let anonymous = reqwest::Client::new();
    let (status, before) = page(&anonymous, &t, "/consent/subscribe?purpose=newsletter").await;
    assert_eq!(status, 200);
    assert!(before.contains("(Pflichtfeld)") && before.contains("Vorname oder Nachname: eines von beiden ist erforderlich."), "{before}");
    assert!(!before.contains("id=\"legal-links\""), "no links while none are set");

    // The DPO sets the addresses in the controller's details; a plain http address is refused at its field.
    let (c, csrf) = signed_in(&t, "dora", Role::Admin).await;
    let current = obhut_server::services::purposes::controller(&t.app, &Actor::cli()).await.unwrap_or_else(|e| panic!("{e}"));
    let mut form = vec![
        ("csrf", csrf.clone()),
        ("name", "Quellwerk GmbH".to_string()),
        ("address", "Industriestraße 12, 34117 Kassel".to_string()),
        ("email", "datenschutz@quellwerk.example".to_string()),
        ("dpo_name", "Dora Schutz".to_string()),
        ("dpo_email", "dsb@quellwerk.example".to_string()),
        ("general_measures", current.general_measures.join("\n")),
        ("privacy_notice_url", "https://quellwerk.example/datenschutz".to_string()),
        ("imprint_url", "http://quellwerk.example/impressum".to_string()),
    ];
    let (status, _, html) = send_form(&c, &t, "/privacy/controller", &form).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("mit https:// beginnt"), "{html}");
    form.pop();
    form.push(("imprint_url", "https://quellwerk.example/impressum".to_string()));
    let (status, location, _) = send_form(&c, &t, "/privacy/controller", &form).await;
    assert_eq!((status, location.as_str()), (303, "/privacy/controller?flash=saved"));

    let (_, after) = page(&anonymous, &t, "/consent/subscribe?purpose=newsletter").await;
    assert!(after.contains("Quellwerk GmbH"), "{after}");
    assert!(
        after.contains(r#"<a href="https://quellwerk.example/datenschutz" rel="noopener">Datenschutzhinweise</a>"#)
            && after.contains(r#"<a href="https://quellwerk.example/impressum" rel="noopener">Impressum</a>"#),
        "{after}"
    );
}
