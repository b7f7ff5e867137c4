use super::*;
use crate::i18n::Lang;
use time::macros::date;

fn case(received: &str, due: &str) -> CaseView {
    CaseView {
        id: "c1".into(),
        reference: "DSR-2026-0001".into(),
        kind: "erasure".into(),
        article: "Art. 17".into(),
        contact_id: "x".into(),
        received_on: received.into(),
        received_via: "letter".into(),
        due_on: due.into(),
        first_due_on: due.into(),
        extended: false,
        extension_reason: None,
        person_informed_on: None,
        identity_check: None,
        identity_note: None,
        status: "received".into(),
        closing_reason: None,
        overdue: false,
        days_left: 3,
        created_by: "cli".into(),
        created_at: 0,
        closed_at: None,
        rectified_at: None,
        rectified_fields: Vec::new(),
    }
}

#[test]
fn the_services_refusals_of_an_extension_are_said_in_german_with_german_dates() {
    let tr = Tr::new(Lang::De);
    let c = case("2026-01-31", "2026-02-28");
    let (received, due) = (date!(2026 - 01 - 31), date!(2026 - 02 - 28));
    let late = obhut_core::dsr::check_extension(received, due, false, date!(2026 - 03 - 01), date!(2026 - 04 - 30)).unwrap_err();
    assert_eq!(
        refusal(tr, Some(&c), &late),
        "Die Frist vom 28.02.2026 ist verstrichen: Eine Verlängerung hätte der Person vorher mitgeteilt werden müssen."
    );
    let far = obhut_core::dsr::check_extension(received, due, false, date!(2026 - 02 - 20), date!(2026 - 05 - 01)).unwrap_err();
    assert_eq!(field_message(tr, Some(&c), &far), "Höchstens zwei weitere Monate: spätestens bis 30.04.2026.");
    let early = obhut_core::dsr::check_extension(received, due, false, date!(2026 - 02 - 20), due).unwrap_err();
    assert_eq!(field_message(tr, Some(&c), &early), "Die neue Frist muss nach der bisherigen (28.02.2026) liegen.");
    let twice = obhut_core::dsr::check_extension(received, due, true, date!(2026 - 02 - 20), date!(2026 - 04 - 30)).unwrap_err();
    assert!(refusal(tr, Some(&c), &twice).starts_with("Die Frist wurde bereits verlängert"));
}

#[test]
fn known_messages_are_translated_and_unknown_ones_kept() {
    let de = Tr::new(Lang::De);
    assert_eq!(field_message(de, None, "no such contact"), "Es gibt keinen Kontakt mit dieser Kennung.");
    assert_eq!(
        refusal(de, None, "case DSR-2026-0007 of this kind is already open for this contact"),
        "Für diesen Kontakt ist bereits eine Anfrage dieser Art offen: DSR-2026-0007."
    );
    assert_eq!(refusal(de, None, "the contact was erased on 2026-11-23"), "Der Kontakt wurde am 23.11.2026 bereits gelöscht.");
    assert_eq!(field_message(de, None, "something new"), "something new");
    let en = Tr::new(Lang::En);
    assert_eq!(field_message(en, None, "a request cannot be received in the future"), "A request cannot have been received in the future.");
}

#[test]
fn days_left_are_counted_in_words() {
    let de = Tr::new(Lang::De);
    let mut c = case("2026-01-31", "2026-02-28");
    assert_eq!(days_text(de, &c), "noch 3 Tage");
    c.days_left = 1;
    assert_eq!(days_text(de, &c), "noch 1 Tag");
    c.days_left = 0;
    assert_eq!(days_text(de, &c), "heute fällig");
    c.days_left = -4;
    assert_eq!(days_text(de, &c), "seit 4 Tagen überfällig");
    c.status = "completed".into();
    assert_eq!(days_text(de, &c), "–");
}
