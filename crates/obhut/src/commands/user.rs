//! `obhut user`: staff accounts, their access, and offboarding (disable, enable, password
//! reset), through the same services and audit trail as the API and the web UI.

use crate::context::{open, read_password, Global};
use crate::error::{bail, Result, ResultExt};
use crate::output::{print_json, rfc3339};
use clap::Subcommand;
use obhut_core::user::{Role, Scope};
use obhut_server::services::users::{self as service, AccountChange};
use obhut_server::Actor;

#[derive(Subcommand)]
pub enum UserCmd {
    /// Create a user; the password is read from standard input.
    Add {
        name: String,
        /// admin, dpo, user, hr, guest or processor.
        #[arg(long)]
        role: String,
        /// Read the password from standard input (required: no password on the command line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set a user's role, scope, teams and processor.
    Access {
        name: String,
        /// admin, dpo, user, hr, guest or processor.
        #[arg(long)]
        role: String,
        /// own, team or all.
        #[arg(long, default_value = "all")]
        scope: String,
        /// Teams, comma-separated.
        #[arg(long, value_delimiter = ',')]
        teams: Vec<String>,
        /// For the role processor: the processor's key.
        #[arg(long)]
        processor: Option<String>,
    },
    /// Disable a user: sign-in is refused, sessions end and tokens are revoked at once.
    Disable { name: String },
    /// Enable a disabled user again (tokens revoked by disabling stay revoked).
    Enable { name: String },
    /// Set a user's password (read from standard input); they must change it at the next
    /// sign-in. Their sessions end and their tokens are revoked.
    Password {
        name: String,
        /// Read the new password from standard input (required: no password on the command line).
        #[arg(long)]
        stdin: bool,
    },
}

pub async fn run(g: &Global, cmd: UserCmd) -> Result<()> {
    match cmd {
        UserCmd::Add { name, role, password_stdin } => {
            if !password_stdin {
                bail!("give the password on standard input with --password-stdin");
            }
            let role = Role::parse(&role).flag("--role")?;
            let pw = read_password()?;
            let app = open(g).await?;
            let u = service::add_user(&app, &Actor::cli(), &name, role, &pw).await?;
            println!("user {} created with role {} (id {})", u.username, u.role.as_str(), u.id);
        }
        UserCmd::List { json } => {
            let app = open(g).await?;
            let users = service::list_users(&app, &Actor::cli()).await?;
            if json {
                let v: Vec<_> = users
                    .iter()
                    .map(|u| {
                        serde_json::json!({"id": u.id, "username": u.username, "role": u.role, "disabled": u.disabled,
                            "scope": u.scope, "teams": u.teams, "processor": u.processor_key,
                            "disabled_at": u.disabled_at.map(rfc3339), "must_change_password": u.must_change_password})
                    })
                    .collect();
                print_json(&v)?;
            } else {
                for u in users {
                    let status = if u.disabled {
                        "  disabled"
                    } else if u.must_change_password {
                        "  must change password"
                    } else {
                        ""
                    };
                    println!("{:<24} {:<6} {}{status}", u.username, u.role.as_str(), u.id);
                }
            }
        }
        UserCmd::Access { name, role, scope, teams, processor } => {
            let role = Role::parse(&role).flag("--role")?;
            let scope = Scope::parse(&scope).flag("--scope")?;
            let app = open(g).await?;
            let u = service::set_access(&app, &Actor::cli(), &name, role, scope, &teams, processor.as_deref()).await?;
            println!("user {}: role {}, scope {}, teams [{}]", u.username, u.role.as_str(), u.scope.as_str(), u.teams.join(","));
        }
        UserCmd::Disable { name } => {
            let app = open(g).await?;
            let c = service::disable_user(&app, &Actor::cli(), &name).await?;
            if c.changed {
                println!("user {} disabled: {}", c.user.username, ended(&c));
            } else {
                println!("user {} was disabled already; nothing changed", c.user.username);
            }
        }
        UserCmd::Enable { name } => {
            let app = open(g).await?;
            let c = service::enable_user(&app, &Actor::cli(), &name).await?;
            if c.changed {
                println!(
                    "user {} enabled; tokens revoked when it was disabled stay revoked (new ones: obhut token create)",
                    c.user.username
                );
            } else {
                println!("user {} is enabled already; nothing changed", c.user.username);
            }
        }
        UserCmd::Password { name, stdin } => {
            if !stdin {
                bail!("give the new password on standard input with --stdin");
            }
            let pw = read_password()?;
            let app = open(g).await?;
            let c = service::reset_password(&app, &Actor::cli(), &name, &pw).await?;
            println!("password of {} set; it must be changed at the next sign-in; {}", c.user.username, ended(&c));
        }
    }
    Ok(())
}

fn ended(c: &AccountChange) -> String {
    format!("{} session(s) ended, {} token(s) revoked", c.sessions_ended, c.tokens_revoked)
}
