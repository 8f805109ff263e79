//! Go's `h1:` hash of a module's files (`golang.org/x/mod/sumdb/dirhash`, Hash1): the SHA-256
//! of the lines `<sha256 hex of the file>  <file name>\n`, one per file sorted by name, in
//! base64 after `h1:`. It is what the checksum database records for a module zip, over the
//! zip's entry names (`golang.org/toolchain@v0.0.1-…/bin/go`) and contents.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use thiserror::Error;

#[cfg(test)]
use crate::fsio::hex;

#[derive(Debug, Error)]
pub enum DirhashError {
    #[error("the file name {0:?} holds a newline, which Go's module hash cannot express")]
    Newline(String),
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

/// `h1:` of files held in memory (the reference the tests check zips against).
#[cfg(test)]
pub fn hash_bytes(files: &[(&str, &[u8])]) -> Result<String, DirhashError> {
    let hashed: Vec<(&str, String)> = files
        .iter()
        .map(|(name, data)| (*name, hex(&Sha256::digest(data))))
        .collect();
    hash1(hashed.iter().map(|(n, h)| (*n, h.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_toolchain_go_mod_hash() {
        // Every toolchain's .mod file is this one line, and sum.golang.org records its h1
        // (see tests/fixtures/go-toolchain-sumdb-lines.txt).
        let fixture = include_str!("../../../tests/fixtures/go-toolchain-sumdb-lines.txt");
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
}
