//! The privacy gate: every read, write and export of personal data asks here first.
//!
//! In this release the gate authorizes by role (admin and user write, guest reads) and the
//! services record each change in the audit trail. Purpose binding, the field catalog and
//! the Cedar policy engine plug in here: a service names the action and the record, and the
//! gate answers; no handler or command checks roles itself.

use crate::error::ServiceError;
use obhut_core::ids::UserId;
use obhut_core::user::Role;

/// Through which surface an actor acts (recorded in the audit trail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Api,
    Ui,
    Cli,
    Job,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Ui => "ui",
            Self::Cli => "cli",
            Self::Job => "job",
        }
    }
}

/// Who is acting: a signed-in user, a token holder, an operator at the command line, or a job.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub name: String,
    pub role: Role,
    pub channel: Channel,
}

impl Actor {
    /// The operator at the command line: whoever can read the data directory and master key
    /// is an administrator of this installation.
    pub fn cli() -> Self {
        let who = std::env::var("USER").unwrap_or_else(|_| "operator".into());
        Self { user_id: None, name: format!("cli:{who}"), role: Role::Admin, channel: Channel::Cli }
    }
    pub fn job(name: &str) -> Self {
        Self { user_id: None, name: format!("job:{name}"), role: Role::Admin, channel: Channel::Job }
    }
    /// How the actor is named in the audit trail: `user:<id>` or the CLI/job name.
    /// Obhut itself, for what an installation does on its own (seeding, jobs).
    pub fn system() -> Self {
        Self { user_id: None, name: "system".into(), role: Role::Admin, channel: Channel::Cli }
    }

    pub fn audit_name(&self) -> String {
        match self.user_id {
            Some(id) => format!("{}:user:{id}", self.channel.as_str()),
            None => self.name.clone(),
        }
    }
}

/// What kind of record an action touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Contact,
    Organization,
    Activity,
    Deal,
    Ticket,
    Pipeline,
    User,
    /// The audit trail and its verification: for administrators (the DPO role follows).
    Audit,
}

/// What an actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Create,
    Update,
    Delete,
    /// Bulk export or import: personal data leaves or enters in bulk.
    Export,
    Import,
    /// Installation settings: users, tokens, pipeline stages.
    Administer,
}

/// Asks the gate; `Err(Forbidden)` names what was refused.
pub fn authorize(actor: &Actor, action: Action, resource: Resource) -> Result<(), ServiceError> {
    let allowed = match (actor.role, action) {
        (Role::Admin, _) => true,
        (Role::User, Action::Administer) => false,
        (Role::User, Action::Delete) => !matches!(resource, Resource::User | Resource::Pipeline | Resource::Audit),
        (Role::User, _) => !matches!(resource, Resource::User | Resource::Audit),
        (Role::Guest, Action::Read) => !matches!(resource, Resource::User | Resource::Audit),
        (Role::Guest, _) => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!("the role {} may not {action:?} {resource:?} records", actor.role.as_str()).to_lowercase()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor { user_id: Some(UserId::new()), name: "t".into(), role, channel: Channel::Api }
    }

    #[test]
    fn the_role_matrix_holds() {
        use Action::*;
        use Resource::*;
        let cases = [
            (Role::Guest, Read, Contact, true),
            (Role::Guest, Create, Contact, false),
            (Role::Guest, Update, Contact, false),
            (Role::Guest, Delete, Contact, false),
            (Role::Guest, Export, Contact, false),
            (Role::Guest, Read, User, false),
            (Role::User, Create, Contact, true),
            (Role::User, Delete, Contact, true),
            (Role::User, Import, Contact, true),
            (Role::User, Administer, Pipeline, false),
            (Role::User, Create, User, false),
            (Role::Admin, Administer, User, true),
            (Role::Admin, Read, Audit, true),
            (Role::User, Read, Audit, false),
            (Role::Guest, Read, Audit, false),
            (Role::Admin, Delete, Pipeline, true),
        ];
        for (role, action, resource, expected) in cases {
            assert_eq!(authorize(&actor(role), action, resource).is_ok(), expected, "{role:?} {action:?} {resource:?}");
        }
    }
}
