//! `obhut dsr`: data subject rights (Art. 15–21 GDPR): request cases with their deadlines,
//! the identity check, erasure, restriction, rectification, the notification of recipients
//! (Art. 19), the access report and the data export.

use crate::context::{open, Global};
use crate::error::{bail, CliError, Flags, Result, ResultExt};
use crate::output::{self, print_json, rfc3339};
use clap::Subcommand;
use obhut_core::contact::ContactInput;
use obhut_server::services;
use obhut_server::Actor;
use std::io::Write;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum DsrCmd {
    /// Open a case for a request; its deadline is one month after receipt (Art. 12(3)).
    Open {
        /// The contact the request is about.
        #[arg(long)]
        contact: String,
        /// access, rectification, erasure, restriction, portability, objection, withdrawal.
        #[arg(long)]
        kind: String,
        /// email, letter, phone, web_form, in_person.
        #[arg(long)]
        via: String,
        /// YYYY-MM-DD (default today).
        #[arg(long)]
        received: Option<String>,
        /// known_identity (with --evidence), email_code or manual (with --note).
        #[arg(long)]
        identity: Option<String>,
        /// The email address or phone number the request came from.
        #[arg(long)]
        evidence: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Cases by due date, open ones first; overdue ones marked.
    List {
        /// Open cases only.
        #[arg(long)]
        open: bool,
        #[arg(long, default_value_t = 200)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// One case (by id or reference such as DSR-2026-0001).
    Show { case: String },
    /// Record how the requester's identity was checked.
    Verify {
        case: String,
        /// known_identity (with --evidence), email_code or manual (with --note).
        #[arg(long)]
        identity: String,
        #[arg(long)]
        evidence: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Send the requester a six-digit code by email for the identity check `email_code`; then
    /// `obhut dsr verify CASE --identity email_code --evidence CODE`.
    SendCode {
        case: String,
        /// One of the contact's known addresses (default: its first).
        #[arg(long)]
        address: Option<String>,
    },
    /// Extend the deadline once by up to two months (before it passes, the person told).
    Extend {
        case: String,
        #[arg(long)]
        reason: String,
        /// When the person was told (YYYY-MM-DD).
        #[arg(long)]
        informed: String,
        /// The new deadline (default: the latest permitted).
        #[arg(long)]
        until: Option<String>,
    },
    /// Close a case: completed, rejected or cancelled.
    Close {
        case: String,
        #[arg(long)]
        status: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Raise reminders for deadlines within seven days and flag overdue cases (the server
    /// does this every hour).
    Remind,
    /// Erase a contact (Art. 17): its data, mails and key; the audit trail keeps its events,
    /// unreadable. A later request for it answers 410 Gone.
    Erase {
        contact_id: String,
        /// Why (for example the request it answers). Never name the person here.
        #[arg(long)]
        reason: String,
        /// The request case this erasure answers.
        #[arg(long)]
        case: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Restrict processing of a contact (Art. 18): it is only stored from now on, left out of
    /// every list, search, audience, export and job except for the DPO and administrators.
    /// Recipients of its data get notification tasks (Art. 19).
    Restrict {
        contact_id: String,
        /// Why, e.g. "accuracy contested (Art. 18(1)(a))". Never name the person here.
        #[arg(long)]
        reason: String,
        /// The restriction ends at this day (YYYY-MM-DD).
        #[arg(long)]
        until: Option<String>,
        /// The restriction request case this answers; it is completed with it.
        #[arg(long)]
        case: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Lift a restriction (Art. 18(3)): only after the person was told of it.
    Lift {
        contact_id: String,
        /// The day the person was told (YYYY-MM-DD), not in the future.
        #[arg(long = "informed-on")]
        informed_on: String,
        /// How the person was told: email, letter, phone, web_form, in_person.
        #[arg(long = "informed-via")]
        informed_via: Option<String>,
        #[arg(long)]
        case: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Correct the contact of a rectification case (Art. 16), e.g. `--set family_name=Müller
    /// --set email=new@example.org`; the field names are those of the contact API. Recipients
    /// get notification tasks (Art. 19).
    Rectify {
        /// The case (id or reference such as DSR-2026-0001).
        case: String,
        /// field=value; repeat for several fields. An empty value clears the field; tags are
        /// separated by commas.
        #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
        set: Vec<String>,
    },
    /// Notification tasks for the recipients of rectified, erased or restricted data (Art. 19).
    Notifications {
        /// Open tasks only.
        #[arg(long)]
        open: bool,
        /// The tasks of one case.
        #[arg(long)]
        case: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Mark a notification task done, saying how and when the recipient was told.
    Notified {
        id: String,
        #[arg(long)]
        note: String,
    },
    /// The Art. 15 access report of a contact: a copy of the data with purposes, legal bases,
    /// categories, recipients, retention, source, rights and the audit trail (audited).
    Access {
        contact_id: String,
        /// json, html or pdf.
        #[arg(long, default_value = "json", value_parser = ["json", "html", "pdf"])]
        format: String,
        /// The language of html and pdf: de or en.
        #[arg(long, default_value = "de", value_parser = ["de", "en"])]
        lang: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// The Art. 20 data export of a contact: one zip file with data.json, data.csv and
    /// contact.vcf (audited).
    Export {
        contact_id: String,
        /// The zip file to write.
        #[arg(long, short)]
        output: PathBuf,
    },
}

pub async fn run(g: &Global, cmd: DsrCmd) -> Result<()> {
    let show = |c: &services::cases::CaseView, json: bool| -> Result<()> {
        if json {
            print_json(c)?;
        } else {
            print_case(c);
        }
        Ok(())
    };
    match cmd {
        DsrCmd::Open { contact, kind, via, received, identity, evidence, note, json } => {
            let app = open(g).await?;
            let input = services::dsr::NewCase {
                contact_id: contact,
                kind,
                received_on: received,
                received_via: via,
                identity_check: identity,
                identity_evidence: evidence,
                identity_note: note,
            };
            show(&services::dsr::open_case(&app, &Actor::cli(), &input).await?, json)?;
        }
        DsrCmd::List { open: only_open, limit, json } => {
            let app = open(g).await?;
            let cases = services::dsr::list_cases(&app, &Actor::cli(), only_open, limit).await?;
            if json {
                print_json(&cases)?;
            } else {
                for c in &cases {
                    print_case(c);
                }
            }
        }
        DsrCmd::Show { case } => {
            let app = open(g).await?;
            show(&services::dsr::get_case(&app, &Actor::cli(), &case).await?, true)?;
        }
        DsrCmd::Verify { case, identity, evidence, note } => {
            let app = open(g).await?;
            let c = services::dsr::verify_identity(&app, &Actor::cli(), &case, &identity, evidence.as_deref(), note.as_deref()).await?;
            show(&c, false)?;
        }
        DsrCmd::SendCode { case, address } => {
            let app = open(g).await?;
            let sent = services::dsr::send_identity_code(&app, &Actor::cli(), &case, address.as_deref()).await?;
            println!("code sent to {}; valid until {}", sent.sent_to, rfc3339(sent.expires_at));
        }
        DsrCmd::Extend { case, reason, informed, until } => {
            let app = open(g).await?;
            let c = services::dsr::extend(&app, &Actor::cli(), &case, &reason, &informed, until.as_deref()).await?;
            show(&c, false)?;
        }
        DsrCmd::Close { case, status, reason } => {
            let app = open(g).await?;
            show(&services::dsr::close_case(&app, &Actor::cli(), &case, &status, reason.as_deref()).await?, false)?;
        }
        DsrCmd::Remind => {
            let app = open(g).await?;
            let (soon, overdue) = services::dsr::remind(&app).await?;
            println!("{soon} reminder(s) of deadlines within seven days, {overdue} case(s) newly overdue");
        }
        DsrCmd::Erase { contact_id, reason, case, json } => {
            let app = open(g).await?;
            let e = services::erasure::erase(&app, &Actor::cli(), &contact_id, &reason, case.as_deref()).await?;
            if json {
                print_json(&e)?;
            } else if let Some(until) = &e.restricted_until {
                println!("contact {}: erased what no legal duty keeps; the rest is restricted until {until}", e.contact_id);
                for k in &e.kept {
                    println!("kept: {k}");
                }
            } else {
                println!("contact {} erased at {}", e.contact_id, rfc3339(e.erased_at));
                if e.mails_deleted > 0 {
                    println!("{} delivered mail file(s) deleted", e.mails_deleted);
                }
                for k in &e.kept {
                    println!("kept: {k}");
                }
            }
        }
        DsrCmd::Restrict { contact_id, reason, until, case, json } => {
            let app = open(g).await?;
            const FLAGS: Flags = &[("until", "--until"), ("reason", "--reason"), ("case", "--case")];
            let until = services::restriction::optional_date("until", until.as_deref()).flags(FLAGS)?;
            let r = services::restriction::restrict(&app, &Actor::cli(), &contact_id, &reason, until, case.as_deref())
                .await
                .contact(&contact_id)
                .flags(FLAGS)?;
            print_restriction(&r, json)?;
        }
        DsrCmd::Lift { contact_id, informed_on, informed_via, case, json } => {
            let app = open(g).await?;
            const FLAGS: Flags = &[("person_informed_on", "--informed-on"), ("informed_via", "--informed-via"), ("case", "--case")];
            let on = services::restriction::optional_date("person_informed_on", Some(&informed_on)).flags(FLAGS)?;
            let r = services::restriction::lift_restriction(&app, &Actor::cli(), &contact_id, on, informed_via.as_deref(), case.as_deref())
                .await
                .contact(&contact_id)
                .flags(FLAGS)?;
            print_restriction(&r, json)?;
        }
        DsrCmd::Rectify { case, set } => {
            let patch = parse_sets(&set)?;
            let app = open(g).await?;
            let c = services::rights::rectify(&app, &Actor::cli(), &case, patch).await?;
            show(&c, false)?;
            println!("corrected: {}", c.rectified_fields.join(", "));
        }
        DsrCmd::Notifications { open: only_open, case, json } => {
            let app = open(g).await?;
            let case_id = match case {
                Some(c) => Some(services::dsr::get_case(&app, &Actor::cli(), &c).await?.id),
                None => None,
            };
            let filter = obhut_store::recipient_notices::NoticeFilter { open_only: only_open, case_id, contact_id: None };
            let list = services::recipients::notifications(&app, &Actor::cli(), &filter, 10_000).await?;
            if json {
                print_json(&list)?;
            } else {
                for n in &list {
                    let state = match n.done_at {
                        Some(at) => format!("done {} by {}", rfc3339(at), n.done_by.as_deref().unwrap_or("")),
                        None => "open".into(),
                    };
                    println!("{}  {:<19} contact {}  {}  {}", n.id, n.event, n.contact_id, n.recipient, state);
                }
            }
        }
        DsrCmd::Notified { id, note } => {
            let app = open(g).await?;
            let n = services::recipients::mark_notified(&app, &Actor::cli(), &id, &note).await.flags(&[("note", "--note")])?;
            println!("{} told of the {} of contact {}", n.recipient, n.event, n.contact_id);
        }
        DsrCmd::Access { contact_id, format, lang, output } => {
            use services::dsr_report as report;
            let format = report::Format::parse(&format).flag("--format")?;
            let lang = report::parse_lang(&lang).flag("--lang")?;
            let app = open(g).await?;
            let r = report::access_report(&app, &Actor::cli(), &contact_id).await.contact(&contact_id)?;
            let mut bytes = report::render(&r, format, lang, None)?;
            if format == report::Format::Json {
                bytes.push(b'\n');
            }
            // Written only once the report exists: a refused or unknown contact leaves no file.
            match &output {
                Some(p) => {
                    output::write_file(p, &bytes)?;
                    eprintln!("access report of {} written to {}", r.subject.id, p.display());
                }
                None => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&bytes)?;
                    out.flush()?;
                }
            }
        }
        DsrCmd::Export { contact_id, output } => {
            let app = open(g).await?;
            let zip = services::dsr_report::portability(&app, &Actor::cli(), &contact_id).await.contact(&contact_id)?;
            output::write_file(&output, &zip)?;
            eprintln!("data export written to {} ({} bytes)", output.display(), zip.len());
        }
    }
    Ok(())
}

fn print_case(c: &services::cases::CaseView) {
    let due = if c.overdue {
        format!("OVERDUE since {} ({} days)", c.due_on, -c.days_left)
    } else if c.status == "received" || c.status == "in_progress" {
        format!("due {} ({} days left)", c.due_on, c.days_left)
    } else {
        format!("due {}", c.due_on)
    };
    println!("{}  {:<13} {:<10} {:<11} contact {}  {}", c.reference, c.kind, c.article, c.status, c.contact_id, due);
}

fn print_restriction(r: &services::restriction::RestrictionView, json: bool) -> Result<()> {
    if json {
        print_json(r)?;
    } else if r.restricted {
        let until = r.until.as_deref().map(|u| format!(" until {u}")).unwrap_or_default();
        println!("processing of contact {} restricted (Art. 18){until}", r.contact_id);
    } else {
        println!("restriction of contact {} lifted", r.contact_id);
    }
    if r.recipient_notices > 0 {
        println!("{} recipient(s) to tell (Art. 19): see `obhut dsr notifications --open`", r.recipient_notices);
    }
    Ok(())
}

/// `--set field=value` flags as a contact change with the API's field names.
fn parse_sets(sets: &[String]) -> Result<ContactInput> {
    let mut m = serde_json::Map::new();
    for s in sets {
        let (k, v) = s.split_once('=').ok_or_else(|| CliError::msg(format!("--set '{s}': write field=value")))?;
        let k = k.trim();
        let v = match k {
            "tags" => serde_json::json!(v.split(',').map(str::trim).filter(|t| !t.is_empty()).collect::<Vec<_>>()),
            "emails" | "phones" | "addresses" => bail!("--set {k}: set the first entry with email=, phone= or use the API for lists"),
            _ => serde_json::Value::String(v.to_string()),
        };
        m.insert(k.to_string(), v);
    }
    serde_json::from_value(serde_json::Value::Object(m)).flag("--set")
}
