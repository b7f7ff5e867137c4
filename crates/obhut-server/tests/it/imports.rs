//! Import and export through the service layer, on both backends.

use crate::common::{contains, spawn_app, Backend};
use obhut_server::services::contact_list;
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
    a_file_of_several_batches_imports_whole_and_indexed,
);

async fn count(t: &crate::common::TestApp) -> i64 {
    contact_list::list(&t.app, &Actor::cli(), None, &ContactFilter::default(), Default::default(), Page::default()).await.expect("list").total
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
    let list = contact_list::list(&t.app, &Actor::cli(), Some("Müller"), &ContactFilter::default(), Default::default(), Page::default())
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
        contact_list::list(&t.app, &Actor::cli(), Some("greta@example.org"), &ContactFilter::default(), Default::default(), Page::default())
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
        let list = contact_list::list(&fresh.app, &Actor::cli(), None, &ContactFilter::default(), Default::default(), Page::default())
            .await
            .expect("list");
        let p = &list.items[0].personal;
        assert_eq!((p.given_name.as_deref(), p.family_name.as_deref(), p.title.as_deref()), (Some("Hanna"), Some("Schröder"), Some("Dr.")));
        assert_eq!(p.primary_phone().map(|x| x.to_string()), Some("+491701234567".into()));
        assert_eq!(list.items[0].tags, vec!["messe".to_string(), "vip".to_string()]);
    }
}

async fn a_file_of_several_batches_imports_whole_and_indexed(b: Backend) {
    let t = spawn_app(b).await;
    let n = 11_003;
    let mut csv = String::from("Vorname;Nachname;E-Mail;Telefon;Firma\n");
    for i in 0..n {
        let firma = if i % 3 == 0 { format!("Firma {} GmbH", i % 50) } else { String::new() };
        csv.push_str(&format!("Vorname{i};Nachname{i};person{i}@example.org;+49 30 {:07};{firma}\n", 1_000_000 + i));
    }
    // A bad row and a repeated email at the end, after two batches were written: nothing stays.
    let spoilt = format!("{csv}Spät;Fehler;kaputt;;\nSpät;Doppelt;person7@example.org;;\n");
    let r = import_contacts(&t.app, &Actor::cli(), spoilt.as_bytes(), "gross.csv", ImportOptions::default()).await.expect("report");
    let bad: Vec<(usize, &str, &str)> = r.errors.iter().map(|e| (e.row, e.field.as_str(), e.message.as_str())).collect();
    assert_eq!(bad, vec![(n + 2, "email", "'kaputt' is not a valid email address"), (n + 3, "email", "duplicate of row 9")]);
    assert_eq!((r.imported, r.organizations_created, r.import_run_id.as_deref()), (0, 0, None));
    assert_eq!(count(&t).await, 0);
    let mut conn = t.app.conn().await.expect("conn");
    for table in ["blind_indexes", "organizations", "import_runs"] {
        let (left,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&mut *conn).await.expect("count");
        assert_eq!(left, 0, "{table} kept rows of a refused file");
    }
    drop(conn);

    let r = import_contacts(&t.app, &Actor::cli(), csv.as_bytes(), "gross.csv", ImportOptions::default()).await.expect("import");
    assert_eq!((r.imported, r.organizations_created), (n, 50), "{:?}", &r.errors[..r.errors.len().min(3)]);
    assert_eq!(count(&t).await, n as i64);
    for i in [0, 4_999, 5_000, 10_000, n - 1] {
        let found = contact_list::list(
            &t.app,
            &Actor::cli(),
            Some(&format!("person{i}@example.org")),
            &ContactFilter::default(),
            Default::default(),
            Page::default(),
        )
        .await
        .expect("search");
        assert_eq!(found.items.len(), 1, "row {i} not found by email");
        assert_eq!(found.items[0].personal.family_name.as_deref(), Some(format!("Nachname{i}").as_str()));
        assert_eq!(found.items[0].organization_id.is_some(), i % 3 == 0);
    }
    // Email, phone and two name prefixes of each name: every row's entries, each once.
    let mut conn = t.app.conn().await.expect("conn");
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM blind_indexes").fetch_one(&mut *conn).await.expect("count");
    let (distinct,): (i64,) =
        sqlx::query_as("SELECT COUNT(DISTINCT contact_id) FROM blind_indexes").fetch_one(&mut *conn).await.expect("count");
    assert_eq!(distinct, n as i64);
    assert!(rows >= 4 * n as i64, "{rows} index rows for {n} contacts");
    // A second run of the same file is refused row by row and writes nothing.
    let again = import_contacts(&t.app, &Actor::cli(), csv.as_bytes(), "gross.csv", ImportOptions::default()).await.expect("import");
    assert_eq!((again.imported, again.errors.len()), (0, n));
    assert_eq!(count(&t).await, n as i64);
}
