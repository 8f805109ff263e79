//! Reading files that a user (or another user: think `/tmp`) controls: version files, go.mod,
//! go.work, the config file, Go's env file; and, through [`open`], every other file gopin
//! reads that it did not write itself: archives to import or install from a `file://`
//! mirror and their `.sha256` files, binaries to audit, a tree's `VERSION`.
//!
//! Such a file may be anything: a FIFO that never answers, a device, a huge file, bytes that
//! are not text. [`read`] never blocks on one (it checks the type before opening, opens
//! non-blocking and checks again on the open descriptor), never reads more than a bound, and
//! refuses a file past the bound rather than reading part of it: a version cut in half at the
//! limit would silently be another version.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::ui::shown;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum UserFileError {
    #[error(
        "{} is {kind}, not a regular file: replace it with a file, or remove it",
        shown(path)
    )]
    NotRegular { path: PathBuf, kind: &'static str },
    #[error(
        "{} is larger than {limit} bytes, too large for this kind of file: gopin reads no more than that",
        shown(path)
    )]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("cannot read {}: {message}", shown(path))]
    Io { path: PathBuf, message: String },
}

impl UserFileError {
    /// What the file is when it is no regular file: "a FIFO (named pipe)", "a device".
    pub fn kind(&self) -> Option<&'static str> {
        match self {
            UserFileError::NotRegular { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// The file the problem is in.
    pub fn path(&self) -> &Path {
        match self {
            UserFileError::NotRegular { path, .. }
            | UserFileError::TooLarge { path, .. }
            | UserFileError::Io { path, .. } => path,
        }
    }
}

/// What a non-regular file is, in words.
fn kind_of(ft: std::fs::FileType) -> &'static str {
    if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

/// The whole content of the regular file at `path`, at most `limit` bytes. `Ok(None)` when
/// nothing is there (or a directory is: a directory named `go.mod` pins nothing).
pub fn read(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, UserFileError> {
    let Some((file, meta)) = open(path)? else {
        return Ok(None);
    };
    if meta.len() > limit {
        return Err(UserFileError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    let io_error = |e: io::Error| UserFileError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    read_bounded(file, limit).map_err(io_error)?.map_or_else(
        || {
            Err(UserFileError::TooLarge {
                path: path.to_path_buf(),
                limit,
            })
        },
        |bytes| Ok(Some(bytes)),
    )
}

/// The regular file at `path`, opened for reading, and what it is; `Ok(None)` when nothing
/// is there or a directory is. For every file gopin reads that a user, a download or another
/// program put there (an archive, its `.sha256`, a binary to audit): a FIFO, socket or device
/// in its place is an error naming it, never an open that waits for a writer or touches a
/// device. The descriptor is non-blocking, which changes nothing for a regular file.
pub fn open(path: &Path) -> Result<Option<(File, Metadata)>, UserFileError> {
    let io_error = |e: io::Error| UserFileError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let absent = |e: &io::Error| {
        matches!(
            e.kind(),
            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
        )
    };
    // Look before opening: opening a FIFO or a device can block or have side effects.
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if absent(&e) => return Ok(None),
        Err(e) => return Err(io_error(e)),
    };
    if meta.is_dir() {
        return Ok(None);
    }
    let not_regular = |ft| UserFileError::NotRegular {
        path: path.to_path_buf(),
        kind: kind_of(ft),
    };
    if !meta.is_file() {
        return Err(not_regular(meta.file_type()));
    }
    // The file may have been swapped since: open without blocking, and check what was opened.
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if absent(&e) => return Ok(None),
        Err(e) => return Err(io_error(e)),
    };
    let meta = file.metadata().map_err(io_error)?;
    if meta.is_dir() {
        return Ok(None);
    }
    if !meta.is_file() {
        return Err(not_regular(meta.file_type()));
    }
    Ok(Some((file, meta)))
}

/// Reads to the end; `None` if there is more than `limit` (the file grew while being read).
fn read_bounded(file: File, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_absent_files_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "1.22.10\n").unwrap();
        assert_eq!(read(&file, 100).unwrap().unwrap(), b"1.22.10\n");
        assert_eq!(read(&dir.path().join("none"), 100).unwrap(), None);
        assert_eq!(read(&file.join("below-a-file"), 100).unwrap(), None);
        assert_eq!(read(dir.path(), 100).unwrap(), None);
    }

    #[test]
    fn files_past_the_limit_are_refused_not_cut() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "x".repeat(101)).unwrap();
        let err = read(&file, 100).unwrap_err();
        assert!(matches!(err, UserFileError::TooLarge { limit: 100, .. }));
        assert!(err.to_string().contains(&*file.to_string_lossy()));
        std::fs::write(&file, "x".repeat(100)).unwrap();
        assert_eq!(read(&file, 100).unwrap().unwrap().len(), 100);
    }

    #[test]
    fn fifos_and_devices_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join(".go-version");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let err = read(&fifo, 100).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
        let link = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let err = read(&link, 100).unwrap_err();
        assert!(err.to_string().contains("a device"), "{err}");
    }
}
