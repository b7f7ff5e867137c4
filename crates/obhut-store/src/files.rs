//! Files at rest: the data directory is private to its owner (0700) and every file Obhut
//! makes in it or beside it — the database, the master key, backups, the erasure journal, the
//! outbox's mails — is 0600, whatever the process's umask. A directory that others can read
//! is reported with the command that fixes it.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and missing parents) with mode 0700; an existing directory keeps its mode.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)
}

/// Prepares the data directory: created 0700; an existing one that holds no installation yet
/// (no `obhut.db`, no `master.key`: made by `mkdir` or a package script before the first start)
/// is set to 0700 too. An installation's directory keeps the mode it was given; a start
/// warns when others can reach it ([`loose_modes`]).
pub fn data_dir(dir: &Path) -> io::Result<()> {
    if !dir.is_dir() {
        return private_dir(dir);
    }
    if !dir.join("obhut.db").exists() && !dir.join("master.key").exists() {
        // Best effort: a directory of another owner stays as it is, and the start warns.
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE));
    }
    Ok(())
}

/// Creates (or truncates) a file for writing with mode 0600.
pub fn create_private(path: &Path) -> io::Result<File> {
    let f = OpenOptions::new().write(true).create(true).truncate(true).mode(FILE_MODE).open(path)?;
    // An existing file keeps its mode through `open`: tighten it.
    f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    Ok(f)
}

/// Opens a file for appending, creating it with mode 0600.
pub fn append_private(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).mode(FILE_MODE).open(path)
}

/// Makes sure `path` exists (empty if new) with mode 0600, without touching its content.
pub fn touch_private(path: &Path) -> io::Result<()> {
    let f = OpenOptions::new().write(true).create(true).truncate(false).mode(FILE_MODE).open(path)?;
    f.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))
}

/// Sets mode 0600 on `path` if it exists (files others made: SQLite's log and shared memory).
pub fn restrict(path: &Path) -> io::Result<()> {
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE)) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        r => r,
    }
}

/// A SQLite database's files: the database, its write-ahead log and its shared memory.
pub fn sqlite_files(db: &Path) -> [PathBuf; 3] {
    let s = db.display().to_string();
    [db.to_path_buf(), PathBuf::from(format!("{s}-wal")), PathBuf::from(format!("{s}-shm"))]
}

/// What in the data directory other users can reach, each with the command that fixes it:
/// the directory itself, and the files and folders directly in it.
pub fn loose_modes(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(meta) = std::fs::metadata(dir) else { return out };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        out.push(format!(
            "the data directory {} is open to other users (mode {mode:o}): run chmod 700 {}",
            dir.display(),
            shell_quote(dir)
        ));
    }
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let Ok(m) = entry.metadata() else { continue };
        let mode = m.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            let want = if m.is_dir() { "700" } else { "600" };
            out.push(format!(
                "{} is open to other users (mode {mode:o}): run chmod {want} {}",
                entry.path().display(),
                shell_quote(&entry.path())
            ));
        }
    }
    out
}

fn shell_quote(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c)) {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or(0)
    }

    #[test]
    fn made_private_whatever_the_umask_and_loose_modes_are_named_with_their_fix() {
        let root = tempfile::tempdir().unwrap_or_else(|e| unreachable!("{e}"));
        let dir = root.path().join("a b").join("data");
        private_dir(&dir).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(mode(&dir), 0o700);
        let f = dir.join("x.bak");
        std::fs::write(&f, b"old").unwrap_or_else(|e| unreachable!("{e}"));
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(loose_modes(&dir).len(), 1, "{:?}", loose_modes(&dir));
        create_private(&f).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(mode(&f), 0o600);
        touch_private(&dir.join("db")).unwrap_or_else(|e| unreachable!("{e}"));
        append_private(&dir.join("journal")).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!((mode(&dir.join("db")), mode(&dir.join("journal"))), (0o600, 0o600));
        assert!(loose_modes(&dir).is_empty(), "{:?}", loose_modes(&dir));
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap_or_else(|e| unreachable!("{e}"));
        let warnings = loose_modes(&dir);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("mode 755") && warnings[0].contains("chmod 700 '"), "{warnings:?}");
        assert!(restrict(&dir.join("missing")).is_ok());
        // A directory made before the first start is the installation's from then on: 0700.
        let made = root.path().join("made");
        std::fs::create_dir(&made).unwrap_or_else(|e| unreachable!("{e}"));
        std::fs::set_permissions(&made, std::fs::Permissions::from_mode(0o755)).unwrap_or_else(|e| unreachable!("{e}"));
        data_dir(&made).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(mode(&made), 0o700);
        // An installation's directory keeps its mode (a start warns instead).
        std::fs::write(made.join("master.key"), b"k").unwrap_or_else(|e| unreachable!("{e}"));
        std::fs::set_permissions(&made, std::fs::Permissions::from_mode(0o750)).unwrap_or_else(|e| unreachable!("{e}"));
        data_dir(&made).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(mode(&made), 0o750);
    }
}
