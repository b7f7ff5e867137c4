//! Email addresses.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A syntactically valid email address, trimmed, with the domain lower-cased.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, String> {
        let v = input.trim();
        if v.is_empty() {
            return Err("is required".into());
        }
        if v.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        if !email_address::EmailAddress::is_valid(v) || !v.contains('@') {
            return Err(format!("'{}' is not a valid email address", crate::email::shorten(v)));
        }
        let (local, domain) = v.rsplit_once('@').ok_or_else(|| "is not a valid email address".to_string())?;
        if !domain.contains('.') || domain.starts_with('[') {
            return Err("needs a domain such as example.org".into());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The key for exact lookups: the whole address lower-cased.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

/// Input echoed back in an error message is cut, so a message never carries a whole document.
pub(crate) fn shorten(v: &str) -> String {
    if v.chars().count() > 60 {
        format!("{}…", v.chars().take(60).collect::<String>())
    } else {
        v.to_string()
    }
}

/// Deserialising trusts its input: only records this program sealed (and the AEAD
/// authenticated) are read back into this type; every edge goes through [`EmailAddress::parse`].
/// Re-checking here would cost more than the whole rest of a read.
impl<'de> Deserialize<'de> for EmailAddress {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<EmailAddress> for String {
    fn from(e: EmailAddress) -> Self {
        e.0
    }
}
impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
/// Personal data: `Debug` never shows the address.
impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmailAddress(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_addresses_and_lowercases_the_domain() {
        assert_eq!(EmailAddress::parse(" Erika.Muster@Example.ORG ").map(|e| e.0), Ok("Erika.Muster@example.org".into()));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["not-an-email", "a@", "@b.de", "a b@c.de", "a@localhost", ""] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn debug_is_redacted() {
        let e = EmailAddress::parse("a@b.de").map(|e| format!("{e:?}"));
        assert_eq!(e.as_deref(), Ok("EmailAddress(<redacted>)"));
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,80}") {
            let _ = EmailAddress::parse(&s);
        }
        #[test]
        fn parse_is_idempotent(local in "[a-z0-9._%+-]{1,20}", dom in "[a-z0-9-]{1,20}\\.[a-z]{2,6}") {
            let s = format!("{local}@{dom}");
            if let Ok(e) = EmailAddress::parse(&s) {
                prop_assert_eq!(EmailAddress::parse(e.as_str()).ok(), Some(e));
            }
        }
    }
}
