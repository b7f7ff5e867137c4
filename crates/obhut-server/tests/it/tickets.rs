//! The ticket conversation: replies mailed through the outbox and threaded, the customer's
//! answers taken in and matched (by the Message-IDs they answer, or by the ticket number from
//! the contact's own address), internal comments, the SLA's due time, search; erased with the
//! contact, held while it is restricted, listed in the Art. 15 report; bad input changes nothing.

use crate::common::{page, signed_in, try_spawn_app_at, Backend, TestApp};
use obhut_core::clock::ManualClock;
use obhut_core::user::Role;
use obhut_server::services;
use obhut_server::services::ticket_conversation::TakenIn;
use obhut_server::Actor;
use serde_json::{json, Value};
use time::macros::datetime;

crate::on_both_backends!(
    a_reply_goes_out_threaded_and_the_answer_comes_back_to_its_ticket,
    comments_are_internal_and_bad_input_changes_nothing,
    the_sla_sets_the_due_time_and_the_list_finds_by_number_and_person,
    a_restricted_contact_gets_no_reply_and_erasure_takes_the_conversation,
);

async fn app(b: Backend) -> Option<(TestApp, ManualClock)> {
    let clock = ManualClock::at(datetime!(2026-12-07 08:00 UTC));
    let t = try_spawn_app_at(b, clock.clone(), |c| c.support_address = Some("support@obhut.test".into())).await?;
    Some((t, clock))
}

async fn ticket(t: &TestApp, token: &str, body: Value) -> Value {
    let (s, v) = t.api_post(token, "/api/v1/tickets", body).await;
    assert_eq!(s, 201, "{v}");
    v
}

/// The delivered mails of the file transport, as text, once there are `n` (the server's own
/// outbox worker may be the one delivering them).
async fn delivered(t: &TestApp, n: usize) -> Vec<String> {
    for _ in 0..100 {
        services::mail::deliver_due(&t.app).await.expect("deliver");
        let found = delivered_now(t);
        if found.len() >= n {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} mails delivered");
}

fn delivered_now(t: &TestApp) -> Vec<String> {
    let mut out: Vec<(std::time::SystemTime, String)> = std::fs::read_dir(t.dir.path().join("outbox"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .map(|e| (e.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH), std::fs::read_to_string(e.path()).unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.into_iter().map(|(_, s)| s).collect()
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

/// The customer's answer to a mail with `message_id`.
fn answer(from: &str, message_id: Option<&str>, subject: &str, body: &str, own_id: &str) -> Vec<u8> {
    let mut m = format!("From: Erika Mustermann <{from}>\r\nTo: support@obhut.test\r\nSubject: {subject}\r\nMessage-ID: <{own_id}>\r\n");
    if let Some(r) = message_id {
        m.push_str(&format!("In-Reply-To: {r}\r\nReferences: {r}\r\n"));
    }
    m.push_str(&format!("Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"));
    m.into_bytes()
}

async fn a_reply_goes_out_threaded_and_the_answer_comes_back_to_its_ticket(b: Backend) {
    let Some((t, clock)) = app(b).await else { return };
    let anna = t.user_token("anna", Role::User).await;
    let c = t.api_contact(&anna, json!({"given_name": "Erika", "family_name": "Mustermann", "email": "erika@example.de", "language": "de"})).await;
    let tk = ticket(&t, &anna, json!({"title": "Drucker druckt nicht", "contact_id": c, "priority": "high"})).await;
    let id = tk["id"].as_str().unwrap_or_default().to_string();
    let number = tk["number"].as_i64().unwrap_or_default();
    // A reply: 201, recorded, queued through the outbox with the contact, the ticket waits.
    let (s, m) = t.api_post(&anna, &format!("/api/v1/tickets/{id}/replies"), json!({"body": "Guten Tag Frau Mustermann,\n\nbitte starten Sie den Drucker neu."})).await;
    assert_eq!(s, 201, "{m}");
    assert_eq!((m["kind"].as_str(), m["address"].as_str()), (Some("reply"), Some("erika@example.de")));
    let (_, tk) = t.api_get(&anna, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(tk["status"], "waiting", "answered: the ticket waits for the customer");
    assert!(tk["due_at"].is_null(), "no answer owed while waiting: {tk}");
    assert_eq!(t.count("SELECT COUNT(*) FROM outbox WHERE kind = 'ticket_reply'").await, 1);
    let mails = delivered(&t, 1).await;
    let mail = mails.iter().find(|m| m.contains("Drucker")).cloned().unwrap_or_default();
    assert_eq!(header(&mail, "Subject"), Some(format!("AW: Drucker druckt nicht [Ticket #{number}]").as_str()), "{mail}");
    assert_eq!(header(&mail, "Reply-To"), Some("support@obhut.test"));
    assert!(header(&mail, "To").is_some_and(|to| to.contains("erika@example.de")), "{mail}");
    assert!(header(&mail, "Auto-Submitted").is_none(), "a person wrote it");
    let reply_id = header(&mail, "Message-ID").unwrap_or_default().to_string();
    // Nothing of it is stored in the clear.
    assert!(!crate::common::contains(&t.raw_bytes().await, "starten Sie den Drucker"), "the reply is sealed at rest");
    // The customer's answer (by its In-Reply-To) is recorded; the ticket is open again and owes an answer.
    clock.advance(time::Duration::hours(2));
    let raw = answer("erika@example.de", Some(&reply_id), "AW: Drucker druckt nicht", "Hat leider nicht geholfen.", "a1@example.de");
    assert_eq!(services::ticket_conversation::take_in(&t.app, &raw).await.expect("take in"), TakenIn::Recorded(obhut_core::ids::TicketId::parse(&id).expect("id")));
    assert_eq!(services::ticket_conversation::take_in(&t.app, &raw).await.expect("again"), TakenIn::Duplicate, "a mail is taken in once");
    let (_, tk) = t.api_get(&anna, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(tk["status"], "open");
    assert_eq!(tk["due_at"], "2026-12-08T10:00:00Z", "high: 24 hours from the answer");
    let (s, msgs) = t.api_get(&anna, &format!("/api/v1/tickets/{id}/messages")).await;
    assert_eq!(s, 200, "{msgs}");
    assert_eq!(msgs.as_array().map(Vec::len), Some(2));
    assert_eq!((msgs[1]["kind"].as_str(), msgs[1]["body"].as_str()), (Some("inbound"), Some("Hat leider nicht geholfen.")));
    assert_eq!(msgs[1]["name"], "Erika Mustermann");
    // A second reply is threaded on both mails so far.
    t.api_post(&anna, &format!("/api/v1/tickets/{id}/replies"), json!({"body": "Wir schicken einen Techniker."})).await;
    let second = delivered(&t, 2).await.into_iter().find(|m| header(m, "Message-ID").is_some_and(|i| i != reply_id)).unwrap_or_default();
    assert_eq!(header(&second, "In-Reply-To"), Some("<a1@example.de>"), "{second}");
    assert!(header(&second, "References").is_some_and(|r| r.contains(&reply_id) && r.contains("<a1@example.de>")), "{second}");
    // By number alone only the ticket's own contact may answer.
    let stranger = answer("mallory@example.org", None, &format!("Re: [Ticket #{number}]"), "Ich bin es, bitte Adresse ändern.", "m1@example.org");
    assert_eq!(services::ticket_conversation::take_in(&t.app, &stranger).await.expect("stranger"), TakenIn::Unmatched);
    let by_number = answer("Erika@Example.de", None, &format!("Noch etwas [Ticket #{number}]"), "Der Techniker kam nicht.", "a2@example.de");
    assert!(matches!(services::ticket_conversation::take_in(&t.app, &by_number).await.expect("by number"), TakenIn::Recorded(_)));
    let unknown = answer("someone@example.net", None, "Frage", "Hallo", "u1@example.net");
    assert_eq!(services::ticket_conversation::take_in(&t.app, &unknown).await.expect("unknown"), TakenIn::Unmatched);
    // Audited: the replies by anna, the answers by the mailbox job, with the person.
    let replies = t.audit_events("ticket.reply").await;
    assert_eq!(replies.len(), 2);
    assert!(replies.iter().all(|e| e.entry.actor.starts_with("api:user:") && e.entry.subject_id.as_deref() == Some(c.as_str())), "{:?}", replies.iter().map(|e| (&e.entry.actor, &e.entry.subject_id)).collect::<Vec<_>>());
    let ins = t.audit_events("ticket.mail_in").await;
    assert_eq!(ins.len(), 2);
    assert!(ins.iter().all(|e| e.entry.actor.contains("support-mailbox")), "{:?}", ins.iter().map(|e| &e.entry.actor).collect::<Vec<_>>());
    // Reading the conversation is logged as a read of the ticket's messages.
    let reads = t.audit_events("ticket.read").await;
    assert!(reads.iter().any(|e| e.entry.fields.iter().any(|f| f == "messages")), "the conversation's read is logged");
}

async fn comments_are_internal_and_bad_input_changes_nothing(b: Backend) {
    let Some((t, _)) = app(b).await else { return };
    let anna = t.user_token("anna", Role::User).await;
    let guest = t.user_token("gast", Role::Guest).await;
    let c = t.api_contact(&anna, json!({"family_name": "OhneMail"})).await;
    let tk = ticket(&t, &anna, json!({"title": "Rückruf", "contact_id": c})).await;
    let id = tk["id"].as_str().unwrap_or_default().to_string();
    let (s, v) = t.api_post(&anna, &format!("/api/v1/tickets/{id}/replies"), json!({"body": "Hallo"})).await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("the contact has no email address to write to"), "{v}");
    let (s, v) = t.api_post(&anna, &format!("/api/v1/tickets/{id}/comments"), json!({"body": "   "})).await;
    assert_eq!((s, v["errors"][0]["field"].as_str()), (422, Some("body")), "{v}");
    let (s, _) = t.api_post(&anna, &format!("/api/v1/tickets/{id}/comments"), json!({"body": "x", "extra": 1})).await;
    assert_eq!(s, 400, "unknown fields are refused");
    let (s, _) = t.api_post(&guest, &format!("/api/v1/tickets/{id}/comments"), json!({"body": "Gast war hier"})).await;
    assert_eq!(s, 403, "a guest reads, does not write");
    let (s, _) = t.api_post(&anna, "/api/v1/tickets/not-an-id/comments", json!({"body": "x"})).await;
    assert_eq!(s, 404, "no such ticket");
    assert_eq!(t.count("SELECT COUNT(*) FROM ticket_messages").await, 0, "nothing was stored");
    let (s, m) = t.api_post(&anna, &format!("/api/v1/tickets/{id}/comments"), json!({"body": "Kunde ruft zurück, kein Mailkontakt."})).await;
    assert_eq!((s, m["kind"].as_str()), (201, Some("comment")), "{m}");
    assert_eq!(t.count("SELECT COUNT(*) FROM outbox").await, 0, "a comment is never mailed");
    let (_, tk) = t.api_get(&anna, &format!("/api/v1/tickets/{id}")).await;
    assert_eq!(tk["status"], "open", "a comment does not change the ticket's status");
    assert_eq!(t.audit_events("ticket.comment").await.len(), 1);
    // A ticket about an organization only has nobody to write to.
    let (_, org) = t.api_post(&anna, "/api/v1/organizations", json!({"name": "Muster GmbH"})).await;
    let ot = ticket(&t, &anna, json!({"title": "Rechnung", "organization_id": org["id"]})).await;
    let (s, v) = t.api_post(&anna, &format!("/api/v1/tickets/{}/replies", ot["id"].as_str().unwrap_or_default()), json!({"body": "x"})).await;
    assert_eq!(s, 422);
    assert!(v.to_string().contains("nobody to write to"), "{v}");
    // The web form: the comment shows on the page; an empty one comes back with the field named.
    let (wc, csrf) = signed_in(&t, "webby", Role::User).await;
    let (s, _, body) = crate::common::send_form(&wc, &t, &format!("/tickets/{id}/messages"), &[("csrf", csrf.as_str()), ("body", ""), ("kind", "comment")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("body-error"), "the field is named");
    let (s, location, _) =
        crate::common::send_form(&wc, &t, &format!("/tickets/{id}/messages"), &[("csrf", csrf.as_str()), ("body", "Zweite Notiz"), ("kind", "comment")]).await;
    assert_eq!((s, location), (303, format!("/tickets/{id}?flash=commented#conversation")));
    let (_, html) = page(&wc, &t, &format!("/tickets/{id}")).await;
    assert!(html.contains("Zweite Notiz") && html.contains("Interne Notiz"), "the conversation shows the notes");
    assert!(!html.contains("value=\"reply\"") || html.contains("Antwort senden"), "{html}");
}

async fn the_sla_sets_the_due_time_and_the_list_finds_by_number_and_person(b: Backend) {
    let Some((t, clock)) = app(b).await else { return };
    let anna = t.user_token("anna", Role::User).await;
    let c1 = t.api_contact(&anna, json!({"given_name": "Erika", "family_name": "Mustermann", "email": "erika@example.de"})).await;
    let c2 = t.api_contact(&anna, json!({"given_name": "Max", "family_name": "Beispiel"})).await;
    let low = ticket(&t, &anna, json!({"title": "Katalog", "contact_id": c1, "priority": "low"})).await;
    assert_eq!(low["due_at"], "2026-12-14T08:00:00Z", "low: 168 hours");
    clock.advance(time::Duration::hours(1));
    let urgent = ticket(&t, &anna, json!({"title": "Anlage steht", "contact_id": c2, "priority": "urgent"})).await;
    assert_eq!(urgent["due_at"], "2026-12-07T13:00:00Z", "urgent: 4 hours");
    let resolved = ticket(&t, &anna, json!({"title": "Erledigt", "contact_id": c2, "status": "resolved"})).await;
    assert!(resolved["due_at"].is_null());
    // A changed priority moves the clock from the same start; resolving stops it.
    let lid = low["id"].as_str().unwrap_or_default();
    let (_, low2) = t.api(reqwest::Method::PATCH, &anna, &format!("/api/v1/tickets/{lid}"), Some(json!({"priority": "high"}))).await;
    assert_eq!(low2["due_at"], "2026-12-08T08:00:00Z", "{low2}");
    let (_, sorted) = t.api_get(&anna, "/api/v1/tickets?sort=due").await;
    let titles: Vec<&str> = sorted["items"].as_array().map(|a| a.iter().filter_map(|i| i["title"].as_str()).collect()).unwrap_or_default();
    assert_eq!(titles, ["Anlage steht", "Katalog", "Erledigt"], "most urgent first, none owed last");
    let (s, v) = t.api_get(&anna, "/api/v1/tickets?sort=soon").await;
    assert_eq!(s, 400, "{v}");
    let (_, one) = t.api_get(&anna, &format!("/api/v1/tickets?number={}", urgent["number"])).await;
    assert_eq!(one["total"], 1);
    // The web list: search by number and by the person's name; the due column.
    let (wc, _) = signed_in(&t, "webby", Role::User).await;
    let (_, html) = page(&wc, &t, "/tickets?q=Mustermann").await;
    assert!(html.contains("Katalog") && !html.contains("Anlage steht"), "found by the contact's name");
    let (_, html) = page(&wc, &t, &format!("/tickets?q=%23{}", urgent["number"])).await;
    assert!(html.contains("Anlage steht") && !html.contains("Katalog"), "found by number");
    let (_, html) = page(&wc, &t, "/tickets?q=Niemand").await;
    assert!(html.contains("Keine Tickets zu „Niemand“"), "the empty state names the search");
    clock.advance(time::Duration::hours(5));
    let (_, html) = page(&wc, &t, "/tickets").await;
    assert!(html.contains("due overdue"), "the urgent ticket's answer is overdue");
}

async fn a_restricted_contact_gets_no_reply_and_erasure_takes_the_conversation(b: Backend) {
    let Some((t, _)) = app(b).await else { return };
    let anna = t.user_token("anna", Role::User).await;
    let c = t.api_contact(&anna, json!({"given_name": "Erika", "family_name": "Mustermann", "email": "erika@example.de"})).await;
    let tk = ticket(&t, &anna, json!({"title": "Reklamation Lieferung", "contact_id": c, "kind": "complaint"})).await;
    let id = tk["id"].as_str().unwrap_or_default().to_string();
    let (s, _) = t.api_post(&anna, &format!("/api/v1/tickets/{id}/replies"), json!({"body": "Wir prüfen die Lieferung."})).await;
    assert_eq!(s, 201);
    t.api_post(&anna, &format!("/api/v1/tickets/{id}/comments"), json!({"body": "Spedition anrufen"})).await;
    // The Art. 15 report shows the conversation, internal notes included.
    let report = services::dsr_report::access_report(&t.app, &Actor::cli(), &c).await.expect("report");
    let conv = &report.tickets[0].messages;
    assert_eq!(conv.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>(), ["reply", "comment"]);
    assert_eq!(conv[0].body, "Wir prüfen die Lieferung.");
    // Restricted before delivery: the reply waits in the outbox; a new one is refused.
    services::restriction::restrict(&t.app, &Actor::cli(), &c, "Richtigkeit bestritten (Art. 18(1)(a))", None, None).await.expect("restrict");
    let d = services::mail::deliver_due(&t.app).await.expect("deliver");
    assert_eq!(d.sent, 0, "nothing goes to a restricted contact");
    let (s, _) = t.api_post(&anna, &format!("/api/v1/tickets/{id}/replies"), json!({"body": "Noch eine Frage"})).await;
    assert_eq!(s, 403, "a restricted contact's ticket is not worked on");
    services::restriction::lift_restriction(&t.app, &Actor::cli(), &c, Some(time::macros::date!(2026 - 12 - 07)), Some("email"), None).await.expect("lift");
    // Erased: the ticket, its conversation and the queued mail go with the contact.
    services::erasure::erase(&t.app, &Actor::cli(), &c, "Antrag auf Löschung", None).await.expect("erase");
    assert_eq!(t.count("SELECT COUNT(*) FROM ticket_messages").await, 0);
    assert_eq!(t.count("SELECT COUNT(*) FROM outbox WHERE kind = 'ticket_reply'").await, 0);
    assert!(!crate::common::contains(&t.raw_bytes().await, "Spedition anrufen"));
}
