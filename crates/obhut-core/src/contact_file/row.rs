//! One contact read from a file, the problems of a row or of the whole file, and a file read.

use crate::contact::ContactInput;
use serde::Serialize;
use std::fmt;

/// How an import file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    Csv,
    Vcard,
}

impl ImportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Vcard => "vcard",
        }
    }
}

/// One contact read from a file, not yet validated. `row` is what the user sees: the line
/// number in a CSV file (the header is line 1), or the line of `BEGIN:VCARD` in a vCard file.
#[derive(Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub row: usize,
    pub contact: ContactInput,
    /// The organization named in the row; the caller resolves it to an id.
    pub organization_name: Option<String>,
}

/// Personal data: `Debug` shows the row number only.
impl fmt::Debug for ImportRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImportRow {{ row: {}, <redacted> }}", self.row)
    }
}

/// A problem with one row of an import file. `field` is the column in the words of our own
/// CSV export (`email`, `email_2`, `street`…), `*` for the row as a whole, or a vCard property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

impl RowError {
    pub fn new(row: usize, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { row, field: field.into(), message: message.into() }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field == "*" {
            write!(f, "row {}: {}", self.row, self.message)
        } else {
            write!(f, "row {}, field {}: {}", self.row, self.field, self.message)
        }
    }
}

/// Problems with the file as a whole: nothing of it can be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is not a text file; export the contacts as CSV or vCard (an Excel workbook must first be saved as CSV)")]
    NotText,
    #[error("the file has no column for {missing}; columns found: {found}")]
    MissingColumns { missing: String, found: String },
    #[error("the file could not be read as CSV (line {row}): {message}")]
    Csv { row: usize, message: String },
    #[error("the file could not be read as vCard (line {line}): {message}")]
    Vcard { line: usize, message: String },
    #[error("the file holds more than {max} contacts; split it into smaller files")]
    TooManyRows { max: usize },
}

/// Contacts one file may hold.
pub const MAX_IMPORT_ROWS: usize = 2_000_000;

/// A file read into rows. `errors` are rows that could not be read at all (they are not in
/// `rows`); `ignored_columns` are CSV headers (or vCard properties) that map to no field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedImport {
    pub format: ImportFormat,
    /// "UTF-8", "UTF-16LE", "UTF-16BE" or "windows-1252".
    pub encoding: &'static str,
    /// The CSV delimiter found; `None` for vCard.
    pub delimiter: Option<u8>,
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
    pub ignored_columns: Vec<String>,
}
