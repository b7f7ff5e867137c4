#![allow(clippy::unwrap_used)]

use super::headers::{map_header, Field};
use super::*;
use crate::contact::{AddressInput, ContactInput, ContactKind, ContactPersonal, EmailInput, PhoneInput};
use crate::contact_file::{normalize_birthday, normalize_kind, normalize_language, split_tags};
use crate::vcard::tests::ANDROID;
use proptest::prelude::*;

fn parse(text: &str) -> ParsedImport {
    parse_import(text.as_bytes(), "kontakte.csv").unwrap()
}

#[test]
fn a_german_excel_file_in_windows_1252_with_semicolons_is_read() {
    let text = "Anrede;Vorname;Nachname;E-Mail;Telefon;Straße;PLZ;Ort;Firma\r\n\
                Frau;Jürgen;Müller;j.mueller@example.com;030 1234567;Schillerstraße 5;10115;Berlin;Müller GmbH\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    let p = parse_import(&bytes, "Kontakte.csv").unwrap();
    assert_eq!((p.format, p.encoding, p.delimiter), (ImportFormat::Csv, "windows-1252", Some(b';')));
    assert!(p.errors.is_empty() && p.ignored_columns.is_empty(), "{:?} {:?}", p.errors, p.ignored_columns);
    let r = &p.rows[0];
    assert_eq!(r.row, 2);
    assert_eq!(r.contact.given_name.as_deref(), Some("Jürgen"));
    assert_eq!(r.contact.family_name.as_deref(), Some("Müller"));
    assert_eq!(r.contact.salutation.as_deref(), Some("Frau"));
    assert_eq!(r.organization_name.as_deref(), Some("Müller GmbH"));
    let a = &r.contact.addresses.as_ref().unwrap()[0];
    assert_eq!(
        (a.street.as_deref(), a.postal_code.as_deref(), a.city.as_deref()),
        (Some("Schillerstraße 5"), Some("10115"), Some("Berlin"))
    );
}

#[test]
fn an_english_outlook_export_with_a_bom_and_commas_is_read() {
    let text = "\u{feff}Title,First Name,Middle Name,Last Name,Company,Job Title,Business Street,Business City,Business Postal Code,\
                Business Country/Region,Home Street,Home City,Business Phone,Business Phone 2,Mobile Phone,E-mail Address,E-mail Type,\
                E-mail 2 Address,Birthday,Categories,Notes\n\
                Dr.,Anna,Maria,Schmidt,Schmidt & Partner,Partnerin,Hauptstraße 1,Köln,50667,Germany,Lindenweg 2,Bonn,0221 123456,,\
                0151 23456789,anna@example.com,SMTP,anna.privat@example.org,4/12/1980,\"Kunden; VIP\",\"Zwei\nZeilen\"\n";
    let p = parse(text);
    assert_eq!((p.encoding, p.delimiter), ("UTF-8", Some(b',')));
    assert_eq!(p.ignored_columns, vec!["Middle Name".to_string(), "E-mail Type".to_string()]);
    let c = &p.rows[0].contact;
    assert_eq!(c.title.as_deref(), Some("Dr."));
    assert_eq!(c.job_title.as_deref(), Some("Partnerin"));
    assert_eq!(c.birthday.as_deref(), Some("1980-04-12"));
    assert_eq!(c.tags, Some(vec!["Kunden".to_string(), "VIP".to_string()]));
    assert_eq!(c.notes.as_deref(), Some("Zwei\nZeilen"));
    let phones: Vec<(&str, Option<&str>)> = c.phones.iter().flatten().map(|p| (p.number.as_str(), p.label.as_deref())).collect();
    assert_eq!(phones, vec![("0221 123456", Some("work")), ("0151 23456789", Some("mobile"))]);
    let emails: Vec<&str> = c.emails.iter().flatten().map(|e| e.address.as_str()).collect();
    assert_eq!(emails, vec!["anna@example.com", "anna.privat@example.org"]);
    let addresses: Vec<(Option<&str>, Option<&str>, Option<&str>)> =
        c.addresses.iter().flatten().map(|a| (a.label.as_deref(), a.city.as_deref(), a.country.as_deref())).collect();
    assert_eq!(addresses, vec![(Some("work"), Some("Köln"), Some("Germany")), (Some("home"), Some("Bonn"), None)]);
    let (valid, errors) = validate_rows(&p.rows);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(valid[0].draft.personal.addresses[0].country.as_deref(), Some("DE"));
}

#[test]
fn german_outlook_and_google_headers_map() {
    for (header, field, label) in [
        ("E-Mail-Adresse", Field::Email, None),
        ("E-Mail 2: Adresse", Field::Email, None),
        ("E-mail 1 - Value", Field::Email, None),
        ("Telefon geschäftlich 2", Field::Phone, Some("work")),
        ("Telefon privat", Field::Phone, Some("home")),
        ("Handy", Field::Phone, Some("mobile")),
        ("Phone 1 - Value", Field::Phone, None),
        ("Straße geschäftlich", Field::Street, Some("work")),
        ("Postleitzahl privat", Field::PostalCode, Some("home")),
        ("Land/Region geschäftlich", Field::Country, Some("work")),
        ("Address 1 - Street", Field::Street, None),
        ("Organization 1 - Name", Field::Organization, None),
        ("Organization Title", Field::JobTitle, None),
        ("Familienname", Field::FamilyName, None),
        ("given_name", Field::GivenName, None),
        ("Geburtsdatum", Field::Birthday, None),
        ("Schlagwörter", Field::Tags, None),
        ("Kundentyp", Field::Kind, None),
    ] {
        let m = map_header(header).unwrap_or_else(|| unreachable!("{header} not mapped"));
        assert_eq!((m.field, m.label), (field, label), "{header}");
    }
    for ignored in ["Business Fax", "Weitere Vornamen", "E-Mail-Typ", "Abteilung", "id", "created_at", "Homepage"] {
        assert_eq!(map_header(ignored), None, "{ignored}");
    }
}

#[test]
fn name_is_the_family_name_unless_a_clearer_column_exists() {
    let p = parse("Vorname;Name\nErika;Mustermann\n");
    assert_eq!(p.rows[0].contact.family_name.as_deref(), Some("Mustermann"));
    let p = parse("Name,Given Name,Family Name\nErika Mustermann,Erika,Mustermann\n");
    assert_eq!(p.rows[0].contact.family_name.as_deref(), Some("Mustermann"));
    assert_eq!(p.ignored_columns, vec!["Name".to_string()]);
}

#[test]
fn utf16_with_a_bom_is_decoded() {
    let text = "Vorname\tNachname\r\nJürgen\tMüller\r\n";
    let mut le = vec![0xFF, 0xFE];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let p = parse_import(&le, "export.txt").unwrap();
    assert_eq!((p.encoding, p.delimiter), ("UTF-16LE", Some(b'\t')));
    assert_eq!(p.rows[0].contact.family_name.as_deref(), Some("Müller"));
    let mut be = vec![0xFE, 0xFF];
    be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    assert_eq!(parse_import(&be, "export.txt").unwrap().encoding, "UTF-16BE");
}

#[test]
fn row_numbers_are_spreadsheet_lines_and_count_multi_line_fields() {
    let p = parse("Vorname;Nachname;Notizen\n\nErika;Muster;\"eins\nzwei\ndrei\"\n;;\nMax;Muster;\n");
    let rows: Vec<usize> = p.rows.iter().map(|r| r.row).collect();
    assert_eq!(rows, vec![3, 7]);
}

#[test]
fn a_record_with_the_wrong_number_of_fields_is_a_row_error() {
    let p = parse("Vorname;Nachname;Ort\nErika;Muster;Berlin\nMax;Muster\nEva;Muster;Bonn;;\n");
    assert_eq!(p.rows.iter().map(|r| r.row).collect::<Vec<_>>(), vec![2, 4]);
    assert_eq!(p.errors, vec![RowError::new(3, "*", "has 2 fields but the header has 3")]);
    assert_eq!(p.errors[0].to_string(), "row 3: has 2 fields but the header has 3");
}

#[test]
fn a_file_without_name_columns_names_what_is_missing() {
    let e = parse_import(b"E-Mail;Telefon\na@example.com;030 123456\n", "x.csv").err();
    let Some(ImportError::MissingColumns { found, .. }) = &e else { unreachable!("{e:?}") };
    assert_eq!(found, "E-Mail, Telefon");
    assert!(e.map(|e| e.to_string()).unwrap_or_default().starts_with("the file has no column for the given name or the family name"));
}

#[test]
fn whole_file_problems_are_errors() {
    assert_eq!(parse_import(b"", "x.csv"), Err(ImportError::Empty));
    assert_eq!(parse_import(b" \r\n\r\n", "x.csv"), Err(ImportError::Empty));
    assert_eq!(parse_import(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "kontakte.xlsx"), Err(ImportError::NotText));
}

#[test]
fn excel_sep_line_names_the_delimiter() {
    let p = parse("sep=,\nVorname,Nachname\nErika,Muster\n");
    assert_eq!(p.delimiter, Some(b','));
    assert_eq!(p.rows.len(), 1);
    assert_eq!(p.rows[0].row, 3);
}

#[test]
fn formats_are_detected_by_name_and_content() {
    assert_eq!(detect_format(b"Vorname;Nachname", "a.VCF"), ImportFormat::Vcard);
    assert_eq!(detect_format(b"\xEF\xBB\xBF\r\nbegin:vcard\r\n", "upload"), ImportFormat::Vcard);
    assert_eq!(detect_format(b"Vorname;Nachname", "a.csv"), ImportFormat::Csv);
}

#[test]
fn spreadsheet_values_are_normalised() {
    assert_eq!(normalize_birthday("3.10.1990").as_deref(), Some("1990-10-03"));
    assert_eq!(normalize_birthday("1990-10-03 00:00:00").as_deref(), Some("1990-10-03"));
    assert_eq!(normalize_birthday("19901003").as_deref(), Some("1990-10-03"));
    assert_eq!(normalize_birthday("0.0.00"), None);
    assert_eq!(normalize_birthday("irgendwann").as_deref(), Some("irgendwann"));
    assert_eq!(normalize_language("Deutsch"), "de");
    assert_eq!(normalize_kind("Firmenkunde"), "b2b");
    assert_eq!(split_tags("* myContacts ::: Kunden/VIP | Messe 2025"), vec!["Kunden VIP".to_string(), "Messe 2025".to_string()]);
}

#[test]
fn validation_errors_name_row_and_column() {
    let p = parse("Vorname;Nachname;E-Mail;E-Mail 2\nErika;Muster;not-an-email;x@y\n");
    let (valid, errors) = validate_rows(&p.rows);
    assert!(valid.is_empty());
    assert_eq!(errors[0].to_string(), "row 2, field email: 'not-an-email' is not a valid email address");
    assert_eq!(errors[1].field, "email_2");
}

#[test]
fn duplicates_inside_the_file_point_to_the_first_row() {
    let p = parse(
        "Vorname;Nachname;E-Mail;Telefon\nA;Eins;a@example.com;030 1234567\nB;Zwei;A@EXAMPLE.COM;\nC;Drei;c@example.com;+49 30 1234567\n",
    );
    let (valid, errors) = validate_rows(&p.rows);
    assert_eq!(valid.len(), 1);
    assert_eq!(errors, vec![RowError::new(3, "email", "duplicate of row 2"), RowError::new(4, "phone", "duplicate of row 2")]);
}

#[test]
fn an_organization_without_a_kind_validates_and_is_linked_by_the_caller() {
    let p = parse("Vorname;Nachname;Firma;Typ\nErika;Muster;Muster GmbH;\nMax;Muster;Muster GmbH;b2b\nEva;Muster;;Geschäftskunde\nOtto;Muster;Muster GmbH;privat\n");
    let (valid, errors) = validate_rows(&p.rows);
    let got: Vec<(usize, ContactKind, Option<&str>, bool)> =
        valid.iter().map(|v| (v.row, v.draft.kind, v.organization_name.as_deref(), v.draft.organization_id.is_some())).collect();
    assert_eq!(
        got,
        vec![
            (2, ContactKind::B2c, Some("Muster GmbH"), false),
            (3, ContactKind::B2b, Some("Muster GmbH"), false),
            (5, ContactKind::B2c, None, false),
        ]
    );
    assert_eq!(errors, vec![RowError::new(4, "organization", "a B2B contact person needs an organization")]);
}

#[test]
fn import_reads_vcard_files() {
    let p = crate::import::parse_import(ANDROID.as_bytes(), "kontakte.vcf").unwrap();
    assert_eq!((p.format, p.delimiter, p.rows.len()), (crate::import::ImportFormat::Vcard, None, 2));
}

fn sample_personal() -> (ContactPersonal, Vec<String>) {
    let input = ContactInput {
        salutation: Some("Frau".into()),
        title: Some("Dr.".into()),
        given_name: Some("Jürgen".into()),
        family_name: Some("=HYPERLINK(\"x\")".into()),
        emails: Some(
            ["a@example.com", "b@example.org", "c@example.net", "d@example.com"]
                .map(|a| EmailInput { address: a.into(), label: None, purposes: None })
                .to_vec(),
        ),
        phones: Some(
            ["030 1234567", "0151 23456789", "089 12345678", "040 1234567"]
                .map(|n| PhoneInput { number: n.into(), label: None, purposes: None })
                .to_vec(),
        ),
        addresses: Some(vec![AddressInput {
            purposes: None,
            street: Some("Hauptstraße 1; Hinterhaus".into()),
            postal_code: Some("10115".into()),
            city: Some("Berlin".into()),
            country: Some("DE".into()),
            label: None,
        }]),
        job_title: Some("-Leitung".into()),
        birthday: Some("1980-02-29".into()),
        notes: Some("@home\n\"zitiert\", mit; allem".into()),
        ..Default::default()
    };
    let d = input.validate().unwrap();
    (d.personal, vec!["vip".into(), "messe 2025".into()])
}

fn export_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(CSV_EXPORT_HEADERS).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.into_inner().unwrap()
}

#[test]
fn an_export_re_imports_losslessly_and_is_guarded_against_formulas() {
    let (p, tags) = sample_personal();
    let rec = csv_export_record("0190-id", ContactKind::B2b, &p, Some("@Muster GmbH"), Some("de"), &tags, "2026-01-01T00:00:00Z");
    assert_eq!(rec.len(), CSV_EXPORT_HEADERS.len());
    assert_eq!(rec[5], "'=HYPERLINK(\"x\")");
    assert_eq!(rec[9], "+49301234567");
    assert_eq!(rec[11], "+498912345678; +49401234567");
    let parsed = parse_import(&export_csv(&[rec]), "export.csv").unwrap();
    assert_eq!(parsed.ignored_columns, vec!["id".to_string(), "created_at".to_string()]);
    let (valid, errors) = validate_rows(&parsed.rows);
    assert!(errors.is_empty(), "{errors:?}");
    let v = &valid[0];
    assert_eq!(v.draft.personal, p);
    assert_eq!((v.draft.kind, v.organization_name.as_deref()), (ContactKind::B2b, Some("@Muster GmbH")));
    assert_eq!((v.draft.language.as_deref(), &v.draft.tags), (Some("de"), &tags));
}

proptest! {
    #[test]
    fn parse_import_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_import(&bytes, "x.csv");
    }

    #[test]
    fn csv_text_never_panics(s in "(Vorname|Nachname|E-Mail|;|,|\"|\n|[a-zäöü@.]{0,6}){0,40}") {
        if let Ok(p) = parse_import(s.as_bytes(), "x.csv") {
            let _ = validate_rows(&p.rows);
        }
    }

    #[test]
    fn exported_names_and_notes_re_import(given in "[^\\p{C}]{1,30}", family in "[^\\p{C}]{1,30}", notes in "[^\\p{C}]{0,40}(\n[^\\p{C}]{1,20})?") {
        let input = ContactInput { given_name: Some(given), family_name: Some(family), notes: Some(notes), ..Default::default() };
        let Ok(d) = input.validate() else { return Ok(()) };
        let rec = csv_export_record("id", ContactKind::B2c, &d.personal, None, None, &[], "t");
        let parsed = parse_import(&export_csv(&[rec]), "export.csv").unwrap();
        let (valid, errors) = validate_rows(&parsed.rows);
        prop_assert!(errors.is_empty(), "{:?}", errors);
        prop_assert_eq!(&valid[0].draft.personal, &d.personal);
    }
}
