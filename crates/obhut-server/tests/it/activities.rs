//! Activities over the API: editing one keeps it where it is filed, audits what changed and
//! keeps the values before and after sealed.

use crate::common::{spawn_app, Backend};
use obhut_core::user::Role;
use reqwest::Method;
use serde_json::json;

crate::on_both_backends!(an_activity_is_edited_audited_and_sealed);

async fn an_activity_is_edited_audited_and_sealed(b: Backend) {
    let t = spawn_app(b).await;
    let token = t.user_token("ella", Role::Admin).await;
    let cid = t.api_contact(&token, json!({"family_name": "Anruferin"})).await;
    let (s, a) = t
        .api_post(
            &token,
            "/api/v1/activities",
            json!({"kind": "call", "subject": "Rückruf", "body": "Angebot bis Freitag", "contact_id": cid}),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    let id = a["id"].as_str().unwrap_or_default().to_string();
    let path = format!("/api/v1/activities/{id}");

    let (s, changed) =
        t.api(Method::PATCH, &token, &path, Some(json!({"subject": "Rückruf erledigt", "body": "Angebot verschickt"}))).await;
    assert_eq!(s, 200, "{changed}");
    assert_eq!(
        (changed["subject"].as_str(), changed["body"].as_str(), changed["kind"].as_str()),
        (Some("Rückruf erledigt"), Some("Angebot verschickt"), Some("call"))
    );
    assert_eq!(changed["contact_id"], a["contact_id"]);
    let (_, read) = t.api_get(&token, &path).await;
    assert_eq!(read["subject"], "Rückruf erledigt");

    let events = t.audit_events("activity.update").await;
    assert_eq!(events.len(), 1);
    let e = &events[0].entry;
    assert_eq!(e.fields, vec!["subject".to_string(), "body".to_string()]);
    assert_eq!(e.subject_id.as_deref(), Some(cid.as_str()));
    let sealed = e.detail.clone().unwrap_or_default();
    assert!(!sealed.is_empty(), "the values before and after are kept");
    for plain in ["Angebot bis Freitag", "Angebot verschickt"] {
        assert!(!sealed.windows(plain.len()).any(|w| w == plain.as_bytes()), "{plain} stands in the clear");
    }

    // The same values again change nothing and write nothing.
    let (s, _) = t.api(Method::PATCH, &token, &path, Some(json!({"subject": "Rückruf erledigt"}))).await;
    assert_eq!(s, 200);
    assert_eq!(t.audit_events("activity.update").await.len(), 1);
    // It stays where it is filed; bad input is refused and changes nothing.
    let other = t.api_contact(&token, json!({"family_name": "Andere"})).await;
    let (s, p) = t.api(Method::PATCH, &token, &path, Some(json!({"contact_id": other}))).await;
    assert_eq!(s, 422, "{p}");
    let (s, p) = t.api(Method::PATCH, &token, &path, Some(json!({"kind": "telegram"}))).await;
    assert_eq!(s, 422, "{p}");
    let (_, read) = t.api_get(&token, &path).await;
    assert_eq!((read["kind"].as_str(), read["contact_id"].as_str()), (Some("call"), Some(cid.as_str())));
    // A guest may read but not change it.
    let guest = t.user_token("gero", Role::Guest).await;
    let (s, _) = t.api(Method::PATCH, &guest, &path, Some(json!({"subject": "Gast"}))).await;
    assert_eq!(s, 403);
}

crate::on_both_backends!(an_activity_is_edited_from_its_timeline);

async fn an_activity_is_edited_from_its_timeline(b: Backend) {
    let t = spawn_app(b).await;
    let (c, csrf) = crate::common::signed_in(&t, "ella", Role::Admin).await;
    let token = t.token("ella").await;
    let cid = t.api_contact(&token, json!({"family_name": "Anruferin"})).await;
    let (_, a) = t.api_post(&token, "/api/v1/activities", json!({"kind": "call", "subject": "Rückruf", "contact_id": cid})).await;
    let id = a["id"].as_str().unwrap_or_default().to_string();
    let back = format!("/contacts/{cid}");
    let (_, record) = crate::common::page(&c, &t, &back).await;
    assert!(record.contains(&format!("/activities/{id}/edit?back=/contacts/{cid}")), "no edit link in the timeline");
    let (status, form) = crate::common::page(&c, &t, &format!("/activities/{id}/edit?back={back}")).await;
    assert_eq!(status, 200);
    assert!(form.contains("value=\"Rückruf\""), "{form}");

    let bad = [("csrf", csrf.as_str()), ("kind", "call"), ("subject", ""), ("body", ""), ("occurred_at", ""), ("back", back.as_str())];
    let (status, _, html) = crate::common::send_form(&c, &t, &format!("/activities/{id}/edit"), &bad).await;
    assert_eq!(status, 422, "an empty subject is refused at its field");
    assert!(html.contains("ist erforderlich"), "{html}");
    let good = [
        ("csrf", csrf.as_str()),
        ("kind", "meeting"),
        ("subject", "Termin vor Ort"),
        ("body", "Vertrag besprochen"),
        ("occurred_at", ""),
        ("back", back.as_str()),
    ];
    let (status, location, _) = crate::common::send_form(&c, &t, &format!("/activities/{id}/edit"), &good).await;
    assert_eq!((status, location.as_str()), (303, format!("{back}?flash=saved").as_str()));
    let (_, read) = t.api_get(&token, &format!("/api/v1/activities/{id}")).await;
    assert_eq!(
        (read["kind"].as_str(), read["subject"].as_str(), read["body"].as_str()),
        (Some("meeting"), Some("Termin vor Ort"), Some("Vertrag besprochen"))
    );
    assert_eq!(t.audit_events("activity.update").await.len(), 1);
}
