//! Phone numbers, normalised to E.164.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A valid phone number in E.164 form (`+4930123456`); national numbers are read as German.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, String> {
        let v = input.trim();
        if v.is_empty() {
            return Err("is required".into());
        }
        if v.len() > 40 {
            return Err("must be at most 40 characters".into());
        }
        if !v.chars().all(|c| c.is_ascii_digit() || " +-/().".contains(c)) {
            return Err(format!("'{}' is not a phone number", crate::email::shorten(v)));
        }
        // "0049…" is the international prefix written out.
        let v = match v.strip_prefix("00") {
            Some(rest) => format!("+{rest}"),
            None => v.to_string(),
        };
        let parsed = phonenumber::parse(Some(phonenumber::country::Id::DE), &v)
            .map_err(|_| format!("'{}' is not a phone number", crate::email::shorten(&v)))?;
        if !phonenumber::is_valid(&parsed) {
            return Err(format!("'{}' is not a valid phone number", crate::email::shorten(&v)));
        }
        Ok(Self(parsed.format().mode(phonenumber::Mode::E164).to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// As people in `home` (an ISO 3166 region such as `DE`) write it: the national form for
    /// a number of that region (`030 1234567`), the international form for any other
    /// (`+33 1 23 45 67 89`).
    pub fn display_in(&self, home: &str) -> String {
        match phonenumber::parse(None, &self.0) {
            Ok(p) if p.country().id().is_some_and(|id| id.as_ref() == home) => p.format().mode(phonenumber::Mode::National).to_string(),
            Ok(p) => p.format().mode(phonenumber::Mode::International).to_string(),
            Err(_) => self.0.clone(),
        }
    }
    /// Readable international form, e.g. `+49 30 1234567`.
    pub fn display_international(&self) -> String {
        match phonenumber::parse(None, &self.0) {
            Ok(p) => p.format().mode(phonenumber::Mode::International).to_string(),
            Err(_) => self.0.clone(),
        }
    }
}

/// Deserialising trusts its input: only records this program sealed (and the AEAD
/// authenticated) are read back into this type; every edge goes through [`PhoneNumber::parse`].
/// Re-checking here would cost more than the whole rest of a read.
impl<'de> Deserialize<'de> for PhoneNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> Self {
        p.0
    }
}
impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PhoneNumber(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn german_national_and_international_forms_agree() {
        let a = PhoneNumber::parse("030 1234567").map(|p| p.0);
        let b = PhoneNumber::parse("+49 (30) 123-4567").map(|p| p.0);
        let c = PhoneNumber::parse("0049 30 1234567").map(|p| p.0);
        assert_eq!(a, Ok("+49301234567".to_string()));
        assert_eq!(a, b);
        assert_eq!(a, c);
    }

    #[test]
    fn rejects_letters_and_nonsense() {
        for bad in ["call me", "12", "+49", "++4930", ""] {
            assert!(PhoneNumber::parse(bad).is_err(), "{bad} accepted");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,50}") {
            let _ = PhoneNumber::parse(&s);
        }
    }
}
