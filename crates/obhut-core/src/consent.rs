//! Consent and marketing permission: the ledger's events, the status derived from them (never
//! stored as a loose flag), and the one pure function that answers "may we approach this
//! contact, on this channel, for this purpose and topic, now?" under GDPR and UWG § 7.

use serde::{Deserialize, Serialize};

/// Channels of direct marketing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Phone,
    Sms,
    Post,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Self::Email, Self::Phone, Self::Sms, Self::Post];
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "email" | "e-mail" => Ok(Self::Email),
            "phone" | "telefon" => Ok(Self::Phone),
            "sms" => Ok(Self::Sms),
            "post" | "postal" | "brief" => Ok(Self::Post),
            other => Err(format!("'{}' is not a channel: use email, phone, sms or post", crate::email::shorten(other))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Sms => "sms",
            Self::Post => "post",
        }
    }
    /// Electronic mail in the sense of § 7(2) Nr. 2 and § 7(3) UWG.
    pub fn is_electronic_mail(self) -> bool {
        matches!(self, Self::Email | Self::Sms)
    }
}

/// What happened, as the ledger records it. Objections (Art. 21) are events of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A double opt-in request was sent; nothing counts yet.
    Requested,
    /// The person gave consent (on paper, in a recorded call, by API, or the first step of a
    /// web form that needs confirming).
    Given,
    /// The double opt-in link was confirmed.
    Confirmed,
    Refused,
    Withdrawn,
    /// Ended by the review of old consents.
    Expired,
    /// Confirmed again when it came up for review.
    Renewed,
    /// Objection to direct marketing on the channel (Art. 21(3), § 7(1) sentence 2 UWG).
    Objected,
    /// The person took the objection back (only by their own declaration).
    ObjectionLifted,
    /// The facts of § 7(3) UWG or a business's presumed consent were recorded (in `facts`,
    /// the reason in the evidence). Not a consent: the status ignores it.
    BasisRecorded,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Given => "given",
            Self::Confirmed => "confirmed",
            Self::Refused => "refused",
            Self::Withdrawn => "withdrawn",
            Self::Expired => "expired",
            Self::Renewed => "renewed",
            Self::Objected => "objected",
            Self::ObjectionLifted => "objection_lifted",
            Self::BasisRecorded => "basis_recorded",
        }
    }
    /// The kind as stored (its exact name), read without decoding: a ledger walk reads millions.
    pub fn from_stored(b: &[u8]) -> Option<Self> {
        Some(match b {
            b"requested" => Self::Requested,
            b"given" => Self::Given,
            b"confirmed" => Self::Confirmed,
            b"refused" => Self::Refused,
            b"withdrawn" => Self::Withdrawn,
            b"expired" => Self::Expired,
            b"renewed" => Self::Renewed,
            b"objected" => Self::Objected,
            b"objection_lifted" => Self::ObjectionLifted,
            b"basis_recorded" => Self::BasisRecorded,
            _ => return None,
        })
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Some(k) = Self::from_stored(s.as_bytes()) {
            return Ok(k);
        }
        serde_json::from_value(serde_json::Value::String(s.trim().to_lowercase()))
            .map_err(|_| format!("'{}' is not a consent event: use requested, given, confirmed, refused, withdrawn, expired, renewed, objected, objection_lifted or basis_recorded", crate::email::shorten(s)))
    }
}

/// How the declaration was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// A web form with double opt-in: counts only once confirmed.
    WebFormDoubleOptIn,
    Paper,
    RecordedCall,
    Import,
    Api,
    /// Recorded by staff in the UI (e.g. an out-of-band confirmation with its evidence).
    Staff,
    /// The unsubscribe link of a mail (RFC 8058 one-click or the page it opens).
    UnsubscribeLink,
    /// Decided by the review of old consents.
    Review,
}

impl Method {
    /// The method as stored (its exact name), read without decoding.
    pub fn from_stored(b: &[u8]) -> Option<Self> {
        Some(match b {
            b"web_form_double_opt_in" => Self::WebFormDoubleOptIn,
            b"paper" => Self::Paper,
            b"recorded_call" => Self::RecordedCall,
            b"import" => Self::Import,
            b"api" => Self::Api,
            b"staff" => Self::Staff,
            b"unsubscribe_link" => Self::UnsubscribeLink,
            b"review" => Self::Review,
            _ => return None,
        })
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Some(m) = Self::from_stored(s.as_bytes()) {
            return Ok(m);
        }
        serde_json::from_value(serde_json::Value::String(s.trim().to_lowercase())).map_err(|_| {
            format!(
                "'{}' is not a method: use web_form_double_opt_in, paper, recorded_call, import, api, staff, unsubscribe_link or review",
                crate::email::shorten(s)
            )
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WebFormDoubleOptIn => "web_form_double_opt_in",
            Self::Paper => "paper",
            Self::RecordedCall => "recorded_call",
            Self::Import => "import",
            Self::Api => "api",
            Self::Staff => "staff",
            Self::UnsubscribeLink => "unsubscribe_link",
            Self::Review => "review",
        }
    }
}

impl Method {
    /// Whether consent given this way counts only after the double opt-in confirmation.
    pub fn needs_confirmation(self) -> bool {
        matches!(self, Self::WebFormDoubleOptIn)
    }
}

/// The derived status, named as the W3C Data Privacy Vocabulary names consent states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    /// dpv:ConsentUnknown: no event.
    Unknown,
    /// dpv:ConsentRequested: asked, or given but not yet confirmed.
    Requested,
    /// dpv:ConsentGiven (confirmed where confirmation is needed).
    Given,
    /// dpv:RenewedConsentGiven.
    Renewed,
    /// dpv:ConsentRefused.
    Refused,
    /// dpv:ConsentWithdrawn.
    Withdrawn,
    /// dpv:ConsentExpired.
    Expired,
}

impl Status {
    pub fn dpv(self) -> &'static str {
        match self {
            Self::Unknown => "dpv:ConsentUnknown",
            Self::Requested => "dpv:ConsentRequested",
            Self::Given => "dpv:ConsentGiven",
            Self::Renewed => "dpv:RenewedConsentGiven",
            Self::Refused => "dpv:ConsentRefused",
            Self::Withdrawn => "dpv:ConsentWithdrawn",
            Self::Expired => "dpv:ConsentExpired",
        }
    }
    /// Whether this status permits processing based on consent.
    pub fn valid(self) -> bool {
        matches!(self, Self::Given | Self::Renewed)
    }
}

/// One event of the ledger as the rules see it (the stored event carries its evidence too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEvent {
    /// Milliseconds since 1970.
    pub at: i64,
    pub kind: EventKind,
    pub method: Method,
}

/// Folds the events of one contact × purpose × channel × topic, in time order, into its status.
pub fn status(events: &[LedgerEvent]) -> Status {
    status_of(events)
}

/// [`status`] over any sequence of events in time order (audiences fold without copying).
pub fn status_of<'a>(events: impl IntoIterator<Item = &'a LedgerEvent>) -> Status {
    let mut s = Status::Unknown;
    // A web-form consent waits for its confirmation.
    let mut pending = false;
    for e in events {
        s = match e.kind {
            EventKind::Requested => {
                pending = true;
                if s.valid() {
                    s
                } else {
                    Status::Requested
                }
            }
            EventKind::Given if e.method.needs_confirmation() => {
                pending = true;
                if s.valid() {
                    s
                } else {
                    Status::Requested
                }
            }
            EventKind::Given => {
                pending = false;
                Status::Given
            }
            EventKind::Confirmed if pending => {
                pending = false;
                Status::Given
            }
            // A confirmation nobody asked for (or of a withdrawn request) changes nothing.
            EventKind::Confirmed => s,
            EventKind::Renewed if s.valid() => Status::Renewed,
            EventKind::Renewed => s,
            EventKind::Refused => {
                pending = false;
                Status::Refused
            }
            EventKind::Withdrawn => {
                pending = false;
                Status::Withdrawn
            }
            EventKind::Expired => {
                pending = false;
                Status::Expired
            }
            EventKind::Objected | EventKind::ObjectionLifted | EventKind::BasisRecorded => s,
        };
    }
    s
}

/// The § 7(3) and presumed-consent facts as last recorded (the newest `basis_recorded` event).
pub fn latest_facts<'a>(events: impl DoubleEndedIterator<Item = (&'a LedgerEvent, &'a Facts)>) -> Facts {
    events.rev().find(|(e, _)| e.kind == EventKind::BasisRecorded).map(|(_, f)| *f).unwrap_or_default()
}

/// Whether an objection to direct marketing on the channel stands (the last objection event
/// decides).
pub fn objection_stands(events: &[LedgerEvent]) -> bool {
    objection_stands_in(events.iter())
}

/// [`objection_stands`] over any sequence of events in time order.
pub fn objection_stands_in<'a>(events: impl DoubleEndedIterator<Item = &'a LedgerEvent>) -> bool {
    events.rev().find_map(|e| match e.kind {
        EventKind::Objected => Some(true),
        EventKind::ObjectionLifted => Some(false),
        _ => None,
    }) == Some(true)
}

/// The four conditions of § 7(3) UWG, each as recorded for the contact's address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ExistingCustomer {
    /// The address came from the customer in connection with a sale.
    pub address_from_sale: bool,
    /// The mail advertises our own goods or services similar to those bought.
    pub own_similar_products: bool,
    /// The customer was told clearly at collection that they may object at any time.
    pub notice_at_collection: bool,
    /// Every mail repeats that notice (the mail template says so).
    pub notice_in_every_mail: bool,
}

impl ExistingCustomer {
    pub fn all_hold(&self) -> bool {
        self.address_from_sale && self.own_similar_products && self.notice_at_collection && self.notice_in_every_mail
    }
}

/// What the permission rule needs to know about one contact on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Situation {
    pub channel: Channel,
    /// A consumer (B2C) or a business's contact person (B2B).
    pub consumer: bool,
    /// The consent status for this purpose, channel and topic.
    pub consent: Status,
    /// An objection to direct marketing on this channel stands.
    pub objected: bool,
    /// Processing is restricted (Art. 18).
    pub restricted: bool,
    /// § 7(3) UWG evidence for email/SMS to existing customers, where recorded.
    pub existing_customer: Option<ExistingCustomer>,
    /// For business phone calls: the recorded reason for presumed consent (a concrete factual
    /// interest of that business, judged before the call).
    pub presumed_consent_reason: Option<String>,
    /// The installation requires consent for postal advertising too.
    pub post_requires_consent: bool,
}

/// The answer: allowed or not, and why (a stable code and its legal ground).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Permission {
    pub allowed: bool,
    pub reason: Reason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Art. 18: restricted data is only stored.
    Restricted,
    /// Art. 21(3) GDPR, § 7(1) sentence 2 UWG: objection to direct marketing.
    Objected,
    /// Valid consent for this purpose, channel and topic.
    Consent,
    /// Consent was withdrawn, refused, expired, or never given / not yet confirmed.
    NoConsent,
    /// § 7(3) UWG: all four conditions for existing customers hold.
    ExistingCustomer,
    /// § 7(3) UWG: some of the four conditions are missing.
    ExistingCustomerIncomplete,
    /// § 7(2) Nr. 1 UWG: presumed consent of a business, with its recorded reason.
    PresumedConsent,
    /// Art. 6(1)(f), recital 47: postal advertising until objection.
    LegitimateInterestPost,
}

impl Reason {
    /// The stable code, as serialized.
    pub fn code(self) -> &'static str {
        match self {
            Self::Restricted => "restricted",
            Self::Objected => "objected",
            Self::Consent => "consent",
            Self::NoConsent => "no_consent",
            Self::ExistingCustomer => "existing_customer",
            Self::ExistingCustomerIncomplete => "existing_customer_incomplete",
            Self::PresumedConsent => "presumed_consent",
            Self::LegitimateInterestPost => "legitimate_interest_post",
        }
    }
    pub fn explain(self) -> &'static str {
        match self {
            Self::Restricted => "processing is restricted (Art. 18 GDPR): the contact is only stored",
            Self::Objected => "the person objected to direct marketing on this channel (Art. 21(3) GDPR, § 7(1) UWG)",
            Self::Consent => "valid consent for this purpose, channel and topic",
            Self::NoConsent => "no valid consent: it was never given or confirmed, or it was refused, withdrawn or expired",
            Self::ExistingCustomer => "existing customer: all four conditions of § 7(3) UWG are recorded",
            Self::ExistingCustomerIncomplete => "no consent, and the four conditions of § 7(3) UWG are not all recorded",
            Self::PresumedConsent => "business contact with presumed consent and its recorded reason (§ 7(2) Nr. 1 UWG)",
            Self::LegitimateInterestPost => "postal advertising under legitimate interest until objection (Art. 6(1)(f), recital 47 GDPR)",
        }
    }
}

fn allow(reason: Reason) -> Permission {
    Permission { allowed: true, reason }
}

fn deny(reason: Reason) -> Permission {
    Permission { allowed: false, reason }
}

/// May we approach this contact on this channel, for this purpose and topic, now?
pub fn may_approach(s: &Situation) -> Permission {
    if s.restricted {
        return deny(Reason::Restricted);
    }
    // An objection ends direct marketing on the channel at once, whatever consent says.
    if s.objected {
        return deny(Reason::Objected);
    }
    if s.consent.valid() {
        return allow(Reason::Consent);
    }
    match s.channel {
        Channel::Phone if s.consumer => deny(Reason::NoConsent),
        Channel::Phone => match s.presumed_consent_reason.as_deref().map(str::trim) {
            Some(r) if !r.is_empty() => allow(Reason::PresumedConsent),
            _ => deny(Reason::NoConsent),
        },
        Channel::Email | Channel::Sms => match s.existing_customer {
            // Withdrawn or refused consent is a "no" the existing-customer rule cannot override.
            Some(_) if matches!(s.consent, Status::Withdrawn | Status::Refused) => deny(Reason::NoConsent),
            Some(ec) if ec.all_hold() => allow(Reason::ExistingCustomer),
            Some(_) => deny(Reason::ExistingCustomerIncomplete),
            None => deny(Reason::NoConsent),
        },
        Channel::Post if s.post_requires_consent => deny(Reason::NoConsent),
        Channel::Post if matches!(s.consent, Status::Withdrawn | Status::Refused) => deny(Reason::Objected),
        Channel::Post => allow(Reason::LegitimateInterestPost),
    }
}

/// What the ledger keeps as evidence of one event. Sealed under the contact's key: an IP
/// address, a user agent and a recording reference are personal data.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The IP address the declaration came from, truncated (IPv4 to /24, IPv6 to /48).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// When the double opt-in link was confirmed (ms since 1970).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<i64>,
    /// Where a recorded call or a paper form is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_ref: Option<String>,
    /// The address, number or postal address the declaration concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// For presumed consent of a business (§ 7(2) Nr. 1 UWG): the concrete reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Evidence {
    /// Refuses evidence fields that are too long or hold control characters, naming the field.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let fields: [(&'static str, &Option<String>, usize); 6] = [
            ("ip", &self.ip, 64),
            ("user_agent", &self.user_agent, 512),
            ("recording_ref", &self.recording_ref, 512),
            ("address", &self.address, 320),
            ("reason", &self.reason, 2000),
            ("note", &self.note, 2000),
        ];
        for (name, v, max) in fields {
            if let Some(v) = v {
                if v.chars().count() > max {
                    return Err((name, format!("at most {max} characters")));
                }
                if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                    return Err((name, "control characters are not allowed".into()));
                }
            }
        }
        Ok(())
    }
}

/// Truncates an IP address for the evidence (IPv4 to its /24, IPv6 to its /48): enough to
/// show where a declaration came from, not enough to name a connection.
pub fn truncate_ip(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0", o[0], o[1], o[2])
        }
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => truncate_ip(std::net::IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}::", s[0], s[1], s[2])
            }
        },
    }
}

/// A topic within a purpose (e.g. "events" of the newsletter); empty: the purpose as a whole.
pub fn check_topic(topic: &str) -> Result<String, String> {
    let t = topic.trim();
    if t.len() > 64 || !t.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-') {
        return Err("use up to 64 lowercase letters, digits, - and _ (or nothing for the whole purpose)".into());
    }
    Ok(t.to_string())
}

/// The § 7(3) UWG facts and a business's presumed consent, as recorded for a contact and
/// channel: not personal data (yes/no answers), so kept readable beside the sealed evidence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub existing_customer: Option<ExistingCustomer>,
    /// A reason for presumed consent is recorded (the reason itself is in the evidence).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub presumed_consent: bool,
}

/// The notice a person sees when asked: kept word for word, versioned, hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: String,
    pub purpose: String,
    pub channel: Channel,
    pub language: String,
    pub version: i64,
    pub text: String,
    /// SHA-256 of the text, hex.
    pub sha256: String,
}

/// The notice texts a new installation starts with, for the newsletter by email.
pub fn default_notice(purpose: &str, channel: Channel, language: &str) -> Option<String> {
    match (purpose, channel, language) {
        ("newsletter", Channel::Email, "de") => Some(
            "Ja, ich möchte den Newsletter per E-Mail erhalten: Informationen zu Produkten, Angeboten und Veranstaltungen. \
             Meine E-Mail-Adresse wird nur dafür genutzt. Die Einwilligung kann ich jederzeit mit Wirkung für die Zukunft \
             widerrufen, über den Abmeldelink in jeder E-Mail oder formlos an uns (Art. 7 Abs. 3 DSGVO)."
                .into(),
        ),
        ("newsletter", Channel::Email, _) => Some(
            "Yes, I would like to receive the newsletter by email: news about products, offers and events. My email \
             address is used for this only. I can withdraw this consent at any time with effect for the future, through \
             the unsubscribe link in every email or by telling you (Art. 7(3) GDPR)."
                .into(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(at: i64, kind: EventKind, method: Method) -> LedgerEvent {
        LedgerEvent { at, kind, method }
    }

    #[test]
    fn status_is_derived_from_the_ledger() {
        use EventKind::*;
        use Method::*;
        let cases: Vec<(Vec<LedgerEvent>, Status)> = vec![
            (vec![], Status::Unknown),
            (vec![ev(1, Requested, WebFormDoubleOptIn)], Status::Requested),
            (vec![ev(1, Given, WebFormDoubleOptIn)], Status::Requested),
            (vec![ev(1, Given, WebFormDoubleOptIn), ev(2, Confirmed, WebFormDoubleOptIn)], Status::Given),
            (vec![ev(1, Requested, WebFormDoubleOptIn), ev(2, Confirmed, WebFormDoubleOptIn)], Status::Given),
            (vec![ev(1, Given, Paper)], Status::Given),
            (vec![ev(1, Given, RecordedCall), ev(2, Withdrawn, Api)], Status::Withdrawn),
            (vec![ev(1, Given, Paper), ev(2, Renewed, Staff)], Status::Renewed),
            (vec![ev(1, Given, Paper), ev(2, Expired, Staff)], Status::Expired),
            (vec![ev(1, Refused, Staff)], Status::Refused),
            // A confirmation after a withdrawal does not revive the request.
            (vec![ev(1, Requested, WebFormDoubleOptIn), ev(2, Withdrawn, Api), ev(3, Confirmed, WebFormDoubleOptIn)], Status::Withdrawn),
            // A confirmation nobody asked for counts for nothing.
            (vec![ev(1, Confirmed, WebFormDoubleOptIn)], Status::Unknown),
            // Renewing what was withdrawn does not make it valid again.
            (vec![ev(1, Given, Paper), ev(2, Withdrawn, Api), ev(3, Renewed, Staff)], Status::Withdrawn),
            // A new request while consent stands keeps it standing.
            (vec![ev(1, Given, Paper), ev(2, Requested, WebFormDoubleOptIn)], Status::Given),
            // Given again after a withdrawal.
            (vec![ev(1, Given, Paper), ev(2, Withdrawn, Api), ev(3, Given, Paper)], Status::Given),
        ];
        for (events, expected) in cases {
            assert_eq!(status(&events), expected, "{events:?}");
        }
    }

    #[test]
    fn the_last_objection_event_decides() {
        use EventKind::*;
        assert!(!objection_stands(&[]));
        assert!(objection_stands(&[ev(1, Objected, Method::Api)]));
        assert!(!objection_stands(&[ev(1, Objected, Method::Api), ev(2, ObjectionLifted, Method::Paper)]));
        assert!(objection_stands(&[ev(1, Objected, Method::Api), ev(2, Given, Method::Paper)]));
    }

    fn situation(channel: Channel, consumer: bool, consent: Status) -> Situation {
        Situation {
            channel,
            consumer,
            consent,
            objected: false,
            restricted: false,
            existing_customer: None,
            presumed_consent_reason: None,
            post_requires_consent: false,
        }
    }

    const ALL_FOUR: ExistingCustomer =
        ExistingCustomer { address_from_sale: true, own_similar_products: true, notice_at_collection: true, notice_in_every_mail: true };

    #[test]
    fn every_rule_of_the_channel_table() {
        use Channel::*;
        use Reason::*;
        type Change = fn(&mut Situation);
        let none: Change = |_| {};
        let cases: Vec<(&str, Channel, bool, Status, Change, bool, Reason)> = vec![
            ("consumer phone needs consent", Phone, true, Status::Unknown, none, false, NoConsent),
            ("consumer phone with consent", Phone, true, Status::Given, none, true, Consent),
            (
                "consumer phone, presumed consent does not count",
                Phone,
                true,
                Status::Unknown,
                |s| s.presumed_consent_reason = Some("Bedarf".into()),
                false,
                NoConsent,
            ),
            (
                "business phone with presumed consent and reason",
                Phone,
                false,
                Status::Unknown,
                |s| s.presumed_consent_reason = Some("Anfrage auf der Messe zu Hydraulikpumpen".into()),
                true,
                PresumedConsent,
            ),
            (
                "business phone, presumed consent without reason",
                Phone,
                false,
                Status::Unknown,
                |s| s.presumed_consent_reason = Some("  ".into()),
                false,
                NoConsent,
            ),
            ("business phone with consent", Phone, false, Status::Renewed, none, true, Consent),
            ("consumer email needs consent", Email, true, Status::Unknown, none, false, NoConsent),
            ("business email needs consent too", Email, false, Status::Unknown, none, false, NoConsent),
            ("email consent requested, not confirmed", Email, true, Status::Requested, none, false, NoConsent),
            ("email with confirmed consent", Email, true, Status::Given, none, true, Consent),
            (
                "email to an existing customer, all four hold",
                Email,
                true,
                Status::Unknown,
                |s| s.existing_customer = Some(ALL_FOUR),
                true,
                ExistingCustomer,
            ),
            (
                "sms to an existing customer, all four hold",
                Sms,
                true,
                Status::Unknown,
                |s| s.existing_customer = Some(ALL_FOUR),
                true,
                ExistingCustomer,
            ),
            (
                "existing customer without notice in every mail",
                Email,
                true,
                Status::Unknown,
                |s| s.existing_customer = Some(super::ExistingCustomer { notice_in_every_mail: false, ..ALL_FOUR }),
                false,
                ExistingCustomerIncomplete,
            ),
            (
                "existing customer, address not from a sale",
                Email,
                true,
                Status::Unknown,
                |s| s.existing_customer = Some(super::ExistingCustomer { address_from_sale: false, ..ALL_FOUR }),
                false,
                ExistingCustomerIncomplete,
            ),
            (
                "existing customer, other products",
                Email,
                true,
                Status::Unknown,
                |s| s.existing_customer = Some(super::ExistingCustomer { own_similar_products: false, ..ALL_FOUR }),
                false,
                ExistingCustomerIncomplete,
            ),
            (
                "existing customer, no notice at collection",
                Email,
                true,
                Status::Unknown,
                |s| s.existing_customer = Some(super::ExistingCustomer { notice_at_collection: false, ..ALL_FOUR }),
                false,
                ExistingCustomerIncomplete,
            ),
            (
                "existing customer who withdrew consent",
                Email,
                true,
                Status::Withdrawn,
                |s| s.existing_customer = Some(ALL_FOUR),
                false,
                NoConsent,
            ),
            (
                "existing customer who objected",
                Email,
                true,
                Status::Unknown,
                |s| {
                    s.existing_customer = Some(ALL_FOUR);
                    s.objected = true;
                },
                false,
                Objected,
            ),
            ("sms needs consent", Sms, false, Status::Unknown, none, false, NoConsent),
            ("expired consent", Email, true, Status::Expired, none, false, NoConsent),
            ("post under legitimate interest", Post, true, Status::Unknown, none, true, LegitimateInterestPost),
            ("post after objection", Post, true, Status::Given, |s| s.objected = true, false, Objected),
            (
                "post when the installation requires consent",
                Post,
                true,
                Status::Unknown,
                |s| s.post_requires_consent = true,
                false,
                NoConsent,
            ),
            ("post with consent where it is required", Post, false, Status::Given, |s| s.post_requires_consent = true, true, Consent),
            ("post after a withdrawn consent", Post, true, Status::Withdrawn, none, false, Objected),
            ("objection beats consent", Email, true, Status::Given, |s| s.objected = true, false, Objected),
            ("objection beats phone consent", Phone, true, Status::Given, |s| s.objected = true, false, Objected),
            ("restriction beats everything", Email, true, Status::Given, |s| s.restricted = true, false, Restricted),
            ("restriction beats post", Post, true, Status::Unknown, |s| s.restricted = true, false, Restricted),
        ];
        for (name, channel, consumer, consent, change, allowed, reason) in cases {
            let mut s = situation(channel, consumer, consent);
            change(&mut s);
            assert_eq!(may_approach(&s), Permission { allowed, reason }, "{name}");
        }
    }

    #[test]
    fn channels_and_events_parse_and_name_what_they_accept() {
        assert_eq!(Channel::parse("E-Mail"), Ok(Channel::Email));
        assert!(Channel::parse("fax").unwrap_err().contains("email, phone, sms or post"));
        assert_eq!(EventKind::parse("withdrawn"), Ok(EventKind::Withdrawn));
        assert!(EventKind::parse("maybe").is_err());
        assert_eq!(Status::Renewed.dpv(), "dpv:RenewedConsentGiven");
    }

    #[test]
    fn ip_addresses_are_truncated_and_topics_checked() {
        use std::net::IpAddr;
        let ip = |s: &str| s.parse::<IpAddr>().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        assert_eq!(truncate_ip(ip("203.0.113.77")), "203.0.113.0");
        assert_eq!(truncate_ip(ip("2001:db8:abcd:12::1")), "2001:db8:abcd::");
        assert_eq!(truncate_ip(ip("::ffff:198.51.100.9")), "198.51.100.0");
        assert_eq!(check_topic(" events "), Ok("events".into()));
        assert_eq!(check_topic(""), Ok(String::new()));
        assert!(check_topic("Events!").is_err());
        let e = Evidence { user_agent: Some("x\u{7}".into()), ..Default::default() };
        assert_eq!(e.check().map_err(|e| e.0), Err("user_agent"));
        assert!(default_notice("newsletter", Channel::Email, "de").is_some());
        assert!(default_notice("newsletter", Channel::Phone, "de").is_none());
    }
}
