//! The pipeline board over plain HTTP.

use crate::common::{page, send_form, signed_in, spawn_app, Backend};
use obhut_core::user::Role;
use obhut_server::services;
use obhut_server::Actor;
use serde_json::json;

crate::on_both_backends!(
    a_move_to_the_same_stage_says_nothing_moved_and_writes_nothing,
    the_board_shows_who_and_when_and_the_weighted_forecast,
    won_and_lost_deals_keep_a_reason_that_fits_and_the_board_sums_them,
);

async fn a_move_to_the_same_stage_says_nothing_moved_and_writes_nothing(b: Backend) {
    let t = spawn_app(b).await;
    let (c, csrf) = signed_in(&t, "vera", Role::Admin).await;
    let token = t.token("vera").await;
    let contact = t.api_contact(&token, json!({"family_name": "Kunde"})).await;
    let (status, deal) = t.api_post(&token, "/api/v1/deals", json!({"title": "Rahmenvertrag", "contact_id": contact})).await;
    assert_eq!(status, 201, "{deal}");
    let id = deal["id"].as_str().unwrap_or_default().to_string();
    let here = deal["stage_id"].as_str().unwrap_or_default().to_string();
    let stages = services::deals::stages(&t.app, &Actor::cli()).await.unwrap_or_else(|e| panic!("{e}"));
    let updates = t.audit_events("deal.update").await.len();

    let form = [("csrf", csrf.as_str()), ("stage_id", here.as_str()), ("version", "1")];
    let (status, location, _) = send_form(&c, &t, &format!("/deals/{id}/stage"), &form).await;
    assert_eq!((status, location.as_str()), (303, format!("/deals?flash=not_moved#deal-{id}").as_str()));
    assert_eq!(t.audit_events("deal.update").await.len(), updates, "a no-op move was written");
    let (_, after) = t.api_get(&token, &format!("/api/v1/deals/{id}")).await;
    assert_eq!(after["version"], deal["version"]);

    let next = stages.iter().find(|s| s.id.to_string() != here).map(|s| s.id.to_string()).unwrap_or_default();
    let form = [("csrf", csrf.as_str()), ("stage_id", next.as_str()), ("version", "1")];
    let (status, location, _) = send_form(&c, &t, &format!("/deals/{id}/stage"), &form).await;
    assert_eq!((status, location.as_str()), (303, format!("/deals?flash=moved#deal-{id}").as_str()));
    let (_, after) = t.api_get(&token, &format!("/api/v1/deals/{id}")).await;
    assert_eq!(after["stage_id"], next.as_str());
}

async fn the_board_shows_who_and_when_and_the_weighted_forecast(b: Backend) {
    let t = spawn_app(b).await;
    let (c, _) = signed_in(&t, "vera", Role::User).await;
    let token = t.token("vera").await;
    let contact = t.api_contact(&token, json!({"given_name": "Erika", "family_name": "Mustermann"})).await;
    let stages = services::deals::stages(&t.app, &Actor::cli()).await.unwrap_or_else(|e| panic!("{e}"));
    // Lead 10 %, Angebot 50 %: 1,000 + 4,000 open, weighted 100 + 2,000.
    for (title, amount, stage) in [("Klein", "1000.00", 0usize), ("Groß", "4000.00", 2)] {
        let body = json!({"title": title, "contact_id": contact, "amount": amount, "stage_id": stages[stage].id.to_string(), "expected_close_on": "2020-01-31"});
        let (s, d) = t.api_post(&token, "/api/v1/deals", body).await;
        assert_eq!(s, 201, "{d}");
    }
    let (s, html) = crate::common::page(&c, &t, "/deals").await;
    assert_eq!(s, 200);
    assert!(html.contains("Erika Mustermann"), "the card names the contact (a deal made from a contact shows it)");
    assert!(html.contains("Offene Pipeline: <strong>5.000,00 €</strong>"), "{html}");
    assert!(html.contains("Gewichtete Summe: <strong>2.100,00 €</strong>"), "the forecast weighs each stage's probability");
    assert!(html.contains("gewichtet 2.000,00 €"), "and per stage");
    assert!(html.contains("seit 0 Tagen in der Phase"), "the age in stage");
    assert!(html.contains("due overdue"), "a close date in the past stands out");
    assert!(html.contains(">vera<") || html.contains("· vera"), "the owner");
    let (s, html) = crate::common::page(&c, &t, "/deals?view=list").await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"deal-list\"") && html.contains("Klein") && html.contains("Groß") && html.contains("2 Deals"), "{html}");
}

async fn won_and_lost_deals_keep_a_reason_that_fits_and_the_board_sums_them(b: Backend) {
    let t = spawn_app(b).await;
    let (c, csrf) = signed_in(&t, "vera", Role::User).await;
    let token = t.token("vera").await;
    let (_, stages) = t.api_get(&token, "/api/v1/pipeline/stages").await;
    let id_of = |outcome: &str| stages.as_array().and_then(|a| a.iter().find(|s| s["outcome"] == outcome)).map(|s| s["id"].clone()).unwrap_or_default();
    let (open, won, lost) = (id_of("open"), id_of("won"), id_of("lost"));
    let org = t.api_post(&token, "/api/v1/organizations", json!({"name": "Muster GmbH"})).await.1;
    let deal = |title: &'static str| {
        let (t, token, org) = (&t, token.clone(), org["id"].clone());
        async move { t.api_post(&token, "/api/v1/deals", json!({"title": title, "organization_id": org})).await.1 }
    };
    let d1 = deal("Rahmenvertrag").await;
    let d2 = deal("Wartung").await;
    let d3 = deal("Lizenz").await;
    let path = |d: &serde_json::Value| format!("/api/v1/deals/{}", d["id"].as_str().unwrap_or_default());
    // A reason in an open stage, or one of the other outcome, is refused and changes nothing.
    let (s, v) = t.api(reqwest::Method::PATCH, &token, &path(&d1), Some(json!({"close_reason": "price"}))).await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("only a won or lost deal has a reason"), "{v}");
    let (s, v) = t.api(reqwest::Method::PATCH, &token, &path(&d1), Some(json!({"stage_id": won, "close_reason": "competitor"}))).await;
    assert_eq!(s, 422, "a won deal is not won for a competitor: {v}");
    let (s, v) = t.api(reqwest::Method::PATCH, &token, &path(&d1), Some(json!({"stage_id": won, "close_reason": "bribe"}))).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(t.api_get(&token, &path(&d1)).await.1["stage_id"], open);
    // Won for the price, lost to competitors.
    let (s, v) = t.api(reqwest::Method::PATCH, &token, &path(&d1), Some(json!({"stage_id": won, "close_reason": "price"}))).await;
    assert_eq!((s, v["close_reason"].as_str()), (200, Some("price")), "{v}");
    for d in [&d2, &d3] {
        let (s, _) = t.api(reqwest::Method::PATCH, &token, &path(d), Some(json!({"stage_id": lost, "close_reason": "competitor"}))).await;
        assert_eq!(s, 200);
    }
    let (_, html) = page(&c, &t, "/deals").await;
    let summary = html.split("id=\"close-reasons\"").nth(1).and_then(|r| r.split("</p>").next()).unwrap_or_default();
    assert!(summary.contains("Gewonnen:</strong> Preis 1") && summary.contains("Verloren:</strong> Wettbewerber 2"), "{summary}");
    assert!(html.contains("Grund: Wettbewerber"), "the card names its reason");
    // Back to an open stage: the reason goes. The web form sets one too.
    let (_, v) = t.api(reqwest::Method::PATCH, &token, &path(&d3), Some(json!({"stage_id": open}))).await;
    assert!(v["close_reason"].is_null(), "{v}");
    let edit = format!("/deals/{}/edit", d2["id"].as_str().unwrap_or_default());
    let (_, form) = page(&c, &t, &edit).await;
    assert!(form.contains("id=\"close_reason\""), "the form offers the reason");
    let version = t.api_get(&token, &path(&d2)).await.1["version"].to_string();
    let lost_id = lost.as_str().unwrap_or_default();
    let (s, _, _) = send_form(
        &c,
        &t,
        &edit,
        &[("csrf", csrf.as_str()), ("title", "Wartung"), ("stage_id", lost_id), ("close_reason", "no_budget"), ("organization_id", org["id"].as_str().unwrap_or_default()), ("currency", "EUR"), ("version", version.as_str())],
    )
    .await;
    assert_eq!(s, 303);
    assert_eq!(t.api_get(&token, &path(&d2)).await.1["close_reason"], "no_budget");
}
