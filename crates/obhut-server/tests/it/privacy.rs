//! The DPO's pages over plain HTTP: who sees them, the purpose form (versions, audit,
//! refusals at the field), the controller's details, the Art. 30 downloads and the audit browser.

use crate::common::{page, send_form, signed_in, spawn_app, Backend, TestApp, PASSWORD};
use obhut_core::purpose::Purpose;
use obhut_core::user::Role;
use obhut_server::services::purposes;
use obhut_server::Actor;

crate::on_both_backends!(editing_a_purpose_through_the_form_saves_a_new_version_and_audits_it);

async fn stored(t: &TestApp, key: &str) -> Purpose {
    purposes::get(&t.app, &Actor::cli(), key).await.expect("purpose")
}

/// The purpose form filled as the edit page fills it.
fn form_of(p: &Purpose, csrf: &str) -> Vec<(&'static str, String)> {
    let lines = |v: &[String]| v.join("\n");
    let recipients: Vec<String> =
        p.recipients.iter().filter(|r| r.kind != "processor").map(|r| format!("{}; {}; {}", r.name, r.kind, r.country)).collect();
    let processors: Vec<String> =
        p.recipients.iter().filter(|r| r.kind == "processor").map(|r| format!("{}; {}", r.name, r.country)).collect();
    let mut f = vec![
        ("csrf", csrf.to_string()),
        ("version", p.version.to_string()),
        ("key", p.key.clone()),
        ("name_de", p.name_de.clone()),
        ("name_en", p.name_en.clone()),
        ("description", p.description.clone()),
        ("dpv_purpose", p.dpv_purpose.clone()),
        ("legal_basis", p.legal_basis.as_str().to_string()),
        ("special_category_condition", p.special_category_condition.clone().unwrap_or_default()),
        ("basis_reference", p.basis_reference.clone()),
        ("data_subject_categories", lines(&p.data_subject_categories)),
        ("data_categories", lines(&p.data_categories)),
        ("recipients", recipients.join("\n")),
        ("processors", processors.join("\n")),
        ("transfers", String::new()),
        ("retention_rule", p.retention_rule.clone()),
        ("retention_days", p.retention_days.map(|d| d.to_string()).unwrap_or_default()),
        ("measures", lines(&p.measures)),
        ("compatible_with", lines(&p.compatible_with)),
        ("last_review", p.last_review.clone()),
    ];
    if p.active {
        f.push(("active", "on".into()));
    }
    if p.dpia_required {
        f.push(("dpia_required", "on".into()));
    }
    f
}

fn set(form: &mut [(&'static str, String)], field: &str, value: &str) {
    for (k, v) in form.iter_mut() {
        if *k == field {
            *v = value.to_string();
        }
    }
}

async fn audit_count(t: &TestApp, action: &str) -> i64 {
    let filter = obhut_store::audit::AuditFilter { action: Some(action.into()), ..Default::default() };
    obhut_server::services::audit::search(&t.app, &Actor::cli(), &filter, obhut_server::services::Page::default()).await.expect("search").1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_administrator_sees_every_privacy_page_and_downloads_the_record() {
    let t = spawn_app(Backend::Sqlite).await;
    let (c, _) = signed_in(&t, "dora", Role::Admin).await;
    let (s, html) = page(&c, &t, "/contacts").await;
    assert_eq!(s, 200);
    assert!(html.contains("href=\"/privacy\"") && html.contains(">Datenschutz<"), "the menu offers the privacy pages");
    for (path, expect) in [
        ("/privacy", "Protokoll unversehrt"),
        ("/privacy/purposes", "newsletter"),
        ("/privacy/purposes/newsletter", "Art. 6 Abs. 1 lit. a DSGVO"),
        ("/privacy/purposes/newsletter/edit", "name=\"basis_reference\""),
        ("/privacy/purposes/new", "name=\"key\""),
        ("/privacy/controller", "name=\"dpo_email\""),
        ("/privacy/ropa", "(f) Löschfrist"),
        ("/privacy/audit", "purpose.create"),
    ] {
        let (s, html) = page(&c, &t, path).await;
        assert_eq!(s, 200, "{path}");
        assert!(html.contains(expect), "{path} lacks {expect}");
        assert!(html.contains("aria-current=\"page\">Datenschutz<"), "{path}: the menu entry is marked");
        assert!(crate::common::no_inline_code(&html), "{path}: no inline code");
    }
    let (s, _) = page(&c, &t, "/privacy/purposes/no_such_purpose").await;
    assert_eq!(s, 404);
    let (s, html) = page(&c, &t, "/privacy/purposes").await;
    assert_eq!(s, 200);
    assert!(html.contains("Einwilligung") && html.contains("Art. 6 Abs. 1 lit. f DSGVO"), "basis with its letter");

    for (path, ct, needle) in [
        // In the user's language (German here).
        ("/privacy/ropa.md", "text/markdown", "# Verzeichnis von Verarbeitungstätigkeiten"),
        ("/privacy/ropa.html", "text/html", "<h1>Verzeichnis von Verarbeitungstätigkeiten"),
        ("/privacy/ropa.json", "application/json", "\"processing_activities\""),
    ] {
        let r = c.get(t.url(path)).send().await.expect("get");
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"].to_str().expect("ct").starts_with(ct), "{path}");
        let cd = r.headers()["content-disposition"].to_str().expect("cd").to_string();
        let ext = path.rsplit('.').next().expect("ext");
        assert!(cd.starts_with("attachment; filename=ropa-") && cd.ends_with(&format!(".{ext}")), "{cd}");
        assert!(r.text().await.expect("body").contains(needle), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_guests_get_403_pages_and_no_menu_entry() {
    let t = spawn_app(Backend::Sqlite).await;
    for (name, role) in [("ulla", Role::User), ("gerd", Role::Guest)] {
        let (c, csrf) = signed_in(&t, name, role).await;
        let (_, home) = page(&c, &t, "/contacts").await;
        assert!(!home.contains("href=\"/privacy\""), "{name} sees no privacy menu");
        for path in [
            "/privacy",
            "/privacy/purposes",
            "/privacy/purposes/newsletter",
            "/privacy/purposes/newsletter/edit",
            "/privacy/purposes/new",
            "/privacy/controller",
            "/privacy/ropa",
            "/privacy/ropa.md",
            "/privacy/ropa.json",
            "/privacy/audit",
        ] {
            let (s, html) = page(&c, &t, path).await;
            assert_eq!(s, 403, "{name} {path}");
            assert!(html.contains("Keine Berechtigung"), "{name} {path}: the error page");
        }
        let p = stored(&t, "newsletter").await;
        let r = c.post(t.url("/privacy/purposes/newsletter/edit")).form(&form_of(&p, &csrf)).send().await.expect("post");
        assert_eq!(r.status(), 403, "{name} may not change a purpose");
        let r = c
            .post(t.url("/privacy/controller"))
            .form(&[("csrf", csrf.as_str()), ("name", "X"), ("address", "Y"), ("email", "a@example.org")])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 403, "{name} may not change the controller");
    }
    assert_eq!(stored(&t, "newsletter").await.version, 1);
    assert_eq!(audit_count(&t, "controller.update").await, 0);
}

async fn editing_a_purpose_through_the_form_saves_a_new_version_and_audits_it(b: Backend) {
    let t = spawn_app(b).await;
    let (c, csrf) = signed_in(&t, "dora", Role::Admin).await;
    let before = stored(&t, "postal_marketing").await;
    let mut form = form_of(&before, &csrf);
    set(&mut form, "retention_rule", "Until objection, else 2 years after the last contact");
    set(&mut form, "measures", "Access limited to the roles that need this purpose\nPrinted lists shredded after use");
    let r = c.post(t.url("/privacy/purposes/postal_marketing/edit")).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/privacy/purposes/postal_marketing?flash=saved");

    let after = stored(&t, "postal_marketing").await;
    assert_eq!(after.version, 2);
    assert_eq!(after.retention_rule, "Until objection, else 2 years after the last contact");
    assert_eq!(after.measures.len(), 2);
    // What the form did not change came back as it was.
    assert_eq!(
        Purpose { version: 0, retention_rule: String::new(), retention_rule_de: String::new(), measures: vec![], ..after.clone() },
        Purpose { version: 0, retention_rule: String::new(), retention_rule_de: String::new(), measures: vec![], ..before.clone() }
    );
    let history = purposes::history(&t.app, &Actor::cli(), "postal_marketing").await.expect("history");
    assert_eq!(history.iter().map(|h| h.version).collect::<Vec<_>>(), vec![1, 2]);
    let (s, html) = page(&c, &t, "/privacy/purposes/postal_marketing?flash=saved").await;
    assert_eq!(s, 200);
    let table = &html[html.find("id=\"purpose-history\"").expect("history table")..];
    assert_eq!(table.matches("<tr><td class=\"num\">").count(), 2, "two versions listed");
    assert!(table.contains("Löschregel") && table.contains("Maßnahmen") && table.contains("ui: dora"), "what changed, by whom");

    let mut conn = t.app.store.pool.acquire().await.expect("conn");
    let events = obhut_store::audit::list_for_record(&mut conn, "postal_marketing", 5).await.expect("events");
    assert_eq!(events[0].entry.action, "purpose.update");
    assert_eq!(events[0].entry.fields, vec!["version=2".to_string()]);
    assert!(events[0].entry.actor.starts_with("ui:user:"), "{}", events[0].entry.actor);
    drop(conn);

    // The same form again is stale now: a conflict, not a lost update.
    let r = c.post(t.url("/privacy/purposes/postal_marketing/edit")).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 409);
    assert_eq!(stored(&t, "postal_marketing").await.version, 2);

    // A new purpose through the form, then the same key again.
    let mut new = form_of(&before, &csrf);
    set(&mut new, "key", "trade_fair_leads");
    set(&mut new, "version", "");
    set(&mut new, "name_de", "Messekontakte");
    set(&mut new, "name_en", "Trade fair leads");
    let r = c.post(t.url("/privacy/purposes/new")).form(&new).send().await.expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(stored(&t, "trade_fair_leads").await.version, 1);
    let r = c.post(t.url("/privacy/purposes/new")).form(&new).send().await.expect("post");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("id=\"key-error\">Einen Zweck mit diesem Schlüssel gibt es schon."));
    assert_eq!(stored(&t, "trade_fair_leads").await.version, 1);
    assert!(obhut_server::services::audit::verify(&t.app, &Actor::cli()).await.expect("verify").intact);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purpose_without_legal_basis_is_refused_at_the_field_and_nothing_changes() {
    let t = spawn_app(Backend::Sqlite).await;
    let (c, csrf) = signed_in(&t, "dora", Role::Admin).await;
    let before = stored(&t, "newsletter").await;
    let events_before = audit_count(&t, "purpose.update").await;
    let mut form = form_of(&before, &csrf);
    set(&mut form, "legal_basis", "");
    set(&mut form, "retention_rule", "Forever");
    let r = c.post(t.url("/privacy/purposes/newsletter/edit")).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("body");
    assert!(html.contains("id=\"legal_basis-error\">Wählen Sie die Rechtsgrundlage nach Art. 6 Abs. 1 DSGVO."), "{html}");
    assert!(html.contains("Bitte prüfen Sie die markierten Felder") || html.contains("alert-error"));
    assert!(html.contains(">Forever</textarea>"), "what was typed stays");
    assert!(html.contains("name=\"key\" type=\"text\" value=\"newsletter\" readonly"), "the key is shown again");
    assert_eq!(stored(&t, "newsletter").await, before, "nothing saved");
    assert_eq!(audit_count(&t, "purpose.update").await, events_before, "nothing audited");

    // Several problems at once, each at its field, in English for an English browser.
    let mut form = form_of(&before, &csrf);
    set(&mut form, "legal_basis", "");
    set(&mut form, "basis_reference", " ");
    set(&mut form, "processors", "Mailer without country");
    let r = c.post(t.url("/privacy/purposes/newsletter/edit")).header("accept-language", "en").form(&form).send().await.expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("body");
    for f in ["legal_basis", "basis_reference", "processors"] {
        assert!(html.contains(&format!("id=\"{f}-error\"")), "no error at {f}");
    }
    assert!(html.contains("Line 1: write name; country"));

    // A new purpose without legal basis is not created either.
    let mut new = form_of(&before, &csrf);
    set(&mut new, "key", "no_basis");
    set(&mut new, "legal_basis", "");
    let r = c.post(t.url("/privacy/purposes/new")).form(&new).send().await.expect("post");
    assert_eq!(r.status(), 422);
    assert!(purposes::get(&t.app, &Actor::cli(), "no_basis").await.is_err());
    assert_eq!(audit_count(&t, "purpose.create").await, 8, "only the seeded purposes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_controller_is_edited_audited_and_checked() {
    let t = spawn_app(Backend::Sqlite).await;
    let (c, csrf) = signed_in(&t, "dora", Role::Admin).await;
    let good = [
        ("csrf", csrf.as_str()),
        ("name", "Quellwerk Hydraulik GmbH"),
        ("address", "Industriestraße 12\n34117 Kassel"),
        ("email", "info@quellwerk.example"),
        ("phone", "+49 561 123456"),
        ("representative", ""),
        ("joint_controllers", ""),
        ("dpo_name", "Dr. Petra Schutz"),
        ("dpo_email", "datenschutz@quellwerk.example"),
        ("general_measures", "Encrypted at rest\nAudit trail"),
    ];
    let mut bad = good;
    bad[3] = ("email", "kein-at-zeichen");
    let r = c.post(t.url("/privacy/controller")).form(&bad).send().await.expect("post");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("id=\"email-error\">Geben Sie eine gültige E-Mail-Adresse des Verantwortlichen an."));
    assert_eq!(audit_count(&t, "controller.update").await, 0);

    let r = c.post(t.url("/privacy/controller")).form(&good).send().await.expect("post");
    assert_eq!(r.status(), 303);
    let saved = purposes::controller(&t.app, &Actor::cli()).await.expect("controller");
    assert_eq!(saved.phone.as_deref(), Some("+49 561 123456"));
    assert_eq!(saved.general_measures, vec!["Encrypted at rest".to_string(), "Audit trail".to_string()]);
    assert_eq!(audit_count(&t, "controller.update").await, 1);
    let (_, ropa) = page(&c, &t, "/privacy/ropa").await;
    assert!(ropa.contains("Dr. Petra Schutz") && ropa.contains("+49 561 123456"));
    let md = c.get(t.url("/privacy/ropa.md")).send().await.expect("get").text().await.expect("body");
    assert!(md.contains("- Telefon: +49 561 123456"), "the record in the user's language");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_browser_filters_by_action_actor_and_day() {
    let t = spawn_app(Backend::Sqlite).await;
    let (c, csrf) = signed_in(&t, "dora", Role::Admin).await;
    let p = stored(&t, "contract").await;
    let mut form = form_of(&p, &csrf);
    set(&mut form, "description", "Offers, orders, delivery and invoices.");
    let r = c.post(t.url("/privacy/purposes/contract/edit")).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 303);

    let rows = |html: &str| html.matches("<td class=\"num muted\">").count();
    let (s, html) = page(&c, &t, "/privacy/audit?action=purpose.create").await;
    assert_eq!(s, 200);
    assert_eq!(rows(&html), 8, "the seeded purposes");
    assert!(!html.contains(">purpose.update</code>") && html.contains(">system<"));
    assert!(html.contains("id=\"chain-status\"") && html.contains("Protokoll unversehrt"));

    let (_, html) = page(&c, &t, "/privacy/audit?action=purpose.update").await;
    assert_eq!(rows(&html), 1);
    assert!(html.contains(">ui: dora<") && html.contains(">purpose.update</code>") && html.contains("Zweck geändert"));

    let (_, html) = page(&c, &t, "/privacy/audit?actor=ui%3A+dora").await;
    assert!(rows(&html) >= 1 && !html.contains(">system<"), "dora's events only");
    let (_, html) = page(&c, &t, "/privacy/audit?actor=system&action=purpose.update").await;
    assert_eq!(rows(&html), 0);
    assert!(html.contains("Keine Ereignisse passen zum Filter."));

    let today = t.app.clock.now().date().to_string();
    let (_, html) = page(&c, &t, &format!("/privacy/audit?action=purpose.update&from={today}&to={today}")).await;
    assert_eq!(rows(&html), 1);
    let (_, html) = page(&c, &t, "/privacy/audit?action=purpose.update&to=2000-01-01").await;
    assert_eq!(rows(&html), 0);
    let (s, html) = page(&c, &t, "/privacy/audit?from=gestern").await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"from-error\""));
}

// ---------------------------------------------------------------------------------------
// The gate's pages: policies, processors, field catalog and lint, users' access
// ---------------------------------------------------------------------------------------

async fn policy_version(t: &TestApp) -> i64 {
    obhut_server::services::policies::current(&t.app, &Actor::cli()).await.expect("policies").version
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_pages_are_for_administrators_only() {
    let t = spawn_app(Backend::Sqlite).await;
    let (c, _) = signed_in(&t, "dora", Role::Admin).await;
    for (path, expect) in [
        ("/privacy", "href=\"/privacy/policies\""),
        ("/privacy", "href=\"/privacy/users\""),
        ("/privacy/policies", "id=\"policy-schema\""),
        ("/privacy/processors", "href=\"/privacy/processors/new\""),
        ("/privacy/processors/new", "name=\"transfer_mechanism\""),
        ("/privacy/fields", "id=\"field-catalog\""),
        ("/privacy/users", "/privacy/users/dora/edit"),
        ("/privacy/users/dora/edit", "name=\"scope\""),
    ] {
        let (s, html) = page(&c, &t, path).await;
        assert_eq!(s, 200, "{path}");
        assert!(html.contains(expect), "{path} lacks {expect}");
        assert!(crate::common::no_inline_code(&html), "{path}: no inline code");
    }
    let (_, html) = page(&c, &t, "/privacy/policies").await;
    assert!(html.contains("Version 1 ist in Kraft.") && html.contains("class=\"code-area\""), "version and editor");
    assert!(html.contains("<details") && html.contains("entity User"), "the schema, collapsed");
    let html = c.get(t.url("/privacy/fields")).header("accept-language", "en").send().await.expect("get").text().await.expect("body");
    assert!(html.contains("Field catalog") && html.contains("Run lint"), "in English too");
    let (s, _) = page(&c, &t, "/privacy/processors/nobody/edit").await;
    assert_eq!(s, 404);

    for (name, role) in [("ulla", Role::User), ("gerd", Role::Guest)] {
        let (c, csrf) = signed_in(&t, name, role).await;
        for path in [
            "/privacy/policies",
            "/privacy/processors",
            "/privacy/processors/new",
            "/privacy/fields",
            "/privacy/users",
            "/privacy/users/dora/edit",
        ] {
            let (s, html) = page(&c, &t, path).await;
            assert_eq!(s, 403, "{name} {path}");
            assert!(html.contains("Keine Berechtigung"), "{name} {path}: the error page");
        }
        let source = obhut_server::services::policies::current(&t.app, &Actor::cli()).await.expect("policies").source;
        for (path, form) in [
            ("/privacy/policies", vec![("csrf", csrf.clone()), ("op", "save".into()), ("source", source.clone())]),
            ("/privacy/fields/lint", vec![("csrf", csrf.clone())]),
            ("/privacy/users/dora/edit", vec![("csrf", csrf.clone()), ("role", "user".into()), ("scope", "all".into())]),
        ] {
            let r = c.post(t.url(path)).form(&form).send().await.expect("post");
            assert_eq!(r.status(), 403, "{name} POST {path}");
        }
    }
    assert_eq!(policy_version(&t).await, 1, "nothing saved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_are_validated_and_saved_through_the_form() {
    let t = spawn_app(Backend::Sqlite).await;
    let (c, csrf) = signed_in(&t, "dora", Role::Admin).await;
    let source = obhut_server::services::policies::current(&t.app, &Actor::cli()).await.expect("policies").source;
    let bad = format!("{source}\npermit (principal, action, resource) when {{ principal.department == \"x\" }};");

    // Validate and save refuse the invalid set with the validator's message; nothing changes.
    for op in ["check", "save"] {
        let (s, _, html) = send_form(&c, &t, "/privacy/policies", &[("csrf", csrf.as_str()), ("op", op), ("source", bad.as_str())]).await;
        assert_eq!(s, 422, "{op}");
        let at = html.find("id=\"source-error\"").unwrap_or_else(|| panic!("{op}: no error at the field"));
        assert!(
            html[at..].contains("Die Richtlinien sind gegen das Schema ungültig:") && html[at..].contains("department"),
            "{op}: the validator's message"
        );
        assert!(html.contains("aria-invalid=\"true\""), "{op}");
        assert!(
            html.contains("principal.department == &quot;x&quot;") || html.contains("principal.department == &#34;x&#34;"),
            "{op}: what was typed stays"
        );
    }
    // Locking the administrators out is refused too, in the user's language.
    let lockout = source.replace("@id(\"admin\")\npermit", "@id(\"admin\")\nforbid");
    let (s, _, html) =
        send_form(&c, &t, "/privacy/policies", &[("csrf", csrf.as_str()), ("op", "save"), ("source", lockout.as_str())]).await;
    assert_eq!(s, 422);
    assert!(html.contains("id=\"source-error\">Diese Richtlinien würden Administratoren"));
    assert_eq!(policy_version(&t).await, 1);
    assert_eq!(audit_count(&t, "policy.update").await, 0);

    // A valid set: "validate" says so without saving, "save" saves version 2.
    let changed = format!("{source}\n// reviewed by the DPO\n");
    let (s, _, html) =
        send_form(&c, &t, "/privacy/policies", &[("csrf", csrf.as_str()), ("op", "check"), ("source", changed.as_str())]).await;
    assert_eq!(s, 200);
    assert!(html.contains("id=\"policy-valid\""));
    assert_eq!(policy_version(&t).await, 1);
    let crlf = changed.replace('\n', "\r\n");
    let (s, location, _) =
        send_form(&c, &t, "/privacy/policies", &[("csrf", csrf.as_str()), ("op", "save"), ("source", crlf.as_str())]).await;
    assert_eq!(s, 303);
    assert_eq!(location, "/privacy/policies?flash=saved");
    assert_eq!(policy_version(&t).await, 2);
    assert_eq!(audit_count(&t, "policy.update").await, 1);
    let (s, html) = page(&c, &t, "/privacy/policies?flash=saved").await;
    assert_eq!(s, 200);
    assert!(html.contains("Gespeichert.") && html.contains("Version 2 ist in Kraft."));
    assert!(html.contains("// reviewed by the DPO") && html.contains("ui: dora"), "the new text, saved by dora");
    let stored = obhut_server::services::policies::current(&t.app, &Actor::cli()).await.expect("policies").source;
    assert!(!stored.contains('\r'), "line ends kept as LF");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processors_are_created_and_edited_through_the_form() {
    let t = spawn_app(Backend::Sqlite).await;
    let (c, csrf) = signed_in(&t, "dora", Role::Admin).await;
    let today = t.app.clock.now().date();
    let mut form = vec![
        ("csrf", csrf.clone()),
        ("key", "callcenter_nord".to_string()),
        ("name", "Callcenter Nord GmbH".to_string()),
        ("contract_date", "2026-01-15".to_string()),
        ("purposes", "phone_marketing\n".to_string()),
        ("scope_tag", "callcenter".to_string()),
        ("valid_from", (today - time::Duration::days(10)).to_string()),
        ("valid_until", (today + time::Duration::days(100)).to_string()),
        ("country", "US".to_string()),
        ("transfer_mechanism", String::new()),
        ("safeguard_document", String::new()),
        ("contact", "privacy@callcenter.example".to_string()),
    ];
    // Outside the EEA without a mechanism: refused at the field, nothing saved.
    let r = c.post(t.url("/privacy/processors/new")).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 422);
    let html = r.text().await.expect("body");
    assert!(
        html.contains(
            "id=\"transfer_mechanism-error\">Ein Auftragsverarbeiter in US (außerhalb des EWR) braucht eine Übermittlungsgrundlage."
        ),
        "{html}"
    );
    assert!(html.contains("value=\"Callcenter Nord GmbH\""), "what was typed stays");
    assert!(obhut_server::services::policies::list_processors(&t.app, &Actor::cli()).await.expect("list").is_empty());
    // An unknown purpose, in English.
    set(&mut form, "purposes", "no_such_purpose");
    let r = c.post(t.url("/privacy/processors/new")).header("accept-language", "en").form(&form).send().await.expect("post");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("id=\"purposes-error\">no_such_purpose is not an active purpose."));

    set(&mut form, "purposes", "phone_marketing");
    set(&mut form, "transfer_mechanism", "standard_contractual_clauses");
    set(&mut form, "safeguard_document", "SCC of 2026-01-15");
    let r = c.post(t.url("/privacy/processors/new")).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/privacy/processors?flash=created");
    let (s, html) = page(&c, &t, "/privacy/processors").await;
    assert_eq!(s, 200);
    let row = &html[html.find("id=\"processor-callcenter_nord\"").expect("the new row")..];
    assert!(row.contains("Callcenter Nord GmbH") && row.contains("phone_marketing") && row.contains(">US<"));
    assert!(row.contains("Standardvertragsklauseln") && row.contains(">läuft<"));
    // The same key again is refused.
    let r = c.post(t.url("/privacy/processors/new")).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("id=\"key-error\""));

    // Edited: the window ended yesterday; the list marks it.
    let (s, html) = page(&c, &t, "/privacy/processors/callcenter_nord/edit").await;
    assert_eq!(s, 200);
    assert!(html.contains("value=\"SCC of 2026-01-15\""));
    set(&mut form, "valid_until", &(today - time::Duration::days(1)).to_string());
    let r = c.post(t.url("/privacy/processors/callcenter_nord/edit")).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 303);
    let list = obhut_server::services::policies::list_processors(&t.app, &Actor::cli()).await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].version, 2);
    let (_, html) = page(&c, &t, "/privacy/processors").await;
    assert!(html.contains("window-ended\">abgelaufen<"));
    assert_eq!(audit_count(&t, "processor.update").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lint_runs_from_the_field_catalog() {
    let t = spawn_app(Backend::Sqlite).await;
    let (c, csrf) = signed_in(&t, "dora", Role::Admin).await;
    let (s, html) = page(&c, &t, "/privacy/fields").await;
    assert_eq!(s, 200);
    assert!(html.contains("newsletter") && !html.contains("id=\"lint-report\""));
    let r = c.post(t.url("/privacy/fields/lint")).form(&[("csrf", csrf.as_str())]).send().await.expect("post");
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert!(html.contains("id=\"lint-report\"") && html.contains("Prüfbericht") && html.contains("Geprüfte Datensätze: "), "{html}");
    assert!(html.contains("id=\"field-catalog\""), "the catalog stays below");
    // Without the CSRF token: refused.
    let r = c.post(t.url("/privacy/fields/lint")).form(&[("csrf", "wrong")]).send().await.expect("post");
    assert_eq!(r.status(), 403);

    // A stored date of birth, then the contract purpose no longer covers it: the catalog marks
    // the field, and the lint names the record with a link to it.
    let token = t.user_token("anna", Role::User).await;
    let r = t
        .client
        .post(t.url("/api/v1/contacts"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"family_name": "Geburt", "birthday": "1980-05-01"}))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 201);
    let id = r.json::<serde_json::Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    let mut contract = stored(&t, "contract").await;
    contract.data_categories.retain(|c| c != "user.demographic.date_of_birth");
    purposes::save(&t.app, &Actor::cli(), &contract).await.expect("save");
    let (_, html) = page(&c, &t, "/privacy/fields").await;
    assert!(html.contains("<tr class=\"unjustified\">") && html.contains("kein Zweck"), "the unjustified field in red");
    let r = c.post(t.url("/privacy/fields/lint")).form(&[("csrf", csrf.as_str())]).send().await.expect("post");
    let html = r.text().await.expect("body");
    assert!(html.contains("id=\"lint-findings\"") && html.contains(&format!("href=\"/contacts/{id}\"")), "{html}");
    assert!(html.contains("Befunde: 1") && html.contains("id=\"lint-unjustified\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_access_is_set_through_the_form() {
    let t = spawn_app(Backend::Sqlite).await;
    let (c, csrf) = signed_in(&t, "dora", Role::Admin).await;
    t.add_user("hanna", Role::User, PASSWORD).await;
    let r = c
        .post(t.url("/privacy/users/hanna/edit"))
        .form(&[("csrf", csrf.as_str()), ("role", "hr"), ("scope", "team"), ("teams", "personal, nord"), ("processor", "")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/privacy/users?flash=saved");
    let users = obhut_server::services::users::list_users(&t.app, &Actor::cli()).await.expect("users");
    let hanna = users.iter().find(|u| u.username == "hanna").expect("hanna");
    assert_eq!(hanna.role, Role::Hr);
    assert_eq!(hanna.scope.as_str(), "team");
    assert!(hanna.teams.contains(&"personal".to_string()) && hanna.teams.contains(&"nord".to_string()), "{:?}", hanna.teams);
    let (_, html) = page(&c, &t, "/privacy/users").await;
    let row = &html[html.find("id=\"user-hanna\"").expect("hanna's row")..];
    assert!(row.contains("Personalabteilung") && row.contains("nord"));
    assert_eq!(audit_count(&t, "user.access").await, 1);

    // A processor user without processor: refused at the field, nothing changed.
    let r = c
        .post(t.url("/privacy/users/hanna/edit"))
        .form(&[("csrf", csrf.as_str()), ("role", "processor"), ("scope", "all"), ("teams", ""), ("processor", "")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("id=\"processor-error\""));
    let users = obhut_server::services::users::list_users(&t.app, &Actor::cli()).await.expect("users");
    assert_eq!(users.iter().find(|u| u.username == "hanna").map(|u| u.role), Some(Role::Hr));
    let (s, _) = page(&c, &t, "/privacy/users/nobody/edit").await;
    assert_eq!(s, 404);
}
