//! Low-level file I/O that every part of gopin shares: replacing a file whole with a stated
//! durability, the error for a failed file operation outside the store, and the small helpers
//! (hex digests, "is this an executable file") that would otherwise be written again in each
//! place that needs them.
//!
//! Every file gopin replaces goes through [`AtomicFile`] (or [`write_atomic`] for bytes in
//! hand): a temporary file beside the target, renamed over it once complete, so a reader (a
//! shell hook, a second gopin) sees the old file or the whole new one, never a part, and a
//! killed process leaves only a hidden `.NAME.XXXXXX.part` beside it. Whether the new content
//! must also survive a power loss is each caller's decision, stated where it calls, with why
//! (docs/security.md, "Interruption, crashes and power loss").

use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::ui::shown;

/// How far a replacement must have reached the disk when it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// The content is flushed (`fsync`) before the rename and the directory after it, so once
    /// the write returns, the new file survives a power loss. For state whose loss or rollback
    /// matters: the checksum database's verified tree, a user's own file that gopin edits, an
    /// output the user was told is written.
    Flushed,
    /// A rename only: other processes see the old file or the whole new one, but after a
    /// power loss the name may hold the old content, or (on some file systems) an empty file.
    /// For what is rebuilt when missing or unreadable (a cache), what a later step flushes, and
    /// what no one reads after a restart.
    Replaced,
}

/// A file that replaces `path` whole, or not at all: written into a temporary file beside it,
/// renamed over it by [`AtomicFile::commit`]. Dropped before that, the temporary file is
/// deleted and the target is as it was.
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    path: PathBuf,
    durability: Durability,
    synced: bool,
}

impl AtomicFile {
    /// Creates the temporary file now (`.NAME.XXXXXX.part` in `path`'s directory, 0666 less
    /// the umask), so an unwritable directory fails before any work is done.
    pub fn create(path: &Path, durability: Durability) -> io::Result<AtomicFile> {
        let temp = tempfile::Builder::new()
            .prefix(&temp_prefix(path)?)
            .suffix(".part")
            .permissions(std::fs::Permissions::from_mode(0o666))
            .tempfile_in(parent_dir(path))?;
        Ok(AtomicFile {
            temp,
            path: path.to_path_buf(),
            durability,
            synced: false,
        })
    }

    /// Gives the new file the permission bits of `old` (the file it replaces: a 0600 file
    /// stays 0600) and, where this process may set them, its owner and group.
    pub fn keep_owner_and_mode(&self, old: &Metadata) -> io::Result<()> {
        let file = self.temp.as_file();
        // Owner first: changing it may clear setuid-like bits, and the mode is set after.
        if old.uid() != file.metadata()?.uid() {
            // Only root may give a file away; anyone else keeps the file as theirs.
            let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
        }
        file.set_permissions(std::fs::Permissions::from_mode(old.mode() & 0o777))
    }

    /// Where the content is written until it is complete.
    pub fn file(&self) -> &File {
        self.temp.as_file()
    }

    /// Writes the content to the disk now, where [`Durability::Flushed`] asks for it (a no-op
    /// for [`Durability::Replaced`]): for a caller that checks the target right before the
    /// rename, after the slow part.
    pub fn sync(&mut self) -> io::Result<()> {
        if self.durability == Durability::Flushed && !self.synced {
            self.temp.as_file().sync_all()?;
            self.synced = true;
        }
        Ok(())
    }

    /// Puts the complete file in place, with the durability it was created with.
    pub fn commit(mut self) -> io::Result<()> {
        self.sync()?;
        let (path, durability) = (self.path.clone(), self.durability);
        self.temp.persist(&path).map_err(|e| e.error)?;
        if durability == Durability::Flushed {
            sync_dir(parent_dir(&path));
        }
        Ok(())
    }
}

/// Replaces `path` with `bytes`, whole or not at all (see [`AtomicFile`]).
pub fn write_atomic(path: &Path, bytes: &[u8], durability: Durability) -> io::Result<()> {
    let file = AtomicFile::create(path, durability)?;
    file.file().write_all(bytes)?;
    file.commit()
}

/// Makes `path` a symlink to `target`, replacing what is there in one rename (a temporary
/// link beside it first), so the name never goes missing. Durability: a rename only; the
/// links gopin makes are made again by whoever finds them missing.
pub fn symlink_atomic(target: &Path, path: &Path) -> io::Result<()> {
    let temp = tempfile::Builder::new()
        .prefix(&temp_prefix(path)?)
        .suffix(".part")
        .make_in(parent_dir(path), |temp| {
            std::os::unix::fs::symlink(target, temp)
        })?;
    temp.into_temp_path().persist(path).map_err(|e| e.error)
}

/// Writes a directory's entries (a rename into or out of it) to the disk. Best effort: the
/// operation itself has happened either way.
pub fn sync_dir(dir: &Path) {
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        crate::ui::verbose(&format!("cannot flush {}: {e}", shown(dir)));
    }
}

/// `.NAME.`: a temporary file's name starts with its target's, hidden (`.part` ends it).
fn temp_prefix(path: &Path) -> io::Result<OsString> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(".");
    Ok(prefix)
}

/// The directory that holds `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A file operation that failed outside the store (the store's own is `store::StoreError`,
/// whose hint names GOPIN_HOME): what was done, to which path, why, and what the user can do
/// when the place is not writable or the disk is full.
#[derive(Debug, Error)]
#[error("cannot {action} {}: {source}{}", shown(path), hint(source, remedy))]
pub struct IoError {
    pub action: &'static str,
    pub path: PathBuf,
    pub source: io::Error,
    /// What to do when the place is not writable, in a few words (`set GOPIN_CACHE_DIR to a
    /// writable directory`).
    pub remedy: &'static str,
}

impl IoError {
    /// Builds a `map_err` closure that names the action and the path; `remedy` is what to do
    /// when the place is not writable.
    pub fn at(
        action: &'static str,
        path: &Path,
        remedy: &'static str,
    ) -> impl FnOnce(io::Error) -> IoError {
        let path = path.to_path_buf();
        move |source| IoError {
            action,
            path,
            source,
            remedy,
        }
    }
}

/// The suggestion for the common, fixable failures.
fn hint(e: &io::Error, remedy: &str) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
            if !remedy.is_empty() =>
        {
            format!(" ({remedy})")
        }
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            " (the disk is full: free some space)".to_string()
        }
        _ => String::new(),
    }
}

/// Whether `path` is a regular file (after symlinks) that someone may execute.
/// Runs `work` on `items` shared out in order among the install's writer threads (2-4, or
/// `GOPIN_EXTRACT_WORKERS`), and returns each part's result in order. For passes of file
/// system calls over a whole tree, where each call may wait on the disk's journal.
pub fn in_parallel<T: Sync, R: Send>(items: &[T], work: impl Fn(&[T]) -> R + Sync) -> Vec<R> {
    let threads = crate::config::extract_workers(|cores| cores.clamp(2, 4));
    let chunk = items.len().div_ceil(threads).max(1);
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || work(part)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no worker panics"))
            .collect()
    })
}

pub fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Lowercase hex of `bytes` (a digest, or bytes to carry as text).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The bytes that [`hex`] wrote (either case); `None` for anything else.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    s.len().is_multiple_of(2).then_some(())?;
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Whether `s` is a SHA-256 digest in hex (either case).
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes = [0u8, 1, 0x7f, 0x80, 0xff];
        assert_eq!(hex(&bytes), "00017f80ff");
        assert_eq!(unhex("00017F80ff").as_deref(), Some(&bytes[..]));
        assert_eq!(unhex("0"), None);
        assert_eq!(unhex("zz"), None);
        assert!(is_sha256(&"aB".repeat(32)));
        assert!(!is_sha256(&"a".repeat(63)));
        assert!(!is_sha256(&"g".repeat(64)));
    }

    #[test]
    fn a_replacement_is_whole_and_leaves_nothing_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("note");
        for durability in [Durability::Flushed, Durability::Replaced] {
            write_atomic(&path, b"first", durability).unwrap();
            write_atomic(&path, b"second", durability).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"second");
        }
        // Dropped before commit: the target is untouched and the temporary file is gone.
        let file = AtomicFile::create(&path, Durability::Flushed).unwrap();
        file.file().write_all(b"never").unwrap();
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        // Links too.
        let link = dir.path().join("link");
        symlink_atomic(Path::new("one"), &link).unwrap();
        symlink_atomic(Path::new("two"), &link).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("two"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn the_error_is_one_sentence_with_the_remedy_that_fits() {
        let denied = IoError::at(
            "write",
            Path::new("/c/x"),
            "set GOPIN_CACHE_DIR to a writable directory",
        )(io::Error::from(io::ErrorKind::PermissionDenied));
        assert_eq!(
            denied.to_string(),
            "cannot write /c/x: permission denied (set GOPIN_CACHE_DIR to a writable directory)"
        );
        let missing = IoError::at("read", Path::new("/c/x"), "anything")(io::Error::from(
            io::ErrorKind::NotFound,
        ));
        assert_eq!(missing.to_string(), "cannot read /c/x: entity not found");
    }
}
