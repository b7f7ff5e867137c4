//! The JSON API, on both backends.

use crate::common::{contains, spawn_app, Backend};
use obhut_core::user::Role;
use serde_json::{json, Value};

crate::on_both_backends!(
    a_contact_round_trips_is_found_and_never_stored_in_plaintext,
    bad_input_gets_problem_details_naming_the_field_and_changes_nothing,
    a_guest_reads_but_cannot_write,
    requests_without_a_valid_token_are_refused,
    patch_respects_versions_and_delete_removes,
    a_known_email_or_phone_gives_a_duplicate_warning,
    lists_page_filter_and_sort,
    organizations_deals_tickets_and_activities_work_together,
    every_change_is_audited_in_a_hash_chain,
);

async fn post(t: &crate::common::TestApp, token: &str, path: &str, body: Value) -> (u16, Value, String) {
    let r = t.client.post(t.url(path)).bearer_auth(token).json(&body).send().await.expect("send");
    let status = r.status().as_u16();
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (status, crate::common::json_body(r).await, ct)
}

async fn a_contact_round_trips_is_found_and_never_stored_in_plaintext(b: Backend) {
    let t = spawn_app(b).await;
    let token = t.user_token("admin1", Role::Admin).await;
    let (s, org, _) = post(&t, &token, "/api/v1/organizations", json!({"name": "Quellwerk Hydraulik GmbH", "city": "Kassel"})).await;
    assert_eq!(s, 201);
    let (s, body, _) = post(
        &t,
        &token,
        "/api/v1/contacts",
        json!({"given_name": "Erika", "family_name": "Quetschenpaua", "email": "erika.q@example.org", "phone": "+49 30 9876543",
               "organization_id": org["id"], "addresses": [{"street": "Hauptstraße 5", "postal_code": "34117", "city": "Kassel", "country": "DE"}],
               "tags": ["VIP"], "language": "de"}),
    )
    .await;
    assert_eq!(s, 201, "{body}");
    let id = body["id"].as_str().expect("id").to_string();
    assert_eq!(body["kind"], "b2b");
    assert_eq!(body["origin"]["source"], "api");

    let (s, c) = t.api_get(&token, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(c["email"], "erika.q@example.org");
    assert_eq!(c["phone"], "+49309876543");
    assert_eq!(c["organization_name"], "Quellwerk Hydraulik GmbH");

    for q in ["erika.q@example.org", "ERIKA.Q@example.org", "030%209876543", "Quet", "quetschenpaua%20eri", "Quellwerk"] {
        let (s, page) = t.api_get(&token, &format!("/api/v1/contacts?q={q}")).await;
        assert_eq!(s, 200);
        assert!(
            page["items"].as_array().expect("items").iter().any(|i| i["id"] == id.as_str()),
            "search {q} did not find the contact: {page}"
        );
    }
    let (_, page) = t.api_get(&token, "/api/v1/contacts?q=Zzyzx").await;
    assert_eq!(page["total"], 0);

    t.app.store.checkpoint().await.ok();
    let raw = t.raw_bytes().await;
    assert!(raw.len() > 1000);
    for secret in ["erika.q@example.org", "Quetschenpaua", "+49309876543", "9876543", "Hauptstraße", "Erika"] {
        assert!(!contains(&raw, secret), "plaintext {secret} found at rest on {b:?}");
    }
}

async fn bad_input_gets_problem_details_naming_the_field_and_changes_nothing(b: Backend) {
    let t = spawn_app(b).await;
    let token = t.user_token("admin1", Role::Admin).await;
    let (s, p, ct) = post(&t, &token, "/api/v1/contacts", json!({"given_name": "X", "family_name": "Y", "email": "not-an-email"})).await;
    assert_eq!(s, 422);
    assert!(ct.starts_with("application/problem+json"), "{ct}");
    assert_eq!(p["errors"][0]["field"], "email");
    assert_eq!(p["status"], 422);

    let (s, p, _) = post(&t, &token, "/api/v1/contacts", json!({"given_name": "X", "family_name": "Y", "emial": "x@y.de"})).await;
    assert_eq!(s, 400);
    assert_eq!(p["errors"][0]["field"], "emial", "{p}");

    let (s, p, _) = post(&t, &token, "/api/v1/contacts", json!({"given_name": "X", "family_name": "Y", "phone": "call me"})).await;
    assert_eq!((s, p["errors"][0]["field"].as_str()), (422, Some("phone")));

    let (s, p, _) = post(&t, &token, "/api/v1/contacts", json!({"family_name": "x".repeat(101)})).await;
    assert_eq!((s, p["errors"][0]["field"].as_str()), (422, Some("family_name")));

    let (s, p, _) = post(&t, &token, "/api/v1/contacts", json!({"family_name": 5})).await;
    assert_eq!((s, p["errors"][0]["field"].as_str()), (400, Some("family_name")), "{p}");

    let r = t
        .client
        .post(t.url("/api/v1/contacts"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"family_name\": ")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 400);
    let r = t
        .client
        .post(t.url("/api/v1/contacts"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 415);
    let huge = json!({"family_name": "Y", "notes": "x".repeat(400_000)});
    // The server closes a connection whose body it refused, so this request gets a client of its own.
    let r = reqwest::Client::new().post(t.url("/api/v1/contacts")).bearer_auth(&token).json(&huge).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 413);
    let (s, _) = t.api_get(&token, "/api/v1/contacts?limit=abc").await;
    assert_eq!(s, 400);
    let (s, _) = t.api_get(&token, "/api/v1/contacts/not-a-uuid").await;
    assert_eq!(s, 404);

    let (_, page) = t.api_get(&token, "/api/v1/contacts").await;
    assert_eq!(page["total"], 0, "a refused request wrote something");
}

async fn a_guest_reads_but_cannot_write(b: Backend) {
    let t = spawn_app(b).await;
    let admin = t.user_token("admin1", Role::Admin).await;
    let guest = t.user_token("guest1", Role::Guest).await;
    let (_, c, _) =
        post(&t, &admin, "/api/v1/contacts", json!({"given_name": "Gerd", "family_name": "Gast", "email": "gerd@example.org"})).await;
    let id = c["id"].as_str().expect("id");
    let (s, _) = t.api_get(&guest, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(s, 200);
    let (s, _, ct) = post(&t, &guest, "/api/v1/contacts", json!({"given_name": "No", "family_name": "Write"})).await;
    assert_eq!(s, 403);
    assert!(ct.starts_with("application/problem+json"));
    let (s, _) = t.api(reqwest::Method::PATCH, &guest, &format!("/api/v1/contacts/{id}"), Some(json!({"given_name": "Changed"}))).await;
    assert_eq!(s, 403);
    let r = t.client.delete(t.url(&format!("/api/v1/contacts/{id}"))).bearer_auth(&guest).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 403);
    let r = t.client.get(t.url("/api/v1/contacts/export")).bearer_auth(&guest).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 403);
    let (_, c) = t.api_get(&admin, &format!("/api/v1/contacts/{id}")).await;
    assert_eq!(c["given_name"], "Gerd");
}

async fn requests_without_a_valid_token_are_refused(b: Backend) {
    let t = spawn_app(b).await;
    let r = t.client.get(t.url("/api/v1/contacts")).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(r.headers().get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"));
    let (s, _) = t.api_get("obh_forged", "/api/v1/contacts").await;
    assert_eq!(s, 401);
    let r = t.client.get(t.url("/healthz")).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 200);
    let r = t.client.get(t.url("/readyz")).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 200);
    let r = t.client.get(t.url("/metrics")).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 401, "metrics need their token");
}

async fn patch_respects_versions_and_delete_removes(b: Backend) {
    let t = spawn_app(b).await;
    let token = t.user_token("u1", Role::User).await;
    let (_, c, _) = post(&t, &token, "/api/v1/contacts", json!({"given_name": "Paul", "family_name": "Patch", "email": "paul@example.org", "emails": [{"address": "p2@example.org", "label": "work"}]})).await;
    let id = c["id"].as_str().expect("id").to_string();
    let path = format!("/api/v1/contacts/{id}");
    let r = t
        .client
        .patch(t.url(&path))
        .bearer_auth(&token)
        .header("If-Match", "\"1\"")
        .json(&json!({"email": "paul.new@example.org", "tags": ["a"]}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers().get("etag").and_then(|v| v.to_str().ok()), Some("\"2\""));
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["email"], "paul.new@example.org");
    assert_eq!(v["emails"][1]["address"], "p2@example.org");
    assert_eq!(v["given_name"], "Paul");
    let r = t
        .client
        .patch(t.url(&path))
        .bearer_auth(&token)
        .header("If-Match", "\"1\"")
        .json(&json!({"given_name": "Stale"}))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 409);
    let r = t.client.patch(t.url(&path)).bearer_auth(&token).json(&json!({"email": "broken"})).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 422);
    let (_, v) = t.api_get(&token, &path).await;
    assert_eq!(v["email"], "paul.new@example.org");
    let (_, found) = t.api_get(&token, "/api/v1/contacts?q=paul.new@example.org").await;
    assert_eq!(found["total"], 1);
    let (_, old) = t.api_get(&token, "/api/v1/contacts?q=paul@example.org").await;
    assert_eq!(old["total"], 0, "the old email still finds the contact");
    let r = t.client.delete(t.url(&path)).bearer_auth(&token).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 204);
    let (s, _) = t.api_get(&token, &path).await;
    assert_eq!(s, 404);
    let (_, gone) = t.api_get(&token, "/api/v1/contacts?q=p2@example.org").await;
    assert_eq!(gone["total"], 0);
    // Updates and the deletion removed exactly the contact's blind index rows: none is left over.
    let mut conn = t.app.conn().await.expect("conn");
    let (left,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM blind_indexes WHERE contact_id = $1")
        .bind(uuid::Uuid::parse_str(&id).expect("uuid").as_bytes().to_vec())
        .fetch_one(&mut *conn)
        .await
        .expect("count");
    assert_eq!(left, 0);
}

async fn a_known_email_or_phone_gives_a_duplicate_warning(b: Backend) {
    let t = spawn_app(b).await;
    let token = t.user_token("u1", Role::User).await;
    let (_, first, _) =
        post(&t, &token, "/api/v1/contacts", json!({"family_name": "Erst", "email": "dup@example.org", "phone": "0221 1234567"})).await;
    assert_eq!(first["warnings"], json!([]));
    let (s, second, _) = post(&t, &token, "/api/v1/contacts", json!({"family_name": "Zweit", "email": "DUP@example.org"})).await;
    assert_eq!(s, 201);
    assert_eq!(second["warnings"][0]["code"], "possible_duplicate");
    assert_eq!(second["warnings"][0]["field"], "email");
    assert_eq!(second["warnings"][0]["contact_id"], first["id"]);
    let (_, third, _) = post(&t, &token, "/api/v1/contacts", json!({"family_name": "Dritt", "phone": "+49 221 1234567"})).await;
    assert_eq!(third["warnings"][0]["field"], "phone");
}

async fn lists_page_filter_and_sort(b: Backend) {
    let t = spawn_app(b).await;
    let token = t.user_token("u1", Role::User).await;
    for (i, name) in ["Zander", "Albers", "Mertens", "Becker", "Ohm"].iter().enumerate() {
        let tags = if i % 2 == 0 { json!(["messe"]) } else { json!([]) };
        let (s, _, _) =
            post(&t, &token, "/api/v1/contacts", json!({"family_name": name, "email": format!("{name}@example.org"), "tags": tags})).await;
        assert_eq!(s, 201);
    }
    let (_, p) = t.api_get(&token, "/api/v1/contacts?limit=2&offset=0").await;
    assert_eq!((p["total"].as_i64(), p["items"].as_array().map(Vec::len)), (Some(5), Some(2)));
    assert_eq!(p["items"][0]["family_name"], "Ohm", "newest first");
    let (_, p) = t.api_get(&token, "/api/v1/contacts?limit=2&offset=4").await;
    assert_eq!(p["items"].as_array().map(Vec::len), Some(1));
    let (_, p) = t.api_get(&token, "/api/v1/contacts?tag=messe").await;
    assert_eq!(p["total"], 3);
    let (_, p) = t.api_get(&token, "/api/v1/contacts?sort=name").await;
    let names: Vec<&str> = p["items"].as_array().expect("items").iter().filter_map(|i| i["family_name"].as_str()).collect();
    assert_eq!(names, vec!["Albers", "Becker", "Mertens", "Ohm", "Zander"]);
    let (s, _) = t.api_get(&token, "/api/v1/contacts?sort=shoe_size").await;
    assert_eq!(s, 400);
    let (_, p) = t.api_get(&token, "/api/v1/contacts?kind=b2b").await;
    assert_eq!(p["total"], 0);
}

async fn organizations_deals_tickets_and_activities_work_together(b: Backend) {
    let t = spawn_app(b).await;
    let token = t.user_token("u1", Role::User).await;
    let (s, org, _) = post(
        &t,
        &token,
        "/api/v1/organizations",
        json!({"name": "Brauerei Kessler KG", "vat_id": "DE123456789", "email": "info@kessler.example"}),
    )
    .await;
    assert_eq!(s, 201, "{org}");
    let org_id = org["id"].as_str().expect("id").to_string();
    let (_, c, _) =
        post(&t, &token, "/api/v1/contacts", json!({"given_name": "Karl", "family_name": "Kessler", "organization_id": org_id})).await;
    let cid = c["id"].as_str().expect("id").to_string();
    let (_, stages) = t.api_get(&token, "/api/v1/pipeline/stages").await;
    assert!(stages.as_array().map(Vec::len).unwrap_or(0) >= 4);
    let stage2 = stages[1]["id"].clone();
    let (s, deal, _) = post(
        &t,
        &token,
        "/api/v1/deals",
        json!({"title": "Abfüllanlage", "organization_id": org_id, "contact_id": cid, "amount": "12.500,00"}),
    )
    .await;
    assert_eq!(s, 201, "{deal}");
    assert_eq!(deal["amount"], "12500.00");
    assert_eq!(deal["stage_id"], stages[0]["id"]);
    let did = deal["id"].as_str().expect("id").to_string();
    let (s, _) = t.api(reqwest::Method::PATCH, &token, &format!("/api/v1/deals/{did}"), Some(json!({"stage_id": stage2}))).await;
    assert_eq!(s, 200);
    let (_, deals) = t.api_get(&token, &format!("/api/v1/deals?stage_id={}", stage2.as_str().unwrap_or(""))).await;
    assert_eq!(deals["total"], 1);
    let (s, a, _) = post(
        &t,
        &token,
        "/api/v1/activities",
        json!({"kind": "call", "subject": "Rückruf wegen Angebot", "body": "Kunde wünscht Rabatt", "contact_id": cid, "deal_id": did}),
    )
    .await;
    assert_eq!(s, 201, "{a}");
    let (s, _, _) = post(&t, &token, "/api/v1/activities", json!({"kind": "visit", "subject": "x", "contact_id": cid})).await;
    assert_eq!(s, 422);
    let (_, acts) = t.api_get(&token, &format!("/api/v1/contacts/{cid}/activities")).await;
    assert_eq!(acts[0]["subject"], "Rückruf wegen Angebot");
    let (s, tk, _) =
        post(&t, &token, "/api/v1/tickets", json!({"title": "Reklamation Fass 12", "kind": "complaint", "contact_id": cid})).await;
    assert_eq!(s, 201, "{tk}");
    assert_eq!(tk["status"], "open");
    let (s, tk2, _) = post(&t, &token, "/api/v1/tickets", json!({"title": "Zweites", "organization_id": org_id})).await;
    assert_eq!(s, 201);
    assert_eq!(tk2["number"].as_i64(), tk["number"].as_i64().map(|n| n + 1));
    let tid = tk["id"].as_str().expect("id");
    let (s, _) = t.api(reqwest::Method::PATCH, &token, &format!("/api/v1/tickets/{tid}"), Some(json!({"status": "resolved"}))).await;
    assert_eq!(s, 200);
    let (_, open) = t.api_get(&token, "/api/v1/tickets?open=true").await;
    assert_eq!(open["total"], 1);
    let (_, orgs) = t.api_get(&token, "/api/v1/organizations?q=%25").await;
    assert_eq!(orgs["total"], 0, "a % in a search is a character, not a wildcard");
    let (_, orgs) = t.api_get(&token, "/api/v1/organizations?q=kessler").await;
    assert_eq!(orgs["total"], 1);
    let (s, _) = t.api_get(&token, "/api/v1/contacts?q=%00x").await;
    assert_eq!(s, 422, "a control character in a search is refused on every backend");
    let (s, _, _) = post(&t, &token, "/api/v1/pipeline/stages", json!({"name": "Neu"})).await;
    assert_eq!(s, 403, "a user may not administer the pipeline");
    let raw = t.raw_bytes().await;
    for secret in ["Rückruf wegen Angebot", "Reklamation Fass 12", "info@kessler.example", "Kessler\""] {
        assert!(!contains(&raw, secret), "plaintext {secret} at rest");
    }
}

async fn every_change_is_audited_in_a_hash_chain(b: Backend) {
    let t = spawn_app(b).await;
    let token = t.user_token("u1", Role::User).await;
    let (_, c, _) = post(&t, &token, "/api/v1/contacts", json!({"family_name": "Audit", "email": "audit@example.org"})).await;
    let id = c["id"].as_str().expect("id").to_string();
    t.client
        .patch(t.url(&format!("/api/v1/contacts/{id}")))
        .bearer_auth(&token)
        .json(&json!({"given_name": "Anna"}))
        .send()
        .await
        .expect("send");
    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let events = obhut_store::audit::list_for_record(&mut conn, &id, 10).await.expect("events");
    let actions: Vec<&str> = events.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(actions, vec!["contact.update", "contact.create"]);
    assert_eq!(events[0].entry.fields, vec!["given_name".to_string()]);
    let all = obhut_store::audit::list_recent(&mut conn, 1000).await.expect("events");
    for w in all.windows(2) {
        assert_eq!(w[0].prev_hash, w[1].hash, "chain broken at {}", w[0].seq);
        assert_eq!(w[0].seq, w[1].seq + 1);
    }
    for e in &all {
        let prev = e.prev_hash.clone();
        assert_eq!(obhut_store::audit::chain_hash(&prev, e.seq, e.at, &e.entry), e.hash);
    }
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_committed_fresh() {
    let doc = obhut_server::api::openapi::document();
    let text = doc.to_pretty_json().expect("json");
    let v: Value = serde_json::from_str(&text).expect("parse");
    assert!(v["openapi"].as_str().unwrap_or("").starts_with("3.1"));
    assert!(v["paths"]["/api/v1/contacts"]["post"].is_object());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(&path, format!("{text}\n")).expect("write");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        committed.trim_end(),
        text.trim_end(),
        "docs/openapi.json is stale: run UPDATE_OPENAPI=1 cargo test -p obhut-server --test it openapi"
    );
}

#[tokio::test]
async fn every_documented_operation_is_served_declares_its_path_parameters_and_refuses_no_token_as_documented() {
    let t = spawn_app(Backend::Sqlite).await;
    let doc = serde_json::to_value(obhut_server::api::openapi::document()).expect("json");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        let names: Vec<&str> = path.split('{').skip(1).filter_map(|p| p.split('}').next()).collect();
        for (method, op) in item.as_object().expect("path item") {
            operations += 1;
            let declared = op["parameters"].as_array().cloned().unwrap_or_default();
            for name in &names {
                assert!(
                    declared.iter().any(|p| p["name"] == *name && p["in"] == "path" && p["required"] == true),
                    "{method} {path}: path parameter {name} is not declared"
                );
            }
            for (status, response) in op["responses"].as_object().expect("responses") {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"]["application/problem+json"]["schema"]["$ref"] == "#/components/schemas/Problem",
                        "{method} {path}: {status} is not a problem+json Problem"
                    );
                }
            }
            let url = names.iter().fold(path.clone(), |p, n| p.replace(&format!("{{{n}}}"), "x"));
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let r = t.client.request(m, t.url(&url)).send().await.expect("send");
            let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            assert_eq!(r.status().as_u16(), 401, "{method} {url} without a token (is it routed?)");
            assert_eq!(ct, "application/problem+json", "{method} {url}");
            assert!(op["responses"]["401"].is_object(), "{method} {path} does not document 401");
        }
    }
    assert!(operations >= 90, "only {operations} operations documented");
}

#[tokio::test]
async fn an_id_that_cannot_be_a_contacts_answers_404_on_every_contact_route() {
    let t = spawn_app(Backend::Sqlite).await;
    let token = t.user_token("chefin", Role::Admin).await;
    let routes: [(reqwest::Method, &str, Option<Value>); 8] = [
        (reqwest::Method::GET, "", None),
        (reqwest::Method::GET, "/activities", None),
        (reqwest::Method::GET, "/consents", None),
        (reqwest::Method::POST, "/consents", Some(json!({"purpose": "newsletter", "channel": "email", "kind": "given"}))),
        (reqwest::Method::POST, "/consents/request", Some(json!({"purpose": "newsletter"}))),
        (reqwest::Method::POST, "/consents/withdraw", Some(json!({"purpose": "newsletter", "channel": "email"}))),
        (reqwest::Method::GET, "/consents/receipt?purpose=newsletter&channel=email", None),
        (reqwest::Method::GET, "/restriction", None),
    ];
    for (method, rest, body) in routes {
        let url = t.url(&format!("/api/v1/contacts/not-an-id{rest}"));
        let mut req = t.client.request(method.clone(), url).bearer_auth(&token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.expect("send");
        let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        assert_eq!(r.status().as_u16(), 404, "{method} …/not-an-id{rest}");
        assert_eq!(ct, "application/problem+json", "{method} …/not-an-id{rest}");
    }
}

#[tokio::test]
async fn an_unreachable_database_gets_a_clear_message() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = crate::common::test_config(dir.path(), Some("postgres://nobody@127.0.0.1:1/nothing".into()));
    let err = match obhut_server::App::open(cfg).await {
        Ok(_) => panic!("opened an unreachable database"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("cannot be reached at postgres://nobody@127.0.0.1:1/nothing"), "{err}");
}

#[tokio::test]
async fn the_first_start_offers_a_one_time_setup_link_and_failed_logins_are_throttled() {
    let t = spawn_app(Backend::Sqlite).await;
    let app = &t.app;
    let token = obhut_server::services::users::ensure_setup_token(app).await.expect("setup").expect("a token while no user exists");
    let again = obhut_server::services::users::ensure_setup_token(app).await.expect("setup").expect("token");
    assert!(!obhut_server::services::users::setup_token_valid(app, &token).await.expect("check"), "an older link still works");
    obhut_server::services::users::complete_setup(app, &again, "chefin", "Correct-Horse-Battery-9").await.expect("setup");
    assert!(obhut_server::services::users::complete_setup(app, &again, "zweite", "Correct-Horse-Battery-9").await.is_err());
    assert!(obhut_server::services::users::ensure_setup_token(app).await.expect("setup").is_none());
    for _ in 0..5 {
        let r = obhut_server::services::users::login(app, "chefin", "wrong-password-1").await;
        assert!(matches!(r, Err(obhut_server::ServiceError::Unauthorized)));
    }
    let r = obhut_server::services::users::login(app, "chefin", "Correct-Horse-Battery-9").await;
    assert!(matches!(r, Err(obhut_server::ServiceError::RateLimited(_))), "no throttling after 5 failures");
}

#[tokio::test]
async fn a_database_refuses_a_master_key_it_was_not_sealed_under() {
    let dir = tempfile::tempdir().expect("dir");
    let open = |hex: &str| obhut_store::StoreOptions {
        database_url: None,
        data_dir: dir.path().to_path_buf(),
        master_key: obhut_store::MasterKeySource::Hex(hex.to_string().into()),
        max_connections: 2,
    };
    let a = obhut_store::Store::open(&open(&"11".repeat(32))).await.expect("open");
    a.migrate().await.expect("first migrate records the key check");
    a.pool.close().await;
    let b = obhut_store::Store::open(&open(&"22".repeat(32))).await.expect("open");
    let err = b.migrate().await.expect_err("another key must be refused");
    assert!(err.to_string().contains("master key does not match"), "{err}");
    let a2 = obhut_store::Store::open(&open(&"11".repeat(32))).await.expect("open");
    a2.migrate().await.expect("the right key still works");
}

#[tokio::test]
async fn sessions_end_after_idle_time_not_while_in_use() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = obhut_core::clock::ManualClock::at(time::macros::datetime!(2026-11-23 09:00 UTC));
    let mut cfg = crate::common::test_config(dir.path(), None);
    // Here the idle lifetime alone (the absolute one has its own test).
    cfg.session_absolute_hours = 7 * 24;
    let minutes = cfg.session_minutes;
    let app = obhut_server::App::open_with_clock(cfg, std::sync::Arc::new(clock.clone())).await.expect("open");
    obhut_server::services::users::add_user(&app, &obhut_server::Actor::cli(), "anna", Role::User, "Correct-Horse-Battery-9")
        .await
        .expect("user");
    let (sid, _) = obhut_server::services::users::login(&app, "anna", "Correct-Horse-Battery-9").await.expect("login");
    for _ in 0..3 {
        clock.advance(time::Duration::minutes(minutes - 5));
        assert!(obhut_server::services::users::session(&app, &sid).await.is_ok(), "a session in use expired");
    }
    clock.advance(time::Duration::minutes(minutes + 1));
    assert!(obhut_server::services::users::session(&app, &sid).await.is_err(), "an idle session did not expire");
}

#[tokio::test]
async fn wrong_methods_and_nested_activity_lists_answer_in_json() {
    let t = spawn_app(Backend::Sqlite).await;
    let token = t.user_token("u1", Role::User).await;
    let r = t.client.put(t.url("/api/v1/contacts")).bearer_auth(&token).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 405);
    assert!(r.headers()["content-type"].to_str().unwrap_or("").starts_with("application/problem+json"));
    let (_, org, _) = post(&t, &token, "/api/v1/organizations", json!({"name": "Nested GmbH"})).await;
    let oid = org["id"].as_str().expect("id");
    let (_, deal, _) = post(&t, &token, "/api/v1/deals", json!({"title": "Rahmenvertrag", "organization_id": oid})).await;
    let did = deal["id"].as_str().expect("id");
    let (s, _, _) = post(&t, &token, "/api/v1/activities", json!({"kind": "meeting", "subject": "Kickoff", "deal_id": did})).await;
    assert_eq!(s, 201);
    let (s, a) = t.api_get(&token, &format!("/api/v1/deals/{did}/activities")).await;
    assert_eq!((s, a[0]["subject"].as_str()), (200, Some("Kickoff")));
    let (_, a) = t.api_get(&token, &format!("/api/v1/organizations/{oid}/activities")).await;
    assert_eq!(a[0]["subject"], "Kickoff");
    let (s, tk, _) = post(&t, &token, "/api/v1/tickets", json!({"title": "Frage", "organization_id": oid})).await;
    assert_eq!(s, 201, "{tk}");
    let (_, list) = t.api_get(&token, &format!("/api/v1/tickets?organization_id={oid}")).await;
    assert_eq!(list["total"], 1);
    let (_, list) = t.api_get(&token, &format!("/api/v1/tickets?organization_id={}", obhut_core::ids::OrganizationId::new())).await;
    assert_eq!(list["total"], 0);
}
