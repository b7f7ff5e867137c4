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

crate::on_both_backends!(an_empty_search_says_what_was_searched_and_what_can_be);

async fn an_empty_search_says_what_was_searched_and_what_can_be(b: Backend) {
    let t = spawn_app(b).await;
    let (c, _) = signed_in(&t, "sina", Role::Admin).await;
    t.add_contact("Jana", "Berger", "jana@example.org").await;
    let (status, html) = page(&c, &t, "/contacts?q=Berlin&kind=b2c&tag=vip").await;
    assert_eq!(status, 200);
    assert!(html.contains("Keine Kontakte für „Berlin“ · Art: Privatkunde (B2C) · Schlagwort: vip."), "{html}");
    assert!(html.contains("Telefonnummern, Firmennamen und Orten. Straßen und Notizen sind verschlüsselt"), "the page does not say what can be searched");
    assert!(html.contains("Ort, Anlagedatum und letzte Aktivität wählen Sie über die Filter"), "nor what the filters choose");
    let (_, found) = page(&c, &t, "/contacts?q=Ber").await;
    assert!(found.contains("Berger") && !found.contains("Keine Kontakte"), "a name prefix finds the contact");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contact_list_pages_by_number_and_explains_an_empty_search_in_the_browser() {
    let Some(driver) = crate::browser::start_driver().await else { return };
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("paula", Role::Admin, crate::common::PASSWORD).await;
    for i in 0..120 {
        t.add_contact("Kim", &format!("Seitenweise{i:03}"), &format!("kim{i}@example.org")).await;
    }
    let b = crate::browser::Browser::open(&driver, &t.base).await;
    b.goto("/contacts?page=2").await;
    b.sign_in("paula", crate::common::PASSWORD, "#contact-table").await;
    b.goto("/contacts?page=2").await;
    b.find("#contact-table").await;
    assert_eq!(b.text(".pager [aria-current=page]").await, "2");
    let href = |css: &'static str| async { b.attr(css, "href").await.unwrap_or_default() };
    assert!(href(".pager a[rel=next]").await.ends_with("/contacts?page=3"));
    assert!(href(".pager a[aria-label=\"Seite 1\"]").await.ends_with("/contacts?page=1"));
    assert!(href(".pager a[aria-label=\"Seite 3\"]").await.ends_with("/contacts?page=3"));
    b.screenshot("contacts-pager").await;
    b.goto("/contacts?q=Berlin").await;
    assert!(b.text(".empty").await.contains("Keine Kontakte für „Berlin“."));
    b.screenshot("contacts-empty-search").await;
}

crate::on_both_backends!(the_access_history_counts_a_readers_day_in_one_row_and_names_purposes);

async fn the_access_history_counts_a_readers_day_in_one_row_and_names_purposes(b: Backend) {
    let t = spawn_app(b).await;
    let (c, _) = signed_in(&t, "sina", Role::Admin).await;
    let id = t.add_contact("Jana", "Oft", "oft@example.org").await;
    for _ in 0..4 {
        assert_eq!(page(&c, &t, &format!("/contacts/{id}")).await.0, 200);
    }
    let (_, html) = page(&c, &t, &format!("/contacts/{id}")).await;
    let start = html.find("id=\"access-log\"").unwrap_or_else(|| panic!("no access log: {html}"));
    let log = &html[start..start + html[start..].find("</table>").unwrap_or(0)];
    let reads: Vec<&str> = log.split("<tr>").filter(|row| row.contains("gelesen")).collect();
    assert_eq!(reads.len(), 1, "one row for one reader's reads of the day: {log}");
    assert!(reads[0].contains("-mal an diesem Tag") && reads[0].contains("ui: sina"), "{log}");
    assert!(reads[0].contains("Vertragsdurchführung") && !reads[0].contains(">contract<"), "the purpose by its name: {log}");
}
