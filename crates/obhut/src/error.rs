//! The command line's one error type. `?` turns a service error into an explanation that
//! names each bad field, and anything else into its message with the chain of its context;
//! `main` prints it after `error: ` and exits with 1.

use obhut_server::ServiceError;
use std::fmt;

pub type Result<T, E = CliError> = std::result::Result<T, E>;

/// The API's field names as a command's flags: `("user", "--user")`.
pub type Flags = &'static [(&'static str, &'static str)];

#[derive(Debug)]
pub enum CliError {
    /// A service refused. Bad input names each field, as the command's flag where `flags`
    /// maps it.
    Service { error: ServiceError, flags: Flags },
    /// A request about a contact that does not exist.
    UnknownContact(String),
    /// A flag's value was not understood.
    Flag { flag: &'static str, message: String },
    /// A message of the command's own.
    Message(String),
    /// Anything else, with the chain of its context.
    Other(anyhow::Error),
}

impl CliError {
    pub fn flag(flag: &'static str, message: impl fmt::Display) -> Self {
        Self::Flag { flag, message: message.to_string() }
    }

    pub fn msg(message: impl fmt::Display) -> Self {
        Self::Message(message.to_string())
    }

    fn with_flags(self, flags: Flags) -> Self {
        match self {
            Self::Service { error, .. } => Self::Service { error, flags },
            other => other,
        }
    }

    fn about_contact(self, id: &str) -> Self {
        match self {
            Self::Service { error: ServiceError::NotFound("contact"), .. } => {
                Self::UnknownContact(id.chars().filter(|c| !c.is_control()).take(64).collect())
            }
            other => other,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Service { error: ServiceError::Validation(errs), flags } => {
                let name =
                    |field: &str| flags.iter().find(|(api, _)| *api == field).map_or(field.to_string(), |(_, flag)| flag.to_string());
                let lines: Vec<String> = errs
                    .0
                    .iter()
                    .map(|e| if e.field.is_empty() { e.message.clone() } else { format!("{}: {}", name(&e.field), e.message) })
                    .collect();
                write!(f, "invalid input:\n  {}", lines.join("\n  "))
            }
            Self::Service { error, .. } => write!(f, "{error}"),
            Self::UnknownContact(id) => write!(f, "no contact with the id '{id}'"),
            Self::Flag { flag, message } => write!(f, "{flag}: {message}"),
            Self::Message(m) => f.write_str(m),
            Self::Other(e) => write!(f, "{e:#}"),
        }
    }
}

impl From<ServiceError> for CliError {
    fn from(error: ServiceError) -> Self {
        Self::Service { error, flags: &[] }
    }
}

/// Errors told as they are, with their sources.
macro_rules! other_errors {
    ($($t:ty),* $(,)?) => {
        $(impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                Self::Other(e.into())
            }
        })*
    };
}

other_errors!(anyhow::Error, std::io::Error, serde_json::Error, csv::Error, obhut_store::StoreError, obhut_server::config::ConfigError,);

/// What a command says of a failed step beyond `?`.
pub trait ResultExt<T, E> {
    /// A value a flag gave that was not understood: `--role: 'x' is not a role…`.
    fn flag(self, flag: &'static str) -> Result<T>
    where
        E: fmt::Display;
    /// Names the API's fields in an explanation of bad input by the command's flags.
    fn flags(self, flags: Flags) -> Result<T>
    where
        E: Into<CliError>;
    /// Names an unknown contact by the id that was asked for.
    fn contact(self, id: &str) -> Result<T>
    where
        E: Into<CliError>;
}

impl<T, E> ResultExt<T, E> for std::result::Result<T, E> {
    fn flag(self, flag: &'static str) -> Result<T>
    where
        E: fmt::Display,
    {
        self.map_err(|m| CliError::flag(flag, m))
    }

    fn flags(self, flags: Flags) -> Result<T>
    where
        E: Into<CliError>,
    {
        self.map_err(|e| e.into().with_flags(flags))
    }

    fn contact(self, id: &str) -> Result<T>
    where
        E: Into<CliError>,
    {
        self.map_err(|e| e.into().about_contact(id))
    }
}

/// Ends a command with a message of its own, as `anyhow::bail!` does.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::CliError::Message(format!($($arg)*)))
    };
}
pub(crate) use bail;

#[cfg(test)]
mod tests {
    use super::*;
    use obhut_core::ValidationErrors;

    fn bad_input() -> ServiceError {
        let mut e = ValidationErrors::default();
        e.add("user", "no user named 'x'");
        e.add("", "something as a whole");
        e.add("days", "give 0 or more days");
        ServiceError::Validation(e)
    }

    #[test]
    fn bad_input_names_each_field_and_flags_rename_them() {
        let plain = CliError::from(bad_input()).to_string();
        assert_eq!(plain, "invalid input:\n  user: no user named 'x'\n  something as a whole\n  days: give 0 or more days");
        let flagged = Err::<(), _>(bad_input()).flags(&[("user", "--user")]).err().map(|e| e.to_string());
        assert_eq!(
            flagged.as_deref(),
            Some("invalid input:\n  --user: no user named 'x'\n  something as a whole\n  days: give 0 or more days")
        );
    }

    #[test]
    fn an_unknown_contact_is_named_without_control_characters() {
        let e = Err::<(), _>(ServiceError::NotFound("contact")).contact("abc\u{7}def").err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("no contact with the id 'abcdef'"));
        let other = Err::<(), _>(ServiceError::NotFound("case")).contact("abc").err().map(|e| e.to_string());
        assert_eq!(other.as_deref(), Some("case not found"));
    }

    #[test]
    fn other_errors_keep_their_context() {
        let e: CliError = anyhow::anyhow!("inner").context("outer").into();
        assert_eq!(e.to_string(), "outer: inner");
        assert_eq!(CliError::flag("--role", "'x' is not a role").to_string(), "--role: 'x' is not a role");
    }
}
