//! What reading a contact file yields, shared by its two readers (CSV in [`crate::import`],
//! vCard in [`crate::vcard`]): the rows and the errors that name them, the values as
//! spreadsheets and address books write them brought into the form validation expects, and
//! the validation of rows into contact drafts. Both readers depend on this module; it
//! depends on neither.

mod row;
mod validate;
mod values;

pub use row::{ImportError, ImportFormat, ImportRow, ParsedImport, RowError, MAX_IMPORT_ROWS};
pub use validate::{validate_row, validate_rows, FirstSeen, ValidRow};
pub(crate) use values::{normalize_birthday, normalize_header, normalize_kind, normalize_language, split_tags, tidy_tag};
