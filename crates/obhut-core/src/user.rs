//! Staff accounts and their roles.

use serde::{Deserialize, Serialize};

/// The roles of this release. The policy engine of the privacy gate refines them; until
/// then admin and user may write, guest only reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    User,
    Guest,
}

impl Role {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim().to_lowercase().as_str() {
            "admin" => Ok(Self::Admin),
            "user" => Ok(Self::User),
            "guest" => Ok(Self::Guest),
            other => Err(format!("'{}' is not a role: use admin, user or guest", crate::email::shorten(other))),
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::User => "user",
            Self::Guest => "guest",
        }
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
