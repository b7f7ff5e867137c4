//! A service agent's ticket in headless Chromium: found by the customer's name, answered (the
//! reply goes out by mail), an internal note added, and the customer's answer arriving through
//! the IMAP test server (Dovecot) onto the ticket, which opens again; in German and English, on
//! a desktop and at 390 px without horizontal overflow.

use crate::browser::{start_driver, Browser};
use crate::common::PASSWORD;
use crate::mailbox::{app_with_mailbox, reply_message_id, Dovecot};
use obhut_core::user::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_agent_answers_a_ticket_and_the_customers_reply_arrives_by_imap() {
    let Some(driver) = start_driver().await else { return };
    let Some(dovecot) = Dovecot::start().await else { return };
    let t = app_with_mailbox(&dovecot).await;
    t.add_user("svenja", Role::User, PASSWORD).await;
    let token = t.token("svenja").await;
    let c = t.api_contact(&token, json!({"given_name": "Erika", "family_name": "Mustermann", "email": "erika@example.de"})).await;
    let other = t.api_contact(&token, json!({"given_name": "Max", "family_name": "Beispiel"})).await;
    let (s, tk) = t
        .api_post(
            &token,
            "/api/v1/tickets",
            json!({"title": "Drucker druckt nur leere Seiten", "description": "Seit dem Update kommen nur leere Blätter.", "contact_id": c, "priority": "high"}),
        )
        .await;
    assert_eq!(s, 201, "{tk}");
    let id = tk["id"].as_str().unwrap_or_default().to_string();
    t.api_post(&token, "/api/v1/tickets", json!({"title": "Katalog gewünscht", "contact_id": other, "priority": "low"})).await;

    let b = Browser::open(&driver, &t.base).await;
    b.goto("/tickets").await;
    b.sign_in("svenja", PASSWORD, "#ticket-table").await;
    assert!(b.text("#ticket-table").await.contains("Katalog gewünscht"));
    // Found by the customer's name.
    b.fill("#q", "Mustermann").await;
    b.submit("form.toolbar button[type=submit]", "#ticket-table").await;
    let list = b.text("#ticket-table").await;
    assert!(list.contains("Drucker druckt nur leere Seiten") && !list.contains("Katalog"), "{list}");
    b.shot("tickets-01-search-de").await;
    b.click(&format!("a.row-link[href=\"/tickets/{id}\"]")).await;
    b.find("#conversation").await;
    // The reply to the customer, then an internal note.
    b.fill("#body", "Guten Tag Frau Mustermann,\n\nbitte installieren Sie den neuen Treiber und starten Sie den Drucker neu.").await;
    b.submit("button[value=reply]", ".msg-reply").await;
    b.wait_for_text("Antwort gesendet").await;
    assert!(b.text(".subtitle").await.contains("Wartet"), "answered: the ticket waits for the customer");
    b.fill("#body", "Falls das nicht hilft: Techniker einplanen.").await;
    b.submit("button[value=comment]", ".msg-comment").await;
    b.wait_for_text("Notiz gespeichert").await;
    // The customer answers by mail; the support mailbox is fetched.
    let reply_id = reply_message_id(&t).await;
    let answer = format!(
        "From: Erika Mustermann <erika@example.de>\r\nTo: support@obhut.test\r\nSubject: AW: Drucker druckt nur leere Seiten [Ticket #1]\r\n\
         Message-ID: <antwort-1@example.de>\r\nIn-Reply-To: {reply_id}\r\nReferences: {reply_id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hallo,\r\n\r\nder neue Treiber hat leider nichts geändert.\r\n\r\nErika Mustermann\r\n"
    );
    dovecot.deliver(answer.as_bytes()).await;
    obhut_server::services::support_mailbox::fetch(&t.app).await.expect("fetch").expect("a mailbox is set");
    b.goto(&format!("/tickets/{id}")).await;
    b.wait_for_text("der neue Treiber hat leider nichts geändert").await;
    let conv = b.text("#conversation").await.to_lowercase();
    assert!(conv.contains("kunde") && conv.contains("interne notiz") && conv.contains("antwort"), "{conv}");
    assert!(b.text(".subtitle").await.contains("Offen"), "the customer's answer opens the ticket again");
    assert!(b.text(".subtitle").await.contains("Antwort fällig bis"), "and an answer is due by the SLA");
    b.shot("tickets-02-conversation-de").await;
    assert_eq!(b.overflow_at(390).await, 0, "the ticket page fits 390 px");
    b.shot_at("tickets-03-conversation-de-390", 390).await;
    // My day lists the ticket by its due time.
    b.goto("/").await;
    b.find(".day-tickets").await;
    assert!(b.text(".day-tickets").await.contains("Drucker druckt nur leere Seiten"));
    // In English.
    b.goto("/settings").await;
    b.choose("#language", "en").await;
    b.submit("form[action=\"/settings/language\"] button[type=submit]", ".flash").await;
    b.goto(&format!("/tickets/{id}")).await;
    b.find("#conversation").await;
    let conv = b.text("#conversation").await.to_lowercase();
    assert!(conv.contains("conversation") && conv.contains("customer") && conv.contains("internal note"), "{conv}");
    assert!(b.text(".subtitle").await.contains("Answer due by"));
    b.shot("tickets-04-conversation-en").await;
    assert_eq!(b.overflow_at(390).await, 0);
    b.goto("/tickets").await;
    b.find("#ticket-table").await;
    assert_eq!(b.overflow_at(390).await, 0, "the ticket list fits 390 px");
    b.shot_at("tickets-05-list-en-390", 390).await;
    b.close().await;
}
