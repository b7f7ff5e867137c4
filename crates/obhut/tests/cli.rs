//! The `obhut` command line, run as a user would run it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::process::{Child, Command, Output, Stdio};

fn obhut(dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_obhut"));
    // Global options come after the subcommand here, to prove they are accepted there too.
    cmd.args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("OBHUT_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn obhut");
    if let Some(s) = stdin {
        child.stdin.take().expect("stdin").write_all(s.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("run obhut")
}

/// `obhut serve` on a free port of 127.0.0.1 over `dir`, read until it says it serves (or 60 s
/// pass): the running server, its port and what it printed.
fn serve(dir: &std::path::Path) -> (Child, u16, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("port");
    let mut child = Command::new(env!("CARGO_BIN_EXE_obhut"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        .arg(dir)
        .env_remove("OBHUT_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let (mut seen, mut buf, start) = (String::new(), [0u8; 4096], std::time::Instant::now());
    while !seen.contains("Obhut serves") && start.elapsed().as_secs() < 60 {
        let n = out.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    (child, port, seen)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn users_tokens_contacts_import_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let o = obhut(d, &["migrate"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = obhut(d, &["user", "add", "admin1", "--role", "admin", "--password-stdin"], Some("Correct-Horse-Battery-9\n"));
    assert!(o.status.success(), "{}", text(&o));
    let o = obhut(d, &["user", "add", "admin1", "--role", "admin", "--password-stdin"], Some("Correct-Horse-Battery-9\n"));
    assert!(!o.status.success() && text(&o).contains("exists already"), "{}", text(&o));
    let o = obhut(d, &["user", "add", "x2", "--role", "emperor", "--password-stdin"], Some("Correct-Horse-Battery-9\n"));
    assert!(!o.status.success() && text(&o).contains("--role"), "{}", text(&o));
    let o = obhut(d, &["user", "add", "x3", "--role", "user", "--password-stdin"], Some("short\n"));
    assert!(!o.status.success() && text(&o).contains("password"), "{}", text(&o));

    let o = obhut(d, &["token", "create", "--user", "admin1"], None);
    assert!(o.status.success());
    let token = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(token.lines().count(), 1, "token create prints the token alone");
    assert!(token.trim().starts_with("obh_") && token.trim().len() > 40);

    let o = obhut(d, &["contact", "add", "--given-name", "Erika", "--family-name", "Muster", "--email", "erika@example.org"], None);
    assert!(o.status.success(), "{}", text(&o));
    let id = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let o = obhut(d, &["contact", "show", &id, "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["email"], "erika@example.org");
    let o = obhut(d, &["contact", "add", "--family-name", "Bad", "--email", "bad@"], None);
    assert!(!o.status.success() && text(&o).contains("email:"), "{}", text(&o));

    let bad = d.join("bad.csv");
    std::fs::write(&bad, "given_name,family_name,email\nAnna,Alt,anna.alt@example.org\nBernd,Bauer,not-an-email\n").expect("write");
    let o = obhut(d, &["import", "contacts", bad.to_str().expect("path")], None);
    assert!(!o.status.success());
    assert!(text(&o).contains("row 3, field email"), "{}", text(&o));
    let win = d.join("win.csv");
    std::fs::write(&win, b"Vorname;Nachname;E-Mail\nJ\xfcrgen;M\xfcller;juergen.mueller@example.org\n").expect("write");
    let o = obhut(d, &["import", "contacts", win.to_str().expect("path"), "--dry-run"], None);
    assert!(o.status.success() && text(&o).contains("dry run"), "{}", text(&o));
    let o = obhut(d, &["import", "contacts", win.to_str().expect("path")], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = obhut(d, &["contact", "list", "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Müller"));
    let o = obhut(d, &["contact", "list", "-q", "Müll"], None);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Jürgen Müller"), "{}", text(&o));

    for fmt in ["csv", "json", "vcf"] {
        let o = obhut(d, &["export", "contacts", "--format", fmt], None);
        assert!(o.status.success(), "{}", text(&o));
        assert!(String::from_utf8_lossy(&o.stdout).contains("juergen.mueller@example.org"), "{fmt}");
    }
    let o = obhut(d, &["export", "contacts", "--format", "xls"], None);
    assert!(!o.status.success() && text(&o).contains("--format"));

    let o = obhut(d, &["demo", "seed", "--contacts", "50", "--activities", "100"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = obhut(d, &["contact", "list", "--json", "--limit", "1"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["total"], 52);
    let o = obhut(d, &["audit", "verify"], None);
    assert!(o.status.success() && text(&o).contains("intact"), "{}", text(&o));
    let o = obhut(d, &["audit", "verify", "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["intact"], true);
    assert!(v["events"].as_i64().unwrap_or(0) > 10);
    for (format, needle) in [("json", "\"controller\""), ("md", "(f) Retention"), ("html", "<h2>")] {
        let o = obhut(d, &["ropa", "export", "--format", format], None);
        assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).contains(needle), "{format}: {}", text(&o));
    }
    let o = obhut(d, &["audit", "list", "--action", "contact.import", "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(v["total"].as_i64().unwrap_or(0) >= 1, "{v}");
    assert!(v["items"].as_array().into_iter().flatten().all(|e| e["action"] == "contact.import"), "{v}");
    let o = obhut(d, &["ropa", "export", "--format", "pdf"], None);
    assert!(!o.status.success() && text(&o).contains("--format"), "{}", text(&o));

    let o = obhut(d, &["--database-url", "postgres://nobody@127.0.0.1:1/x", "migrate"], None);
    assert!(!o.status.success() && text(&o).contains("cannot be reached"), "{}", text(&o));
}

#[test]
fn serve_prints_a_one_time_setup_link_and_answers_health_checks() {
    let dir = tempfile::tempdir().expect("dir");
    let (mut child, port, seen) = serve(dir.path());
    let ok = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.contains(&format!("http://127.0.0.1:{port}/setup?token=")), "{seen}");
    assert!(ok);
    assert!(dir.path().join("obhut.db").exists());
    let key = std::fs::metadata(dir.path().join("master.key")).expect("key file");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
}

fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn a_fresh_data_directory_is_private_to_its_owner_after_migrate_and_serve() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().expect("dir");
    // Not there yet: the command makes it.
    let d = root.path().join("fresh");
    let o = obhut(&d, &["migrate"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(mode(&d), 0o700, "the data directory");
    for f in ["obhut.db", "master.key"] {
        assert_eq!(mode(&d.join(f)), 0o600, "{f}");
    }
    // Made beforehand by mkdir (0755), empty: the first start makes it the installation's.
    let made = root.path().join("made");
    std::fs::create_dir(&made).expect("mkdir");
    std::fs::set_permissions(&made, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let o = obhut(&made, &["migrate"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(mode(&made), 0o700, "a directory made before the first start");
    let served = root.path().join("served");
    let (mut child, _, seen) = serve(&served);
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.contains("Obhut serves"), "{seen}");
    assert_eq!(mode(&served), 0o700, "the data directory");
    for e in std::fs::read_dir(&served).expect("list").flatten() {
        let want = if e.path().is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode(&e.path()), want, "{}", e.path().display());
    }
    for f in ["obhut.db", "obhut.db-wal", "master.key", "obhut.lock"] {
        assert!(served.join(f).exists(), "{f} was made");
    }
    // An installation's directory that others can read is left as it is and named at start, with the fix.
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let o = Command::new(env!("CARGO_BIN_EXE_obhut"))
        .args(["migrate", "--data-dir"])
        .arg(&d)
        .env_remove("OBHUT_DATABASE_URL")
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&format!("chmod 700 {}", d.display())), "{}", text(&o));
    assert_eq!(mode(&d), 0o755, "an operator's choice is not overridden");
}

#[test]
fn policies_processors_access_and_the_privacy_lint_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    // The policies in force and their schema.
    let o = obhut(d, &["policy", "show"], None);
    assert!(o.status.success() && text(&o).contains("@id(\"admin\")"), "{}", text(&o));
    let o = obhut(d, &["policy", "show", "--schema"], None);
    assert!(text(&o).contains("entity User"), "{}", text(&o));
    // A policy that does not validate is refused with the validator's message.
    let bad = d.join("bad.cedar");
    std::fs::write(&bad, "permit (principal, action, resource) when { principal.department == \"x\" };").expect("write");
    let o = obhut(d, &["policy", "save", bad.to_str().expect("path")], None);
    assert!(!o.status.success() && text(&o).contains("department"), "{}", text(&o));
    let o = obhut(d, &["policy", "show"], None);
    assert!(text(&o).starts_with("// version 1"), "nothing saved: {}", text(&o));
    // A valid one is saved as version 2.
    let good = d.join("good.cedar");
    let current = String::from_utf8_lossy(&obhut(d, &["policy", "show"], None).stdout).lines().skip(1).collect::<Vec<_>>().join("\n");
    std::fs::write(&good, current).expect("write");
    let o = obhut(d, &["policy", "check", good.to_str().expect("path")], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = obhut(d, &["policy", "save", good.to_str().expect("path")], None);
    assert!(o.status.success() && text(&o).contains("version 2"), "{}", text(&o));

    // A processor, refused outside the EEA without a mechanism, saved when complete.
    let p = d.join("cc.json");
    let body = |country: &str| {
        format!(
            r#"{{"key":"callcenter","name":"Callcenter Nord GmbH","contract_date":"2026-01-15","purposes":["phone_marketing"],
            "scope_tag":"callcenter","valid_from":"2026-01-01","valid_until":"2027-12-31","country":"{country}","contact":"dsb@cc.example"}}"#
        )
    };
    std::fs::write(&p, body("US")).expect("write");
    let o = obhut(d, &["processor", "save", p.to_str().expect("path")], None);
    assert!(!o.status.success() && text(&o).contains("transfer_mechanism"), "{}", text(&o));
    std::fs::write(&p, body("DE")).expect("write");
    let o = obhut(d, &["processor", "save", p.to_str().expect("path")], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = obhut(d, &["user", "add", "agent", "--role", "user", "--password-stdin"], Some("Correct-Horse-Battery-9\n"));
    assert!(o.status.success(), "{}", text(&o));
    let o = obhut(d, &["user", "access", "agent", "--role", "processor", "--processor", "nope"], None);
    assert!(!o.status.success() && text(&o).contains("no processor"), "{}", text(&o));
    let o = obhut(d, &["user", "access", "agent", "--role", "processor", "--processor", "callcenter"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = obhut(d, &["user", "list", "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v[0]["processor"], "callcenter");

    // Read-event retention: 0 days is refused on the command line, a real period runs.
    let o = obhut(d, &["audit", "retention", "--days", "0"], None);
    assert!(!o.status.success() && text(&o).contains("--days"), "{}", text(&o));
    let o = obhut(d, &["audit", "retention", "--days", "30"], None);
    assert!(o.status.success() && text(&o).contains("still verifies"), "{}", text(&o));

    // The lint is clean, and the field catalog names the justifying purposes.
    let o = obhut(d, &["contact", "add", "--family-name", "Muster"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = obhut(d, &["privacy", "lint"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = obhut(d, &["privacy", "fields"], None);
    assert!(text(&o).contains("user.contact.email") && !text(&o).contains("UNJUSTIFIED"), "{}", text(&o));
}

#[test]
fn the_access_report_and_the_data_export_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let o =
        obhut(d, &["contact", "add", "--given-name", "Jürgen", "--family-name", "Weißmüller", "--email", "juergen.w@example.org"], None);
    assert!(o.status.success(), "{}", text(&o));
    let id = String::from_utf8_lossy(&o.stdout).trim().to_string();

    let o = obhut(d, &["dsr", "access", &id], None);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json on standard output");
    assert_eq!(v["personal_data"]["emails"][0]["address"], "juergen.w@example.org");
    assert_eq!(v["source"]["origin_source"], "cli");
    assert!(v["purposes"].as_array().is_some_and(|p| p.iter().all(|p| p["legal_basis"]["basis"].is_string())));

    let html = d.join("auskunft.html");
    let o = obhut(d, &["dsr", "access", &id, "--format", "html", "-o", html.to_str().expect("path")], None);
    assert!(o.status.success(), "{}", text(&o));
    let page = std::fs::read_to_string(&html).expect("html written");
    assert!(page.contains("lang=\"de\"") && page.contains("Weißmüller") && page.contains("Ihre Rechte"));
    let o = obhut(d, &["dsr", "access", &id, "--format", "pdf", "--lang", "en"], None);
    assert!(o.status.success() && o.stdout.starts_with(b"%PDF-"), "{}", text(&o));

    let zip = d.join("export.zip");
    let o = obhut(d, &["dsr", "export", &id, "-o", zip.to_str().expect("path")], None);
    assert!(o.status.success(), "{}", text(&o));
    let bytes = std::fs::read(&zip).expect("zip written");
    assert!(bytes.starts_with(b"PK\x03\x04"));
    for name in ["data.json", "data.csv", "contact.vcf"] {
        assert!(bytes.windows(name.len()).any(|w| w == name.as_bytes()), "{name} in the archive");
    }

    // An unknown contact: a clear error naming the id, a failing exit code, no file.
    let unknown = "0190a1b2-0000-7000-8000-000000000000";
    let missing = d.join("missing.pdf");
    let o = obhut(d, &["dsr", "access", unknown, "--format", "pdf", "-o", missing.to_str().expect("path")], None);
    assert!(!o.status.success() && text(&o).contains(&format!("no contact with the id '{unknown}'")), "{}", text(&o));
    assert!(!missing.exists() && o.stdout.is_empty());
    let missing = d.join("missing.zip");
    let o = obhut(d, &["dsr", "export", unknown, "-o", missing.to_str().expect("path")], None);
    assert!(!o.status.success() && text(&o).contains(unknown), "{}", text(&o));
    assert!(!missing.exists());
    let o = obhut(d, &["dsr", "access", &id, "--format", "docx"], None);
    assert!(!o.status.success() && text(&o).contains("--format"), "{}", text(&o));

    let o = obhut(d, &["audit", "list", "--subject", &id, "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let actions: Vec<&str> = v["items"].as_array().into_iter().flatten().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "dsr.access_report").count(), 3, "{actions:?}");
    assert!(actions.contains(&"dsr.portability"), "{actions:?}");
}

#[test]
fn retention_rules_holds_and_the_dry_run_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let o = obhut(d, &["contact", "add", "--given-name", "Paul", "--family-name", "Prospekt", "--email", "paul@example.org"], None);
    assert!(o.status.success(), "{}", text(&o));
    let id = String::from_utf8_lossy(&o.stdout).trim().to_string();

    let o = obhut(d, &["retention", "rules"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("contact.prospect") && text(&o).contains("activity.letter"), "{}", text(&o));

    // Looking ahead three years: the prospect would be erased, and why; nothing changes.
    let ahead = (time::OffsetDateTime::now_utc().date() + time::Duration::days(3 * 365)).to_string();
    let o = obhut(d, &["retention", "run", "--dry-run", "--at", &ahead], None);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains(&id) && out.contains("erase") && out.contains("last contact"), "{out}");
    assert!(out.contains("dry run (nothing changed)"), "{out}");
    let o = obhut(d, &["contact", "show", &id, "--json"], None);
    assert!(o.status.success(), "the contact is still there");

    // Bad input names the flag, and a sweep that changes data cannot run in the future.
    let o = obhut(d, &["retention", "run", "--dry-run", "--at", "31.12.2030"], None);
    assert!(!o.status.success() && text(&o).contains("--at"), "{}", text(&o));
    let o = obhut(d, &["retention", "run", "--at", &ahead], None);
    assert!(!o.status.success() && text(&o).contains("dry run"), "{}", text(&o));
    let o = obhut(d, &["retention", "set-rule", "activity.order", "--period", "5y"], None);
    assert!(!o.status.success() && text(&o).contains("period"), "{}", text(&o));

    // A hold postpones it.
    let o = obhut(d, &["retention", "hold", &id, "--reason", "Klage anhängig"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = obhut(d, &["retention", "run", "--dry-run", "--at", &ahead, "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["steps"][0]["action"], "held", "{v}");
    assert_eq!(v["counts"]["held"], 1, "{v}");
}

#[test]
fn restriction_rectification_and_recipient_tasks_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let o = obhut(d, &["contact", "add", "--given-name", "Rosa", "--family-name", "Sperrig", "--email", "rosa@example.org"], None);
    assert!(o.status.success(), "{}", text(&o));
    let id = String::from_utf8_lossy(&o.stdout).trim().to_string();

    // Bad input names the flag and changes nothing.
    let o = obhut(d, &["dsr", "restrict", &id, "--reason", " "], None);
    assert!(!o.status.success() && text(&o).contains("--reason:"), "{}", text(&o));
    let o = obhut(d, &["dsr", "restrict", &id, "--reason", "geprüft", "--until", "2001-01-01"], None);
    assert!(!o.status.success() && text(&o).contains("--until:"), "{}", text(&o));
    let o = obhut(d, &["dsr", "restrict", &id, "--reason", "Richtigkeit bestritten", "--json"], None);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["restricted"], true);
    let o = obhut(d, &["dsr", "lift", &id, "--informed-on", "2999-01-01"], None);
    assert!(!o.status.success() && text(&o).contains("--informed-on:"), "{}", text(&o));
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let o = obhut(d, &["dsr", "lift", &id, "--informed-on", &today, "--informed-via", "letter"], None);
    assert!(o.status.success() && text(&o).contains("lifted"), "{}", text(&o));

    // Rectification through its case.
    let o = obhut(
        d,
        &[
            "dsr",
            "open",
            "--contact",
            &id,
            "--kind",
            "rectification",
            "--via",
            "letter",
            "--identity",
            "manual",
            "--note",
            "Ausweis",
            "--json",
        ],
        None,
    );
    assert!(o.status.success(), "{}", text(&o));
    let case: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let reference = case["reference"].as_str().expect("reference").to_string();
    let o = obhut(d, &["dsr", "rectify", &reference, "--set", "nonsense"], None);
    assert!(!o.status.success() && text(&o).contains("--set"), "{}", text(&o));
    let o = obhut(d, &["dsr", "rectify", &reference, "--set", "email=kaputt"], None);
    assert!(!o.status.success() && text(&o).contains("email"), "{}", text(&o));
    let o = obhut(d, &["dsr", "rectify", &reference, "--set", "family_name=Sperling"], None);
    assert!(o.status.success() && text(&o).contains("corrected: family_name"), "{}", text(&o));
    let o = obhut(d, &["contact", "show", &id, "--json"], None);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["family_name"], "Sperling");
    // No recipient was ever disclosed to: no tasks.
    let o = obhut(d, &["dsr", "notifications", "--open", "--json"], None);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("json"), serde_json::json!([]));
    let o = obhut(d, &["dsr", "notified", "no-such-task", "--note", "x"], None);
    assert!(!o.status.success() && text(&o).contains("not found"), "{}", text(&o));
}

/// One HTTP/1.1 request over a plain socket: the status, the `name=value` of every cookie set,
/// and the body.
fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Vec<String>, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let raw = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let cookies = head
        .lines()
        .filter_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie")))
        .filter_map(|(_, v)| v.trim().split(';').next().map(str::to_string))
        .collect();
    (status, cookies, body.to_string())
}

#[test]
fn offboarding_from_the_command_line_takes_effect_in_a_running_server() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    for name in ["admin1", "anna"] {
        let role = if name == "admin1" { "admin" } else { "user" };
        let o = obhut(d, &["user", "add", name, "--role", role, "--password-stdin"], Some("Correct-Horse-Battery-9\n"));
        assert!(o.status.success(), "{}", text(&o));
    }
    let o = obhut(d, &["token", "create", "--user", "anna", "--label", "laptop"], None);
    assert!(o.status.success(), "{}", text(&o));
    let token = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let o = obhut(d, &["token", "create", "--user", "anna", "--label", "ci", "--days", "0"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = obhut(d, &["token", "create", "--user", "anna", "--days", "-1"], None);
    assert!(!o.status.success() && text(&o).contains("--days:"), "{}", text(&o));
    let o = obhut(d, &["token", "create", "--user", "nobody"], None);
    assert!(!o.status.success() && text(&o).contains("--user:"), "{}", text(&o));

    // The list: text with "never", and JSON that parses, with the 90-day default.
    let o = obhut(d, &["token", "list"], None);
    assert!(o.status.success() && text(&o).contains("never") && text(&o).contains("laptop"), "{}", text(&o));
    assert!(!text(&o).contains(&token), "never a secret");
    let o = obhut(d, &["token", "list", "--user", "anna", "--json"], None);
    assert!(o.status.success(), "{}", text(&o));
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("token list --json is JSON");
    let list = list.as_array().expect("an array").clone();
    assert_eq!(list.len(), 2);
    let laptop = list.iter().find(|t| t["label"] == "laptop").expect("laptop");
    let ci = list.iter().find(|t| t["label"] == "ci").expect("ci");
    assert!(ci["expires_at"].is_null() && laptop["live"] == true, "{laptop} {ci}");
    let (created, expires) = (laptop["created_at"].as_str().expect("created"), laptop["expires_at"].as_str().expect("expires"));
    let parse = |s: &str| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).expect("rfc3339");
    assert_eq!(parse(expires) - parse(created), time::Duration::days(90), "the default expiry");
    for key in ["id", "user", "created_at", "last_used_at", "revoked_at"] {
        assert!(laptop.get(key).is_some(), "{key} in {laptop}");
    }
    let o = obhut(d, &["token", "list", "--user", "nobody"], None);
    assert!(!o.status.success() && text(&o).contains("--user:"), "{}", text(&o));

    // A server runs; anna uses her token and signs in to the web UI.
    let (mut server, port, _) = serve(d);
    let bearer = format!("Bearer {token}");
    let me = || http(port, "GET", "/api/v1/me", &[("Authorization", &bearer)], "").0;
    assert_eq!(me(), 200);
    let (_, cookies, page) = http(port, "GET", "/login", &[], "");
    let at = page.find("name=\"csrf\" value=\"").expect("csrf") + "name=\"csrf\" value=\"".len();
    let csrf = &page[at..at + page[at..].find('"').expect("end")];
    let form = format!("csrf={csrf}&username=anna&password=Correct-Horse-Battery-9&next=%2Fcontacts");
    let jar = cookies.join("; ");
    let (s, session, _) = http(port, "POST", "/login", &[("Cookie", &jar), ("Content-Type", "application/x-www-form-urlencoded")], &form);
    assert_eq!(s, 303);
    let jar = [cookies, session].concat().join("; ");
    let page = || http(port, "GET", "/contacts", &[("Cookie", &jar)], "").0;
    assert_eq!(page(), 200);

    // Bad input changes nothing.
    let o = obhut(d, &["user", "disable", "nobody"], None);
    assert!(!o.status.success() && text(&o).contains("user: no user named 'nobody'"), "{}", text(&o));
    let o = obhut(d, &["user", "password", "anna"], Some("Another-Long-Pass-7\n"));
    assert!(!o.status.success() && text(&o).contains("--stdin"), "{}", text(&o));
    let o = obhut(d, &["user", "password", "anna", "--stdin"], Some("short\n"));
    assert!(!o.status.success() && text(&o).contains("password:"), "{}", text(&o));
    let o = obhut(d, &["token", "revoke", "not-an-id"], None);
    assert!(!o.status.success() && text(&o).contains("id:"), "{}", text(&o));
    let o = obhut(d, &["token", "revoke", "0190b2a4-5d6e-7f00-8000-000000000000"], None);
    assert!(!o.status.success() && text(&o).contains("id: no token"), "{}", text(&o));
    assert_eq!((me(), page()), (200, 200), "nothing changed");

    // Disabled from the command line: the running server refuses the very next requests.
    let o = obhut(d, &["user", "disable", "anna"], None);
    assert!(o.status.success() && text(&o).contains("1 session(s) ended, 2 token(s) revoked"), "{}", text(&o));
    let (me_now, page_now) = (me(), page());
    let o = obhut(d, &["user", "list"], None);
    assert!(text(&o).lines().any(|l| l.starts_with("anna ") && l.ends_with("disabled")), "{}", text(&o));
    let o = obhut(d, &["user", "enable", "anna"], None);
    assert!(o.status.success() && text(&o).contains("stay revoked"), "{}", text(&o));
    let still = me();
    let o = obhut(d, &["user", "password", "anna", "--stdin"], Some("Another-Long-Pass-7\n"));
    assert!(o.status.success() && text(&o).contains("must be changed at the next sign-in"), "{}", text(&o));
    let o = obhut(d, &["user", "list", "--json"], None);
    let users: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let anna = users.as_array().expect("users").iter().find(|u| u["username"] == "anna").expect("anna").clone();
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!((me_now, page_now), (401, 401), "token and web session end at once");
    assert_eq!(still, 401, "tokens revoked by disabling stay revoked");
    assert_eq!((anna["disabled"].as_bool(), anna["must_change_password"].as_bool()), (Some(false), Some(true)), "{anna}");

    // A token revoked by id; revoking it again changes nothing.
    let o = obhut(d, &["token", "create", "--user", "anna"], None);
    assert!(o.status.success(), "{}", text(&o));
    let o = obhut(d, &["token", "list", "--json"], None);
    let list: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let live: Vec<&str> = list.as_array().expect("array").iter().filter(|t| t["live"] == true).filter_map(|t| t["id"].as_str()).collect();
    assert_eq!(live.len(), 1, "{list}");
    let o = obhut(d, &["token", "revoke", live[0]], None);
    assert!(o.status.success() && text(&o).contains("revoked"), "{}", text(&o));
    let o = obhut(d, &["token", "revoke", live[0]], None);
    assert!(o.status.success() && text(&o).contains("nothing changed"), "{}", text(&o));
    let o = obhut(d, &["audit", "list", "--json", "--limit", "200"], None);
    let trail = String::from_utf8_lossy(&o.stdout).to_string();
    for action in ["user.disable", "user.enable", "user.password_reset", "token.create", "token.revoke"] {
        assert!(trail.contains(action), "{action} audited");
    }
    assert!(!trail.contains("Another-Long-Pass-7") && !trail.contains(&token), "no password or token in the trail");
}

#[test]
fn the_mailbox_fetch_says_what_is_missing_and_what_is_wrong() {
    let dir = tempfile::tempdir().expect("dir");
    let o = obhut(dir.path(), &["mailbox", "fetch"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("no support mailbox is set: OBHUT_IMAP_URL="), "{}", text(&o));
    // A mailbox nobody answers at: the error names the server, never the password.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let o = Command::new(env!("CARGO_BIN_EXE_obhut"))
        .args(["mailbox", "fetch", "--data-dir"])
        .arg(dir.path())
        .env_remove("OBHUT_DATABASE_URL")
        .env("OBHUT_IMAP_URL", format!("imap://support:geheim@127.0.0.1:{port}/INBOX"))
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(1));
    let said = text(&o);
    assert!(said.contains(&format!("connecting to 127.0.0.1:{port}")), "{said}");
    assert!(!said.contains("geheim"), "{said}");
    let o = Command::new(env!("CARGO_BIN_EXE_obhut"))
        .args(["mailbox", "fetch", "--data-dir"])
        .arg(dir.path())
        .env("OBHUT_IMAP_URL", "pop3://x@host")
        .output()
        .expect("run");
    assert!(text(&o).contains("OBHUT_IMAP_URL") && text(&o).contains("imap:// or imaps://"), "{}", text(&o));
}
