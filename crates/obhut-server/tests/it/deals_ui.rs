//! The pipeline board over plain HTTP.

use crate::common::{send_form, signed_in, spawn_app, Backend};
use obhut_core::user::Role;
use obhut_server::services;
use obhut_server::Actor;
use serde_json::json;

crate::on_both_backends!(a_move_to_the_same_stage_says_nothing_moved_and_writes_nothing);

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
