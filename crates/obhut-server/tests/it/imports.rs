//! Import and export through the service layer, on both backends.

use crate::common::{contains, spawn_app, Backend};
use obhut_server::services::contacts::{self, ExportFormat};
use obhut_server::services::imports::{import_contacts, ImportOptions};
use obhut_server::services::Page;
use obhut_server::Actor;
use obhut_store::contacts::ContactFilter;

crate::on_both_backends!(
    a_file_with_a_bad_row_names_it_and_writes_nothing,
    a_german_excel_export_imports_with_umlauts_and_its_origin,
    skip_invalid_imports_the_good_rows_and_known_contacts_are_refused,
    vcards_import_and_every_export_format_round_trips,
);

async fn count(t: &crate::common::TestApp) -> i64 {
    contacts::list(&t.app, &Actor::cli(), None, &ContactFilter::default(), Default::default(), Page::default()).await.expect("list").total
}

async fn a_file_with_a_bad_row_names_it_and_writes_nothing(b: Backend) {
    let t = spawn_app(b).await;
    let csv = "given_name,family_name,email\nAnna,Alt,anna.alt@example.org\nBernd,Bauer,not-an-email\nCarla,Clausen,carla@example.org\nDora,Doppelt,anna.alt@example.org\n";
    let r = import_contacts(&t.app, &Actor::cli(), csv.as_bytes(), "bad.csv", ImportOptions::default()).await.expect("report");
    let rows: Vec<(usize, &str)> = r.errors.iter().map(|e| (e.row, e.field.as_str())).collect();
    assert_eq!(rows, vec![(3, "email"), (5, "email")], "{:?}", r.errors);
    assert_eq!(r.imported, 0);
    assert_eq!(count(&t).await, 0);
    let r = import_contacts(&t.app, &Actor::cli(), b"Firma;Ort\nMuster GmbH;Kassel\n", "x.csv", ImportOptions::default()).await;
    assert!(matches!(r, Err(obhut_server::ServiceError::Validation(_))), "a file without name columns was accepted");
    let r = import_contacts(&t.app, &Actor::cli(), b"", "empty.csv", ImportOptions::default()).await;
    assert!(r.is_err());
    assert_eq!(count(&t).await, 0);
}

async fn a_german_excel_export_imports_with_umlauts_and_its_origin(b: Backend) {
    let t = spawn_app(b).await;
    let file = b"Anrede;Vorname;Nachname;E-Mail;Telefon;Firma;Stra\xdfe;PLZ;Ort\nHerr;J\xfcrgen;M\xfcller;juergen.mueller@example.org;0711 123456;M\xfcller Ma\xdfbau GmbH;K\xf6nigstra\xdfe 1;70173;Stuttgart\nFrau;Gr\xe9ta;\xd6zdemir;greta@example.org;;M\xfcller Ma\xdfbau GmbH;;;\n";
    let dry = import_contacts(&t.app, &Actor::cli(), file, "kunden.csv", ImportOptions { dry_run: true, skip_invalid: false })
        .await
        .expect("dry run");
    assert_eq!((dry.valid, dry.imported, dry.encoding), (2, 0, "windows-1252"));
    assert_eq!(count(&t).await, 0, "a dry run wrote");
    let r = import_contacts(&t.app, &Actor::cli(), file, "kunden.csv", ImportOptions::default()).await.expect("import");
    assert_eq!((r.imported, r.organizations_created), (2, 1), "{:?}", r.errors);
    let list = contacts::list(&t.app, &Actor::cli(), Some("Müller"), &ContactFilter::default(), Default::default(), Page::default())
        .await
        .expect("search");
    let c = list.items.iter().find(|c| c.personal.family_name.as_deref() == Some("Müller")).expect("Müller found");
    assert_eq!(c.personal.given_name.as_deref(), Some("Jürgen"));
    assert_eq!(c.personal.addresses[0].street.as_deref(), Some("Königstraße 1"));
    assert_eq!(c.kind, obhut_core::contact::ContactKind::B2b);
    assert_eq!(c.origin.source, "import");
    assert!(c.origin.detail.as_deref().unwrap_or("").contains("kunden.csv"));
    assert!(c.origin.import_run_id.is_some());
    let greta =
        contacts::list(&t.app, &Actor::cli(), Some("greta@example.org"), &ContactFilter::default(), Default::default(), Page::default())
            .await
            .expect("search");
    assert_eq!(greta.items[0].personal.family_name.as_deref(), Some("Özdemir"));
    assert_eq!(greta.items[0].organization_id, c.organization_id, "both rows share one organization");
    let raw = t.raw_bytes().await;
    assert!(!contains(&raw, "juergen.mueller@example.org") && !contains(&raw, "Özdemir"));
}

async fn skip_invalid_imports_the_good_rows_and_known_contacts_are_refused(b: Backend) {
    let t = spawn_app(b).await;
    let csv = "First Name,Last Name,E-mail Address,Mobile Phone\nAnna,Alt,anna@example.org,0151 12345678\nBernd,Bauer,nope,\n";
    let r = import_contacts(&t.app, &Actor::cli(), csv.as_bytes(), "outlook.csv", ImportOptions { dry_run: false, skip_invalid: true })
        .await
        .expect("import");
    assert_eq!((r.imported, r.skipped), (1, 1));
    let again = import_contacts(&t.app, &Actor::cli(), csv.as_bytes(), "outlook.csv", ImportOptions { dry_run: false, skip_invalid: true })
        .await
        .expect("import");
    assert_eq!(again.imported, 0);
    assert!(again.errors.iter().any(|e| e.row == 2 && e.message.contains("already stored")), "{:?}", again.errors);
    assert_eq!(count(&t).await, 1);
}

async fn vcards_import_and_every_export_format_round_trips(b: Backend) {
    let t = spawn_app(b).await;
    let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Schröder;Hanna;;Dr.;\r\nFN:Dr. Hanna Schröder\r\nEMAIL;TYPE=work:hanna@example.org\r\nTEL;TYPE=cell:+49 170 1234567\r\nORG:Schröder Consulting\r\nCATEGORIES:Messe,VIP\r\nEND:VCARD\r\n";
    let r = import_contacts(&t.app, &Actor::cli(), vcf.as_bytes(), "hanna.vcf", ImportOptions::default()).await.expect("import");
    assert_eq!(r.imported, 1, "{:?}", r.errors);
    for fmt in [ExportFormat::Csv, ExportFormat::Vcf, ExportFormat::Json] {
        let mut out: Vec<u8> = Vec::new();
        let n = contacts::export(&t.app, &Actor::cli(), fmt, &ContactFilter::default(), &mut out).await.expect("export");
        assert_eq!(n, 1);
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.contains("hanna@example.org") && text.contains("Schröder"), "{fmt:?}: {text}");
        if fmt == ExportFormat::Json {
            continue;
        }
        let fresh = spawn_app(Backend::Sqlite).await;
        let name = if fmt == ExportFormat::Csv { "export.csv" } else { "export.vcf" };
        let r = import_contacts(&fresh.app, &Actor::cli(), text.as_bytes(), name, ImportOptions::default()).await.expect("re-import");
        assert_eq!(r.imported, 1, "{fmt:?}: {:?}", r.errors);
        let list = contacts::list(&fresh.app, &Actor::cli(), None, &ContactFilter::default(), Default::default(), Page::default())
            .await
            .expect("list");
        let p = &list.items[0].personal;
        assert_eq!((p.given_name.as_deref(), p.family_name.as_deref(), p.title.as_deref()), (Some("Hanna"), Some("Schröder"), Some("Dr.")));
        assert_eq!(p.primary_phone().map(|x| x.to_string()), Some("+491701234567".into()));
        assert_eq!(list.items[0].tags, vec!["messe".to_string(), "vip".to_string()]);
    }
}
