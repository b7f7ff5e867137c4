//! `obhut consent`: consent and marketing permission: double opt-in, the ledger,
//! withdrawal, evidence, receipts, review and notice texts.

use crate::context::{open, read_file_or_stdin, Global};
use crate::error::{bail, Result};
use crate::output::{print_json, rfc3339};
use clap::Subcommand;
use obhut_core::consent::ExistingCustomer;
use obhut_server::services;
use obhut_server::Actor;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ConsentCmd {
    /// Send a double opt-in mail; the consent counts once its link is confirmed.
    Request {
        contact_id: String,
        #[arg(long)]
        purpose: String,
        #[arg(long, default_value = "email")]
        channel: String,
        #[arg(long)]
        topic: Option<String>,
        /// One of the contact's addresses (default: its first).
        #[arg(long)]
        address: Option<String>,
        /// de or en (default: the contact's language).
        #[arg(long)]
        language: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The ledger of a contact, its consents and the permission per channel.
    Show {
        contact_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Withdraw a consent (Art. 7(3) GDPR).
    Withdraw {
        contact_id: String,
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        channel: String,
        #[arg(long)]
        topic: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Record a consent event with its evidence: given, refused, withdrawn, confirmed (out of
    /// band), renewed, objected, objection_lifted or basis_recorded.
    Record {
        contact_id: String,
        #[arg(long)]
        kind: String,
        /// Not needed for objections (they cover every purpose on the channel).
        #[arg(long)]
        purpose: Option<String>,
        #[arg(long)]
        channel: String,
        #[arg(long)]
        topic: Option<String>,
        /// paper, recorded_call, import, api or staff.
        #[arg(long)]
        method: Option<String>,
        /// Where the signed form or call recording is kept.
        #[arg(long)]
        recording_ref: Option<String>,
        #[arg(long)]
        note: Option<String>,
        /// The address or number the declaration concerns.
        #[arg(long)]
        address: Option<String>,
        /// § 7(3) UWG: all four conditions hold and are documented.
        #[arg(long)]
        existing_customer: bool,
        /// Business phone: the concrete reason for presumed consent.
        #[arg(long)]
        presumed_consent_reason: Option<String>,
    },
    /// A consent record as an ISO/IEC TS 27560 style JSON receipt.
    Receipt {
        contact_id: String,
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        channel: String,
        #[arg(long)]
        topic: Option<String>,
    },
    /// Consents due for review (given or unused for longer than the configured months);
    /// --send mails re-confirmation requests, --expire ends them.
    Review {
        #[arg(long)]
        send: bool,
        #[arg(long)]
        expire: bool,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Save a new version of a notice text (from a file, or standard input with -).
    Notice {
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        channel: String,
        #[arg(long)]
        language: String,
        file: PathBuf,
    },
}

pub async fn run(g: &Global, cmd: ConsentCmd) -> Result<()> {
    let app = open(g).await?;
    let actor = Actor::cli();
    match cmd {
        ConsentCmd::Request { contact_id, purpose, channel, topic, address, language, json } => {
            let r = services::consent::request(
                &app,
                &actor,
                &contact_id,
                &purpose,
                &channel,
                topic.as_deref(),
                address.as_deref(),
                language.as_deref(),
            )
            .await?;
            // Deliver at once when no server runs; a running server may have taken it already.
            let d = services::mail::deliver_due(&app).await?;
            if json {
                print_json(&serde_json::json!({"request": r, "delivery": d}))?;
            } else {
                println!(
                    "double opt-in request {} sent for {} / {}; the link is valid until {}",
                    r.request_id,
                    r.purpose,
                    r.channel.as_str(),
                    rfc3339(r.expires_at)
                );
                if d.retried > 0 || d.failed > 0 {
                    eprintln!("warning: the mail is queued but not delivered yet (see obhut outbox list); it is retried");
                }
            }
        }
        ConsentCmd::Show { contact_id, json } => {
            let o = services::consent::overview(&app, &actor, &contact_id).await?;
            if json {
                print_json(&o)?;
            } else {
                println!("contact {}{}", o.contact_id, if o.restricted { " (processing restricted, Art. 18)" } else { "" });
                println!("consents:");
                for c in &o.consents {
                    let topic = if c.topic.is_empty() { String::new() } else { format!(" [{}]", c.topic) };
                    println!("  {:<20} {:<6}{} {}", c.purpose, c.channel.as_str(), topic, c.dpv);
                }
                println!("permission:");
                for p in &o.permissions {
                    println!("  {:<20} {:<6} {:<5} {}", p.purpose, p.channel.as_str(), if p.allowed { "yes" } else { "no" }, p.explanation);
                }
                println!("ledger:");
                for e in &o.events {
                    println!(
                        "  {}  {:<16} {:<20} {:<6} {:<22} {}",
                        rfc3339(e.at),
                        e.kind.as_str(),
                        e.purpose,
                        e.channel.as_str(),
                        e.method.as_str(),
                        e.actor
                    );
                }
            }
        }
        ConsentCmd::Withdraw { contact_id, purpose, channel, topic, note } => {
            let e = services::consent::withdraw(&app, &actor, &contact_id, &purpose, &channel, topic.as_deref(), note.as_deref()).await?;
            println!("withdrawn: {} / {} ({})", e.purpose, e.channel.as_str(), e.id);
        }
        ConsentCmd::Record {
            contact_id,
            kind,
            purpose,
            channel,
            topic,
            method,
            recording_ref,
            note,
            address,
            existing_customer,
            presumed_consent_reason,
        } => {
            let input = services::consent::RecordInput {
                purpose,
                channel,
                topic,
                kind,
                method,
                language: None,
                recording_ref,
                address,
                note,
                existing_customer: existing_customer.then_some(ExistingCustomer {
                    address_from_sale: true,
                    own_similar_products: true,
                    notice_at_collection: true,
                    notice_in_every_mail: true,
                }),
                presumed_consent_reason,
            };
            let e = services::consent::record(&app, &actor, &contact_id, &input).await?;
            println!("recorded {} for {} / {} ({})", e.kind.as_str(), e.purpose, e.channel.as_str(), e.id);
        }
        ConsentCmd::Receipt { contact_id, purpose, channel, topic } => {
            let r = services::consent::receipt(&app, &actor, &contact_id, &purpose, &channel, topic.as_deref()).await?;
            print_json(&r)?;
        }
        ConsentCmd::Review { send, expire, limit, json } => {
            if send && expire {
                bail!("--send and --expire exclude each other");
            }
            if send || expire {
                let r = services::consent::review(&app, &actor, send, expire, limit).await?;
                if send {
                    services::mail::deliver_due(&app).await?;
                }
                if json {
                    print_json(&r)?;
                } else {
                    println!("due {}, re-confirmation mails queued {}, expired {}", r.due, r.mails_queued, r.expired);
                    for s in &r.skipped {
                        eprintln!("skipped {s}");
                    }
                }
            } else {
                let items = services::consent::review_queue(&app, &actor, limit).await?;
                if json {
                    print_json(&items)?;
                } else {
                    for i in &items {
                        println!(
                            "{}  {:<20} {:<6} given {}  last used {}",
                            i.contact_id,
                            i.purpose,
                            i.channel.as_str(),
                            rfc3339(i.given_at),
                            i.last_used.map(rfc3339).unwrap_or_else(|| "never".into())
                        );
                    }
                    println!("{} consents due for review", items.len());
                }
            }
        }
        ConsentCmd::Notice { purpose, channel, language, file } => {
            let text = read_file_or_stdin(&file)?;
            let n = services::consent::save_notice(&app, &actor, &purpose, &channel, &language, &text).await?;
            println!("notice {} / {} / {}: version {} (sha256 {})", n.purpose, n.channel.as_str(), n.language, n.version, n.sha256);
        }
    }
    Ok(())
}
