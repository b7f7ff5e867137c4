#![allow(clippy::unwrap_used)]

use super::*;
use crate::contact::{AddressInput, ContactInput, ContactKind, ContactPersonal, EmailInput, PhoneInput};
use crate::contact_file::{tidy_tag, validate_rows, ImportError, RowError, ValidRow};
use proptest::prelude::*;

fn valid(text: &str) -> Vec<ValidRow> {
    let rows = parse_vcards(text).unwrap();
    let (valid, errors) = validate_rows(&rows);
    assert!(errors.is_empty(), "{errors:?}");
    valid
}

fn sample() -> ContactPersonal {
    let input = ContactInput {
        salutation: Some("Herr".into()),
        title: Some("Prof. Dr.".into()),
        given_name: Some("Jürgen, genannt \"Jo\"".into()),
        family_name: Some("Müller-Lüdenscheidt; jun.".into()),
        emails: Some(vec![
            EmailInput { address: "j.mueller@example.com".into(), label: Some("work".into()), purposes: None },
            EmailInput { address: "jo@example.org".into(), label: Some("Büro; 2. Stock".into()), purposes: None },
        ]),
        phones: Some(vec![
            PhoneInput { number: "0151 23456789".into(), label: Some("mobile".into()), purposes: None },
            PhoneInput { number: "030 1234567".into(), label: None, purposes: None },
        ]),
        addresses: Some(vec![AddressInput {
            purposes: None,
            label: Some("home".into()),
            street: Some("Schillerstraße 5\\a".into()),
            postal_code: Some("10115".into()),
            city: Some("Berlin".into()),
            country: Some("DE".into()),
        }]),
        job_title: Some("Geschäftsführer, Vertrieb".into()),
        birthday: Some("1971-03-14".into()),
        notes: Some(format!("Erste Zeile\nZweite: {}", "äöü€😀".repeat(30))),
        ..Default::default()
    };
    input.validate().unwrap().personal
}

#[test]
fn a_written_card_reads_back_as_the_same_contact() {
    let p = sample();
    let tags = vec!["vip".to_string(), "messe 2025".to_string()];
    let card = write_vcard("0190b5c2-0000-7000-8000-000000000001", ContactKind::B2b, &p, Some("Müller; Söhne GmbH"), Some("de"), &tags);
    assert!(card.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"));
    assert!(card.contains("UID:urn:uuid:0190b5c2-0000-7000-8000-000000000001\r\n"));
    assert!(card.contains("TEL;VALUE=uri;PREF=1;TYPE=cell:tel:+4915123456789\r\n"));
    assert!(card.contains("N:Müller-Lüdenscheidt\\; jun.;Jürgen\\, genannt \"Jo\";;Herr,Prof. Dr.;\r\n"));
    assert!(card.contains("KIND:individual\r\n"));
    let v = valid(&card);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].draft.personal, p);
    assert_eq!((v[0].draft.kind, v[0].organization_name.as_deref()), (ContactKind::B2b, Some("Müller; Söhne GmbH")));
    assert_eq!((v[0].draft.language.as_deref(), &v[0].draft.tags), (Some("de"), &tags));
}

#[test]
fn folding_keeps_lines_short_and_characters_whole() {
    let card = write_vcard("x", ContactKind::B2c, &sample(), None, None, &[]);
    for l in card.split("\r\n") {
        assert!(l.len() <= 75, "{} octets: {l}", l.len());
    }
    assert!(card.lines().any(|l| l.starts_with(' ')), "nothing was folded");
}

const IPHONE: &str = "BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
PRODID:-//Apple Inc.//iPhone OS 17.2//EN\r\n\
N:Müller;Jürgen;;Dr.;\r\n\
FN:Dr. Jürgen Müller\r\n\
ORG:Müller Maschinenbau GmbH;Vertrieb\r\n\
TITLE:Geschäftsführer\r\n\
EMAIL;type=INTERNET;type=HOME:juergen@example.org\r\n\
item1.EMAIL;type=INTERNET;type=pref:j.mueller@example.com\r\n\
item1.X-ABLabel:_$!<Other>!$_\r\n\
TEL;type=CELL;type=VOICE;type=pref:+49 151 23456789\r\n\
item2.TEL:089 12345678\r\n\
item2.X-ABLabel:Zentrale\r\n\
item3.ADR;type=WORK;type=pref:;;Leopoldstraße 12\\nHinterhaus;München;;80802;Deutschland\r\n\
item3.X-ABADR:de\r\n\
NOTE:Kennengelernt auf der Messe\\, Stand 4\\nRückruf im März\r\n\
BDAY;value=date:1971-03-14\r\n\
CATEGORIES:VIP,Messe/2025\r\n\
item4.URL;type=pref:https://example.com\r\n\
item4.X-ABLabel:_$!<HomePage>!$_\r\n\
PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0a\r\n \
 HBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIy\r\n\
END:VCARD\r\n\
BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
N:;;;;\r\n\
FN:Müller Maschinenbau GmbH\r\n\
ORG:Müller Maschinenbau GmbH;\r\n\
X-ABShowAs:COMPANY\r\n\
END:VCARD\r\n\
BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
N:Schmidt;Anna;;;\r\n\
BDAY;X-APPLE-OMIT-YEAR=1604:1604-05-01\r\n\
END:VCARD\r\n";

#[test]
fn an_iphone_export_is_read() {
    let r = read_vcards(IPHONE).unwrap();
    assert_eq!(r.errors, vec![RowError::new(24, "KIND", "organization cards are not imported as contacts")]);
    assert_eq!(r.ignored_properties, vec!["PHOTO".to_string(), "URL".to_string()]);
    assert_eq!(r.rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![1, 31]);
    let (v, errors) = validate_rows(&r.rows);
    assert!(errors.is_empty(), "{errors:?}");
    let p = &v[0].draft.personal;
    assert_eq!((p.title.as_deref(), p.given_name.as_deref(), p.family_name.as_deref()), (Some("Dr."), Some("Jürgen"), Some("Müller")));
    assert_eq!(v[0].organization_name.as_deref(), Some("Müller Maschinenbau GmbH"));
    assert_eq!(p.job_title.as_deref(), Some("Geschäftsführer"));
    let emails: Vec<(String, Option<&str>)> = p.emails.iter().map(|e| (e.address.to_string(), e.label.as_deref())).collect();
    assert_eq!(emails, vec![("j.mueller@example.com".into(), Some("other")), ("juergen@example.org".into(), Some("home"))]);
    let phones: Vec<(&str, Option<&str>)> = p.phones.iter().map(|t| (t.number.as_str(), t.label.as_deref())).collect();
    assert_eq!(phones, vec![("+4915123456789", Some("mobile")), ("+498912345678", Some("Zentrale"))]);
    let a = &p.addresses[0];
    assert_eq!(
        (a.label.as_deref(), a.street.as_deref(), a.postal_code.as_deref(), a.city.as_deref(), a.country.as_deref()),
        (Some("work"), Some("Leopoldstraße 12, Hinterhaus"), Some("80802"), Some("München"), Some("DE"))
    );
    assert_eq!(p.notes.as_deref(), Some("Kennengelernt auf der Messe, Stand 4\nRückruf im März"));
    assert_eq!(p.birthday, Some(time::macros::date!(1971 - 03 - 14)));
    assert_eq!(v[0].draft.tags, vec!["vip".to_string(), "messe 2025".to_string()]);
    assert_eq!(v[1].draft.personal.birthday, None);
}

/// An old Android export (vCard 2.1, quoted-printable); the import tests read it too.
pub(crate) const ANDROID: &str = "BEGIN:VCARD\r\n\
VERSION:2.1\r\n\
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=4D=C3=BC=6C=6C=65=72;=4A=C3=BC=72=67=65=6E;;Herr;\r\n\
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Herr =4A=C3=BC=72=67=65=6E =4D=C3=BC=6C=6C=65=72\r\n\
TEL;CELL;PREF:0151-23456789\r\n\
TEL;HOME;VOICE:+49 30 1234567\r\n\
EMAIL;HOME:juergen.mueller@example.net\r\n\
ADR;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;Schillerstra=C3=9Fe 5;K=C3=B6ln;;50667;Deutschland\r\n\
NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=ISO-8859-1:Gr=FC=DFe an die Familie=0D=0A=\r\n\
Zweite Zeile mit =C4rger\r\n\
BDAY:19800229\r\n\
X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Jo;1;;;;;;;;;;;;;\r\n\
END:VCARD\r\n\
BEGIN:VCARD\r\n\
VERSION:2.1\r\n\
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Anna =C3=96zt=C3=BCrk\r\n\
TEL;WORK:0221 123456\r\n\
END:VCARD\r\n";

#[test]
fn an_old_android_export_with_quoted_printable_umlauts_is_read() {
    let r = read_vcards(ANDROID).unwrap();
    assert!(r.errors.is_empty());
    assert_eq!(r.ignored_properties, vec!["X-ANDROID-CUSTOM".to_string()]);
    assert_eq!(r.rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![1, 14]);
    let (v, errors) = validate_rows(&r.rows);
    assert!(errors.is_empty(), "{errors:?}");
    let p = &v[0].draft.personal;
    assert_eq!(
        (p.salutation.as_deref(), p.given_name.as_deref(), p.family_name.as_deref()),
        (Some("Herr"), Some("Jürgen"), Some("Müller"))
    );
    assert_eq!(
        p.phones.iter().map(|t| (t.number.as_str(), t.label.as_deref())).collect::<Vec<_>>(),
        vec![("+4915123456789", Some("mobile")), ("+49301234567", Some("home"))]
    );
    assert_eq!(p.addresses[0].street.as_deref(), Some("Schillerstraße 5"));
    assert_eq!(p.addresses[0].city.as_deref(), Some("Köln"));
    assert_eq!(p.notes.as_deref(), Some("Grüße an die Familie\nZweite Zeile mit Ärger"));
    assert_eq!(p.birthday, Some(time::macros::date!(1980 - 02 - 29)));
    let q = &v[1].draft.personal;
    assert_eq!((q.given_name.as_deref(), q.family_name.as_deref()), (Some("Anna"), Some("Öztürk")));
}

#[test]
fn vcard_4_parameters_and_kinds_are_understood() {
    let text = "BEGIN:VCARD\nVERSION:4.0\nKIND:org\nFN:ACME\nEND:VCARD\n\
                BEGIN:VCARD\nVERSION:4.0\nKIND:group\nFN:Team\nEND:VCARD\n\
                BEGIN:VCARD\nVERSION:4.0\nFN:Mustermann\\, Erika\nLANG;PREF=2:en\nLANG;PREF=1:de-AT\n\
                TEL;VALUE=uri;TYPE=\"voice,home\":tel:+49-30-1234567;ext=12\nEND:VCARD\n";
    let r = read_vcards(text).unwrap();
    assert_eq!(r.errors[0], RowError::new(1, "KIND", "organization cards are not imported as contacts"));
    assert_eq!(r.errors[1].row, 6);
    let c = &r.rows[0].contact;
    assert_eq!(
        (c.given_name.as_deref(), c.family_name.as_deref(), c.language.as_deref()),
        (Some("Erika"), Some("Mustermann"), Some("de-AT"))
    );
    let t = &c.phones.as_ref().unwrap()[0];
    assert_eq!((t.number.as_str(), t.label.as_deref()), ("+49-30-1234567", Some("home")));
}

#[test]
fn a_missing_end_names_the_line_of_the_card() {
    let text = "BEGIN:VCARD\nVERSION:3.0\nN:A;B;;;\nEND:VCARD\n\nBEGIN:VCARD\nVERSION:3.0\nN:C;D;;;\n";
    assert_eq!(parse_vcards(text), Err(ImportError::Vcard { line: 6, message: "the card that begins here has no END:VCARD".into() }));
    let e = parse_vcards("BEGIN:VCARD\nN:A;B\nBEGIN:VCARD\nN:C;D\nEND:VCARD\n").err().map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some("the file could not be read as vCard (line 1): the card that begins here has no END:VCARD before the next card in line 3")
    );
    assert!(parse_vcards("Vorname;Nachname\n").is_err());
}

fn personal() -> impl Strategy<Value = ContactPersonal> {
    let text = |n: usize| proptest::string::string_regex(&format!("[^\\p{{C}}]{{0,{n}}}")).unwrap();
    let label = proptest::option::of(prop_oneof![Just("work".to_string()), Just("mobile".to_string()), "[A-Za-zäöüß ;:.\"^]{1,20}"]);
    (
        (
            proptest::option::of(prop_oneof![Just("Herr"), Just("Frau"), Just("Ms."), Just("Divers")]),
            proptest::option::of(prop_oneof![Just("Dr."), Just("Prof. Dr. med."), Just("Dipl.-Ing."), Just("M.Sc.")]),
        ),
        (text(40), text(40), text(120), text(30), text(20)),
        (
            proptest::collection::vec(("[a-z0-9]{1,10}", label.clone()), 0..3),
            proptest::collection::vec((0u32..1_000_000, label.clone()), 0..3),
            label,
        ),
        ("[^\\p{C}]{0,80}(\n[^\\p{C}]{0,300})?", 1900i32..2099, 1u8..=28),
    )
        .prop_map(|((sal, title), (given, family, street, city, job), (emails, phones, alabel), (notes, year, day))| {
            let input = ContactInput {
                salutation: sal.map(str::to_string),
                title: title.map(str::to_string),
                given_name: Some(given),
                family_name: Some(format!("X{family}")),
                emails: Some(
                    emails
                        .into_iter()
                        .enumerate()
                        .map(|(i, (l, label))| EmailInput { address: format!("{l}{i}@example.com"), label, purposes: None })
                        .collect(),
                ),
                phones: Some(
                    phones
                        .into_iter()
                        .map(|(n, label)| PhoneInput { number: format!("030 {}", 2_000_000 + n), label, purposes: None })
                        .collect(),
                ),
                addresses: Some(vec![AddressInput {
                    purposes: None,
                    label: alabel,
                    street: Some(street),
                    postal_code: Some("10115".into()),
                    city: Some(city),
                    country: Some("AT".into()),
                }]),
                job_title: Some(job),
                birthday: Some(format!("{year}-03-{day:02}")),
                notes: Some(notes),
                ..Default::default()
            };
            input.validate().map(|d| d.personal).unwrap_or_default()
        })
}

proptest! {
    #[test]
    fn any_contact_round_trips_through_vcard(p in personal(), tags in proptest::collection::vec("[a-zäöü0-9 ._-]{1,20}", 0..4)) {
        prop_assume!(p.family_name.is_some());
        let tags: Vec<String> = tags.iter().filter_map(|t| tidy_tag(t)).map(|t| t.to_lowercase()).fold(Vec::new(), |mut acc, t| { if !acc.contains(&t) { acc.push(t) } acc });
        let card = write_vcard("id", ContactKind::B2c, &p, None, Some("fr"), &tags);
        for l in card.split("\r\n") {
            prop_assert!(l.len() <= 75);
        }
        let rows = parse_vcards(&card).unwrap();
        let (v, errors) = validate_rows(&rows);
        prop_assert!(errors.is_empty(), "{:?}", errors);
        prop_assert_eq!(&v[0].draft.personal, &p);
        prop_assert_eq!(&v[0].draft.tags, &tags);
    }

    #[test]
    fn reading_never_panics(s in "(BEGIN:VCARD|END:VCARD|N:|FN:|EMAIL;TYPE=\"|=C3|=\r\n|\\\\|;|:|,|\"| |\r\n|[a-zä]{0,5}){0,60}") {
        let _ = read_vcards(&s);
    }
}
