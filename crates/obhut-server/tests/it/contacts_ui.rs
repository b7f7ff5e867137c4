//! The contact pages over plain HTTP: what a sales person reads in the list and on the record.

use crate::common::{page, signed_in, spawn_app, Backend};
use obhut_core::user::Role;
use serde_json::json;

crate::on_both_backends!(phone_numbers_read_as_at_home_and_dial_in_e164);

async fn phone_numbers_read_as_at_home_and_dial_in_e164(b: Backend) {
    let t = spawn_app(b).await;
    let (c, _) = signed_in(&t, "sina", Role::Admin).await;
    let token = t.token("sina").await;
    let de = t.api_contact(&token, json!({"given_name": "Jana", "family_name": "Mobil", "phone": "+491712641999"})).await;
    let fr = t.api_contact(&token, json!({"given_name": "Luc", "family_name": "Paris", "phone": "+33 1 23 45 67 89"})).await;
    let (status, list) = page(&c, &t, "/contacts").await;
    assert_eq!(status, 200);
    assert!(list.contains(r#"<a href="tel:+491712641999">0171 2641999</a>"#), "German number not in national form: {list}");
    assert!(list.contains(r#"<a href="tel:+33123456789">+33 1 23 45 67 89</a>"#), "French number not international: {list}");
    assert!(!list.contains(">+491712641999<"), "a raw E.164 number is shown");
    for (id, shown) in [(de, "0171 2641999"), (fr, "+33 1 23 45 67 89")] {
        let (status, record) = page(&c, &t, &format!("/contacts/{id}")).await;
        assert_eq!(status, 200);
        assert!(record.contains(shown), "{shown} not on the record page");
    }
}
