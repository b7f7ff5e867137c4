//! Saved views on the lists (per user, sealed, only the list's own filters kept) and the
//! deal list's owner and stage filters.

use crate::common::{page, send_form, signed_in, spawn_app, Backend};
use obhut_core::user::Role;
use serde_json::json;

crate::on_both_backends!(a_user_saves_opens_and_deletes_views_of_a_list, the_deal_list_filters_by_owner_and_stage);

async fn a_user_saves_opens_and_deletes_views_of_a_list(b: Backend) {
    let t = spawn_app(b).await;
    let (anna, csrf) = signed_in(&t, "anna", Role::User).await;
    let (bernd, bcsrf) = signed_in(&t, "bernd", Role::User).await;
    let (_, html) = page(&anna, &t, "/contacts?tag=vip&sort=name&page=2").await;
    assert!(html.contains("name=\"query\" value=\"tag=vip&#38;sort=name\""), "the strip offers the filters shown, without paging: {}", html.split("views-strip").nth(1).unwrap_or_default());
    let form = [("csrf", csrf.as_str()), ("list", "contacts"), ("name", "VIP-Kunden A–Z"), ("query", "tag=vip&sort=name&page=2&flash=x")];
    let (s, location, _) = send_form(&anna, &t, "/views", &form).await;
    assert_eq!((s, location.as_str()), (303, "/contacts?tag=vip&sort=name&flash=view_saved"));
    let (s, _, body) = send_form(&anna, &t, "/views", &form).await;
    assert_eq!(s, 400, "the same name twice");
    assert!(body.contains("eine Ansicht mit diesem Namen gibt es schon"), "{body}");
    let (s, _, _) = send_form(&anna, &t, "/views", &[("csrf", csrf.as_str()), ("list", "secrets"), ("name", "x"), ("query", "")]).await;
    assert_eq!(s, 400, "only the four lists");
    let (s, _, _) = send_form(&anna, &t, "/views", &[("csrf", csrf.as_str()), ("list", "tickets"), ("name", " "), ("query", "")]).await;
    assert_eq!(s, 400, "a view needs a name");
    let (_, html) = page(&anna, &t, "/contacts").await;
    assert!(html.contains("href=\"/contacts?tag=vip&#38;sort=name\">VIP-Kunden A–Z</a>"), "the view is a link on the list");
    let (_, html) = page(&anna, &t, "/contacts?tag=vip&sort=name").await;
    assert!(html.contains("aria-current=\"page\">VIP-Kunden A–Z"), "the view shown is marked");
    let id = html.split("action=\"/views/").nth(1).and_then(|r| r.split('/').next()).unwrap_or_default().to_string();
    // Another user neither sees nor deletes it; it is sealed at rest.
    let (_, html) = page(&bernd, &t, "/contacts").await;
    assert!(!html.contains("VIP-Kunden"));
    let (s, _, _) = send_form(&bernd, &t, &format!("/views/{id}/delete"), &[("csrf", bcsrf.as_str()), ("list", "contacts")]).await;
    assert_eq!(s, 404);
    assert!(!crate::common::contains(&t.raw_bytes().await, "VIP-Kunden"), "the view's name is sealed");
    assert_eq!(t.audit_events("view.save").await.len(), 1);
    let (s, location, _) = send_form(&anna, &t, &format!("/views/{id}/delete"), &[("csrf", csrf.as_str()), ("list", "contacts")]).await;
    assert_eq!((s, location.as_str()), (303, "/contacts?flash=view_deleted"));
    let (_, html) = page(&anna, &t, "/contacts").await;
    assert!(!html.contains("VIP-Kunden"));
    // The other lists have views too.
    for list in ["organizations", "deals", "tickets"] {
        let (s, _, _) = send_form(&anna, &t, "/views", &[("csrf", csrf.as_str()), ("list", list), ("name", "Alles"), ("query", "")]).await;
        assert_eq!(s, 303, "{list}");
        let (_, html) = page(&anna, &t, &format!("/{list}")).await;
        assert!(html.contains(&format!("href=\"/{list}\" aria-current=\"page\">Alles</a>")), "{list}");
    }
}

async fn the_deal_list_filters_by_owner_and_stage(b: Backend) {
    let t = spawn_app(b).await;
    let (anna, _) = signed_in(&t, "anna", Role::User).await;
    let atok = t.token("anna").await;
    let btok = t.user_token("bernd", Role::User).await;
    let (_, stages) = t.api_get(&atok, "/api/v1/pipeline/stages").await;
    let first = stages[0]["id"].as_str().unwrap_or_default().to_string();
    let third = stages[2]["id"].as_str().unwrap_or_default().to_string();
    let org = t.api_post(&atok, "/api/v1/organizations", json!({"name": "Muster GmbH"})).await.1;
    t.api_post(&atok, "/api/v1/deals", json!({"title": "Annas Rahmenvertrag", "organization_id": org["id"], "stage_id": first})).await;
    t.api_post(&atok, "/api/v1/deals", json!({"title": "Annas Wartung", "organization_id": org["id"], "stage_id": third})).await;
    t.api_post(&btok, "/api/v1/deals", json!({"title": "Bernds Lizenz", "organization_id": org["id"], "stage_id": first})).await;
    let (_, html) = page(&anna, &t, "/deals?view=list&owner=me").await;
    assert!(html.contains("Annas Rahmenvertrag") && html.contains("Annas Wartung") && !html.contains("Bernds Lizenz"));
    let (_, html) = page(&anna, &t, &format!("/deals?view=list&stage={first}")).await;
    assert!(html.contains("Annas Rahmenvertrag") && html.contains("Bernds Lizenz") && !html.contains("Annas Wartung"));
    let (_, html) = page(&anna, &t, "/deals?owner=me").await;
    assert!(html.contains("Annas Wartung") && !html.contains("Bernds Lizenz"), "the board too");
}
