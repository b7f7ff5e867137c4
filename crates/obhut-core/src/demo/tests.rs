use super::*;
use crate::email::EmailAddress;
use std::collections::HashSet;

#[test]
fn the_same_seed_gives_the_same_data_and_another_seed_other_data() {
    let (a, b, c) = (Demo::new(7), Demo::new(7), Demo::new(8));
    for i in [0, 1, 99, 12_345] {
        assert_eq!(a.contact(i), b.contact(i));
        assert_eq!(a.organization(i), b.organization(i));
        assert_eq!(a.activity(i), b.activity(i));
        assert_eq!(a.deal_title(i), b.deal_title(i));
        assert_eq!(a.ticket(i), b.ticket(i));
        assert_eq!(a.contact_is_b2b(i), b.contact_is_b2b(i));
    }
    assert!((0..20).any(|i| a.contact(i) != c.contact(i)));
}

#[test]
fn ten_thousand_contacts_validate_and_have_unique_reserved_emails_and_phones() {
    let demo = Demo::new(42);
    let mut emails = HashSet::new();
    let mut phones = HashSet::new();
    let mut b2b = 0;
    for i in 0..10_000 {
        let c = demo.contact(i);
        let d = c.validate().unwrap_or_else(|e| unreachable!("contact {i}: {e}"));
        let email = d.personal.primary_email().map(EmailAddress::normalized).unwrap_or_default();
        let domain = email.rsplit_once('@').map(|(_, d)| d.to_string()).unwrap_or_default();
        assert!(DOMAINS.contains(&domain.as_str()), "{email}");
        assert!(emails.insert(email), "duplicate email for contact {i}");
        let phone = d.personal.primary_phone().map(|p| p.to_string()).unwrap_or_default();
        assert!(phones.insert(phone), "duplicate phone for contact {i}");
        b2b += usize::from(demo.contact_is_b2b(i));
    }
    assert!((2_500..3_500).contains(&b2b), "{b2b} of 10000 are B2B");
}

#[test]
fn organizations_validate_with_a_vat_id_that_fails_its_check_digit() {
    let demo = Demo::new(42);
    for i in 0..2_000 {
        let d = demo.organization(i).validate().unwrap_or_else(|e| unreachable!("organization {i}: {e}"));
        let vat = d.vat_id.unwrap_or_default();
        let digits: Vec<u8> = vat.bytes().skip(2).map(|b| b - b'0').collect();
        assert_eq!(digits.len(), 9);
        assert_ne!(digits.get(8).copied(), Some(vat_check_digit(&digits[..8])), "{vat}");
    }
    // DE136695976 is valid: the check digit itself is right.
    assert_eq!(vat_check_digit(&[1, 3, 6, 6, 9, 5, 9, 7]), 6);
}

#[test]
fn texts_are_filled_in() {
    let demo = Demo::new(1);
    for i in 0..500 {
        let (_, subject, body) = demo.activity(i);
        let (title, description, _) = demo.ticket(i);
        for s in [subject, body, title, description, demo.deal_title(i)] {
            assert!(!s.contains('{') && !s.is_empty(), "{s}");
        }
    }
    assert!((0..200).any(|i| demo.ticket(i).2) && (0..200).any(|i| !demo.ticket(i).2));
    assert!((0..200).any(|i| demo.activity(i).0 == ActivityKind::Complaint));
}
