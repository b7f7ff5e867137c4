use super::catalogue::years;
use super::*;
use time::macros::date;
use time::Date;

fn facts(created: Date) -> SubjectFacts {
    SubjectFacts {
        created_on: created,
        last_activity_on: None,
        has_order: false,
        had_consent: false,
        consent_active: false,
        consent_ended_on: None,
        held: None,
        restricted_until: None,
        erasure_requested: false,
        pseudonymized: false,
        restricted_by_rule: false,
        items: vec![],
    }
}

fn item(id: &str, t: DataType, start: Date) -> ItemFacts {
    ItemFacts { id: id.into(), data_type: t, start: Some(start) }
}

#[test]
fn the_default_catalogue_has_one_valid_rule_per_data_type() {
    check_catalogue(&default_rules()).unwrap();
    let mut two = default_rules();
    two.push(default_rules()[0].clone());
    assert!(check_catalogue(&two).is_err());
}

#[test]
fn periods_under_the_hgb_run_from_the_end_of_the_calendar_year() {
    let letters = default_rules().into_iter().find(|r| r.data_type == DataType::ActivityLetter).unwrap();
    // A letter of 3 March 2020: kept through 31 December 2026.
    assert_eq!(letters.due_on(date!(2020 - 03 - 03)), date!(2027 - 01 - 01));
    assert_eq!(letters.due_on(date!(2020 - 12 - 31)), date!(2027 - 01 - 01));
    assert_eq!(letters.due_on(date!(2021 - 01 - 01)), date!(2028 - 01 - 01));
    let prospects = default_rules().into_iter().find(|r| r.data_type == DataType::ContactProspect).unwrap();
    assert_eq!(prospects.due_on(date!(2024 - 02 - 29)), date!(2026 - 03 - 01));
}

#[test]
fn a_legal_duty_cannot_be_cut_short_and_actions_must_fit() {
    let mut r = default_rules().into_iter().find(|r| r.data_type == DataType::ActivityOrder).unwrap();
    r.period = years(5);
    assert_eq!(r.check().unwrap_err().0, "period");
    r.period = years(10);
    r.year_end = false;
    assert_eq!(r.check().unwrap_err().0, "period");
    r.year_end = true;
    r.check().unwrap();
    r.action = RetentionAction::Pseudonymize;
    assert_eq!(r.check().unwrap_err().0, "action");
}

#[test]
fn periods_parse_and_print() {
    assert_eq!(Period::parse("2y6m").unwrap(), Period { years: 2, months: 6, days: 0 });
    assert_eq!(Period::parse("30d").unwrap().to_string(), "30d");
    for bad in ["", "6", "y", "6x", "1y1y", "-1y", "999y"] {
        assert!(Period::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_prospect_is_erased_two_years_after_the_last_contact() {
    let rules = default_rules();
    let mut f = facts(date!(2022 - 01 - 10));
    f.last_activity_on = Some(date!(2023 - 06 - 01));
    f.items = vec![item("n1", DataType::ActivityNote, date!(2023 - 06 - 01))];
    let p = plan(&rules, &f, date!(2025 - 06 - 01)).unwrap();
    assert_eq!(p.step, ContactStep::Keep);
    assert_eq!(p.next_due, Some(date!(2025 - 06 - 02)));
    let p = plan(&rules, &f, date!(2025 - 06 - 02)).unwrap();
    assert_eq!(p.step, ContactStep::Apply(RetentionAction::Erase));
    assert!(p.items.is_empty(), "the contact's erasure takes its records");
}

#[test]
fn a_customer_with_running_orders_is_restricted_until_they_end_and_the_rest_goes() {
    let rules = default_rules();
    let mut f = facts(date!(2019 - 01 - 10));
    f.has_order = true;
    f.last_activity_on = Some(date!(2020 - 05 - 01));
    f.items = vec![item("o1", DataType::ActivityOrder, date!(2020 - 05 - 01)), item("n1", DataType::ActivityNote, date!(2020 - 04 - 01))];
    // Relationship: end of 2020 + 3y → due 2024-01-01; the order runs to the end of 2026.
    let p = plan(&rules, &f, date!(2024 - 01 - 01)).unwrap();
    assert_eq!(p.data_type, DataType::ContactCustomer);
    assert_eq!(p.step, ContactStep::RestrictUntil(date!(2027 - 01 - 01)));
    assert_eq!(p.items.iter().map(|(i, a, _)| (*i, *a)).collect::<Vec<_>>(), vec![(1, RetentionAction::Erase)]);
    // Once restricted until that day, nothing more until it comes.
    f.restricted_until = Some(date!(2027 - 01 - 01));
    f.items.truncate(1);
    assert_eq!(plan(&rules, &f, date!(2025 - 01 - 01)).unwrap().step, ContactStep::Keep);
    let p = plan(&rules, &f, date!(2027 - 01 - 01)).unwrap();
    assert_eq!(p.step, ContactStep::Apply(RetentionAction::Anonymize));
}

#[test]
fn a_legal_hold_postpones_everything_due() {
    let rules = default_rules();
    let mut f = facts(date!(2015 - 01 - 10));
    f.items = vec![item("n1", DataType::ActivityNote, date!(2015 - 02 - 01))];
    f.held = Some(Some(date!(2030 - 01 - 01)));
    let p = plan(&rules, &f, date!(2026 - 01 - 01)).unwrap();
    assert_eq!(p.step, ContactStep::Held { until: Some(date!(2030 - 01 - 01)) });
    assert!(p.items.is_empty());
    assert_eq!(p.items_held, 1);
}

#[test]
fn a_subscriber_stays_while_the_consent_stands() {
    let rules = default_rules();
    let mut f = facts(date!(2015 - 01 - 10));
    f.had_consent = true;
    f.consent_active = true;
    assert_eq!(plan(&rules, &f, date!(2030 - 01 - 01)).unwrap().step, ContactStep::Keep);
    f.consent_active = false;
    f.consent_ended_on = Some(date!(2026 - 01 - 31));
    assert_eq!(plan(&rules, &f, date!(2026 - 02 - 27)).unwrap().step, ContactStep::Keep);
    assert_eq!(plan(&rules, &f, date!(2026 - 03 - 01)).unwrap().step, ContactStep::Apply(RetentionAction::Erase));
}

#[test]
fn an_erasure_request_erases_at_once_unless_a_duty_keeps_something() {
    let rules = default_rules();
    let mut f = facts(date!(2026 - 01 - 10));
    f.erasure_requested = true;
    f.items = vec![item("l1", DataType::ActivityLetter, date!(2026 - 02 - 01)), item("n1", DataType::ActivityNote, date!(2026 - 02 - 01))];
    let p = plan(&rules, &f, date!(2026 - 03 - 01)).unwrap();
    assert_eq!(p.step, ContactStep::RestrictUntil(date!(2033 - 01 - 01)));
    assert_eq!(p.items.len(), 1);
    f.items.remove(0);
    let p = plan(&rules, &f, date!(2026 - 03 - 01)).unwrap();
    assert_eq!(p.step, ContactStep::Apply(RetentionAction::Erase));
}

#[test]
fn records_fall_due_on_their_own_while_the_contact_stays() {
    let rules = default_rules();
    let mut f = facts(date!(2018 - 01 - 10));
    f.has_order = true;
    f.last_activity_on = Some(date!(2026 - 05 - 01));
    f.items = vec![
        item("n-old", DataType::ActivityNote, date!(2019 - 05 - 01)),
        item("o-old", DataType::ActivityOrder, date!(2019 - 05 - 01)),
        item("n-new", DataType::ActivityNote, date!(2026 - 05 - 01)),
    ];
    let p = plan(&rules, &f, date!(2026 - 06 - 01)).unwrap();
    assert_eq!(p.step, ContactStep::Keep);
    assert_eq!(
        p.items.iter().map(|(i, a, _)| (*i, *a)).collect::<Vec<_>>(),
        vec![(0, RetentionAction::Erase), (1, RetentionAction::Anonymize)]
    );
    assert!(p.reason.explain().contains("contact.customer"));
}
