//! The words of the request pages: labels of kinds and states, the days left, and the
//! service's refusals said in the user's language at the field they concern.

use crate::fmt;
use crate::i18n::Tr;
use crate::services::cases::CaseView;
use crate::web::page::{parse_date, show_date, Errs, Opt};
use obhut_core::dsr::{CaseKind, CaseStatus};

/// The refusal when the contact of an erasure request no longer exists.
pub(super) const CONTACT_MISSING: &str = "the contact of this case does not exist";

/// What the service appends to a rejection's reason (in English); the page says it in the
/// user's language instead.
pub(super) const ART77_NOTE: &str = "\n— The person was told of the right to lodge a complaint";

pub(super) fn kind_label(tr: Tr, kind: &str) -> String {
    tr.v("dsr_ui.kind", kind)
}

/// "Auskunft (Art. 15 DSGVO)".
pub(super) fn kind_with_article(tr: Tr, kind: &str) -> String {
    format!("{} ({})", kind_label(tr, kind), tr.v("dsr_ui.article", kind))
}

pub(super) fn status_label(tr: Tr, status: &str) -> String {
    tr.v("dsr_ui.status", status)
}

/// "noch 12 Tage", "heute fällig", "seit 3 Tagen überfällig"; closed cases "–".
pub(super) fn days_text(tr: Tr, c: &CaseView) -> String {
    let open = CaseStatus::parse(&c.status).is_ok_and(CaseStatus::is_open);
    match c.days_left {
        _ if !open => "–".to_string(),
        0 => tr.t("dsr_ui.due_today").to_string(),
        1 => tr.t("dsr_ui.one_day_left").to_string(),
        -1 => tr.t("dsr_ui.overdue_one_day").to_string(),
        d if d < 0 => tr.f("dsr_ui.overdue_days", -d),
        d => tr.f("dsr_ui.days_left_n", d),
    }
}

pub(super) fn options<T: Copy>(tr: Tr, all: &[T], code: impl Fn(T) -> &'static str, prefix: &str) -> Vec<Opt> {
    all.iter().map(|v| Opt::new(code(*v), tr.v(prefix, code(*v)))).collect()
}

pub(super) fn kind_options(tr: Tr) -> Vec<Opt> {
    CaseKind::ALL.iter().map(|k| Opt::new(k.as_str(), kind_with_article(tr, k.as_str()))).collect()
}

/// A field message of the service in the user's language. Where it names dates, they are
/// taken from the case and written the user's way.
pub(super) fn field_message(tr: Tr, case: Option<&CaseView>, msg: &str) -> String {
    let date_of = |f: fn(&CaseView) -> &str| case.map(|c| show_date(tr, f(c))).unwrap_or_default();
    const EXACT: &[(&str, &str)] = &[
        ("a date as YYYY-MM-DD", "dsr_ui.err_date"),
        ("a request cannot be received in the future", "dsr_ui.err_future"),
        ("at most 2000 characters, without control characters", "dsr_ui.err_text_2000"),
        ("at most 500 characters, without control characters", "dsr_ui.err_text_500"),
        ("not a contact id", "dsr_ui.err_contact_id"),
        ("no such contact", "dsr_ui.err_no_contact"),
        ("give the email address or phone number the request came from", "dsr_ui.err_evidence_missing"),
        ("say how the identity was checked", "dsr_ui.err_note_missing"),
        ("say why the case is cancelled", "dsr_ui.err_cancel_reason"),
        ("close as completed, rejected or cancelled", "dsr_ui.err_close_status"),
    ];
    if let Some((_, k)) = EXACT.iter().find(|(m, _)| *m == msg) {
        return tr.t(k).to_string();
    }
    const PARTS: &[(&str, &str)] = &[
        ("is not one the contact is known by", "dsr_ui.err_evidence_unknown"),
        ("needs more time", "dsr_ui.err_extend_reason"),
        ("say why the request is refused", "dsr_ui.err_reject_reason"),
        ("say why the contact is erased", "dsr_ui.err_erase_reason"),
        ("is not an erasure request of this contact", "dsr_ui.err_not_erasure"),
        ("must be one of", "dsr_ui.err_choice"),
    ];
    if let Some((_, k)) = PARTS.iter().find(|(m, _)| msg.contains(m)) {
        return tr.t(k).to_string();
    }
    if msg.starts_with("the person must be told between") {
        return tr
            .args("dsr_ui.err_informed_on", [("received", date_of(|c| &c.received_on).into()), ("due", date_of(|c| &c.due_on).into())]);
    }
    if msg.starts_with("the new deadline must lie after") {
        return tr.f("dsr_ui.err_new_due_after", date_of(|c| &c.due_on));
    }
    if msg.starts_with("at most two further months") {
        let latest = case.and_then(|c| parse_date(&c.received_on)).map(|r| fmt::date(tr.lang, obhut_core::dsr::latest_extension(r)));
        return tr.f("dsr_ui.err_new_due_latest", latest.unwrap_or_default());
    }
    tr.message(msg)
}

/// A refusal of the service (a conflict, or a contact already erased) in the user's language.
pub(super) fn refusal(tr: Tr, case: Option<&CaseView>, msg: &str) -> String {
    // "case DSR-2026-0001 …": the reference it names.
    let reference = msg.strip_prefix("case ").and_then(|r| r.split([' ', ':']).next()).unwrap_or_default().to_string();
    if msg.contains("of this kind is already open for this contact") {
        return tr.f("dsr_ui.err_already_open", reference);
    }
    if msg.contains("there is nothing left to ask about") {
        return tr.t("dsr_ui.err_contact_erased").to_string();
    }
    if msg.contains("check the requester's identity first") || msg.contains("before the requester's identity is checked") {
        return tr.t("dsr_ui.err_identity_first").to_string();
    }
    if msg.starts_with("case ") && msg.ends_with(" already") {
        let status = case.map(|c| status_label(tr, &c.status)).unwrap_or_default();
        return tr.args("dsr_ui.err_closed", [("case", reference.into()), ("status", status.into())]);
    }
    if msg.contains("was already extended") {
        return tr.t("dsr_ui.err_extended_once").to_string();
    }
    if msg.contains("an extension had to be sent to the person before it") {
        let due = case.map(|c| show_date(tr, &c.due_on)).unwrap_or_default();
        return tr.f("dsr_ui.err_extension_late", due);
    }
    if msg == CONTACT_MISSING {
        return tr.t("dsr_ui.err_contact_missing").to_string();
    }
    if let Some(day) = msg.strip_prefix("the contact was erased on ") {
        return tr.f("dsr_ui.err_erased_already", show_date(tr, day));
    }
    tr.message(msg)
}

/// The service's field problems at the form's fields (`remap`: service field → form field).
pub(super) fn errs_of(
    tr: Tr,
    case: Option<&CaseView>,
    v: &obhut_core::ValidationErrors,
    remap: &[(&str, &'static str)],
    known: &[&str],
) -> Errs {
    let mut out = Errs::none();
    for fe in &v.0 {
        let field = remap.iter().find(|(from, _)| *from == fe.field).map(|(_, to)| *to).unwrap_or(fe.field.as_str());
        let msg = field_message(tr, case, &fe.message);
        if known.contains(&field) {
            out.add(field, msg);
        } else {
            out.other.push(msg);
        }
    }
    out
}
