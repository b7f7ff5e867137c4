//! The authorization matrix: every role and scope against every record kind, every variant of
//! record (class, owner, team, processor scope, restriction) and every action, each cell
//! asserted allow or deny, through the API and again through the web routes. Every deny must
//! also be an `access.refused` event.
//!
//! The expectations are one table, [`MATRIX`]: a new role is one row, a new kind one entry in
//! [`KINDS`] and a column in each row.

use crate::common::{csrf_in, page, spawn_app, web_client, Backend, TestApp, PASSWORD};
use obhut_core::user::{Role, Scope};
use obhut_server::{services, Actor};
use serde_json::{json, Value};
use std::collections::HashMap;

crate::on_both_backends!(every_role_reaches_exactly_the_records_the_matrix_grants);

/// The variants of each record, by what the gate decides them by:
/// `S` alice's, standard, team nord, in the call centre's scope (tag `callcenter`);
/// `H` like S, but of the class hr; `B` bob's own, standard, no team, no tag;
/// `R` like S, but about a contact whose processing is restricted (Art. 18).
const VARIANTS: [char; 4] = ['S', 'H', 'B', 'R'];

/// Actions: `r` read, `l` list, `s` search, `u` update, `d` delete, `e` export.
struct Kind {
    name: &'static str,
    /// The actions the kind offers through the API (and `web` through the web routes).
    api: &'static str,
    web: &'static str,
    /// Whether it can be about a (restricted) contact.
    restrictable: bool,
}

const KINDS: [Kind; 7] = [
    Kind { name: "contact", api: "rlsude", web: "rlsud", restrictable: true },
    Kind { name: "organization", api: "rlsude", web: "rlsud", restrictable: false },
    Kind { name: "deal", api: "rlsude", web: "rlud", restrictable: true },
    // A deal about no contact: its own owner, class and team.
    Kind { name: "deal_own", api: "rlsude", web: "rlud", restrictable: false },
    Kind { name: "ticket", api: "rlude", web: "rlud", restrictable: true },
    Kind { name: "ticket_own", api: "rlude", web: "rlud", restrictable: false },
    Kind { name: "activity", api: "rld", web: "rd", restrictable: true },
];

struct Row {
    actor: &'static str,
    role: Role,
    scope: Scope,
    teams: &'static [&'static str],
    /// Per kind (in the order of [`KINDS`]): `variant:actions` granted, `-` for none.
    grants: [&'static str; 7],
}

/// THE MATRIX. Under the default policies, what each role and scope may do to each variant.
#[rustfmt::skip]
const MATRIX: &[Row] = &[
    Row { actor: "admin", role: Role::Admin, scope: Scope::All, teams: &[], grants: [
        "S:rlsude H:rlsude B:rlsude R:rlsude", "S:rlsude H:rlsude B:rlsude", "S:rlsude H:rlsude B:rlsude R:rlsude", "S:rlsude H:rlsude B:rlsude",
        "S:rlude H:rlude B:rlude R:rlude", "S:rlude H:rlude B:rlude", "S:rld H:rld B:rld R:rld"] },
    Row { actor: "dpo", role: Role::Dpo, scope: Scope::All, teams: &[], grants: [
        "S:rlse H:rlse B:rlse R:rlse", "S:rlse H:rlse B:rlse", "S:rlse H:rlse B:rlse R:rlse", "S:rlse H:rlse B:rlse",
        "S:rle H:rle B:rle R:rle", "S:rle H:rle B:rle", "S:rl H:rl B:rl R:rl"] },
    Row { actor: "user", role: Role::User, scope: Scope::All, teams: &[], grants: [
        "S:rlsude B:rlsude", "S:rlsude B:rlsude", "S:rlsude B:rlsude", "S:rlsude B:rlsude",
        "S:rlude B:rlude", "S:rlude B:rlude", "S:rld B:rld"] },
    // Organizations are shared by the default policies: scopes narrow people's records, not companies.
    Row { actor: "bob", role: Role::User, scope: Scope::Own, teams: &[], grants: [
        "B:rlsude", "S:rlsude B:rlsude", "B:rlsude", "B:rlsude", "B:rlude", "B:rlude", "B:rld"] },
    Row { actor: "nora", role: Role::User, scope: Scope::Team, teams: &["nord"], grants: [
        "S:rlsude", "S:rlsude B:rlsude", "S:rlsude", "S:rlsude", "S:rlude", "S:rlude", "S:rld"] },
    Row { actor: "sven", role: Role::User, scope: Scope::Team, teams: &["sued"], grants: [
        "-", "S:rlsude B:rlsude", "-", "-", "-", "-", "-"] },
    Row { actor: "hr", role: Role::Hr, scope: Scope::All, teams: &[], grants: [
        "S:rlsud H:rlsud B:rlsud", "S:rlsud H:rlsud B:rlsud", "S:rlsud H:rlsud B:rlsud", "S:rlsud H:rlsud B:rlsud",
        "S:rlud H:rlud B:rlud", "S:rlud H:rlud B:rlud", "S:rld H:rld B:rld"] },
    Row { actor: "guest", role: Role::Guest, scope: Scope::All, teams: &[], grants: [
        "S:rls B:rls", "S:rls B:rls", "S:rls B:rls", "S:rls B:rls", "S:rl B:rl", "S:rl B:rl", "S:rl B:rl"] },
    Row { actor: "agent", role: Role::Processor, scope: Scope::All, teams: &[], grants: [
        "S:rlsu", "-", "-", "-", "-", "-", "S:rl"] },
];

fn granted(row: &Row, kind: usize, variant: char, action: char) -> bool {
    row.grants[kind]
        .split_whitespace()
        .filter_map(|g| g.split_once(':'))
        .any(|(v, actions)| v.starts_with(variant) && actions.contains(action))
}

/// One fixture: the record's id, the id of the contact it is about, and a name to find it by.
#[derive(Clone, Debug)]
struct Fixture {
    variant: char,
    id: String,
    contact: Option<String>,
    name: String,
}

struct World {
    t: TestApp,
    admin: String,
    bob_id: String,
    alice_id: String,
    org: String,
    seq: std::sync::atomic::AtomicUsize,
}

impl World {
    fn next(&self) -> usize {
        self.seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let (s, v) = self.t.api_post(&self.admin, path, body.clone()).await;
        assert_eq!(s, 201, "POST {path} {body}: {v}");
        v
    }

    /// Class, owner, team and tags of a variant.
    fn access(&self, variant: char) -> Value {
        let (class, owner, team, tags) = match variant {
            'H' => ("hr", &self.alice_id, Some("nord"), vec!["callcenter"]),
            'B' => ("standard", &self.bob_id, None, vec![]),
            _ => ("standard", &self.alice_id, Some("nord"), vec!["callcenter"]),
        };
        json!({"record_class": class, "owner_id": owner, "team": team.unwrap_or(""), "tags": tags})
    }

    async fn contact(&self, variant: char) -> String {
        let mut body = self.access(variant);
        body["family_name"] = json!(format!("Matrix{}", self.next()));
        body["given_name"] = json!("Mia");
        body["purposes"] = json!(["contract", "phone_marketing"]);
        self.post("/api/v1/contacts", body).await["id"].as_str().expect("id").to_string()
    }

    async fn restrict(&self, contact: &str) {
        services::restriction::restrict(
            &self.t.app,
            &Actor::cli(),
            contact,
            "Die Person bestreitet die Richtigkeit (Art. 18(1)(a))",
            None,
            None,
        )
        .await
        .expect("restrict");
    }

    /// A deal or ticket is about `contact`, or else stands on the organization with the class
    /// and team of its variant's access.
    fn place(&self, body: &mut Value, contact: Option<&str>, access: &Value) {
        match contact {
            Some(c) => body["contact_id"] = json!(c),
            None => {
                body["organization_id"] = json!(self.org);
                body["record_class"] = access["record_class"].clone();
                body["team"] = access["team"].clone();
            }
        }
    }

    /// A fresh record of `kind` in `variant`.
    async fn fixture(&self, kind: &str, variant: char) -> Fixture {
        let n = self.next();
        let about_contact = matches!(kind, "contact" | "deal" | "ticket" | "activity");
        let contact = if about_contact { Some(self.contact(variant).await) } else { None };
        let acc = self.access(variant);
        let (id, name) = match kind {
            "contact" => {
                let c = contact.clone().expect("contact");
                let (_, v) = self.t.api_get(&self.admin, &format!("/api/v1/contacts/{c}")).await;
                (c, v["family_name"].as_str().expect("name").to_string())
            }
            "organization" => {
                let name = format!("Matrixorg{n}");
                let mut body = acc.clone();
                body["name"] = json!(name);
                (self.post("/api/v1/organizations", body).await["id"].as_str().expect("id").to_string(), name)
            }
            "deal" | "deal_own" => {
                let name = format!("Matrixdeal{n}");
                let mut body = json!({"title": name, "owner_id": acc["owner_id"]});
                self.place(&mut body, contact.as_deref(), &acc);
                (self.post("/api/v1/deals", body).await["id"].as_str().expect("id").to_string(), name)
            }
            "ticket" | "ticket_own" => {
                let name = format!("Matrixticket{n}");
                let mut body = json!({"title": name, "description": "Beschwerde über die Lieferung", "owner_id": acc["owner_id"]});
                self.place(&mut body, contact.as_deref(), &acc);
                (self.post("/api/v1/tickets", body).await["id"].as_str().expect("id").to_string(), name)
            }
            "activity" => {
                let name = format!("Matrixnote{n}");
                let body = json!({"kind": "note", "subject": name, "body": "Rückruf vereinbart", "contact_id": contact});
                (self.post("/api/v1/activities", body).await["id"].as_str().expect("id").to_string(), name)
            }
            other => panic!("no fixture for the kind {other}"),
        };
        if variant == 'R' {
            self.restrict(contact.as_deref().expect("a restricted variant is about a contact")).await;
        }
        Fixture { variant, id, contact, name }
    }
}

fn plural(kind: &str) -> &'static str {
    match kind.trim_end_matches("_own") {
        "contact" => "contacts",
        "organization" => "organizations",
        "deal" => "deals",
        "ticket" => "tickets",
        _ => "activities",
    }
}

fn ids_in(v: &Value) -> Vec<String> {
    let items = v.get("items").and_then(Value::as_array).or_else(|| v.as_array());
    items.map(|a| a.iter().filter_map(|i| i["id"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// Asks the API whether `token` may do `action` to the fixture; `None` for a refusal that is
/// not a plain 403 (a bug to report).
async fn api_attempt(w: &World, token: &str, kind: &str, action: char, f: &Fixture) -> Result<bool, String> {
    use reqwest::Method;
    let t = &w.t;
    let p = plural(kind);
    let id = &f.id;
    let (status, body) = match action {
        'r' => t.api_get(token, &format!("/api/v1/{p}/{id}")).await,
        'l' => {
            let path = match kind {
                "activity" => format!("/api/v1/contacts/{}/activities?limit=200", f.contact.as_deref().unwrap_or_default()),
                _ => format!("/api/v1/{p}?limit=200"),
            };
            let (s, v) = t.api_get(token, &path).await;
            if s == 403 {
                return Ok(false);
            }
            if s != 200 {
                return Err(format!("list {path}: {s} {v}"));
            }
            if let Some(total) = v.get("total").and_then(Value::as_i64) {
                if total != ids_in(&v).len() as i64 {
                    return Err(format!("list {path}: total {total} but {} items handed out", ids_in(&v).len()));
                }
            }
            return Ok(ids_in(&v).contains(id));
        }
        's' => {
            let (s, v) = t.api_get(token, &format!("/api/v1/{p}?q={}", f.name)).await;
            if s == 403 {
                return Ok(false);
            }
            if s != 200 {
                return Err(format!("search: {s} {v}"));
            }
            return Ok(ids_in(&v).contains(id));
        }
        'u' => {
            let patch = match kind {
                "contact" => json!({"job_title": "Einkauf"}),
                "organization" => json!({"industry": "Handel"}),
                "deal" | "deal_own" => json!({"amount": "1200.00"}),
                _ => json!({"priority": "high"}),
            };
            t.api(Method::PATCH, token, &format!("/api/v1/{p}/{id}"), Some(patch)).await
        }
        'd' => t.api(Method::DELETE, token, &format!("/api/v1/{p}/{id}"), None).await,
        'e' => {
            let (s, v) = t.api_get(token, &format!("/api/v1/{p}/export?format=json")).await;
            if s == 403 {
                return Ok(false);
            }
            if s != 200 {
                return Err(format!("export: {s} {v}"));
            }
            return Ok(ids_in(&v).contains(id));
        }
        other => return Err(format!("no API action {other}")),
    };
    match status {
        200 | 204 => Ok(true),
        403 => {
            let t = body["type"].as_str().unwrap_or_default();
            if !(t.ends_with("/forbidden") || t.ends_with("/restricted")) {
                return Err(format!("a refusal of type {t}: {body}"));
            }
            Ok(false)
        }
        s => Err(format!("{action} answered {s}: {body}")),
    }
}

/// A web session of one user: its own cookie jar and CSRF token.
struct Browser {
    client: reqwest::Client,
    csrf: String,
}

async fn sign_in(t: &TestApp, user: &str) -> Browser {
    let client = web_client();
    let (_, login) = page(&client, t, "/login").await;
    let token = csrf_in(&login);
    let r = client
        .post(t.url("/login"))
        .form(&[("csrf", token.as_str()), ("username", user), ("password", PASSWORD), ("next", "/settings")])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status().as_u16(), 303, "{user} signs in");
    let (_, settings) = page(&client, t, "/settings").await;
    Browser { client, csrf: csrf_in(&settings) }
}

/// A form with the class, team and tags of a variant, so that an edit keeps them.
fn with_access(mut form: Vec<(&'static str, String)>, access: &Value) -> Vec<(&'static str, String)> {
    form.push(("record_class", access["record_class"].as_str().unwrap_or_default().to_string()));
    form.push(("team", access["team"].as_str().unwrap_or_default().to_string()));
    let tags: Vec<&str> = access["tags"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    form.push(("tags", tags.join(", ")));
    form
}

/// Asks the web routes whether the user may do `action` to the fixture.
async fn web_attempt(w: &World, b: &Browser, kind: &str, action: char, f: &Fixture) -> Result<bool, String> {
    let t = &w.t;
    let p = plural(kind);
    let id = &f.id;
    let get = |path: String| async move {
        let r = b.client.get(t.url(&path)).send().await.expect("get");
        let s = r.status().as_u16();
        (s, r.text().await.unwrap_or_default())
    };
    let post = |path: String, form: Vec<(&'static str, String)>| async move {
        let mut form = form;
        form.push(("csrf", b.csrf.clone()));
        let r = b.client.post(t.url(&path)).form(&form).send().await.expect("post");
        let s = r.status().as_u16();
        (s, r.text().await.unwrap_or_default())
    };
    let verdict = |s: u16, body: &str, what: &str| match s {
        200 | 303 => Ok(true),
        403 => Ok(false),
        other => Err(format!("{what} answered {other}: {}", body.chars().take(300).collect::<String>())),
    };
    match action {
        'r' if kind == "activity" => {
            let (s, body) = get(format!("/contacts/{}", f.contact.as_deref().unwrap_or_default())).await;
            if s == 403 {
                return Ok(false);
            }
            verdict(s, &body, "the contact page")?;
            Ok(body.contains(&f.name))
        }
        'r' => {
            let (s, body) = get(format!("/{p}/{id}")).await;
            verdict(s, &body, "the record page")
        }
        'l' => {
            // Lists are paged: look through the pages.
            let base = match kind {
                "ticket" | "ticket_own" => "/tickets?status=all&".to_string(),
                "deal" | "deal_own" => "/deals?".to_string(),
                other => format!("/{}?", plural(other)),
            };
            for page in 1..=20 {
                let path = format!("{base}page={page}");
                let (s, body) = get(path.clone()).await;
                if s == 403 {
                    return Ok(false);
                }
                verdict(s, &body, &path)?;
                if body.contains(id.as_str()) {
                    return Ok(true);
                }
                if !body.contains(&format!("page={}", page + 1)) {
                    break;
                }
            }
            Ok(false)
        }
        's' => {
            let (s, body) = get(format!("/{p}?q={}", f.name)).await;
            if s == 403 {
                return Ok(false);
            }
            verdict(s, &body, "the search")?;
            Ok(body.contains(id.as_str()))
        }
        'u' => {
            let (s, body) = match kind {
                "deal" | "deal_own" => {
                    let stages = services::deals::stages(&w.t.app, &Actor::cli()).await.expect("stages");
                    post(format!("/deals/{id}/stage"), vec![("stage_id", stages[1].id.to_string())]).await
                }
                "ticket" | "ticket_own" => post(format!("/tickets/{id}/status"), vec![("status", "in_progress".into())]).await,
                "organization" => {
                    post(format!("/organizations/{id}/edit"), with_access(vec![("name", f.name.clone())], &w.access(f.variant))).await
                }
                _ => {
                    let form = vec![("family_name", f.name.clone()), ("given_name", "Mia".into()), ("kind", "b2c".into())];
                    post(format!("/contacts/{id}/edit"), with_access(form, &w.access(f.variant))).await
                }
            };
            verdict(s, &body, "the update")
        }
        'd' => {
            let (s, body) = post(format!("/{p}/{id}/delete"), vec![]).await;
            verdict(s, &body, "the deletion")
        }
        other => Err(format!("no web action {other}")),
    }
}

async fn setup(b: Backend) -> World {
    let t = spawn_app(b).await;
    let today = time::OffsetDateTime::now_utc().date();
    let grant = obhut_core::processor::Processor {
        key: "callcenter".into(),
        name: "Callcenter Nord GmbH".into(),
        contract_date: "2026-01-15".into(),
        purposes: vec!["contract".into(), "phone_marketing".into()],
        scope_tag: "callcenter".into(),
        valid_from: (today - time::Duration::days(1)).to_string(),
        valid_until: (today + time::Duration::days(30)).to_string(),
        country: "DE".into(),
        transfer_mechanism: None,
        safeguard_document: None,
        contact: "datenschutz@callcenter.example".into(),
        version: 0,
    };
    services::policies::save_processor(&t.app, &Actor::cli(), &grant).await.expect("processor");
    t.add_user("alice", Role::Admin, PASSWORD).await;
    let admin = t.token("alice").await;
    for row in MATRIX.iter().filter(|r| r.actor != "admin") {
        t.add_user(row.actor, Role::User, PASSWORD).await;
        let teams: Vec<String> = row.teams.iter().map(|s| s.to_string()).collect();
        let processor = (row.role == Role::Processor).then_some("callcenter");
        services::users::set_access(&t.app, &Actor::cli(), row.actor, row.role, row.scope, &teams, processor).await.expect("access");
    }
    let users = services::users::list_users(&t.app, &Actor::cli()).await.expect("users");
    let id_of = |n: &str| users.iter().find(|u| u.username == n).map(|u| u.id.to_string()).expect("user");
    let (alice_id, bob_id) = (id_of("alice"), id_of("bob"));
    let (s, org) = t.api_post(&admin, "/api/v1/organizations", json!({"name": "Matrix Holding GmbH"})).await;
    assert_eq!(s, 201, "{org}");
    let org = org["id"].as_str().expect("id").to_string();
    World { t, admin, bob_id, alice_id, org, seq: std::sync::atomic::AtomicUsize::new(0) }
}

async fn refusals(w: &World) -> usize {
    let filter = obhut_store::audit::AuditFilter { action: Some("access.refused".into()), ..Default::default() };
    services::audit::search(&w.t.app, &Actor::cli(), &filter, services::Page::new(Some(1), None)).await.expect("search").1 as usize
}

async fn every_role_reaches_exactly_the_records_the_matrix_grants(b: Backend) {
    let w = setup(b).await;
    // One shared record per kind and variant for what does not change it; deletions get their own.
    let mut shared: HashMap<(usize, char), Fixture> = HashMap::new();
    for (k, kind) in KINDS.iter().enumerate() {
        for v in VARIANTS.into_iter().filter(|v| *v != 'R' || kind.restrictable) {
            shared.insert((k, v), w.fixture(kind.name, v).await);
        }
    }
    let mut wrong: Vec<String> = Vec::new();
    let mut cells = 0;
    for row in MATRIX {
        let token = if row.actor == "admin" { w.admin.clone() } else { w.t.token(row.actor).await };
        let browser = sign_in(&w.t, if row.actor == "admin" { "alice" } else { row.actor }).await;
        for (k, kind) in KINDS.iter().enumerate() {
            for v in VARIANTS.into_iter().filter(|v| *v != 'R' || kind.restrictable) {
                for (surface, actions) in [("api", kind.api), ("web", kind.web)] {
                    for action in actions.chars() {
                        let expected = granted(row, k, v, action);
                        // A deletion, and a web edit (a whole form), each get a record of their own.
                        let fresh = action == 'd' || (surface == "web" && action == 'u');
                        let fixture = if fresh { w.fixture(kind.name, v).await } else { shared[&(k, v)].clone() };
                        let before = if expected { 0 } else { refusals(&w).await };
                        let got = match surface {
                            "api" => api_attempt(&w, &token, kind.name, action, &fixture).await,
                            _ => web_attempt(&w, &browser, kind.name, action, &fixture).await,
                        };
                        cells += 1;
                        let cell = format!("{surface} {} {}:{v} {action}", row.actor, kind.name);
                        match got {
                            Err(e) => wrong.push(format!("{cell}: {e}")),
                            Ok(allowed) if allowed != expected => {
                                wrong.push(format!("{cell}: {} but the matrix says {}", verb(allowed), verb(expected)))
                            }
                            Ok(false)
                                if !(surface == "web" && kind.name == "activity")
                                    && matches!(action, 'r' | 'u' | 'd')
                                    && refusals(&w).await == before =>
                            {
                                wrong.push(format!("{cell}: refused without an access.refused event"))
                            }
                            Ok(_) => {}
                        }
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {cells} cells are wrong:\n{}", wrong.len(), wrong.join("\n"));
    assert!(cells > 900, "the matrix covers {cells} cells");
}

fn verb(allowed: bool) -> &'static str {
    if allowed {
        "allowed"
    } else {
        "refused"
    }
}

crate::on_both_backends!(ticket_and_activity_reads_are_read_events_and_a_restricted_contacts_records_answer_restricted);

async fn ticket_and_activity_reads_are_read_events_and_a_restricted_contacts_records_answer_restricted(b: Backend) {
    let w = setup(b).await;
    let staff = w.t.token("user").await;
    let ticket = w.fixture("ticket", 'S').await;
    let activity = w.fixture("activity", 'S').await;
    let contact = ticket.contact.clone().expect("about a contact");
    // A ticket read under a declared purpose is logged with it, the contact as subject and the fields shown.
    let (s, v) = w.t.api_get(&staff, &format!("/api/v1/tickets/{}?purpose=customer_service", ticket.id)).await;
    assert_eq!(s, 200, "{v}");
    let reads = w.t.audit_events("ticket.read").await;
    let read = reads.iter().find(|e| e.entry.record_id.as_deref() == Some(ticket.id.as_str())).expect("a ticket.read event");
    assert_eq!(read.entry.purpose.as_deref(), Some("customer_service"));
    assert_eq!(read.entry.subject_id.as_deref(), Some(contact.as_str()));
    assert_eq!(read.entry.fields, vec!["title".to_string(), "description".into()]);
    // A purpose the registry does not hold is refused, and the refusal logged.
    let (s, v) = w.t.api_get(&staff, &format!("/api/v1/tickets/{}?purpose=gossip", ticket.id)).await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(w.t.audit_events("ticket.read_refused").await.len(), 1);
    // Every ticket a list hands out is a read too.
    let before = w.t.audit_events("ticket.read").await.len();
    let (_, list) = w.t.api_get(&staff, "/api/v1/tickets?limit=200").await;
    assert_eq!(w.t.audit_events("ticket.read").await.len(), before + ids_in(&list).len());
    // An activity read likewise, with the person it concerns.
    let (s, _) = w.t.api_get(&staff, &format!("/api/v1/activities/{}", activity.id)).await;
    assert_eq!(s, 200);
    let reads = w.t.audit_events("activity.read").await;
    let read = reads.iter().find(|e| e.entry.record_id.as_deref() == Some(activity.id.as_str())).expect("an activity.read event");
    assert_eq!(read.entry.purpose.as_deref(), Some("contract"));
    assert_eq!(read.entry.subject_id, activity.contact);
    // Once processing of the contact is restricted, its records answer /problems/restricted to
    // staff, the refusal is logged with the person as subject; the DPO still reads them.
    w.restrict(&contact).await;
    let (s, v) = w.t.api_get(&staff, &format!("/api/v1/tickets/{}", ticket.id)).await;
    assert_eq!((s, v["type"].as_str()), (403, Some("/problems/restricted")), "{v}");
    let refused = w.t.audit_events("access.refused").await;
    let logged = refused.iter().find(|e| e.entry.record_id.as_deref() == Some(ticket.id.as_str())).expect("refusal logged");
    assert_eq!(logged.entry.subject_id.as_deref(), Some(contact.as_str()));
    assert!(logged.entry.fields.contains(&"policy=restriction".to_string()), "{:?}", logged.entry.fields);
    let (_, list) = w.t.api_get(&staff, "/api/v1/tickets?limit=200").await;
    assert!(!ids_in(&list).contains(&ticket.id), "a restricted contact's ticket leaves the list: {list}");
    assert_eq!(list["total"].as_i64(), Some(ids_in(&list).len() as i64), "the count leaves it out too");
    let dpo = w.t.token("dpo").await;
    let (s, _) = w.t.api_get(&dpo, &format!("/api/v1/tickets/{}", ticket.id)).await;
    assert_eq!(s, 200, "the DPO reads a restricted contact's ticket");
    // A new record about a restricted contact is refused too.
    let (s, v) = w.t.api_post(&staff, "/api/v1/tickets", json!({"title": "Neu", "contact_id": contact})).await;
    assert_eq!((s, v["type"].as_str()), (403, Some("/problems/restricted")), "{v}");
}
