//! The bytes of an import file as text: UTF-8, UTF-16 with or without a byte order mark, or
//! the Windows-1252 of a German Excel; anything else is not a text file.

use crate::contact_file::ImportError;

/// The text of a file and the name of its encoding.
pub(super) fn decode(bytes: &[u8]) -> Result<(String, &'static str), ImportError> {
    use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8, WINDOWS_1252};
    if bytes.is_empty() {
        return Err(ImportError::Empty);
    }
    let with = |enc: &'static Encoding, b: &[u8]| (enc.decode_without_bom_handling(b).0.into_owned(), enc.name());
    let (text, name) = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        with(UTF_8, rest)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        with(UTF_16LE, rest)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        with(UTF_16BE, rest)
    } else if let Some(enc) = utf16_without_bom(bytes) {
        with(enc, bytes)
    } else if bytes.contains(&0) {
        return Err(ImportError::NotText);
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        (s.to_owned(), "UTF-8")
    } else {
        // Not UTF-8: a German Excel saves "CSV (Trennzeichen-getrennt)" in Windows-1252.
        with(WINDOWS_1252, bytes)
    };
    let text = match text.strip_prefix('\u{feff}') {
        Some(t) => t.to_owned(),
        None => text,
    };
    let controls = text.chars().filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1a')).count();
    if text.contains('\0') || controls > text.len() / 100 + 2 {
        return Err(ImportError::NotText);
    }
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    Ok((text, name))
}

/// UTF-16 without a byte order mark, recognised by ASCII text interleaved with NUL bytes.
fn utf16_without_bom(b: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let printable = |c: u8| c == b'\t' || c == b'\n' || c == b'\r' || (0x20..0x7f).contains(&c);
    match b {
        [a, 0, c, 0, ..] if printable(*a) && printable(*c) => Some(encoding_rs::UTF_16LE),
        [0, a, 0, c, ..] if printable(*a) && printable(*c) => Some(encoding_rs::UTF_16BE),
        _ => None,
    }
}
