//! Go's `h1:` hash of a module's files (`golang.org/x/mod/sumdb/dirhash`, Hash1): the SHA-256
//! of the lines `<sha256 hex of the file>  <file name>\n`, one per file sorted by name, in
//! base64 after `h1:`. It is what the checksum database records for a module zip, over the
//! zip's entry names (`golang.org/toolchain@v0.0.1-…/bin/go`) and contents.

use std::fs;
use std::io;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::record::{hash_file, hex};
use crate::ui::shown;

#[derive(Debug, Error)]
pub enum DirhashError {
    #[error("the file name {0:?} holds a newline, which Go's module hash cannot express")]
    Newline(String),
    #[error("cannot hash {}: {source}", shown(path))]
    Io {
        path: std::path::PathBuf,
        source: io::Error,
    },
    #[error("cannot hash {}: it is neither a file nor a directory", shown(.0))]
    Special(std::path::PathBuf),
}

/// `h1:` over (file name, lowercase hex SHA-256 of its content) pairs, in any order.
pub fn hash1<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<String, DirhashError> {
    let mut files: Vec<(&str, &str)> = files.into_iter().collect();
    files.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut summary = Sha256::new();
    for (name, sha256) in files {
        if name.contains('\n') {
            return Err(DirhashError::Newline(name.to_string()));
        }
        summary.update(format!("{sha256}  {name}\n"));
    }
    Ok(format!("h1:{}", BASE64.encode(summary.finalize())))
}

/// `h1:` of files held in memory.
pub fn hash_bytes(files: &[(&str, &[u8])]) -> Result<String, DirhashError> {
    let hashed: Vec<(&str, String)> = files
        .iter()
        .map(|(name, data)| (*name, hex(&Sha256::digest(data))))
        .collect();
    hash1(hashed.iter().map(|(n, h)| (*n, h.as_str())))
}

/// `h1:` of the regular files under `dir` whose relative path `keep` accepts, each named
/// `prefix` + its `/`-separated path (Go's HashDir). Anything but files and directories is an
/// error, and so is a name that is not UTF-8.
pub fn hash_dir(
    dir: &Path,
    prefix: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<String, DirhashError> {
    let mut files = Vec::new();
    walk(dir, "", &mut files)?;
    let named: Vec<(String, String)> = files
        .into_iter()
        .filter(|(rel, _)| keep(rel))
        .map(|(rel, sha)| (format!("{prefix}{rel}"), sha))
        .collect();
    hash1(named.iter().map(|(n, h)| (n.as_str(), h.as_str())))
}

/// Collects (relative path, SHA-256) of every file below `dir`.
fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) -> Result<(), DirhashError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DirhashError::Io { path, source }
    };
    for entry in fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let path = entry.path();
        let name = entry
            .file_name()
            .into_string()
            .map_err(|_| DirhashError::Special(path.clone()))?;
        let rel = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        let kind = entry.file_type().map_err(io_err(&path))?;
        if kind.is_dir() {
            walk(&path, &rel, out)?;
        } else if kind.is_file() {
            out.push((rel, hash_file(&path).map_err(io_err(&path))?));
        } else {
            return Err(DirhashError::Special(path));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_toolchain_go_mod_hash() {
        // Every toolchain's .mod file is this one line, and sum.golang.org records its h1
        // (see tests/fixtures/go-toolchain-sumdb-lines.txt).
        let fixture = include_str!("../../tests/fixtures/go-toolchain-sumdb-lines.txt");
        let recorded = fixture
            .lines()
            .find_map(|l| {
                l.strip_prefix("golang.org/toolchain v0.0.1-go1.22.1.linux-amd64/go.mod ")
            })
            .unwrap();
        let got = hash_bytes(&[("go.mod", b"module golang.org/toolchain\n")]).unwrap();
        assert_eq!(got, recorded);
        assert_eq!(got, "h1:8wlg68NqwW7eMnI1aABk/C2pDYXj8mrMY4TyRfiLeS0=");
    }

    #[test]
    fn order_does_not_matter_names_and_contents_do() {
        let a = hash_bytes(&[("m@v/a", b"1"), ("m@v/b", b"2")]).unwrap();
        assert_eq!(a, hash_bytes(&[("m@v/b", b"2"), ("m@v/a", b"1")]).unwrap());
        assert_ne!(a, hash_bytes(&[("m@v/a", b"2"), ("m@v/b", b"1")]).unwrap());
        assert_ne!(a, hash_bytes(&[("m@v/a", b"1"), ("m@v/c", b"2")]).unwrap());
        assert_ne!(a, hash_bytes(&[("m@v/a", b"1")]).unwrap());
        assert!(hash_bytes(&[("a\nb", b"")]).is_err());
    }

    #[test]
    fn a_tree_hashes_like_its_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("src/runtime")).unwrap();
        fs::write(dir.path().join("VERSION"), "go1.22.10\n").unwrap();
        fs::write(dir.path().join("src/runtime/x.go"), "package runtime\n").unwrap();
        fs::write(dir.path().join("src/go.mod"), "module std\n").unwrap();
        let want = hash_bytes(&[
            ("m@v/VERSION", b"go1.22.10\n"),
            ("m@v/src/runtime/x.go", b"package runtime\n"),
        ])
        .unwrap();
        let got = hash_dir(dir.path(), "m@v/", |rel| rel != "src/go.mod").unwrap();
        assert_eq!(got, want);
        std::os::unix::fs::symlink("VERSION", dir.path().join("link")).unwrap();
        assert!(matches!(
            hash_dir(dir.path(), "m@v/", |_| true),
            Err(DirhashError::Special(_))
        ));
    }
}
