//! The install record: what gopin installed into a version's directory, so `doctor` can tell
//! a damaged or altered GOROOT from the one that was verified at install time.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{StoreError, io_err};
use crate::version::GoVersion;

/// One entry of a GOROOT, by its path relative to the GOROOT (`bin/go`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ManifestEntry {
    File {
        size: u64,
        sha256: String,
        mode: u32,
    },
    Symlink {
        target: String,
    },
}

/// What one install put into the store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstallRecord {
    pub version: GoVersion,
    pub os: String,
    pub arch: String,
    /// Where the archive came from.
    pub url: String,
    /// The archive's SHA-256, as verified.
    pub sha256: String,
    pub archive_size: u64,
    /// Seconds since the Unix epoch.
    pub installed_at: u64,
    pub gopin_version: String,
    /// Every file and symlink under `go/`.
    pub files: BTreeMap<String, ManifestEntry>,
}

/// One way an installed tree differs from its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    Missing(String),
    Changed(String),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(p) => write!(f, "{p} is missing"),
            Drift::Changed(p) => write!(f, "{p} was modified"),
        }
    }
}

impl InstallRecord {
    pub fn load(path: &Path) -> Result<InstallRecord, StoreError> {
        let bytes = fs::read(path).map_err(io_err("read", path))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| io_err("parse", path)(io::Error::new(io::ErrorKind::InvalidData, e)))
    }

    pub fn save(&self, path: &Path) -> Result<(), StoreError> {
        let json = serde_json::to_vec(self).expect("records serialise");
        fs::write(path, json).map_err(io_err("write", path))
    }

    /// Compares `goroot` with the record, hashing every file. Returns each difference.
    pub fn verify(&self, goroot: &Path) -> Vec<Drift> {
        let mut drift = Vec::new();
        for (rel, entry) in &self.files {
            let path = goroot.join(rel);
            let ok = match entry {
                ManifestEntry::File { size, sha256, mode } => match fs::symlink_metadata(&path) {
                    Ok(m) if m.is_file() => {
                        // The umask may have narrowed the mode; the owner's execute bit is
                        // what matters (a `chmod -x bin/go` breaks the install).
                        let exec = m.permissions().mode() & 0o100 == mode & 0o100;
                        exec && m.len() == *size && hash_file(&path).ok().as_ref() == Some(sha256)
                    }
                    Ok(_) => false,
                    Err(_) => {
                        drift.push(Drift::Missing(rel.clone()));
                        continue;
                    }
                },
                ManifestEntry::Symlink { target } => match fs::read_link(&path) {
                    Ok(t) => t.to_str() == Some(target.as_str()),
                    Err(_) => {
                        drift.push(Drift::Missing(rel.clone()));
                        continue;
                    }
                },
            };
            if !ok {
                drift.push(Drift::Changed(rel.clone()));
            }
        }
        drift
    }
}

/// Lowercase hex SHA-256 of a file's contents.
pub fn hash_file(path: &Path) -> io::Result<String> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
