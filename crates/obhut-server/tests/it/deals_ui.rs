//! The pipeline board over plain HTTP.

use crate::common::{send_form, signed_in, spawn_app, Backend};
use obhut_core::user::Role;
use obhut_server::services;
use obhut_server::Actor;
use serde_json::json;

crate::on_both_backends!(
    a_move_to_the_same_stage_says_nothing_moved_and_writes_nothing,
    the_board_shows_who_and_when_and_the_weighted_forecast,
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
