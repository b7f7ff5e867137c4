//! Lists that work at scale: contacts sort by their (encrypted) names across all pages, on
//! both databases, with filters, both ways.

use crate::common::{spawn_app, Backend, TestApp};
use obhut_core::user::Role;
use serde_json::json;

crate::on_both_backends!(contacts_sort_by_name_across_pages_not_within_each_page);

async fn names(t: &TestApp, token: &str, query: &str, limit: usize, pages: usize) -> (Vec<String>, i64) {
    let mut out = Vec::new();
    let mut total = 0;
    for p in 0..pages {
        let (s, v) = t.api_get(token, &format!("/api/v1/contacts?{query}&limit={limit}&offset={}", p * limit)).await;
        assert_eq!(s, 200, "{v}");
        total = v["total"].as_i64().unwrap_or(-1);
        for c in v["items"].as_array().cloned().unwrap_or_default() {
            out.push(format!("{} {}", c["family_name"].as_str().unwrap_or(""), c["given_name"].as_str().unwrap_or("")).trim().to_string());
        }
    }
    (out, total)
}

async fn contacts_sort_by_name_across_pages_not_within_each_page(b: Backend) {
    let t = spawn_app(b).await;
    let token = t.user_token("anna", Role::User).await;
    // Created in an order that differs from the names' (each page of the newest-first list
    // holds names from all over the alphabet), with shared beginnings, umlauts and short names.
    let people = [
        ("Zimmermann", "Paul"), ("Bauer", "Jonas"), ("Schmitz", "Eva"), ("Ährlich", "Tom"), ("Bergmann", "Ida"),
        ("Schmidt", "Karl"), ("Li", "Wei"), ("Müller", "Anna"), ("Ott", "Ben"), ("Schmid", "Lea"),
        ("Bauer", "Anton"), ("Zander", "Uwe"), ("Mueller", "Zoe"), ("Otto", "Max"), ("Adler", "Rita"),
        ("Schneider", "Olaf"), ("Becker", "Nina"), ("Lindner", "Gert"), ("Abel", "Hugo"), ("Schmitt", "Ute"),
    ];
    for (i, (family, given)) in people.iter().enumerate() {
        let tags = if i % 2 == 0 { json!(["messe"]) } else { json!([]) };
        t.api_contact(&token, json!({"family_name": family, "given_name": given, "tags": tags})).await;
    }
    // The order a reader expects: family name, then given name, umlauts as their spelled-out letters.
    let expected = [
        "Abel Hugo", "Adler Rita", "Ährlich Tom", "Bauer Anton", "Bauer Jonas", "Becker Nina", "Bergmann Ida", "Li Wei", "Lindner Gert",
        "Müller Anna", "Mueller Zoe", "Ott Ben", "Otto Max", "Schmid Lea", "Schmidt Karl", "Schmitt Ute", "Schmitz Eva", "Schneider Olaf",
        "Zander Uwe", "Zimmermann Paul",
    ];
    let (by_name, total) = names(&t, &token, "sort=name", 6, 4).await;
    assert_eq!(total, 20);
    assert_eq!(by_name, expected, "page after page, one order");
    let (newest_first_page, _) = names(&t, &token, "sort=-created_at", 6, 1).await;
    let mut sorted_within = newest_first_page.clone();
    sorted_within.sort();
    assert_ne!(sorted_within, expected[..6].to_vec(), "the test's names would sort alike within a page");
    let (desc, _) = names(&t, &token, "sort=-name", 7, 3).await;
    let mut reversed = expected.to_vec();
    reversed.reverse();
    assert_eq!(desc, reversed);
    // With a filter: the tagged half, still in one order across pages.
    let tagged: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|n| people.iter().enumerate().any(|(i, (f, g))| i % 2 == 0 && format!("{f} {g}") == *n))
        .collect();
    let (filtered, total) = names(&t, &token, "sort=name&tag=messe", 4, 3).await;
    assert_eq!(total, 10);
    assert_eq!(filtered, tagged);
    // A renamed contact moves to its new place.
    let (_, first) = t.api_get(&token, "/api/v1/contacts?sort=name&limit=1").await;
    let id = first["items"][0]["id"].as_str().unwrap_or_default().to_string();
    let (s, _) = t.api(reqwest::Method::PATCH, &token, &format!("/api/v1/contacts/{id}"), Some(json!({"family_name": "Zwicker"}))).await;
    assert_eq!(s, 200);
    let (all, _) = names(&t, &token, "sort=name", 20, 1).await;
    assert_eq!(all.last().map(String::as_str), Some("Zwicker Hugo"));
    // What the database holds is a keyed hash of the first letters, not the letters.
    assert_eq!(t.count("SELECT COUNT(*) FROM contacts WHERE sort_bucket LIKE 'schm%' OR sort_bucket IS NULL").await, 0);
    assert_eq!(t.count("SELECT COUNT(DISTINCT sort_bucket) FROM contacts WHERE sort_bucket IS NOT NULL").await, 15);
    // A page opens only the sealed sort keys of its buckets; a contact stored before there were
    // any is opened whole, and sorts the same.
    assert_eq!(t.count("SELECT COUNT(*) FROM contacts WHERE sort_sealed IS NULL").await, 0);
    let (before, _) = names(&t, &token, "sort=name", 20, 1).await;
    t.exec("UPDATE contacts SET sort_sealed = NULL WHERE kind = 'b2c' AND id IN (SELECT contact_id FROM contact_tags)").await;
    t.exec("UPDATE counters SET value = value + 1 WHERE name = 'contacts_epoch'").await;
    assert_eq!(t.count("SELECT COUNT(*) FROM contacts WHERE sort_sealed IS NULL").await, 10);
    let (after, _) = names(&t, &token, "sort=name", 7, 3).await;
    assert_eq!(after, before);
    // What the next start does for them: their sealed sort keys and city tokens are set.
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let crypto = &t.app.store.crypto;
    let unsorted = obhut_store::contact_sort::unsorted_contacts(&mut conn, crypto, 100).await.expect("unsorted");
    assert_eq!(unsorted.len(), 10);
    obhut_store::contact_sort::set_sort_buckets(&mut conn, crypto, &unsorted).await.expect("set");
    drop(conn);
    assert_eq!(t.count("SELECT COUNT(*) FROM contacts WHERE sort_sealed IS NULL").await, 0);
    t.exec("UPDATE counters SET value = value + 1 WHERE name = 'contacts_epoch'").await;
    let (again, _) = names(&t, &token, "sort=name", 6, 4).await;
    assert_eq!(again, before);
}

/// The record pickers' type-ahead: the same gated search as the lists, each match a logged read
/// under the screen's purpose; what the reader may not see is not found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_picker_finds_by_name_email_and_company_through_the_gate() {
    let t = spawn_app(Backend::Sqlite).await;
    let token = t.user_token("anna", Role::User).await;
    let hr = t.user_token("hanna", Role::Hr).await;
    let org = t.api_post(&token, "/api/v1/organizations", json!({"name": "Quellwerk Hydraulik GmbH", "city": "Kassel"})).await.1;
    let erika = t
        .api_contact(&token, json!({"given_name": "Erika", "family_name": "Mustermann", "email": "erika@quellwerk.example", "organization_id": org["id"]}))
        .await;
    t.api_contact(&hr, json!({"given_name": "Erika", "family_name": "Bewerberin", "record_class": "hr"})).await;
    let (c, _) = crate::common::signed_in(&t, "dora", Role::Dpo).await;
    let (s, body) = crate::common::page(&c, &t, "/pick/contacts?q=Erika&purpose=data_subject_rights").await;
    assert_eq!(s, 200);
    let found: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(found.as_array().map(Vec::len), Some(2), "the DPO sees both: {found}");
    let (c, _) = crate::common::signed_in(&t, "bert", Role::User).await;
    let (_, body) = crate::common::page(&c, &t, "/pick/contacts?q=erika%40quellwerk.example").await;
    let found: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found[0]["id"], erika.as_str());
    assert_eq!(found[0]["label"], "Erika Mustermann · Quellwerk Hydraulik GmbH · erika@quellwerk.example");
    let (_, body) = crate::common::page(&c, &t, "/pick/contacts?q=Bewerberin").await;
    assert_eq!(body, "[]", "an HR record is not found by staff");
    let reads = t.audit_events("contact.read").await;
    assert!(reads.iter().any(|e| e.entry.purpose.as_deref() == Some("data_subject_rights")), "the DPO's matches are reads under the rights purpose");
    let (_, body) = crate::common::page(&c, &t, "/pick/organizations?q=Quell").await;
    assert!(body.contains("Quellwerk Hydraulik GmbH · Kassel"), "{body}");
}
