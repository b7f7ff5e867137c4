//! `obhut contact`: create, show, list and search contacts.

use crate::context::{open, Global};
use crate::error::{CliError, Result};
use crate::output::print_json;
use clap::Subcommand;
use obhut_core::contact::ContactInput;
use obhut_core::ids::ContactId;
use obhut_server::services::contact_view::ContactOut;
use obhut_server::services::{self, Page};
use obhut_server::Actor;
use obhut_store::contacts::{ContactFilter, Origin};

#[derive(Subcommand)]
pub enum ContactCmd {
    /// Create a contact.
    Add {
        #[arg(long)]
        given_name: Option<String>,
        #[arg(long)]
        family_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        /// b2c or b2b.
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        organization_id: Option<String>,
        #[arg(long)]
        language: Option<String>,
        /// Comma-separated.
        #[arg(long)]
        tags: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one contact.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// List or search contacts.
    List {
        /// Search: email, phone, name beginnings or organization.
        #[arg(long, short)]
        q: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long, default_value_t = 0)]
        offset: i64,
        #[arg(long)]
        tag: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(g: &Global, cmd: ContactCmd) -> Result<()> {
    let app = open(g).await?;
    let actor = Actor::cli();
    match cmd {
        ContactCmd::Add { given_name, family_name, email, phone, kind, organization_id, language, tags, json } => {
            let input = ContactInput {
                given_name,
                family_name,
                email,
                phone,
                kind,
                organization_id,
                language,
                tags: tags.map(|t| t.split(',').map(str::to_string).collect()),
                ..Default::default()
            };
            let origin =
                Origin { source: "cli".into(), detail: Some(format!("command line, {}", actor.audit_name())), import_run_id: None };
            let (r, dups) = services::contacts::create(&app, &actor, &input, origin).await?;
            for d in &dups {
                eprintln!("warning: contact {} has the same {}", d.contact_id, d.field);
            }
            if json {
                print_json(&ContactOut::from_record(&r, None))?;
            } else {
                println!("{}", r.id);
            }
        }
        ContactCmd::Show { id, json } => {
            let id = ContactId::parse(&id).map_err(CliError::msg)?;
            let r = services::contacts::get(&app, &actor, id).await?;
            let out = ContactOut::from_record(&r, None);
            if json {
                print_json(&out)?;
            } else {
                println!("{} ({})", out.display_name, out.id);
                for e in &out.emails {
                    println!("  email  {}", e.address);
                }
                for p in &out.phones {
                    println!("  phone  {}", p.number);
                }
                println!("  kind   {}", out.kind.as_str());
                println!("  origin {} {}", out.origin.source, out.origin.detail.unwrap_or_default());
            }
        }
        ContactCmd::List { q, limit, offset, tag, json } => {
            let filter = ContactFilter { tag, ..Default::default() };
            let page = Page::new(Some(limit), Some(offset));
            let list = services::contact_list::list(&app, &actor, q.as_deref(), &filter, Default::default(), page).await?;
            if json {
                let items: Vec<_> = list.items.iter().map(|r| ContactOut::from_record(r, None)).collect();
                print_json(&serde_json::json!({"items": items, "total": list.total}))?;
            } else {
                for r in &list.items {
                    println!(
                        "{}  {:<30} {}",
                        r.id,
                        r.personal.display_name(),
                        r.personal.primary_email().map(|e| e.to_string()).unwrap_or_default()
                    );
                }
                println!("{} of {} contacts", list.items.len(), list.total);
            }
        }
    }
    Ok(())
}
