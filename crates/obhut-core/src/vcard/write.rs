//! Writing one contact as a vCard 4.0 (RFC 6350).

use super::escape::{caret_encode, escape};
use crate::contact::{ContactKind, ContactPersonal};

/// Labels written as a plain `TYPE`; the left side is the label we keep, the right the token.
const LABEL_TOKENS: &[(&str, &str)] = &[("work", "work"), ("home", "home"), ("mobile", "cell"), ("fax", "fax"), ("other", "other")];

/// Appends one content line, folded at 75 octets without splitting a UTF-8 character.
fn push_line(out: &mut String, line: &str) {
    let mut rest = line;
    let mut limit = 75;
    while rest.len() > limit {
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        out.push_str(&rest[..cut]);
        out.push_str("\r\n ");
        rest = &rest[cut..];
        // The continuation's leading space counts towards its 75 octets.
        limit = 74;
    }
    out.push_str(rest);
    out.push_str("\r\n");
}

fn type_param(label: Option<&str>) -> String {
    match label {
        None => String::new(),
        Some(l) => match LABEL_TOKENS.iter().find(|(k, _)| *k == l) {
            Some((_, token)) => format!(";TYPE={token}"),
            None => format!(";TYPE=\"{}\"", caret_encode(l)),
        },
    }
}

/// One contact as a vCard 4.0 (RFC 6350) with CRLF line endings. B2B or B2C travels in
/// `X-OBHUT-KIND`, which [`read_vcards`](crate::vcard::read_vcards) reads back; other programs ignore it.
pub fn write_vcard(
    uid: &str,
    kind: ContactKind,
    p: &ContactPersonal,
    organization_name: Option<&str>,
    language: Option<&str>,
    tags: &[String],
) -> String {
    let mut out = String::new();
    let mut line = |l: &str| push_line(&mut out, l);
    line("BEGIN:VCARD");
    line("VERSION:4.0");
    line("PRODID:-//Obhut//Obhut CRM//EN");
    line("KIND:individual");
    let uid = uid.trim();
    if uid.get(..4).is_some_and(|s| s.eq_ignore_ascii_case("urn:")) {
        line(&format!("UID:{uid}"));
    } else {
        line(&format!("UID:urn:uuid:{uid}"));
    }
    let full = [&p.title, &p.given_name, &p.family_name].into_iter().flatten().cloned().collect::<Vec<_>>().join(" ");
    let full = if full.is_empty() { p.primary_email().map(|e| e.to_string()).unwrap_or_default() } else { full };
    line(&format!("FN:{}", escape(&full)));
    let prefixes: Vec<String> = [&p.salutation, &p.title].into_iter().flatten().map(|s| escape(s)).collect();
    let esc = |v: &Option<String>| escape(v.as_deref().unwrap_or(""));
    line(&format!("N:{};{};;{};", esc(&p.family_name), esc(&p.given_name), prefixes.join(",")));
    let pref = |i: usize, n: usize| if i == 0 && n > 1 { ";PREF=1" } else { "" };
    for (i, e) in p.emails.iter().enumerate() {
        line(&format!("EMAIL{}{}:{}", pref(i, p.emails.len()), type_param(e.label.as_deref()), escape(e.address.as_str())));
    }
    for (i, t) in p.phones.iter().enumerate() {
        line(&format!("TEL;VALUE=uri{}{}:tel:{}", pref(i, p.phones.len()), type_param(t.label.as_deref()), t.number.as_str()));
    }
    for (i, a) in p.addresses.iter().enumerate() {
        line(&format!(
            "ADR{}{}:;;{};{};;{};{}",
            pref(i, p.addresses.len()),
            type_param(a.label.as_deref()),
            esc(&a.street),
            esc(&a.city),
            esc(&a.postal_code),
            esc(&a.country)
        ));
    }
    if let Some(o) = organization_name.map(str::trim).filter(|o| !o.is_empty()) {
        line(&format!("ORG:{}", escape(o)));
    }
    if let Some(t) = &p.job_title {
        line(&format!("TITLE:{}", escape(t)));
    }
    if let Some(b) = p.birthday {
        line(&format!("BDAY:{:04}{:02}{:02}", b.year(), u8::from(b.month()), b.day()));
    }
    if let Some(n) = &p.notes {
        line(&format!("NOTE:{}", escape(n)));
    }
    if let Some(l) = language.map(str::trim).filter(|l| !l.is_empty()) {
        line(&format!("LANG:{}", escape(l)));
    }
    if !tags.is_empty() {
        line(&format!("CATEGORIES:{}", tags.iter().map(|t| escape(t)).collect::<Vec<_>>().join(",")));
    }
    line(&format!("X-OBHUT-KIND:{}", kind.as_str()));
    line("END:VCARD");
    out
}
