//! Files the user names for gopin to write (`gopin export -o FILE`): what may be replaced, and
//! what is written into instead.
//!
//! The rule (docs/security.md, "Outputs"):
//! - `-`, and any name for this process's own standard output (`/dev/stdout`,
//!   `/proc/self/fd/1`), is standard output;
//! - nothing there, or a regular file: a temporary file beside it, renamed over it once complete
//!   and on disk, so the name holds the old file or the whole new one, never a part. An existing
//!   file keeps its permission bits (a 0600 file stays 0600) and, where gopin may set it, its
//!   owner; a new one gets 0666 less the umask. The rename happens only over a regular file or
//!   nothing: a name that became something else meanwhile is left alone;
//! - a FIFO, a pipe (`>(wc -c)`, `/dev/fd/63`) or a character device (`/dev/null`): opened and
//!   written into as the bytes come, never replaced (as root, a rename would have put an archive
//!   where `/dev/null` was); opening a FIFO waits for its reader, as a shell redirection does;
//! - a symlink to one of those: written into through the link; a symlink to a regular file or
//!   to nothing is refused, naming the link and its target: replacing the target through a link
//!   someone else may have planted (in `/tmp`) is how a victim's file gets overwritten, and
//!   replacing the link itself would not write where it points;
//! - a directory, a block device or a socket: refused.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::fsio::{AtomicFile, Durability};
use crate::ui::shown;

#[derive(Debug, Error)]
pub enum OutputError {
    #[error("{} is a directory: name the file to write, such as {}", shown(.0), shown(&.0.join("go.tar.gz")))]
    IsDirectory(PathBuf),
    #[error(
        "{} is a symlink to the file {}: gopin replaces no file through a link; name {} itself, or remove the link",
        shown(path),
        shown(target),
        shown(target)
    )]
    LinkToFile { path: PathBuf, target: PathBuf },
    #[error(
        "{} is a symlink to {}, which does not exist: name the file to write itself, or remove the link",
        shown(path),
        shown(target)
    )]
    Dangling { path: PathBuf, target: PathBuf },
    #[error(
        "{} is {kind}, which gopin does not write to: name a file, a FIFO or -",
        shown(path)
    )]
    Unwritable { path: PathBuf, kind: &'static str },
    #[error(
        "{} was replaced by something other than a regular file while gopin was writing it, so it was left alone: write again",
        shown(.0)
    )]
    Changed(PathBuf),
    #[error("cannot write {}: {source}", shown(path))]
    Write { path: PathBuf, source: io::Error },
}

/// Where the bytes go.
pub enum Output {
    /// Nothing or a regular file at the path, replaced whole once complete.
    Replace(Replacement),
    /// Standard output, a FIFO, a pipe or a character device, written as the bytes come.
    /// `name` names it in messages (`stdout` for standard output).
    Stream { file: File, name: PathBuf },
}

/// Opens `path` for writing by the rule of the module documentation. Nothing is replaced yet:
/// a [`Output::Replace`] changes the name only at [`Replacement::commit`].
pub fn open(path: &Path) -> Result<Output, OutputError> {
    if path.as_os_str() == "-" || is_own_stdout(path) {
        return stdout();
    }
    let write_err = |source| OutputError::Write {
        path: path.to_path_buf(),
        source,
    };
    let lmeta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Output::Replace(Replacement::create(path, None)?));
        }
        Err(e) => return Err(write_err(e)),
    };
    let meta = if lmeta.file_type().is_symlink() {
        let target = std::fs::read_link(path).unwrap_or_default();
        match std::fs::metadata(path) {
            Ok(m) if m.is_file() => {
                let target = std::fs::canonicalize(path).unwrap_or(target);
                return Err(OutputError::LinkToFile {
                    path: path.to_path_buf(),
                    target,
                });
            }
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(OutputError::Dangling {
                    path: path.to_path_buf(),
                    target,
                });
            }
            Err(e) => return Err(write_err(e)),
        }
    } else {
        lmeta
    };
    let kind = meta.file_type();
    if kind.is_dir() {
        Err(OutputError::IsDirectory(path.to_path_buf()))
    } else if kind.is_file() {
        Ok(Output::Replace(Replacement::create(path, Some(&meta))?))
    } else if kind.is_fifo() || kind.is_char_device() {
        let file = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(path)
            .map_err(write_err)?;
        // The name may have been swapped for a file since: never write into one unreplaced.
        let opened = file.metadata().map_err(write_err)?.file_type();
        if !(opened.is_fifo() || opened.is_char_device() || opened.is_socket()) {
            return Err(OutputError::Changed(path.to_path_buf()));
        }
        Ok(Output::Stream {
            file,
            name: path.to_path_buf(),
        })
    } else {
        let kind = if kind.is_block_device() {
            "a block device"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "a special file"
        };
        Err(OutputError::Unwritable {
            path: path.to_path_buf(),
            kind,
        })
    }
}

/// Standard output, as a file of its own (Rust's buffered stdout would look for line ends).
fn stdout() -> Result<Output, OutputError> {
    use std::os::fd::AsFd;
    let file = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(File::from)
        .map_err(|source| OutputError::Write {
            path: PathBuf::from("stdout"),
            source,
        })?;
    Ok(Output::Stream {
        file,
        name: PathBuf::from("stdout"),
    })
}

/// Whether `path` names the very file standard output is (`/dev/stdout`, `/proc/self/fd/1`,
/// or the file stdout was redirected to): writing there is writing to stdout, which must not
/// be replaced behind the shell's back.
fn is_own_stdout(path: &Path) -> bool {
    use std::os::fd::AsFd;
    let Ok(named) = std::fs::metadata(path) else {
        return false;
    };
    let own = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(File::from)
        .and_then(|f| f.metadata());
    own.is_ok_and(|own| own.dev() == named.dev() && own.ino() == named.ino())
}

/// A regular file (or nothing) that is replaced whole once complete and on disk
/// ([`Durability::Flushed`]: the user is told the output is written, and may copy or delete
/// the source right after). Dropped before [`Replacement::commit`], the temporary file is
/// deleted, so a refused or failed write leaves the target as it was.
pub struct Replacement {
    file: AtomicFile,
    path: PathBuf,
}

impl Replacement {
    /// Creates the temporary file now, so an unwritable target fails before any work. With
    /// `existing` (the regular file there now), the new file gets its permission bits and,
    /// where this process may set them, its owner and group.
    fn create(path: &Path, existing: Option<&Metadata>) -> Result<Replacement, OutputError> {
        if path.file_name().is_none() {
            return Err(OutputError::IsDirectory(path.to_path_buf()));
        }
        let write_err = |source| OutputError::Write {
            path: path.to_path_buf(),
            source,
        };
        let file = AtomicFile::create(path, Durability::Flushed).map_err(write_err)?;
        if let Some(old) = existing {
            file.keep_owner_and_mode(old).map_err(write_err)?;
        }
        Ok(Replacement {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Where the content is written until it is complete.
    pub fn file(&self) -> &File {
        self.file.file()
    }

    /// Puts the complete file in place, on disk first; only over a regular file or nothing.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let write_err = |source| OutputError::Write {
            path: self.path.clone(),
            source,
        };
        self.file.sync().map_err(write_err)?;
        match std::fs::symlink_metadata(&self.path) {
            Ok(m) if !m.is_file() => return Err(OutputError::Changed(self.path.clone())),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(write_err(e)),
        }
        self.file.commit().map_err(write_err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mkfifo(path: &Path) {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    }

    #[test]
    fn each_kind_of_name_gets_its_rule() {
        let dir = tempfile::tempdir().unwrap();
        let at = |name: &str| dir.path().join(name);
        assert!(matches!(open(&at("new.tar.gz")), Ok(Output::Replace(_))));
        std::fs::write(at("file"), "old").unwrap();
        assert!(matches!(open(&at("file")), Ok(Output::Replace(_))));
        assert!(matches!(open(dir.path()), Err(OutputError::IsDirectory(_))));
        std::os::unix::fs::symlink(at("file"), at("to-file")).unwrap();
        let err = open(&at("to-file")).err().unwrap().to_string();
        assert!(
            err.contains("is a symlink to the file") && err.contains("file itself"),
            "{err}"
        );
        std::os::unix::fs::symlink(at("nowhere"), at("dangling")).unwrap();
        assert!(matches!(
            open(&at("dangling")),
            Err(OutputError::Dangling { .. })
        ));
        std::os::unix::fs::symlink("/dev/null", at("null")).unwrap();
        assert!(matches!(open(&at("null")), Ok(Output::Stream { .. })));
        assert!(matches!(
            open(Path::new("/dev/null")),
            Ok(Output::Stream { .. })
        ));
        // A FIFO with a reader waiting is written into.
        mkfifo(&at("fifo"));
        let fifo = at("fifo");
        let reader = std::thread::spawn(move || std::fs::read(fifo).unwrap());
        let Ok(Output::Stream { file, .. }) = open(&at("fifo")) else {
            panic!("a FIFO is a stream")
        };
        std::io::Write::write_all(&mut &file, b"bytes").unwrap();
        drop(file);
        assert_eq!(reader.join().unwrap(), b"bytes");
        assert!(
            std::fs::symlink_metadata(at("fifo"))
                .unwrap()
                .file_type()
                .is_fifo()
        );
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_only_a_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("private.tar.gz");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let Ok(Output::Replace(file)) = open(&path) else {
            panic!("a regular file is replaced")
        };
        std::io::Write::write_all(&mut file.file(), b"new").unwrap();
        file.commit().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o7777, 0o600);
        // Swapped for a FIFO while being written: left alone.
        let Ok(Output::Replace(file)) = open(&path) else {
            panic!()
        };
        std::fs::remove_file(&path).unwrap();
        mkfifo(&path);
        assert!(matches!(file.commit(), Err(OutputError::Changed(_))));
        assert!(
            std::fs::symlink_metadata(&path)
                .unwrap()
                .file_type()
                .is_fifo()
        );
    }
}
