//! `obhut retention`: storage limitation: the rule catalogue, the sweep, what falls due
//! next, legal holds, and resolving pseudonyms.

use crate::context::{open, Global};
use crate::error::{CliError, Result};
use crate::output::print_json;
use clap::Subcommand;
use obhut_server::services::retention as r;
use obhut_server::Actor;

#[derive(Subcommand)]
pub enum RetentionCmd {
    /// The rule catalogue: one deletion rule per data type (DIN 66398).
    Rules {
        #[arg(long)]
        json: bool,
    },
    /// Change the rule of a data type (a legal duty's period cannot be cut short).
    SetRule {
        /// contact.prospect, contact.customer, contact.subscriber, activity.note,
        /// activity.letter, activity.order, activity.complaint or ticket.
        data_type: String,
        /// 6y, 18m, 30d, 2y6m.
        #[arg(long)]
        period: Option<String>,
        /// Count the period from the end of the calendar year: true or false.
        #[arg(long)]
        year_end: Option<bool>,
        /// erase, anonymize, pseudonymize or restrict.
        #[arg(long)]
        action: Option<String>,
        #[arg(long)]
        purpose: Option<String>,
        #[arg(long)]
        legal_basis: Option<String>,
        #[arg(long)]
        legal_reference: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Apply every due rule (the server does this daily); with --dry-run only show what would
    /// happen and why.
    Run {
        #[arg(long)]
        dry_run: bool,
        /// Decide as of this day (YYYY-MM-DD; default today). Later days only with --dry-run.
        #[arg(long)]
        at: Option<String>,
        /// List at most this many contacts (all are handled).
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// What falls due next (Wiedervorlage).
    Due {
        #[arg(long, default_value_t = 90)]
        days: i64,
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Place a legal hold on a contact: its rules wait and its erasure is refused.
    Hold {
        contact_id: String,
        #[arg(long)]
        reason: String,
        /// The day the hold ends by itself (YYYY-MM-DD).
        #[arg(long)]
        until: Option<String>,
    },
    /// Release a legal hold.
    Release { hold_id: String },
    /// Legal holds in force, or all of one contact.
    Holds {
        #[arg(long)]
        contact: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Resolve a pseudonym (PSN-…) to the identifiers it replaced; logged with the reason.
    Resolve {
        token: String,
        #[arg(long)]
        reason: String,
    },
}

pub async fn run(g: &Global, cmd: RetentionCmd) -> Result<()> {
    let app = open(g).await?;
    let cli = Actor::cli();
    match cmd {
        RetentionCmd::Rules { json } => {
            let rules = r::rules(&app, &cli).await?;
            if json {
                print_json(&rules)?;
            } else {
                for x in &rules {
                    println!(
                        "{:<19} {:<20} {:>5}{} then {:<12} {}",
                        x.data_type.as_str(),
                        x.start.as_str(),
                        x.period.to_string(),
                        if x.year_end { " from year end" } else { "              " },
                        x.action.as_str(),
                        x.legal_reference
                    );
                }
            }
        }
        RetentionCmd::SetRule { data_type, period, year_end, action, purpose, legal_basis, legal_reference, description } => {
            let change = r::RuleChange { period, year_end, action, purpose, legal_basis, legal_reference, description };
            let x = r::set_rule(&app, &cli, &data_type, &change).await?;
            println!(
                "{}: {} from {}{}, then {}",
                x.data_type.as_str(),
                x.period,
                x.start.as_str(),
                if x.year_end { " (end of year)" } else { "" },
                x.action.as_str()
            );
        }
        RetentionCmd::Run { dry_run, at, limit, json } => {
            let at = at
                .map(|a| time::Date::parse(a.trim(), &time::format_description::well_known::Iso8601::DATE))
                .transpose()
                .map_err(|_| CliError::flag("--at", "a date as YYYY-MM-DD"))?;
            let rep = r::sweep(&app, &cli, at, dry_run, limit).await?;
            if json {
                print_json(&rep)?;
            } else {
                for s in &rep.steps {
                    let until = s.until.as_deref().map(|u| format!(" until {u}")).unwrap_or_default();
                    println!("{} {} {}{until}: {}", s.contact_id, s.data_type.as_str(), s.action, s.why);
                    for x in &s.records {
                        println!("    {} {} {}: {}", x.data_type.as_str(), x.id, x.action.as_str(), x.why);
                    }
                }
                if rep.steps_total > rep.steps.len() as i64 {
                    println!("… and {} more contact(s)", rep.steps_total - rep.steps.len() as i64);
                }
                let c = &rep.counts;
                println!(
                    "{} as of {}: {} contact(s) checked; contacts erased {}, anonymized {}, pseudonymized {}, restricted {}; records erased {}, anonymized {}; held {}",
                    if rep.dry_run { "dry run (nothing changed)" } else { "retention sweep" },
                    rep.at,
                    rep.contacts_seen,
                    c.contacts_erased,
                    c.contacts_anonymized,
                    c.contacts_pseudonymized,
                    c.contacts_restricted,
                    c.records_erased,
                    c.records_anonymized,
                    c.held
                );
            }
        }
        RetentionCmd::Due { days, limit, json } => {
            let (list, total) = r::due_next(&app, &cli, days, limit).await?;
            if json {
                print_json(&serde_json::json!({"total": total, "entries": list}))?;
            } else {
                for e in &list {
                    println!("{}  {} {:<18} {:<14} {}", e.due_on, e.contact_id, e.data_type.as_str(), e.action, e.why);
                }
                println!("{total} contact(s) fall due in the next {days} days");
            }
        }
        RetentionCmd::Hold { contact_id, reason, until } => {
            let h = r::place_hold(&app, &cli, &contact_id, &reason, until.as_deref()).await?;
            println!(
                "legal hold {} placed on contact {}{}",
                h.id,
                h.contact_id,
                h.until.map(|u| format!(" until {u}")).unwrap_or_default()
            );
        }
        RetentionCmd::Release { hold_id } => {
            let h = r::release_hold(&app, &cli, &hold_id).await?;
            println!("legal hold {} on contact {} released", h.id, h.contact_id);
        }
        RetentionCmd::Holds { contact, json } => {
            let list = r::holds(&app, &cli, contact.as_deref()).await?;
            if json {
                print_json(&list)?;
            } else {
                for h in &list {
                    println!(
                        "{} contact {} {} {}: {}",
                        h.id,
                        h.contact_id,
                        if h.in_force { "in force" } else { "ended" },
                        h.until.as_deref().unwrap_or("open-ended"),
                        h.reason
                    );
                }
            }
        }
        RetentionCmd::Resolve { token, reason } => {
            let x = r::resolve(&app, &cli, &token, &reason).await?;
            print_json(&x)?;
        }
    }
    Ok(())
}
