//! The stamp: one file per shell whose modification time says "the hook looked at everything
//! then". The init script's fast check compares the watched files against it, so a prompt at
//! which nothing changed starts no process (docs/shell.md).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::config;

/// Stamps are dated this far back, so a change within the same second as the stamp (on file
/// systems or shells that compare whole seconds) still counts as newer.
const STAMP_MARGIN: Duration = Duration::from_secs(2);

/// Where each shell's stamp file lives: the per-login runtime dir when there is one (memory,
/// cleaned at logout), else the cache. A relative `XDG_RUNTIME_DIR` is ignored, as the XDG
/// spec says: it would put a stamp directory in every directory the shell visits.
pub fn stamp_dir() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| Path::new(d).is_absolute())
        .map(|d| PathBuf::from(d).join("gopin"))
        .or_else(|| config::cache_dir().map(|d| d.join("stamps")))
        .unwrap_or_else(|| std::env::temp_dir().join("gopin-stamps"))
}

/// Marks "the hook looked at everything now": creates or re-dates the shell's stamp file.
pub fn touch_stamp(stamp: &Path) -> std::io::Result<()> {
    if let Some(dir) = stamp.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(stamp)?;
    file.set_modified(SystemTime::now() - STAMP_MARGIN)
}

/// Removes stamps nobody has touched for a week (their shells are long gone; a live shell
/// whose stamp vanishes simply re-checks once and makes a new one).
pub fn prune_stamps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let week = Duration::from_secs(7 * 24 * 3600);
    for entry in entries.filter_map(Result::ok) {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > week);
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
