//! Lists sort by every orderable column across all their pages and filter by value (owner,
//! city, created, last activity, tag), on both databases: contacts, organizations, deals and
//! tickets, through the API and the list pages.

use crate::common::{page, signed_in, spawn_app, Backend, TestApp};
use obhut_core::user::Role;
use serde_json::{json, Value};

crate::on_both_backends!(contacts_sort_by_company_owner_and_activity_and_filter_by_city_and_dates, deals_tickets_and_organizations_sort_across_pages);

/// The values of `field` on `pages` pages of `limit` items of an API list.
async fn column(t: &TestApp, token: &str, path: &str, field: &str, limit: usize, pages: usize) -> Vec<String> {
    let mut out = Vec::new();
    for p in 0..pages {
        let sep = if path.contains('?') { '&' } else { '?' };
        let (s, v) = t.api_get(token, &format!("{path}{sep}limit={limit}&offset={}", p * limit)).await;
        assert_eq!(s, 200, "{path}: {v}");
        for item in v["items"].as_array().cloned().unwrap_or_default() {
            out.push(match &item[field] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            });
        }
    }
    out
}

async fn contacts_sort_by_company_owner_and_activity_and_filter_by_city_and_dates(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let bert = t.user_token("bert", Role::User).await;
    let mut org = std::collections::HashMap::new();
    for name in ["Zeta AG", "Alpha GmbH", "Mitte KG"] {
        let (s, o) = t.api_post(&anna, "/api/v1/organizations", json!({"name": name})).await;
        assert_eq!(s, 201, "{o}");
        org.insert(name, o["id"].as_str().unwrap_or_default().to_string());
    }
    // Created in an order that is none of the orders asked for below.
    let people = [
        ("Fuchs", Some("Mitte KG"), "Köln", &bert),
        ("Adam", Some("Zeta AG"), "Berlin", &anna),
        ("Ernst", None, "Koeln", &bert),
        ("Berg", Some("Alpha GmbH"), "Kassel", &anna),
        ("Dorn", Some("Zeta AG"), "Köln", &anna),
        ("Cramer", None, "Hamburg", &bert),
    ];
    let mut id = std::collections::HashMap::new();
    for (family, company, city, token) in people {
        let mut body = json!({"given_name": "Kim", "family_name": family, "addresses": [{"city": city}]});
        if let Some(c) = company {
            body["organization_id"] = json!(org[c]);
        }
        id.insert(family, t.api_contact(token, body).await);
    }
    // By company across pages, contacts without one last, both ways.
    let by_org = column(&t, &anna, "/api/v1/contacts?sort=organization", "family_name", 2, 3).await;
    assert_eq!(by_org[0], "Berg", "Alpha first: {by_org:?}");
    assert_eq!(by_org[1], "Fuchs", "then Mitte: {by_org:?}");
    let mut zeta = by_org[2..4].to_vec();
    zeta.sort();
    assert_eq!(zeta, ["Adam", "Dorn"], "then Zeta's two: {by_org:?}");
    let mut without = by_org[4..].to_vec();
    without.sort();
    assert_eq!(without, ["Cramer", "Ernst"], "without a company last: {by_org:?}");
    let desc = column(&t, &anna, "/api/v1/contacts?sort=-organization", "family_name", 4, 2).await;
    assert_eq!(desc[3], "Berg", "Alpha last of those with one: {desc:?}");
    assert!(desc[4..].iter().all(|n| n == "Cramer" || n == "Ernst"), "{desc:?}");
    // By owner: anna's contacts before bert's, across pages.
    let by_owner = column(&t, &anna, "/api/v1/contacts?sort=owner", "family_name", 2, 3).await;
    let mut first = by_owner[..3].to_vec();
    first.sort();
    assert_eq!(first, ["Adam", "Berg", "Dorn"], "{by_owner:?}");
    // The city filter and search, folded: Köln and Koeln are one city; its letters are not stored.
    let mut in_koeln = column(&t, &anna, "/api/v1/contacts?city=K%C3%B6ln", "family_name", 50, 1).await;
    in_koeln.sort();
    assert_eq!(in_koeln, ["Dorn", "Ernst", "Fuchs"]);
    let mut found = column(&t, &anna, "/api/v1/contacts?q=koeln", "family_name", 50, 1).await;
    found.sort();
    assert_eq!(found, ["Dorn", "Ernst", "Fuchs"], "a search for a city finds the people living there");
    assert_eq!(t.count("SELECT COUNT(*) FROM contacts WHERE city_token LIKE '%oeln%' OR city_token LIKE '%Köln%'").await, 0);
    assert_eq!(t.count("SELECT COUNT(DISTINCT city_token) FROM contacts").await, 4);
    // The latest activity: kept on the contact as activities come and go.
    for (who, when) in [("Berg", "2026-01-10T10:00:00Z"), ("Dorn", "2026-06-01T09:00:00Z"), ("Berg", "2025-03-01T10:00:00Z")] {
        let (s, a) = t.api_post(&anna, "/api/v1/activities", json!({"kind": "call", "subject": "Anruf", "contact_id": id[who], "occurred_at": when})).await;
        assert_eq!(s, 201, "{a}");
    }
    let latest = column(&t, &anna, "/api/v1/contacts?sort=-last_activity", "family_name", 1, 2).await;
    assert_eq!(latest, ["Dorn", "Berg"]);
    let since = column(&t, &anna, "/api/v1/contacts?active_since=2026-05-01", "family_name", 50, 1).await;
    assert_eq!(since, ["Dorn"]);
    let quiet = column(&t, &anna, "/api/v1/contacts?inactive_since=2026-05-01&sort=last_activity", "family_name", 50, 1).await;
    assert_eq!(quiet.len(), 5, "{quiet:?}");
    assert_eq!(quiet[0], "Berg", "the longest untouched with an activity first, those without any last: {quiet:?}");
    assert!(!quiet.contains(&"Dorn".to_string()));
    // Created: today's contacts are there from today, none up to yesterday.
    let today = obhut_server::services::tasks::today(&t.app);
    let n = column(&t, &anna, &format!("/api/v1/contacts?created_from={today}&created_to={today}"), "id", 50, 1).await.len();
    assert_eq!(n, 6);
    let yesterday = today.previous_day().map(|d| d.to_string()).unwrap_or_default();
    assert!(column(&t, &anna, &format!("/api/v1/contacts?created_to={yesterday}"), "id", 50, 1).await.is_empty());
    // Bad input names its field and changes nothing.
    for (q, field, status) in [("created_from=2026-13-01", "created_from", 422), ("inactive_since=gestern", "inactive_since", 422), ("sort=city", "sort", 400)] {
        let (s, v) = t.api_get(&anna, &format!("/api/v1/contacts?{q}")).await;
        assert_eq!(s, status, "{q}: {v}");
        assert!(v.to_string().contains(field), "{q}: {v}");
    }
    // The list page: the filters in its form, the sorted column marked, one order across pages.
    let (c, _) = signed_in(&t, "carla", Role::Admin).await;
    let (s, html) = page(&c, &t, "/contacts?sort=-last_activity&city=K%C3%B6ln").await;
    assert_eq!(s, 200);
    assert!(html.contains(r#"aria-sort="descending"><a class="sort-link" href="/contacts?city=K%C3%B6ln&#38;sort=last_activity">Letzte Aktivität ▼"#), "{html}");
    let dorn = html.find("Dorn").unwrap_or(usize::MAX);
    assert!(dorn < html.find("Fuchs").unwrap_or(0) && dorn < html.find("Ernst").unwrap_or(0), "Dorn's call is the latest");
    assert!(!html.contains("Adam"), "only Köln");
    let (_, html) = page(&c, &t, "/contacts?activity=none30&created_from=2020-01-01").await;
    assert!(html.contains(r#"<option value="none30" selected>seit 30 Tagen keine</option>"#), "{html}");
    let (s, html) = page(&c, &t, "/contacts?created_from=2026-02-30").await;
    assert_eq!(s, 400, "a date that does not exist is refused on the page too");
    assert!(html.contains("„Angelegt ab“ ist so nicht lesbar"), "the filter is named: {html}");
    assert!(html.contains("Fuchs"), "the list is shown without it");
}

async fn deals_tickets_and_organizations_sort_across_pages(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let contact = t.api_contact(&anna, json!({"given_name": "Kim", "family_name": "Kunde"})).await;
    for (title, amount) in [("Wartung", "700.00"), ("Anlage", "12000.00"), ("Schulung", "1500.00"), ("Ersatzteile", "90.00"), ("Beratung", "3000.00")] {
        let (s, d) = t.api_post(&anna, "/api/v1/deals", json!({"title": title, "contact_id": contact, "amount": amount})).await;
        assert_eq!(s, 201, "{d}");
    }
    let by_amount = column(&t, &anna, "/api/v1/deals?sort=-amount", "title", 2, 3).await;
    assert_eq!(by_amount, ["Anlage", "Beratung", "Schulung", "Wartung", "Ersatzteile"]);
    let by_title = column(&t, &anna, "/api/v1/deals?sort=title", "title", 2, 3).await;
    assert_eq!(by_title, ["Anlage", "Beratung", "Ersatzteile", "Schulung", "Wartung"]);
    let (s, v) = t.api_get(&anna, "/api/v1/deals?sort=contact").await;
    assert_eq!(s, 400, "the contact's name is sealed and does not sort: {v}");
    for (title, priority) in [("Drucker", "low"), ("Ausfall", "urgent"), ("Rechnung", "normal"), ("Lieferung", "high")] {
        let (s, tk) = t.api_post(&anna, "/api/v1/tickets", json!({"title": title, "contact_id": contact, "priority": priority})).await;
        assert_eq!(s, 201, "{tk}");
    }
    let by_priority = column(&t, &anna, "/api/v1/tickets?sort=priority", "priority", 1, 4).await;
    assert_eq!(by_priority, ["urgent", "high", "normal", "low"]);
    let by_number = column(&t, &anna, "/api/v1/tickets?sort=-number", "number", 3, 2).await;
    assert_eq!(by_number, ["4", "3", "2", "1"]);
    for (name, city, tags) in [("Nord GmbH", "Kiel", json!(["lieferant"])), ("Ost AG", "Dresden", json!([])), ("Süd KG", "München", json!(["lieferant", "messe"]))] {
        let (s, o) = t.api_post(&anna, "/api/v1/organizations", json!({"name": name, "city": city, "tags": tags})).await;
        assert_eq!(s, 201, "{o}");
    }
    let by_city = column(&t, &anna, "/api/v1/organizations?sort=-city", "name", 1, 3).await;
    assert_eq!(by_city, ["Süd KG", "Nord GmbH", "Ost AG"]);
    let suppliers = column(&t, &anna, "/api/v1/organizations?tag=lieferant", "name", 50, 1).await;
    assert_eq!(suppliers, ["Nord GmbH", "Süd KG"]);
    let in_kiel = column(&t, &anna, "/api/v1/organizations?city=kiel", "name", 50, 1).await;
    assert_eq!(in_kiel, ["Nord GmbH"]);
    // The list pages: the column headers sort, the current one is marked.
    let (c, _) = signed_in(&t, "carla", Role::Admin).await;
    let (_, html) = page(&c, &t, "/deals?view=list&sort=-amount").await;
    assert!(html.contains(r#"aria-sort="descending"><a class="sort-link" href="/deals?view=list&#38;sort=amount">Betrag ▼"#), "{html}");
    assert!(html.find("Anlage").unwrap_or(usize::MAX) < html.find("Ersatzteile").unwrap_or(0));
    let (_, html) = page(&c, &t, "/tickets?sort=priority").await;
    assert!(html.contains(r#"aria-sort="ascending"><a class="sort-link" href="/tickets?sort=-priority">"#), "{html}");
    assert!(html.find("Ausfall").unwrap_or(usize::MAX) < html.find("Drucker").unwrap_or(0));
    let (_, html) = page(&c, &t, "/organizations?tag=lieferant&sort=-name").await;
    assert!(html.find("Süd KG").unwrap_or(usize::MAX) < html.find("Nord GmbH").unwrap_or(0), "{html}");
    assert!(!html.contains("Ost AG"));
}

/// A click on a column header sorts the whole list; the filters stay; at 390 px nothing overflows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_header_sorts_the_list_in_the_browser() {
    let Some(driver) = crate::browser::start_driver().await else { return };
    let Some(t) = crate::common::try_spawn_app(Backend::Sqlite).await else { return };
    t.add_user("sabine", Role::User, crate::common::PASSWORD).await;
    let token = t.token("sabine").await;
    let mut ids = Vec::new();
    for (family, city) in [("Keller", "Köln"), ("Amann", "Köln"), ("Vogt", "Bonn"), ("Pohl", "Köln")] {
        ids.push(t.api_contact(&token, json!({"given_name": "Kim", "family_name": family, "addresses": [{"city": city}]})).await);
    }
    for (i, when) in [(2usize, "2026-03-01T10:00:00Z"), (0, "2026-05-01T10:00:00Z"), (3, "2026-04-01T10:00:00Z")] {
        let (s, a) = t.api_post(&token, "/api/v1/activities", json!({"kind": "call", "subject": "Anruf", "contact_id": ids[i], "occurred_at": when})).await;
        assert_eq!(s, 201, "{a}");
    }
    let b = crate::browser::Browser::open(&driver, &t.base).await;
    b.goto("/contacts?city=koeln").await;
    b.sign_in("sabine", crate::common::PASSWORD, "#contact-table").await;
    b.click("th[aria-sort] a[href*=\"sort=-last_activity\"]").await;
    b.find("th[aria-sort=\"descending\"]").await;
    assert!(b.path().await.starts_with("/contacts"));
    let rows = b.text("#contact-table tbody").await;
    let order: Vec<usize> = ["Keller", "Pohl", "Amann"].iter().map(|n| rows.find(n).unwrap_or(usize::MAX)).collect();
    assert!(order[0] < order[1] && order[1] < order[2], "latest call first, none last, only Köln: {rows}");
    assert!(!rows.contains("Vogt"));
    b.shot("lists-01-contacts-by-activity-de").await;
    assert_eq!(b.overflow_at(390).await, 0, "the filtered, sorted list fits 390 px");
    b.shot_at("lists-02-contacts-by-activity-de-390", 390).await;
    for (name, city) in [("Nord GmbH", "Kiel"), ("Süd KG", "München")] {
        t.api_post(&token, "/api/v1/organizations", json!({"name": name, "city": city})).await;
    }
    b.goto("/organizations?sort=-city").await;
    b.find("th[aria-sort=\"descending\"]").await;
    let rows = b.text("table.data tbody").await;
    assert!(rows.find("Süd KG").unwrap_or(usize::MAX) < rows.find("Nord GmbH").unwrap_or(0), "München before Kiel: {rows}");
    b.close().await;
}
