//! Staff accounts and their roles.

use serde::{Deserialize, Serialize};

/// The default roles. What each may do is written in the privacy gate's Cedar policies,
/// which administrators edit; a user is a principal in the group of their role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    User,
    Guest,
    /// The data protection officer: reads everything, runs the privacy settings.
    Dpo,
    /// Human resources: like a user, and may see records of the class `hr`.
    Hr,
    /// A user of a processor (Art. 28), e.g. a call centre: confined by the processor's grant.
    Processor,
}

impl Role {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "admin" => Ok(Self::Admin),
            "user" => Ok(Self::User),
            "guest" => Ok(Self::Guest),
            "dpo" => Ok(Self::Dpo),
            "hr" => Ok(Self::Hr),
            "processor" => Ok(Self::Processor),
            other => Err(format!("'{}' is not a role: use admin, dpo, user, hr, guest or processor", crate::email::shorten(other))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::User => "user",
            Self::Guest => "guest",
            Self::Dpo => "dpo",
            Self::Hr => "hr",
            Self::Processor => "processor",
        }
    }
    pub const ALL: [Role; 6] = [Role::Admin, Role::Dpo, Role::User, Role::Hr, Role::Guest, Role::Processor];
}

/// Which records of the standard classes a user reaches: only those they own, those of
/// their teams as well, or all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Own,
    Team,
    #[default]
    All,
}

impl Scope {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "own" => Ok(Self::Own),
            "team" => Ok(Self::Team),
            "all" => Ok(Self::All),
            other => Err(format!("'{}' is not a scope: use own, team or all", crate::email::shorten(other))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Own => "own",
            Self::Team => "team",
            Self::All => "all",
        }
    }
}

/// A team name: 1–40 lowercase letters, digits, `-` or `_`.
pub fn parse_team(s: &str) -> Result<String, String> {
    let t = s.trim().to_lowercase();
    if (1..=40).contains(&t.chars().count()) && t.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
        Ok(t)
    } else {
        Err(format!("'{}' is not a team name: 1-40 letters, digits, '-' or '_'", crate::email::shorten(s)))
    }
}

/// A user name: 2–64 characters of letters, digits, `.`, `-`, `_`, `@`.
pub fn parse_username(s: &str) -> Result<String, String> {
    let t = s.trim();
    let ok = (2..=64).contains(&t.chars().count()) && t.chars().all(|c| c.is_alphanumeric() || ".-_@".contains(c));
    if ok {
        Ok(t.to_lowercase())
    } else {
        Err("a user name has 2-64 letters, digits, '.', '-', '_' or '@'".into())
    }
}

/// Password rules (NIST SP 800-63B style): at least 10 characters, at most 256; no composition rules.
pub fn check_password(p: &str) -> Result<(), String> {
    let n = p.chars().count();
    if n < 10 {
        Err("a password needs at least 10 characters".into())
    } else if n > 256 {
        Err("a password has at most 256 characters".into())
    } else {
        Ok(())
    }
}
