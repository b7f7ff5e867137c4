//! Data subject requests end to end: the Art. 15 access report (JSON, HTML in German and
//! English, PDF) with the story of every datum and the trail of changes, the Art. 20 zip, who
//! may ask for them, and what an unknown contact gets.

use crate::common::{contains, page, signed_in, spawn_app, Backend, TestApp};
use obhut_core::user::Role;
use obhut_server::services;
use obhut_server::Actor;
use serde_json::{json, Value};
use std::io::Read;

crate::on_both_backends!(
    the_access_report_tells_what_is_held_why_for_whom_how_long_and_what_changed,
    the_report_reads_as_german_html_by_default_and_prints_as_a_pdf,
    the_portability_export_is_one_zip_with_json_csv_and_a_vcard,
    only_the_dpo_and_administrators_get_them_and_an_unknown_contact_is_not_found,
    the_contact_page_offers_the_requests_to_those_who_may_run_them,
);

const EMAIL: &str = "erika.zwiebelfisch@example.org";

/// A response's status, content type, disposition and body.
async fn fetch(t: &TestApp, token: &str, path: &str) -> (u16, String, String, Vec<u8>) {
    let r = t.client.get(t.url(path)).bearer_auth(token).send().await.expect("get");
    let header = |n: &str| r.headers().get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (status, ct, cd) = (r.status().as_u16(), header("content-type"), header("content-disposition"));
    (status, ct, cd, r.bytes().await.expect("body").to_vec())
}

/// A contact with an address, a tag, an activity, a newsletter consent and a change of name.
async fn erika(t: &TestApp, token: &str) -> String {
    let body = json!({
        "given_name": "Erika", "family_name": "Zwiebelfisch", "email": EMAIL, "phone": "030 1234567",
        "addresses": [{"street": "Gänseweg 5", "postal_code": "10115", "city": "Berlin", "country": "DE"}],
        "tags": ["kundin"],
    });
    let (s, v) = t.api_post(token, "/api/v1/contacts", body).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().expect("id").to_string();
    let activity = json!({"kind": "call", "contact_id": id, "subject": "Rückruf zum Angebot", "body": "Möchte ein Angebot für Fenster."});
    let (s, v) = t.api_post(token, "/api/v1/activities", activity).await;
    assert_eq!(s, 201, "{v}");
    let consent = json!({"purpose": "newsletter", "channel": "email", "kind": "given", "method": "paper", "recording_ref": "Scan 4711"});
    let (s, v) = t.api_post(token, &format!("/api/v1/contacts/{id}/consents"), consent).await;
    assert_eq!(s, 201, "{v}");
    let (s, v) = t
        .api(reqwest::Method::PATCH, token, &format!("/api/v1/contacts/{id}"), Some(json!({"family_name": "Zwiebelfisch-Lüdenscheidt"})))
        .await;
    assert_eq!(s, 200, "{v}");
    id
}

async fn the_access_report_tells_what_is_held_why_for_whom_how_long_and_what_changed(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let dora = t.user_token("dora", Role::Dpo).await;
    let chef = t.user_token("chef", Role::Admin).await;
    let id = erika(&t, &anna).await;
    let (s, _, _, _) = fetch(&t, &chef, "/api/v1/audiences/export?purpose=newsletter&channel=email&recipient=Versanddienst%20GmbH").await;
    assert_eq!(s, 200);

    let (s, ct, _, body) = fetch(&t, &dora, &format!("/api/v1/contacts/{id}/access-report")).await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&body));
    assert!(ct.starts_with("application/json"), "{ct}");
    let text = String::from_utf8(body).expect("utf-8");
    // What an outside check greps for.
    for needle in [EMAIL, "\"purpose\"", "\"legal_basis\"", "\"recipient\"", "\"retention\"", "\"source\""] {
        assert!(text.contains(needle), "{needle} missing from the report");
    }
    let r: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(r["subject"]["id"], id.as_str());
    let pd = &r["personal_data"];
    assert_eq!(pd["emails"][0]["address"], EMAIL);
    assert_eq!(pd["phones"][0]["number"], "+49301234567");
    assert_eq!(pd["addresses"][0]["street"], "Gänseweg 5");
    assert_eq!(pd["tags"], json!(["kundin"]));
    assert_eq!(pd["family_name"], "Zwiebelfisch-Lüdenscheidt");
    assert_eq!(r["activities"][0]["subject"], "Rückruf zum Angebot");
    assert_eq!(r["activities"][0]["recorded_by"], json!({"kind": "staff", "role": "user", "channel": "api"}));
    assert!(r["consents"]["consents"].as_array().is_some_and(|c| c.iter().any(|c| c["purpose"] == "newsletter" && c["status"] == "Given")));

    // The update, with the values before and after, opened with the contact's key.
    let trail = r["audit_trail"].as_array().expect("trail");
    let update = trail.iter().find(|e| e["action"] == "contact.update").expect("the update in the trail");
    assert_eq!(update["fields"], json!(["family_name"]));
    assert_eq!(update["detail"]["before"]["family_name"], "Zwiebelfisch");
    assert_eq!(update["detail"]["after"]["family_name"], "Zwiebelfisch-Lüdenscheidt");
    assert!(trail.iter().any(|e| e["action"] == "contact.create") && trail.iter().any(|e| e["action"] == "activity.create"));
    assert!(trail.windows(2).all(|w| w[0]["seq"].as_i64() < w[1]["seq"].as_i64()), "oldest first");

    // Purposes with their legal bases, categories, recipients, retention, source, rights.
    let purposes = r["purposes"].as_array().expect("purposes");
    let basis = |k: &str| purposes.iter().find(|p| p["purpose"] == k).map(|p| p["legal_basis"]["basis"].clone());
    assert_eq!(basis("contract"), Some(json!("contract")));
    assert_eq!(basis("newsletter"), Some(json!("consent")));
    assert!(purposes.iter().all(|p| p["legal_basis"]["article"].as_str().is_some_and(|a| a.starts_with("Art. 6(1)"))));
    let newsletter = purposes.iter().find(|p| p["purpose"] == "newsletter").expect("newsletter");
    assert!(newsletter["grounds"].as_array().is_some_and(|g| g.contains(&json!("consent")) && g.contains(&json!("disclosure"))));
    let categories: Vec<&str> = r["data_categories"].as_array().expect("c").iter().filter_map(|c| c["category"].as_str()).collect();
    for c in
        ["user.name", "user.contact.email", "user.contact.phone_number", "user.contact.address", "user.content", "user.privacy_preferences"]
    {
        assert!(categories.contains(&c), "{c} in {categories:?}");
    }
    let recipients = r["recipients"].as_array().expect("recipients");
    let shipper = recipients.iter().find(|x| x["recipient"] == "Versanddienst GmbH").expect("the export's recipient");
    assert_eq!(shipper["disclosures"][0]["how"], "audience_export");
    assert_eq!(shipper["disclosures"][0]["purpose"], "newsletter");
    assert!(shipper["known_from"].as_array().is_some_and(|k| k.contains(&json!("disclosure_log"))));
    assert!(recipients
        .iter()
        .any(|x| x["kind"] == "processor" && x["known_from"].as_array().is_some_and(|k| k.contains(&json!("purpose_registry")))));
    let retention = r["retention"].as_array().expect("retention");
    assert_eq!(retention.len(), categories.len());
    let email_rules = retention.iter().find(|e| e["data_category"] == "user.contact.email").expect("email retention");
    assert!(email_rules["rules"]
        .as_array()
        .is_some_and(|x| x.iter().any(|x| x["purpose"] == "contract" && x["rule"].as_str().is_some_and(|s| !s.is_empty()))));
    assert_eq!(r["source"]["origin_source"], "api");
    assert!(r["source"]["origin_detail"].as_str().is_some_and(|d| d.starts_with("API")));
    let rights: Vec<&str> = r["rights"].as_array().expect("rights").iter().filter_map(|x| x["article"].as_str()).collect();
    for a in ["Art. 15 GDPR", "Art. 16 GDPR", "Art. 17 GDPR", "Art. 18 GDPR", "Art. 20 GDPR", "Art. 21 GDPR", "Art. 77 GDPR"] {
        assert!(rights.contains(&a), "{a}");
    }
    assert_eq!(r["automated_decision_making"]["used"], false);

    // Audited with counts only; the values of the change are sealed at rest.
    let filter = obhut_store::audit::AuditFilter { action: Some("dsr.access_report".into()), ..Default::default() };
    let events = services::audit::search(&t.app, &Actor::cli(), &filter, services::Page::default()).await.expect("audit").0;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].entry.subject_id.as_deref(), Some(id.as_str()));
    assert!(events[0].entry.fields.iter().all(|f| !f.contains('@') && !f.contains("Zwiebel")), "{:?}", events[0].entry.fields);
    let raw = t.raw_bytes().await;
    assert!(!contains(&raw, "Zwiebelfisch") && !contains(&raw, EMAIL), "personal values at rest in plaintext");
}

async fn the_report_reads_as_german_html_by_default_and_prints_as_a_pdf(b: Backend) {
    let t = spawn_app(b).await;
    let chef = t.user_token("chef", Role::Admin).await;
    let id = erika(&t, &chef).await;
    let (s, ct, _, body) = fetch(&t, &chef, &format!("/api/v1/contacts/{id}/access-report?format=html")).await;
    assert_eq!(s, 200);
    assert!(ct.starts_with("text/html"), "{ct}");
    let html = String::from_utf8(body).expect("utf-8");
    assert!(html.contains("<html lang=\"de\">") && html.contains("Auskunft über Ihre personenbezogenen Daten"), "German by default");
    assert!(html.contains("Erika") && html.contains("Zwiebelfisch-Lüdenscheidt") && html.contains(EMAIL));
    assert!(html.contains("Rechtsgrundlage") && html.contains("Speicherdauer") && html.contains("Beschwerde bei einer Aufsichtsbehörde"));
    assert!(html.contains("vorher „Zwiebelfisch“, nachher „Zwiebelfisch-Lüdenscheidt“"), "the change in the trail");
    assert!(html.contains("@media print"));
    assert!(!html.contains("dsr_report."), "an untranslated key");
    let (_, _, _, body) = fetch(&t, &chef, &format!("/api/v1/contacts/{id}/access-report?format=html&lang=en")).await;
    let en = String::from_utf8(body).expect("utf-8");
    assert!(en.contains("<html lang=\"en\">") && en.contains("Information about your personal data") && en.contains("Legal basis"));
    assert!(!en.contains("dsr_report."), "an untranslated key");

    let (s, ct, cd, pdf) = fetch(&t, &chef, &format!("/api/v1/contacts/{id}/access-report?format=pdf")).await;
    assert_eq!(s, 200);
    assert_eq!(ct, "application/pdf");
    assert!(cd.contains(".pdf"), "{cd}");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/Type /Page") && text.contains("/Helvetica") && text.contains("/WinAnsiEncoding"));
    // Umlauts in WinAnsi: "Lüdenscheidt" with ü as 0xFC, in a hex string (text beyond ASCII).
    assert!(text.to_lowercase().contains("4cfc64656e73636865696474"), "the name in the PDF");
    assert!(pdf.ends_with(b"%%EOF") || pdf.ends_with(b"%%EOF\n"));

    let (s, ct, _, body) = fetch(&t, &chef, &format!("/api/v1/contacts/{id}/access-report?format=docx")).await;
    assert_eq!(s, 400);
    assert_eq!(ct, "application/problem+json");
    let p: Value = serde_json::from_slice(&body).expect("problem");
    assert_eq!(p["errors"][0]["field"], "format");
}

async fn the_portability_export_is_one_zip_with_json_csv_and_a_vcard(b: Backend) {
    let t = spawn_app(b).await;
    let chef = t.user_token("chef", Role::Admin).await;
    let id = erika(&t, &chef).await;
    let ticket = json!({"title": "Fenster undicht", "description": "Seit dem Einbau zieht es.", "kind": "complaint", "contact_id": id});
    let (s, v) = t.api_post(&chef, "/api/v1/tickets", ticket).await;
    assert_eq!(s, 201, "{v}");
    let (s, ct, cd, body) = fetch(&t, &chef, &format!("/api/v1/contacts/{id}/portability")).await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(ct, "application/zip");
    assert!(cd.starts_with("attachment") && cd.contains(".zip"), "{cd}");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).expect("a zip file");
    let mut names: Vec<String> = zip.file_names().map(str::to_string).collect();
    names.sort();
    assert_eq!(names, ["contact.vcf", "data.csv", "data.json"]);
    let mut read = |name: &str| {
        let mut f = zip.by_name(name).expect(name);
        assert_eq!(f.compression(), zip::CompressionMethod::Deflated);
        let mut s = String::new();
        f.read_to_string(&mut s).expect("utf-8");
        s
    };
    let vcf = read("contact.vcf");
    assert!(
        vcf.starts_with("BEGIN:VCARD") && vcf.contains(&format!("EMAIL:{EMAIL}")) && vcf.contains("FN:Erika Zwiebelfisch-Lüdenscheidt"),
        "{vcf}"
    );
    assert!(!vcf.contains("CATEGORIES"), "staff's tags are not data the person provided");
    let data: Value = serde_json::from_str(&read("data.json")).expect("json");
    assert_eq!(data["contact"]["emails"][0]["address"], EMAIL);
    assert_eq!(data["consents"][0]["kind"], "given");
    assert_eq!(data["consents"][0]["purpose"], "newsletter");
    assert_eq!(data["tickets"][0]["title"], "Fenster undicht");
    assert_eq!(data["messages"], json!([]), "a call noted by staff is not the person's message");
    let csv = read("data.csv");
    assert!(csv.starts_with("section,record,at,field,value"));
    assert!(
        csv.contains(&format!("emails[0],{EMAIL}")) && csv.contains("phones[0],+49301234567") && csv.contains("Fenster undicht"),
        "{csv}"
    );
    let filter = obhut_store::audit::AuditFilter { action: Some("dsr.portability".into()), ..Default::default() };
    let events = services::audit::search(&t.app, &Actor::cli(), &filter, services::Page::default()).await.expect("audit").0;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].entry.subject_id.as_deref(), Some(id.as_str()));
}

async fn only_the_dpo_and_administrators_get_them_and_an_unknown_contact_is_not_found(b: Backend) {
    let t = spawn_app(b).await;
    let anna = t.user_token("anna", Role::User).await;
    let gast = t.user_token("gast", Role::Guest).await;
    let dora = t.user_token("dora", Role::Dpo).await;
    let chef = t.user_token("chef", Role::Admin).await;
    let id = erika(&t, &anna).await;
    for path in [format!("/api/v1/contacts/{id}/access-report"), format!("/api/v1/contacts/{id}/portability")] {
        for token in [&anna, &gast] {
            let (s, ct, _, body) = fetch(&t, token, &path).await;
            assert_eq!(s, 403, "{path}: {}", String::from_utf8_lossy(&body));
            assert_eq!(ct, "application/problem+json");
            assert!(!contains(&body, EMAIL));
        }
        let (s, _, _, _) = fetch(&t, &dora, &path).await;
        assert_eq!(s, 200, "{path}");
    }
    // Who may not ask learns nothing about which ids exist.
    let unknown = "0190a1b2-0000-7000-8000-000000000000";
    let (s, _, _, _) = fetch(&t, &anna, &format!("/api/v1/contacts/{unknown}/access-report")).await;
    assert_eq!(s, 403);
    for path in [
        format!("/api/v1/contacts/{unknown}/access-report"),
        format!("/api/v1/contacts/{unknown}/portability"),
        "/api/v1/contacts/not-an-id/access-report".into(),
    ] {
        let (s, ct, _, body) = fetch(&t, &chef, &path).await;
        assert_eq!(s, 404, "{path}");
        assert_eq!(ct, "application/problem+json");
        let p: Value = serde_json::from_slice(&body).expect("problem");
        assert_eq!(p["status"], 404);
    }
    // Refusals are logged; reports only for the permitted ones.
    let refused = obhut_store::audit::AuditFilter { action: Some("access.refused".into()), ..Default::default() };
    let n = services::audit::search(&t.app, &Actor::cli(), &refused, services::Page::default()).await.expect("audit").1;
    assert!(n >= 5, "{n} refusals logged");
    let done = obhut_store::audit::AuditFilter { action: Some("dsr.access_report".into()), ..Default::default() };
    assert_eq!(services::audit::search(&t.app, &Actor::cli(), &done, services::Page::default()).await.expect("audit").1, 1);
    // The command line's operator is an administrator.
    let r = services::dsr_report::access_report(&t.app, &Actor::cli(), &id).await.expect("the CLI actor may");
    assert_eq!(r.subject.id, id);
    // An erased contact is gone, not unknown: 410 for both.
    services::erasure::erase(&t.app, &Actor::cli(), &id, "Antrag auf Löschung", None).await.expect("erase");
    for path in [format!("/api/v1/contacts/{id}/access-report"), format!("/api/v1/contacts/{id}/portability")] {
        let (s, ct, _, body) = fetch(&t, &dora, &path).await;
        assert_eq!(s, 410, "{path}: {}", String::from_utf8_lossy(&body));
        assert_eq!(ct, "application/problem+json");
    }
}

async fn the_contact_page_offers_the_requests_to_those_who_may_run_them(b: Backend) {
    let t = spawn_app(b).await;
    let chef = t.user_token("chef", Role::Admin).await;
    let id = erika(&t, &chef).await;
    let contact_page_as = |role: Role, name: &'static str| {
        let t = &t;
        let id = id.clone();
        async move {
            let (c, _) = signed_in(t, name, role).await;
            let (_, html) = page(&c, t, &format!("/contacts/{id}")).await;
            (c, html)
        }
    };
    let (dpo, html) = contact_page_as(Role::Dpo, "dora").await;
    assert!(html.contains(&format!("/contacts/{id}/access-report?lang=de")) && html.contains("Auskunft (Art. 15)"), "DPO sees the report");
    assert!(html.contains(&format!("/contacts/{id}/portability.zip")) && html.contains("Datenexport (Art. 20)"));
    let r = dpo.get(t.url(&format!("/contacts/{id}/access-report"))).send().await.expect("report");
    assert_eq!(r.status(), 200);
    let report = r.text().await.expect("body");
    assert!(report.contains("Zwiebelfisch-Lüdenscheidt") && report.contains(&format!("/contacts/{id}/access-report.pdf?lang=de")));
    let r = dpo.get(t.url(&format!("/contacts/{id}/access-report.pdf?lang=en"))).send().await.expect("pdf");
    assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    assert!(r.bytes().await.expect("pdf").starts_with(b"%PDF-"));
    let r = dpo.get(t.url(&format!("/contacts/{id}/portability.zip"))).send().await.expect("zip");
    assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/zip"));
    let (user, html) = contact_page_as(Role::User, "anna").await;
    assert!(!html.contains("access-report") && !html.contains("portability.zip"), "staff do not get the links");
    let r = user.get(t.url(&format!("/contacts/{id}/access-report"))).send().await.expect("report");
    assert_eq!(r.status(), 403);
}
