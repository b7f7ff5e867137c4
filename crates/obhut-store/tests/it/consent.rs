//! The consent ledger, its notices, opt-in tokens and suppression list, the mail outbox and
//! the restriction flag, on both backends: each module once, through the store's own API.

use crate::common::{add_contact, backends, open};
use obhut_core::consent::{Channel, EventKind, Evidence, Facts, Method};
use obhut_store::consent::tokens::Claim;
use obhut_store::consent::{events, notices, suppression, tokens};
use obhut_store::outbox::{self, Mail};
use obhut_store::restriction;

#[tokio::test]
async fn an_event_is_appended_and_read_back_with_its_evidence_opened_only_when_asked() {
    for backend in backends().await {
        let t = open(backend).await;
        let s = &t.store;
        let contact = add_contact(s).await.to_string();
        let evidence = Evidence { ip: Some("192.0.2.0".into()), note: Some("on paper".into()), ..Evidence::default() };
        let event = events::NewEvent {
            id: "e-1".into(),
            contact_id: contact.clone(),
            purpose: "newsletter".into(),
            channel: Channel::Email,
            topic: String::new(),
            kind: EventKind::Given,
            method: Method::Paper,
            at: 1_000,
            actor: "staff".into(),
            notice_id: None,
            language: Some("de".into()),
            request_id: None,
            facts: Facts::default(),
            evidence: evidence.clone(),
        };
        let mut conn = s.pool.acquire().await.unwrap();

        let seq = events::append_event(&mut conn, &s.crypto, &event).await.unwrap();

        let all = events::events_for_contact(&mut conn, &s.crypto, &contact).await.unwrap();
        assert_eq!((all.len(), all[0].seq, all[0].kind), (1, seq, EventKind::Given), "{backend:?}");
        assert_eq!(all[0].evidence.as_ref(), Some(&evidence), "{backend:?}");
        let found = events::find_event(&mut conn, "e-1").await.unwrap().unwrap();
        assert_eq!((found.method, found.evidence), (Method::Paper, None), "{backend:?}");
        assert_eq!(events::event_evidence(&mut conn, &s.crypto, "e-1").await.unwrap(), Some(evidence), "{backend:?}");
        let of = events::events_of(&mut conn, &contact, "newsletter", Channel::Email, "").await.unwrap();
        assert_eq!(of.len(), 1, "{backend:?}");
        assert_eq!(events::event_counts(&mut conn).await.unwrap(), [("newsletter".into(), "email".into(), "given".into(), 1)]);
    }
}

#[tokio::test]
async fn a_notice_saved_again_unchanged_keeps_its_version_and_a_new_text_gets_the_next() {
    for backend in backends().await {
        let t = open(backend).await;
        let mut conn = t.store.pool.acquire().await.unwrap();

        let first = notices::save_notice(&mut conn, "newsletter", Channel::Email, "de", "Text A", 1, "dpo").await.unwrap();
        let again = notices::save_notice(&mut conn, "newsletter", Channel::Email, "de", "Text A", 2, "dpo").await.unwrap();
        let second = notices::save_notice(&mut conn, "newsletter", Channel::Email, "de", "Text B", 3, "dpo").await.unwrap();

        assert_eq!((first.version, first.sha256.as_str()), (1, notices::notice_hash("Text A").as_str()), "{backend:?}");
        assert_eq!(again, first, "{backend:?}");
        assert_eq!(second.version, 2, "{backend:?}");
        let current = notices::current_notice(&mut conn, "newsletter", Channel::Email, "de").await.unwrap();
        assert_eq!(current, Some(second), "{backend:?}");
        assert_eq!(notices::notice_by_id(&mut conn, &first.id).await.unwrap().map(|n| n.text), Some("Text A".into()));
        let versions: Vec<i64> = notices::list_notices(&mut conn).await.unwrap().iter().map(|n| n.version).collect();
        assert_eq!(versions, [2, 1], "{backend:?}");
    }
}

#[tokio::test]
async fn an_opt_in_token_is_claimed_once_and_not_after_it_expired() {
    for backend in backends().await {
        let t = open(backend).await;
        let mut conn = t.store.pool.acquire().await.unwrap();
        let blind = b"address-blind".as_slice();
        for (token, expires_at) in [("tok-1", 2_000), ("tok-2", 2_000)] {
            tokens::insert_token(&mut conn, token, "req", "c-1", "newsletter", Channel::Email, "", blind, 1_000, expires_at).await.unwrap();
        }

        assert!(matches!(tokens::peek_token(&mut conn, "tok-1", 1_500).await.unwrap(), Claim::Claimed(r) if r.used_at.is_none()));
        let claimed = tokens::claim_token(&mut conn, "tok-1", 1_500).await.unwrap();
        let again = tokens::claim_token(&mut conn, "tok-1", 1_600).await.unwrap();
        let late = tokens::claim_token(&mut conn, "tok-2", 2_500).await.unwrap();
        let unknown = tokens::claim_token(&mut conn, "tok-3", 1_500).await.unwrap();

        assert!(matches!(claimed, Claim::Claimed(r) if r.used_at == Some(1_500) && r.contact_id == "c-1"), "{backend:?}");
        assert!(matches!(again, Claim::Used(_)), "{backend:?}: {again:?}");
        assert!(matches!(late, Claim::Expired(_)), "{backend:?}: {late:?}");
        assert_eq!(unknown, Claim::Unknown, "{backend:?}");
        assert_eq!(tokens::requests_since(&mut conn, blind, 0).await.unwrap(), (2, Some(1_000)), "{backend:?}");
    }
}

#[tokio::test]
async fn a_suppressed_identifier_is_found_on_its_channel_only_until_it_is_lifted() {
    for backend in backends().await {
        let t = open(backend).await;
        let mut conn = t.store.pool.acquire().await.unwrap();
        let ids = [vec![1u8, 2, 3]];

        suppression::suppress(&mut conn, &ids, Channel::Email, "objection", 1_000).await.unwrap();
        suppression::suppress(&mut conn, &ids, Channel::Email, "objection", 2_000).await.unwrap();

        assert!(suppression::suppressed(&mut conn, &ids, Channel::Email).await.unwrap(), "{backend:?}");
        assert!(!suppression::suppressed(&mut conn, &ids, Channel::Phone).await.unwrap(), "{backend:?}");
        suppression::unsuppress(&mut conn, &ids, Channel::Email).await.unwrap();
        assert!(!suppression::suppressed(&mut conn, &ids, Channel::Email).await.unwrap(), "{backend:?}");
        assert_eq!(suppression::blind_kind(Channel::Post), None);
        assert!(suppression::channel_tokens(&[], Channel::Post).unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_outbox_leases_a_due_mail_once_and_holds_back_a_restricted_contacts_mail() {
    for backend in backends().await {
        let t = open(backend).await;
        let s = &t.store;
        let contact = add_contact(s).await.to_string();
        let mail = Mail { from: "a@example.org".into(), to: vec!["b@example.org".into()], message: b"Subject: x\r\n\r\nhello".to_vec() };
        let mut conn = s.pool.acquire().await.unwrap();
        outbox::enqueue(&mut conn, &s.crypto, "m-1", "consent_request", Some(&contact), "<m1@example.org>", &mail, 1_000).await.unwrap();
        outbox::enqueue(&mut conn, &s.crypto, "m-2", "dsr_answer", Some(&contact), "<m2@example.org>", &mail, 1_000).await.unwrap();
        assert!(restriction::set_restricted_at(&mut conn, &contact, Some(1_500)).await.unwrap());

        // Art. 18: only the mail about the contact's own request goes out while it is restricted.
        let leased = outbox::lease_due(&mut conn, &s.crypto, 2_000, 60_000, 10).await.unwrap();
        assert_eq!(leased.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(), ["m-2"], "{backend:?}");
        assert_eq!((&leased[0].mail, leased[0].attempts), (&mail, 1), "{backend:?}");
        assert!(outbox::lease_due(&mut conn, &s.crypto, 3_000, 60_000, 10).await.unwrap().is_empty(), "{backend:?}: leased twice");
        outbox::mark_sent(&mut conn, "m-2", 3_000, "file").await.unwrap();

        assert!(restriction::set_restricted_at(&mut conn, &contact, None).await.unwrap());
        let leased = outbox::lease_due(&mut conn, &s.crypto, 4_000, 60_000, 10).await.unwrap();
        assert_eq!(leased.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(), ["m-1"], "{backend:?}");
        outbox::mark_retry(&mut conn, "m-1", 10_000, "421 try later").await.unwrap();

        let list = outbox::list_outbox(&mut conn, 10).await.unwrap();
        let m1 = list.iter().find(|e| e.id == "m-1").unwrap();
        let m2 = list.iter().find(|e| e.id == "m-2").unwrap();
        assert_eq!((m1.sent_at, m1.next_attempt_at, m1.last_error.as_deref()), (None, 10_000, Some("421 try later")), "{backend:?}");
        assert_eq!((m2.sent_at, m2.transport.as_deref()), (Some(3_000), Some("file")), "{backend:?}");
        assert_eq!(outbox::delivered_files(&mut conn, 5_000, 10).await.unwrap(), [("m-2".into(), "<m2@example.org>".into())]);
    }
}

#[tokio::test]
async fn the_restriction_flag_is_set_and_read_back_through_its_old_path_as_well() {
    for backend in backends().await {
        let t = open(backend).await;
        let contact = add_contact(&t.store).await.to_string();
        let mut conn = t.store.pool.acquire().await.unwrap();

        assert!(obhut_store::consent::set_restricted(&mut conn, &contact, Some(7)).await.unwrap());

        assert_eq!(restriction::restricted_at(&mut conn, &contact).await.unwrap(), Some(7), "{backend:?}");
        assert_eq!(obhut_store::consent::restricted_at(&mut conn, &contact).await.unwrap(), Some(7), "{backend:?}");
        assert!(!restriction::set_restricted_at(&mut conn, "no-such-contact", None).await.unwrap(), "{backend:?}");
    }
}
