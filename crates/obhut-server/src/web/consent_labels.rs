//! The consent pages' shared words: the kinds, methods and fields of the forms, the labels of
//! reasons, statuses, channels and purposes, and the service's messages in the user's language.

use super::page::{Errs, Opt};
use crate::i18n::Tr;
use crate::services::consent::{self as service};
use obhut_core::consent::{Channel, EventKind, Method, Reason, Status};
use obhut_core::purpose::Purpose;
use obhut_store::consent::ANY;

/// The kinds staff record by hand (requests go by mail, expiry by the review).
pub(super) const RECORD_KINDS: &[EventKind] = &[
    EventKind::Given,
    EventKind::Refused,
    EventKind::Withdrawn,
    EventKind::Confirmed,
    EventKind::Renewed,
    EventKind::Objected,
    EventKind::ObjectionLifted,
    EventKind::BasisRecorded,
];

/// How staff obtained a declaration they record.
pub(super) const RECORD_METHODS: &[Method] = &[Method::Paper, Method::RecordedCall, Method::Staff, Method::Import];

/// The record form's fields in the order it shows them.
pub(super) const RECORD_FIELDS: &[&str] = &[
    "consent_purpose",
    "consent_channel",
    "consent_topic",
    "consent_kind",
    "consent_method",
    "recording_ref",
    "consent_address",
    "consent_note",
    "existing_customer",
    "presumed_consent_reason",
];

/// The service's field names and the record form's.
pub(super) fn record_remap() -> Vec<(String, &'static str)> {
    [
        ("purpose", "consent_purpose"),
        ("channel", "consent_channel"),
        ("topic", "consent_topic"),
        ("kind", "consent_kind"),
        ("method", "consent_method"),
        ("address", "consent_address"),
        ("note", "consent_note"),
    ]
    .into_iter()
    .map(|(from, to)| (from.to_string(), to))
    .collect()
}

pub(super) const REQUEST_FIELDS: &[&str] = &["request_purpose", "request_topic"];

pub(super) fn request_remap() -> Vec<(String, &'static str)> {
    vec![("purpose".to_string(), "request_purpose"), ("topic".to_string(), "request_topic")]
}

pub(super) fn reason_code(r: Reason) -> &'static str {
    match r {
        Reason::Restricted => "restricted",
        Reason::Objected => "objected",
        Reason::Consent => "consent",
        Reason::NoConsent => "no_consent",
        Reason::ExistingCustomer => "existing_customer",
        Reason::ExistingCustomerIncomplete => "existing_customer_incomplete",
        Reason::PresumedConsent => "presumed_consent",
        Reason::LegitimateInterestPost => "legitimate_interest_post",
    }
}

pub(super) fn status_code(s: Status) -> &'static str {
    match s {
        Status::Unknown => "unknown",
        Status::Requested => "requested",
        Status::Given => "given",
        Status::Renewed => "renewed",
        Status::Refused => "refused",
        Status::Withdrawn => "withdrawn",
        Status::Expired => "expired",
    }
}

pub(super) fn channel_label(tr: Tr, c: Channel) -> String {
    tr.v("consent.channel", c.as_str())
}

/// A purpose's name in the UI language; objections (purpose `*`) cover them all.
pub(super) fn purpose_label(tr: Tr, reg: &[Purpose], key: &str) -> String {
    if key == ANY {
        return tr.t("consent.all_purposes").to_string();
    }
    match reg.iter().find(|p| p.key == key) {
        Some(p) if tr.code() == "de" => p.name_de.clone(),
        Some(p) => p.name_en.clone(),
        None => key.to_string(),
    }
}

/// The first characters of a SHA-256, enough to tell notice versions apart.
pub(super) fn short_sha(s: &str) -> String {
    s.chars().take(12).collect()
}

pub(super) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// The purposes consents are recorded for (consent or legitimate interest), active ones only.
pub(super) fn consent_purposes(tr: Tr, reg: &[Purpose]) -> Vec<Opt> {
    reg.iter().filter(|p| p.active && service::consentable(p)).map(|p| Opt::new(p.key.clone(), purpose_label(tr, reg, &p.key))).collect()
}

pub(super) fn channel_options(tr: Tr) -> Vec<Opt> {
    Channel::ALL.iter().map(|c| Opt::new(c.as_str(), channel_label(tr, *c))).collect()
}

/// The consent service's messages (English) in the user's language, where known.
pub(super) fn message(tr: Tr, msg: &str) -> String {
    if tr.code() == "en" {
        return msg.to_string();
    }
    const KNOWN: &[(&str, &str)] = &[
        ("say where the signed form or the call recording is kept", "consent.val_recording_ref"),
        ("record the evidence:", "consent.val_evidence"),
        ("record the four § 7(3) UWG conditions", "consent.val_basis"),
        ("presumed consent applies to business phone calls only", "consent.val_presumed_phone"),
        ("presumed consent does not count for consumers", "consent.val_presumed_b2c"),
        ("§ 7(3) UWG concerns email and SMS only", "consent.val_existing_channel"),
        ("name the purpose", "consent.val_purpose"),
        ("is not an active purpose", "consent.val_purpose"),
        ("not on consent or a legitimate interest", "consent.val_purpose_basis"),
        ("use up to 64 lowercase letters", "consent.val_topic"),
        ("is not a channel", "consent.val_channel"),
        ("is not a consent event", "consent.val_kind"),
        ("is not a method", "consent.val_method"),
        ("a web form consent counts once its mail is confirmed", "consent.val_web_form"),
        ("double opt-in works by email", "consent.val_doi_email"),
        ("the contact has no email address", "consent.val_no_email"),
        ("this address is not one of the contact's", "consent.val_address"),
        ("a notice has 1 to 10,000 characters", "consent.val_notice_text"),
        ("use de or en", "consent.val_language"),
        ("is not an address", "consent.val_sender"),
    ];
    match KNOWN.iter().find(|(m, _)| msg.contains(m)) {
        Some((_, k)) => tr.t(k).to_string(),
        None => tr.message(msg),
    }
}

pub(super) fn errs_of(tr: Tr, v: &obhut_core::ValidationErrors, remap: &[(String, &'static str)], known: &[&str]) -> Errs {
    let mut out = Errs::none();
    for fe in &v.0 {
        let field = remap.iter().find(|(from, _)| *from == fe.field).map(|(_, to)| *to).unwrap_or(fe.field.as_str());
        let msg = message(tr, &fe.message);
        if known.contains(&field) {
            out.add(field, msg);
        } else {
            out.other.push(msg);
        }
    }
    out
}
