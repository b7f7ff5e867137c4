//! Deterministic demo data: realistic German and European contacts, organizations,
//! activities, deals and tickets, each a pure function of a seed and an index.
//!
//! Nothing here belongs to a real person: email addresses use only the reserved domains
//! example.com, example.org and example.net (RFC 2606), and VAT ids carry a wrong check digit
//! on purpose, so none can be a real company's. No random number generator: every value comes
//! from splitmix64 over (seed, stream, index), so the same seed gives the same data everywhere.

mod business;
mod people;
mod rng;
#[cfg(test)]
mod tests;

use crate::activity::ActivityKind;
use crate::contact::{AddressInput, ContactInput, EmailInput, PhoneInput};
use crate::organization::OrganizationInput;
use crate::search::fold;
use business::{
    CALLS, COMPLAINTS, DEALS, EMAILS, INDUSTRIES, LEGAL_FORMS, MEETINGS, MONTHS, NOTES, ORDERS, ORG_TAGS, PRODUCTS, TICKET_COMPLAINTS,
    TICKET_SERVICE, TOPICS, WEEKDAYS,
};
use people::{CITIES, CONTACT_NOTES, DOMAINS, FAMILY, FEMALE, JOBS, MALE, MOBILE, STREETS, TAGS};
use rng::{splitmix64, Rng};

/// A source of demo data; `Demo::new(seed).contact(i)` is the same on every machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Demo {
    seed: u64,
}

// Streams keep the values of one kind independent of those of another.
const STREAM_CONTACT: u64 = 1;
const STREAM_B2B: u64 = 2;
const STREAM_ORGANIZATION: u64 = 3;
const STREAM_ACTIVITY: u64 = 4;
const STREAM_DEAL: u64 = 5;
const STREAM_TICKET: u64 = 6;

/// Letters and digits of a name in ASCII: "Jörg Müller-Thurgau" is "joergmuellerthurgau".
fn slug(s: &str) -> String {
    fold(s).chars().filter(char::is_ascii_alphanumeric).collect()
}

/// ISO 7064 MOD 11,10, the check digit of a German VAT id over its first eight digits.
fn vat_check_digit(digits: &[u8]) -> u8 {
    let mut product = 10u8;
    for d in digits {
        let mut sum = (d + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (2 * sum) % 11;
    }
    let check = 11 - product;
    if check == 10 {
        0
    } else {
        check
    }
}

impl Demo {
    pub fn new(seed: u64) -> Self {
        Self { seed }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn rng(&self, stream: u64, i: u64) -> Rng {
        Rng(splitmix64(splitmix64(self.seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03)) ^ i))
    }

    /// Fills `{n}`, `{qty}`, `{product}`… in a template.
    fn fill(r: &mut Rng, template: &str) -> String {
        let mut s = template.to_string();
        let values: [(&str, String); 12] = [
            ("{n}", r.range(10_000, 99_999).to_string()),
            ("{qty}", r.range(2, 250).to_string()),
            ("{amount}", format!("{}.{:03}", r.range(1, 240), r.below(1000))),
            ("{pct}", r.range(3, 25).to_string()),
            ("{week}", r.range(2, 51).to_string()),
            ("{year}", r.range(2024, 2027).to_string()),
            ("{hour}", r.range(8, 17).to_string()),
            ("{weekday}", r.pick(WEEKDAYS).to_string()),
            ("{month}", r.pick(MONTHS).to_string()),
            ("{product}", r.pick(PRODUCTS).to_string()),
            ("{topic}", r.pick(TOPICS).to_string()),
            ("{city}", r.pick(CITIES).0.to_string()),
        ];
        for (k, v) in values {
            s = s.replace(k, &v);
        }
        s
    }

    /// A German landline in the city's area code, or a mobile number. The subscriber number
    /// is a bijection of `unique` (below 8 million), so no two contacts share a number.
    fn phone(r: &mut Rng, area: Option<&str>, unique: u64) -> String {
        let international = r.chance(40);
        let (prefix, len) = match area.filter(|c| c.len() <= 3 && r.chance(65)) {
            Some(code) => (code, if code.len() == 2 { 8 } else { 7 }),
            None => r.pick(MOBILE),
        };
        // First digit 2-9 (a national number never starts with 0 or 1), then len-1 digits.
        let rest = 10u64.pow(len as u32 - 1);
        let v = (unique.wrapping_mul(7_654_321).wrapping_add(1_234_567)) % (8 * rest);
        let number = format!("{}{:0width$}", 2 + v / rest, v % rest, width = len - 1);
        if international {
            format!("+49 {prefix} {number}")
        } else {
            format!("0{prefix} {number}")
        }
    }

    fn address(r: &mut Rng) -> (AddressInput, Option<&'static str>) {
        let (city, codes, country, area) = r.pick(CITIES);
        let mut number = r.range(1, 120).to_string();
        if r.chance(10) {
            number.push(char::from(b'a' + r.below(3) as u8));
        }
        let a = AddressInput {
            label: None,
            street: Some(format!("{} {number}", r.pick(STREETS))),
            postal_code: Some(r.pick(codes).to_string()),
            city: Some(city.to_string()),
            country: Some(country.to_string()),
            purposes: None,
        };
        (a, area)
    }

    /// Contact number `i`. `kind` and `organization_id` are left to the caller: a contact for
    /// which [`Demo::contact_is_b2b`] holds belongs to an organization (and has a job title).
    pub fn contact(&self, i: u64) -> ContactInput {
        let mut r = self.rng(STREAM_CONTACT, i);
        let female = r.chance(50);
        let given = if female { r.pick(FEMALE) } else { r.pick(MALE) };
        let family = r.pick(FAMILY);
        let language = match r.below(100) {
            0..=84 => "de",
            85..=91 => "en",
            92..=95 => "fr",
            _ => "nl",
        };
        let salutation = match (language, female) {
            ("en", true) => "Ms.",
            ("en", false) => "Mr.",
            ("fr", true) => "Madame",
            ("fr", false) => "Monsieur",
            ("nl", true) => "Mevrouw",
            ("nl", false) => "De heer",
            (_, true) => "Frau",
            (_, false) => "Herr",
        };
        let title = match r.below(100) {
            0..=6 => Some("Dr."),
            7 => Some("Prof. Dr."),
            _ => None,
        };
        let (g, f) = (slug(given), slug(family));
        // The index ends every local part (after a letter), so no two contacts share an address.
        let local = match r.below(4) {
            0 => format!("{g}.{f}{i}"),
            1 => format!("{}.{f}{i}", g.chars().next().unwrap_or('x')),
            2 => format!("{f}.{g}{i}"),
            _ => format!("{g}_{f}{i}"),
        };
        let email = format!("{local}@{}", r.pick(DOMAINS));
        let (address, area) = Self::address(&mut r);
        let phone = Self::phone(&mut r, area, i);
        let birthday = r.chance(55).then(|| format!("{}-{:02}-{:02}", r.range(1945, 2004), r.range(1, 12), r.range(1, 28)));
        let mut tags: Vec<String> = Vec::new();
        for _ in 0..r.below(3) {
            let t = r.pick(TAGS).to_string();
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let notes = r.chance(20).then(|| r.pick(CONTACT_NOTES).to_string());
        let job_title = self.contact_is_b2b(i).then(|| r.pick(JOBS).to_string());
        ContactInput {
            salutation: r.chance(95).then(|| salutation.to_string()),
            title: title.map(str::to_string),
            given_name: Some(given.to_string()),
            family_name: Some(family.to_string()),
            emails: Some(vec![EmailInput { address: email, label: None, purposes: None }]),
            phones: Some(vec![PhoneInput { number: phone, label: None, purposes: None }]),
            addresses: Some(vec![address]),
            job_title,
            birthday,
            language: Some(language.to_string()),
            tags: Some(tags),
            notes,
            ..Default::default()
        }
    }

    /// Whether contact `i` is the contact person of an organization (about 30 %).
    pub fn contact_is_b2b(&self, i: u64) -> bool {
        self.rng(STREAM_B2B, i).chance(30)
    }

    /// Organization number `i`, such as "Müller Maschinenbau GmbH".
    pub fn organization(&self, i: u64) -> OrganizationInput {
        let mut r = self.rng(STREAM_ORGANIZATION, i);
        let (industry, word) = r.pick(INDUSTRIES);
        let (f1, f2) = (r.pick(FAMILY), r.pick(FAMILY));
        let legal = r.pick(LEGAL_FORMS);
        let (address, area) = Self::address(&mut r);
        let city = address.city.clone().unwrap_or_default();
        let name = match r.below(5) {
            0 | 1 => format!("{f1} {word} {legal}"),
            2 => format!("{f1} & Partner {word}"),
            3 if f1 != f2 => format!("{f1} & {f2} {legal}"),
            _ => format!("{word} {city} {legal}"),
        };
        let base = slug(name.split(" GmbH").next().unwrap_or(&name));
        let base: String = base.chars().take(30).collect();
        let mut vat: Vec<u8> = vec![r.range(1, 3) as u8];
        vat.extend((0..7).map(|_| r.below(10) as u8));
        // The wrong check digit, on purpose: a demo VAT id must never be a real company's.
        vat.push((vat_check_digit(&vat) + 1 + r.below(9) as u8) % 10);
        let mut tags: Vec<String> = vec![r.pick(ORG_TAGS).to_string()];
        if r.chance(30) {
            let t = r.pick(ORG_TAGS).to_string();
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        OrganizationInput {
            name: Some(name),
            website: Some(format!("https://{base}.example.com")),
            industry: Some(industry.to_string()),
            vat_id: Some(format!("DE{}", vat.iter().map(|d| char::from(b'0' + d)).collect::<String>())),
            email: Some(format!("info.{base}{i}@{}", r.pick(DOMAINS))),
            phone: Some(Self::phone(&mut r, area, 7_999_999 - i % 4_000_000)),
            street: address.street,
            postal_code: address.postal_code,
            city: address.city,
            country: address.country,
            tags: Some(tags),
            notes: r.chance(15).then(|| "Rahmenvertrag läuft bis Jahresende.".to_string()),
            ..Default::default()
        }
    }

    /// Activity number `i`: its kind, subject and body, as a sales team would log them.
    pub fn activity(&self, i: u64) -> (ActivityKind, String, String) {
        let mut r = self.rng(STREAM_ACTIVITY, i);
        let (kind, texts) = match r.below(100) {
            0..=29 => (ActivityKind::Call, CALLS),
            30..=54 => (ActivityKind::Email, EMAILS),
            55..=69 => (ActivityKind::Meeting, MEETINGS),
            70..=84 => (ActivityKind::Note, NOTES),
            85..=94 => (ActivityKind::Order, ORDERS),
            _ => (ActivityKind::Complaint, COMPLAINTS),
        };
        let (subject, body) = r.pick(texts);
        (kind, Self::fill(&mut r, subject), Self::fill(&mut r, body))
    }

    /// Title of deal number `i`, such as "Wartungsvertrag 2026".
    pub fn deal_title(&self, i: u64) -> String {
        let mut r = self.rng(STREAM_DEAL, i);
        let t = r.pick(DEALS);
        Self::fill(&mut r, t)
    }

    /// Ticket number `i`: title, description and whether it is a complaint (about a quarter).
    pub fn ticket(&self, i: u64) -> (String, String, bool) {
        let mut r = self.rng(STREAM_TICKET, i);
        let complaint = r.chance(25);
        let (title, description) = r.pick(if complaint { TICKET_COMPLAINTS } else { TICKET_SERVICE });
        (Self::fill(&mut r, title), Self::fill(&mut r, description), complaint)
    }
}
