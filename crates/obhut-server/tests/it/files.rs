//! Import and export of contacts in the web UI: a check names every bad row with its field
//! and writes nothing; an import with bad rows writes nothing unless they are skipped; the
//! export is one logged disclosure with its recipient. Over HTTP on both backends and in
//! headless Chromium (the row errors of an upload, looked at as a screenshot).

use crate::browser::{start_driver, Browser};
use crate::common::{page, send_form, signed_in, spawn_app, Backend, TestApp, PASSWORD};
use obhut_core::user::Role;

crate::on_both_backends!(an_upload_is_checked_row_by_row_and_an_export_is_a_logged_disclosure);

const GOOD_AND_BAD: &str = "Vorname;Nachname;E-Mail;Telefon\r\nErika;Mustermann;erika@example.de;0171 2641999\r\nMax;Beispiel;kein-at-zeichen;\r\nJana;Schulz;jana@example.de;\r\n";

/// A multipart form as a browser sends it.
async fn upload(c: &reqwest::Client, t: &TestApp, csrf: &str, mode: &str, skip: bool, name: &str, body: &str) -> (u16, String) {
    let b = "----obhut-test-boundary";
    let mut form = format!("--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n--{b}\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\n{mode}\r\n");
    if skip {
        form.push_str(&format!("--{b}\r\nContent-Disposition: form-data; name=\"skip_invalid\"\r\n\r\n1\r\n"));
    }
    form.push_str(&format!("--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n{body}\r\n--{b}--\r\n"));
    let r = c
        .post(t.url("/contacts/import"))
        .header("content-type", format!("multipart/form-data; boundary={b}"))
        .body(form)
        .send()
        .await
        .expect("upload");
    let s = r.status().as_u16();
    (s, r.text().await.unwrap_or_default())
}

async fn an_upload_is_checked_row_by_row_and_an_export_is_a_logged_disclosure(b: Backend) {
    let t = spawn_app(b).await;
    let (c, csrf) = signed_in(&t, "anna", Role::User).await;
    let (s, html) = page(&c, &t, "/contacts/files").await;
    assert_eq!(s, 200);
    assert!(html.contains("enctype=\"multipart/form-data\""));
    // A check: every bad row named with its field, nothing written.
    let (s, html) = upload(&c, &t, &csrf, "check", false, "kunden.csv", GOOD_AND_BAD).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("Geprüft, nichts geschrieben"), "{html}");
    let errors = html.split("id=\"row-errors\"").nth(1).unwrap_or_default();
    assert!(errors.contains("<td class=\"nowrap\">3</td>") && errors.contains("<code>email</code>"), "row 3, the email: {errors}");
    assert_eq!(t.count("SELECT COUNT(*) FROM contacts").await, 0);
    // An import with a bad row writes nothing (422) unless bad rows are skipped.
    let (s, html) = upload(&c, &t, &csrf, "import", false, "kunden.csv", GOOD_AND_BAD).await;
    assert_eq!(s, 422);
    assert!(html.contains("Nichts importiert"), "{html}");
    assert_eq!(t.count("SELECT COUNT(*) FROM contacts").await, 0);
    let (s, html) = upload(&c, &t, &csrf, "import", true, "kunden.csv", GOOD_AND_BAD).await;
    assert_eq!(s, 200, "{html}");
    assert!(html.contains("id=\"imported-count\">2<"), "{html}");
    assert_eq!(t.count("SELECT COUNT(*) FROM contacts").await, 2);
    // No file, a wrong token: refused, nothing written.
    let (s, html) = upload(&c, &t, &csrf, "import", false, "leer.csv", "").await;
    assert_eq!(s, 422);
    assert!(html.contains("Wählen Sie eine Datei aus."));
    let (s, _) = upload(&c, &t, "falsch", "import", true, "kunden.csv", GOOD_AND_BAD).await;
    assert_eq!(s, 403);
    assert_eq!(t.count("SELECT COUNT(*) FROM contacts").await, 2);
    // A guest may export but not import.
    let (g, gcsrf) = signed_in(&t, "gast", Role::Guest).await;
    let (s, _) = upload(&g, &t, &gcsrf, "import", true, "kunden.csv", GOOD_AND_BAD).await;
    assert_eq!(s, 403);
    // The export: the file, recorded with its recipient and count.
    let r = c
        .post(t.url("/contacts/export"))
        .form(&[("csrf", csrf.as_str()), ("format", "csv"), ("recipient", "Lettershop Meyer")])
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), 200);
    let csv = r.text().await.unwrap_or_default();
    assert!(csv.contains("erika@example.de") && csv.contains("jana@example.de"), "{csv}");
    let start = t.audit_events("contact.export.start").await;
    assert_eq!(start[0].entry.recipient.as_deref(), Some("Lettershop Meyer"));
    let (s, _, body) = send_form(&c, &t, "/contacts/export", &[("csrf", csrf.as_str()), ("format", "xlsx")]).await;
    assert_eq!(s, 422, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_row_errors_of_an_upload_in_the_browser() {
    let Some(driver) = start_driver().await else { return };
    let t = spawn_app(Backend::Sqlite).await;
    t.add_user("sabine", Role::User, PASSWORD).await;
    let file = t.dir.path().join("kunden.csv");
    std::fs::write(&file, GOOD_AND_BAD).expect("file");
    let b = Browser::open(&driver, &t.base).await;
    b.goto("/contacts").await;
    b.sign_in("sabine", PASSWORD, "#to-files").await;
    b.click("#to-files").await;
    b.find("#file").await;
    b.fill("#file", &file.display().to_string()).await;
    b.submit("button[value=check]", "#import-report").await;
    assert!(b.text("#row-errors").await.contains("email"));
    b.shot("files-01-check-de").await;
    assert_eq!(b.overflow_at(390).await, 0, "the import page fits 390 px");
    b.shot_at("files-02-check-de-390", 390).await;
    b.close().await;
}
