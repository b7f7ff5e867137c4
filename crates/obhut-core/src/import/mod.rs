//! Contact import from CSV and vCard files, and the CSV export that reads back in.
//!
//! A file becomes [`ImportRow`]s here, exactly once: the bytes are decoded (UTF-8, UTF-16 or
//! the Windows-1252 of a German Excel), CSV headers are matched by name in German or English
//! without any mapping file, and vCards are read by [`crate::vcard`]. [`validate_rows`] then
//! turns the rows into drafts and names every problem by the row a user sees in a spreadsheet.

mod csv_export;
mod csv_reader;
mod decode;
mod headers;
#[cfg(test)]
mod tests;

pub use crate::contact_file::{
    validate_row, validate_rows, FirstSeen, ImportError, ImportFormat, ImportRow, ParsedImport, RowError, ValidRow, MAX_IMPORT_ROWS,
};
pub use csv_export::{csv_export_record, guard, CSV_EXPORT_HEADERS};
use csv_reader::parse_csv;
use decode::decode;

/// vCard when the name ends in `.vcf`/`.vcard` or the content starts with `BEGIN:VCARD`; else CSV.
pub fn detect_format(bytes: &[u8], file_name: &str) -> ImportFormat {
    match decode(bytes) {
        Ok((text, _)) => detect_in_text(&text, file_name),
        Err(_) => detect_in_text("", file_name),
    }
}

fn detect_in_text(text: &str, file_name: &str) -> ImportFormat {
    let ext = file_name.rsplit_once('.').map(|(_, e)| e.trim().to_ascii_lowercase());
    let head = text.trim_start();
    let vcard_content = head.get(..11).is_some_and(|h| h.eq_ignore_ascii_case("BEGIN:VCARD"));
    if matches!(ext.as_deref(), Some("vcf" | "vcard")) || vcard_content {
        ImportFormat::Vcard
    } else {
        ImportFormat::Csv
    }
}

/// Reads a whole import file. Rows that cannot be read land in `errors`; only a file that
/// cannot be read at all is an [`ImportError`].
pub fn parse_import(bytes: &[u8], file_name: &str) -> Result<ParsedImport, ImportError> {
    let mut rows = Vec::new();
    let mut parsed = parse_import_streaming(bytes, file_name, &mut |r| rows.push(r))?;
    parsed.rows = rows;
    Ok(parsed)
}

/// Reads an import file, handing each readable row to `sink` as soon as it is read (so a
/// caller can check and write early rows while later ones are read). The result holds
/// everything else: format, encoding, unreadable rows, ignored columns; its `rows` are empty.
/// An error can come after rows were handed out: the caller must then discard them.
pub fn parse_import_streaming(bytes: &[u8], file_name: &str, sink: &mut dyn FnMut(ImportRow)) -> Result<ParsedImport, ImportError> {
    let (text, encoding) = decode(bytes)?;
    match detect_in_text(&text, file_name) {
        ImportFormat::Vcard => {
            let v = crate::vcard::read_vcards(&text)?;
            v.rows.into_iter().for_each(&mut *sink);
            Ok(ParsedImport {
                format: ImportFormat::Vcard,
                encoding,
                delimiter: None,
                rows: Vec::new(),
                errors: v.errors,
                ignored_columns: v.ignored_properties,
            })
        }
        ImportFormat::Csv => parse_csv(&text, encoding, sink),
    }
}
