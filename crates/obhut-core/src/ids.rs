//! Typed identifiers: a contact id can never be passed where a deal id is meant.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(transparent)]
        #[schema(value_type = String, format = Uuid)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered id (UUIDv7), so inserts append to the index.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            pub fn parse(s: &str) -> Result<Self, String> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| format!("'{}' is not a valid id", s.chars().take(60).collect::<String>()))
            }
        }
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

id_type!(/// A contact: one natural person, the data subject.
    ContactId);
id_type!(/// An organization (B2B account).
    OrganizationId);
id_type!(/// An activity (call, email, meeting, note, complaint, order).
    ActivityId);
id_type!(/// A deal (opportunity).
    DealId);
id_type!(/// A service ticket or complaint.
    TicketId);
id_type!(/// A message on a ticket: a reply, a customer's answer or an internal comment.
    TicketMessageId);
id_type!(/// A task or follow-up.
    TaskId);
id_type!(/// A staff user account.
    UserId);
id_type!(/// A pipeline stage.
    StageId);
id_type!(/// One run of an import.
    ImportRunId);
