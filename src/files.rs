//! Files only Tessera's own user may read: the `var/` folder (0700), the SQLite database
//! and the WAL and shared-memory files SQLite creates beside it (0600: SQLite gives them the
//! database file's mode), and the `.eml` files of the outbox (0600). And the check, at
//! start, that no private key file is readable by group or others.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

const PRIVATE_DIR: u32 = 0o700;
const PRIVATE_FILE: u32 = 0o600;
/// Permission bits for anyone but the owner.
const GROUP_OR_OTHERS: u32 = 0o077;

/// Creates `dir` and its missing parents readable by their owner only; an existing folder
/// is left as it is.
pub fn create_private_dir_all(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR)
        .create(dir)
}

/// Creates an empty file readable by its owner only when none exists yet, so the program
/// that fills it (SQLite) inherits that mode.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_FILE)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to a new or replaced file readable by its owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(PRIVATE_FILE)
        .open(path)?;
    // `mode` applies to new files only: a file left from before is narrowed too.
    file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_FILE))?;
    file.write_all(bytes)
}

/// The `.pem` files of `dir` that group or others may read (or write).
pub fn exposed_key_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut exposed: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("pem"))
        .filter(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & GROUP_OR_OTHERS != 0)
        })
        .collect();
    exposed.sort();
    exposed
}

/// The back-office banner and the log line for exposed key files, if there are any.
pub fn key_files_warning(dir: &Path) -> Option<String> {
    let exposed = exposed_key_files(dir);
    if exposed.is_empty() {
        return None;
    }
    let names = exposed
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Some(format!(
        "The private key files {names} can be read by other users of this machine: run chmod 600 on them."
    ))
}
