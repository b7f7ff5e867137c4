//! How commands print: pretty JSON with `--json`, aligned lines for people otherwise, and
//! where a document goes (a file, or standard output).

use crate::error::Result;
use anyhow::Context as _;
use serde::Serialize;
use std::io::{BufWriter, Write};
use std::path::Path;

/// One pretty JSON document on standard output.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// With `--json` the value as JSON, else the command's lines for it.
pub fn json_or<T: Serialize + ?Sized>(json: bool, value: &T, lines: impl FnOnce(&T)) -> Result<()> {
    if json {
        print_json(value)
    } else {
        lines(value);
        Ok(())
    }
}

/// A stored time as RFC 3339, as the API writes it.
pub fn rfc3339(ms: i64) -> String {
    obhut_server::fmt::rfc3339(ms)
}

/// `YYYY-MM-DD HH:MM` (UTC) of a stored time.
pub fn minutes(ms: i64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    obhut_core::clock::from_millis(ms).format(&fmt).unwrap_or_default()
}

/// A buffered writer to the file (created anew), or to standard output without one.
pub fn create(output: Option<&Path>) -> Result<BufWriter<Box<dyn Write + Send>>> {
    let out: Box<dyn Write + Send> = match output {
        Some(p) => Box::new(std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?),
        None => Box::new(std::io::stdout()),
    };
    Ok(BufWriter::new(out))
}

/// Writes a whole document to a file.
pub fn write_file(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    Ok(std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?)
}
