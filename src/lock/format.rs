//! The `gopin.lock` file: what it holds, how it is written (TOML, in one stable order, no
//! timestamps: the same lock gives the same bytes) and how it is read back, strictly
//! (docs/lock.md).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::fsio::is_sha256;
use crate::platform::Platform;
use crate::source::goproxy::sumdb::Inclusion;
use crate::source::goproxy::toolchain::{MODULE, module_version};
use crate::ui::shown;
use crate::userfile::UserFileError;
use crate::version::GoVersion;

/// The format this gopin writes and reads; a lock of a later one is refused, not guessed at.
pub const FORMAT: u32 = 1;
/// A lock of five platforms with proofs is a few tens of kB.
const LOCK_LIMIT: u64 = 4 << 20;
/// What every lock starts with.
const HEADER: &str = "# gopin.lock: the Go release this directory uses and its bytes on each platform.\n# Written by `gopin lock`; check it with `gopin lock --check` (docs/lock.md). Do not edit.\n";

#[derive(Debug, Error)]
pub enum LockError {
    #[error("the lock file {0}")]
    Read(#[from] UserFileError),
    #[error(
        "the lock file {} is not valid TOML ({message}): run `gopin lock` to write it again",
        shown(path)
    )]
    Syntax { path: PathBuf, message: String },
    #[error(
        "the lock file {} is of format {found}, newer than this gopin reads ({FORMAT}): upgrade gopin, or run `gopin lock` to write it again in format {FORMAT}",
        shown(path)
    )]
    Newer { path: PathBuf, found: i64 },
    #[error(
        "the lock file {} is not valid: {message}; run `gopin lock` to write it again",
        shown(path)
    )]
    Invalid { path: PathBuf, message: String },
}

/// A lock: one release, and what it is on each platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    pub format: u32,
    pub release: GoVersion,
    #[serde(rename = "platform", default)]
    pub platforms: Vec<Entry>,
}

/// One platform's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub os: String,
    pub arch: String,
    /// go.dev's archive: its file name, size and SHA-256 (lowercase hex).
    pub archive: String,
    pub size: u64,
    pub sha256: String,
    /// `golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64`.
    pub module: String,
    /// The module zip's `h1:` as the checksum database records it; absent when the database
    /// was not asked or could not be reached (then `proof_missing` says why).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub h1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof_missing: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

/// The checksum database's proof of an entry's `h1:`, checkable with no network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    /// The database's key id: `sum.golang.org+033de0ae`.
    pub database: String,
    /// The record's number in the log.
    pub record: u64,
    /// The record (its go.sum lines).
    pub text: String,
    /// The signed tree head the record was proved in.
    pub tree: String,
    /// The inclusion proof, base64 hashes, leaf side first.
    pub hashes: Vec<String>,
}

impl Proof {
    pub fn inclusion(&self) -> Inclusion {
        Inclusion {
            record: self.record,
            text: self.text.clone(),
            note: self.tree.clone(),
            hashes: self.hashes.clone(),
        }
    }
}

impl Entry {
    pub fn platform(&self) -> Platform {
        Platform {
            os: self.os.clone(),
            arch: self.arch.clone(),
        }
    }

    /// The toolchain module's version: `v0.0.1-go1.22.10.linux-amd64`.
    pub fn module_version(&self) -> &str {
        self.module
            .strip_prefix(MODULE)
            .and_then(|v| v.strip_prefix('@'))
            .unwrap_or_default()
    }
}

impl Lock {
    /// The entry for `platform`, if the lock holds one.
    pub fn entry(&self, platform: &Platform) -> Option<&Entry> {
        self.platforms
            .iter()
            .find(|e| e.os == platform.os && e.arch == platform.arch)
    }

    /// The file's bytes: a header comment, then TOML with the platforms sorted.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut lock = self.clone();
        lock.platforms
            .sort_by(|a, b| (&a.os, &a.arch).cmp(&(&b.os, &b.arch)));
        let body = toml::to_string(&lock).expect("a lock serialises");
        format!("{HEADER}{body}").into_bytes()
    }

    /// Parses a lock's bytes (`path` names it in errors) and checks every field.
    pub fn parse(bytes: &[u8], path: &Path) -> Result<Lock, LockError> {
        let syntax = |message: String| LockError::Syntax {
            path: path.to_path_buf(),
            message,
        };
        let invalid = |message: String| LockError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let text = std::str::from_utf8(bytes).map_err(|_| syntax("it is not UTF-8".into()))?;
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| syntax(e.message().trim().to_string()))?;
        match table.get("format") {
            Some(toml::Value::Integer(n)) if *n > i64::from(FORMAT) => {
                return Err(LockError::Newer {
                    path: path.to_path_buf(),
                    found: *n,
                });
            }
            Some(toml::Value::Integer(n)) if *n == i64::from(FORMAT) => {}
            Some(other) => return Err(invalid(format!("its format is {other}, not {FORMAT}"))),
            None => return Err(invalid("it has no format line".into())),
        }
        let lock = Lock::deserialize(toml::Value::Table(table))
            .map_err(|e| invalid(e.message().trim().to_string()))?;
        lock.validate().map_err(invalid)?;
        Ok(lock)
    }

    /// Every field well-formed, every platform once.
    fn validate(&self) -> Result<(), String> {
        if self.platforms.is_empty() {
            return Err("it locks no platform".into());
        }
        let mut seen = Vec::new();
        for e in &self.platforms {
            let platform = Platform::new(&e.os, &e.arch)
                .ok()
                .filter(|p| p.os == e.os && p.arch == e.arch)
                .ok_or_else(|| format!("{}/{} is not a Go platform", e.os, e.arch))?;
            if seen.contains(&platform) {
                return Err(format!("it locks {platform} twice"));
            }
            let at = |what: String| format!("{what} (platform {platform})");
            if !is_sha256(&e.sha256) || e.sha256.bytes().any(|b| b.is_ascii_uppercase()) {
                return Err(at(format!(
                    "sha256 '{}' is not a lowercase hex SHA-256 digest",
                    e.sha256
                )));
            }
            if e.archive.is_empty()
                || e.archive.contains(['/', '\\'])
                || e.archive.starts_with('.')
                || !e.archive.ends_with(".tar.gz")
            {
                return Err(at(format!(
                    "archive '{}' is not a go.dev archive file name",
                    e.archive
                )));
            }
            if e.size == 0 {
                return Err(at("size is 0".into()));
            }
            let want = format!("{MODULE}@{}", module_version(&self.release, &platform));
            if e.module != want {
                return Err(at(format!(
                    "module '{}' is not {want}, the module of {}",
                    e.module, self.release
                )));
            }
            if let Some(h1) = &e.h1
                && !is_h1(h1)
            {
                return Err(at(format!("h1 '{h1}' is not an h1: hash")));
            }
            match (&e.h1, &e.proof_missing, &e.proof) {
                (Some(_), None, Some(_)) | (None, Some(_), None) | (Some(_), Some(_), None) => {}
                _ => {
                    return Err(at(
                        "it needs an h1 with a proof, or a proof_missing that says why none".into(),
                    ));
                }
            }
            seen.push(platform);
        }
        Ok(())
    }
}

/// `sha256:<hex>` of a lock's bytes: what a snapshot's record and a CI cache key name.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256:{}", crate::fsio::hex(&Sha256::digest(bytes)))
}

/// A lock read from its file.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub lock: Lock,
    pub digest: String,
}

impl Found {
    /// Reads the lock at `path`; `Ok(None)` when there is none.
    pub fn read(path: &Path) -> Result<Option<Found>, LockError> {
        let Some(bytes) = crate::userfile::read(path, LOCK_LIMIT)? else {
            return Ok(None);
        };
        let lock = Lock::parse(&bytes, path)?;
        Ok(Some(Found {
            path: path.to_path_buf(),
            lock,
            digest: digest(&bytes),
        }))
    }

    /// For messages: `the lock ~/p/gopin.lock`.
    pub fn label(&self) -> String {
        format!("the lock {}", shown(&self.path))
    }
}

/// `h1:` and the base64 of a SHA-256 hash.
pub fn is_h1(s: &str) -> bool {
    use base64::Engine;
    s.strip_prefix("h1:").is_some_and(|b| {
        base64::engine::general_purpose::STANDARD
            .decode(b)
            .is_ok_and(|d| d.len() == 32)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Lock {
        let v: GoVersion = "go1.22.10".parse().unwrap();
        let entry = |os: &str, arch: &str| Entry {
            os: os.into(),
            arch: arch.into(),
            archive: format!("go1.22.10.{os}-{arch}.tar.gz"),
            size: 123,
            sha256: "ab".repeat(32),
            module: format!(
                "{MODULE}@{}",
                module_version(&v, &Platform::new(os, arch).unwrap())
            ),
            h1: Some(format!("h1:{}", "A".repeat(43) + "=")),
            proof_missing: Some("GOSUMDB=off".into()),
            proof: None,
        };
        Lock {
            format: FORMAT,
            release: v,
            platforms: vec![entry("linux", "arm64"), entry("darwin", "amd64")],
        }
    }

    #[test]
    fn a_lock_reads_back_and_writes_the_same_bytes() {
        let lock = sample();
        let bytes = lock.to_bytes();
        let back = Lock::parse(&bytes, Path::new("gopin.lock")).unwrap();
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(back.platforms[0].os, "darwin", "sorted by platform");
    }

    #[test]
    fn bad_locks_are_one_clear_error_naming_the_file() {
        let path = Path::new("/p/gopin.lock");
        let err = |text: &str| Lock::parse(text.as_bytes(), path).unwrap_err().to_string();
        let good = String::from_utf8(sample().to_bytes()).unwrap();
        let e = err("format = [");
        assert!(e.contains("/p/gopin.lock is not valid TOML"), "{e}");
        let e = err(&good.replace("format = 1", "format = 2"));
        assert!(e.contains("of format 2, newer"), "{e}");
        let e = err(&good.replacen(&"ab".repeat(32), &"ab".repeat(31), 1));
        assert!(e.contains("is not a lowercase hex SHA-256"), "{e}");
        let e = err(&good.replacen("h1:AAAA", "h1:AA", 1));
        assert!(e.contains("is not an h1: hash"), "{e}");
        let e = err(&good.replace("release = ", "x = 1\nrelease = "));
        assert!(
            e.contains("/p/gopin.lock is not valid: unknown field"),
            "{e}"
        );
        let e = err(&good.replace("archive = \"go1", "archive = \"../go1"));
        assert!(e.contains("not a go.dev archive file name"), "{e}");
    }
}
