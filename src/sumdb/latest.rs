//! The latest tree head gopin has verified for a checksum database, kept in its cache directory
//! (`<cache>/sumdb/<name>+<keyhash>/latest`, the signed note as the database sent it).
//!
//! Every tree a database serves afterwards must be consistent with it: that is what makes the
//! log append-only for this machine, so a database (or a proxy in front of it) cannot show
//! one history now and another later. The file is re-verified against the key whenever it is
//! read; updates happen under a lock and by rename, so two gopin processes never interleave.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::SumdbError;
use super::note::Verifier;
use super::tlog::Tree;
use crate::store::io_err;

/// A tree note is a few hundred bytes; anything much larger is not one.
const NOTE_LIMIT: u64 = 64 * 1024;

/// Where one database's latest verified tree lives.
pub struct Latest {
    dir: PathBuf,
}

/// Holds the lock on a database's state until dropped.
pub struct Locked {
    _file: File,
}

impl Latest {
    /// The state of the database `verifier` names, below `cache_dir`.
    pub fn new(cache_dir: &Path, verifier: &Verifier) -> Latest {
        Latest {
            dir: cache_dir.join("sumdb").join(file_name(&verifier.id())),
        }
    }

    /// The file that holds the note.
    pub fn path(&self) -> PathBuf {
        self.dir.join("latest")
    }

    /// Waits for and takes the lock that serialises updates.
    pub fn lock(&self) -> Result<Locked, SumdbError> {
        fs::create_dir_all(&self.dir).map_err(io_err("create", &self.dir))?;
        let path = self.dir.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("open", &path))?;
        file.lock().map_err(io_err("lock", &path))?;
        Ok(Locked { _file: file })
    }

    /// The tree kept, checked against the key again; `None` before the first verification.
    pub fn load(&self, verifier: &Verifier) -> Result<Option<(Tree, Vec<u8>)>, SumdbError> {
        let path = self.path();
        let damaged = |reason: String| SumdbError::BadLatest {
            path: path.clone(),
            reason,
        };
        let Some(note) =
            crate::userfile::read(&path, NOTE_LIMIT).map_err(|e| damaged(e.to_string()))?
        else {
            return Ok(None);
        };
        let text = verifier.open(&note).map_err(|e| damaged(e.to_string()))?;
        let tree = Tree::parse(text).map_err(|e| damaged(e.to_string()))?;
        Ok(Some((tree, note)))
    }

    /// Replaces the kept note (the caller holds the lock and has verified `note`).
    pub fn save(&self, note: &[u8]) -> Result<(), SumdbError> {
        fs::create_dir_all(&self.dir).map_err(io_err("create", &self.dir))?;
        let mut tmp =
            tempfile::NamedTempFile::new_in(&self.dir).map_err(io_err("write in", &self.dir))?;
        tmp.write_all(note)
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(io_err("write", tmp.path()))?;
        let path = self.path();
        tmp.persist(&path)
            .map_err(|e| io_err("replace", &path)(e.error))?;
        Ok(())
    }
}

/// A database id as one safe file name: `sum.golang.org+033de0ae`; a `/` or any other byte
/// outside `[A-Za-z0-9.+_-]` becomes `%XX`.
fn file_name(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"+-_".contains(&b) || (b == b'.' && !out.is_empty()) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::note::tests::{sign, test_key};
    use super::super::tlog::to_base64;
    use super::*;

    #[test]
    fn file_names_are_single_safe_components() {
        assert_eq!(
            file_name("sum.golang.org+033de0ae"),
            "sum.golang.org+033de0ae"
        );
        assert_eq!(
            file_name("db.example.com:8443/sumdb+01234567"),
            "db.example.com%3A8443%2Fsumdb+01234567"
        );
        assert_eq!(file_name("..+01234567"), "%2E.+01234567");
    }

    #[test]
    fn saved_notes_are_reverified_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let (key, vkey) = test_key("db.test", 3);
        let v = Verifier::parse(&vkey).unwrap();
        let latest = Latest::new(dir.path(), &v);
        assert_eq!(latest.load(&v).unwrap(), None);
        let text = format!("go.sum database tree\n5\n{}\n", to_base64(&[9; 32]));
        let note = sign(&text, "db.test", &key);
        let _lock = latest.lock().unwrap();
        latest.save(note.as_bytes()).unwrap();
        let (tree, kept) = latest.load(&v).unwrap().unwrap();
        assert_eq!(tree.size, 5);
        assert_eq!(kept, note.as_bytes());
        // Edited on disk: refused, naming the file and the fix.
        fs::write(latest.path(), note.replace("\n5\n", "\n6\n")).unwrap();
        let err = latest.load(&v).unwrap_err().to_string();
        assert!(err.contains("latest") && err.contains("delete it"), "{err}");
    }
}
