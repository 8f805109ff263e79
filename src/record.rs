//! The install record: what gopin installed into a version's directory, so `doctor` can tell
//! a damaged or altered GOROOT from the one that was verified at install time.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::archive::{ManifestEntry, UNSAFE_BITS, unsafe_bits_described};
use crate::fsio::{Durability, hex, is_sha256, write_atomic};
use crate::platform::Platform;
use crate::store::{StoreError, io_err};
use crate::ui::{shown, shown_bytes};
use crate::version::GoVersion;

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
    /// Which source it came from and what vouched for it.
    #[serde(default)]
    pub source: Provenance,
    /// Seconds since the Unix epoch.
    pub installed_at: u64,
    pub gopin_version: String,
    /// Every file and symlink under `go/`.
    pub files: BTreeMap<String, ManifestEntry>,
}

/// Where an install came from and what vouched for it, in its source's own terms (the index
/// and where the SHA-256 came from; the proxy, the `h1:` and the checksum database's signed
/// tree it was proved in). Kept for people and audits: gopin reads back only whether the
/// release was verified at all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// The source's name (`go.dev`, `goproxy`); empty in records written before there was a
    /// choice, which all came from go.dev's index.
    #[serde(default)]
    pub kind: String,
    /// Why nothing verified the release, when the user allowed that (`allow_unverified`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified: Option<String>,
    /// The rest, as the source records it.
    #[serde(flatten)]
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// The provenance detail of an install checked against a `gopin.lock`: the lock's digest
/// (docs/lock.md). It is the one detail a snapshot's record keeps.
pub const LOCK_DIGEST: &str = "lock_sha256";

/// The provenance kinds of `gopin import`: an official archive file (checked against a
/// release checksum, as an install is), a snapshot, a copied directory, a directory recorded
/// in place. The last three carry no archive checksum of their own.
pub const IMPORTED_ARCHIVE: &str = "archive";
pub const IMPORTED_SNAPSHOT: &str = "snapshot";
pub const IMPORTED_DIRECTORY: &str = "directory";
pub const IMPORTED_LINK: &str = "link";

impl Provenance {
    /// Whether this came from a snapshot or a directory, which no archive checksum vouches
    /// for.
    pub fn is_imported_tree(&self) -> bool {
        [IMPORTED_SNAPSHOT, IMPORTED_DIRECTORY, IMPORTED_LINK].contains(&self.kind.as_str())
    }

    /// Whether a module proxy install was assembled from the object store and the members
    /// that changed (docs/store.md): its `h1:` is proved, but no whole zip was hashed.
    pub fn is_delta(&self) -> bool {
        self.details.get(DELTA).and_then(|v| v.as_bool()) == Some(true)
    }

    /// What `ls` and `doctor` say of an imported tree: where it came from and whether the
    /// checksum database proved it ("imported from ~/sdk/go1.22.10, not verified against a
    /// release checksum"), as the import wrote it. Text from a file: escape it to print it.
    pub fn import_summary(&self) -> Option<&str> {
        if !self.is_imported_tree() {
            return None;
        }
        self.details.get(SUMMARY).and_then(|v| v.as_str())
    }
}

/// The key of [`Provenance::is_delta`] in the details.
pub const DELTA: &str = "delta";

/// The key of [`Provenance::import_summary`] in the details.
pub const SUMMARY: &str = "summary";

/// What `ls` needs of a record: its provenance, without keeping the file list.
#[derive(Deserialize)]
struct ProvenanceOnly {
    #[serde(default)]
    source: Provenance,
}

/// One way an installed tree differs from its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    Missing(String),
    Changed(String),
    /// Permissions wider than recorded (a write bit for others), or the owner's execute bit
    /// turned on or off.
    Mode {
        path: String,
        mode: u32,
    },
    /// Bits no file of a Go tree may have ([`UNSAFE_BITS`]), recorded or not.
    Unsafe {
        path: String,
        mode: u32,
    },
    /// Something the release did not contain (an injected `src/fmt/zz.go`, a `go.env`), as
    /// it can be shown.
    Unrecorded(String),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |p: &str| shown_bytes(p.as_bytes());
        match self {
            Drift::Missing(p) => write!(f, "{} is missing", show(p)),
            Drift::Changed(p) => write!(f, "{} was modified", show(p)),
            Drift::Mode { path, mode } => {
                write!(f, "{}'s permissions were changed to {mode:03o}", show(path))
            }
            Drift::Unsafe { path, mode } => write!(
                f,
                "{} has mode {mode:04o} ({}), which no file of a Go tree may have",
                show(path),
                unsafe_bits_described(*mode)
            ),
            Drift::Unrecorded(p) => write!(f, "{p} was added"),
        }
    }
}

/// Why a record cannot be trusted to describe the directory it sits in.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Inconsistent {
    #[error("it describes {version} ({os}/{arch}), not this directory's {expected}")]
    Elsewhere {
        version: GoVersion,
        os: String,
        arch: String,
        expected: String,
    },
    #[error("its file list is empty")]
    NoFiles,
    #[error("it lists no {0}")]
    NoGo(&'static str),
    #[error("its archive checksum is not a SHA-256")]
    BadChecksum,
}

/// Every string in `map`, at any depth, with its URLs' secrets hidden.
fn redact_strings(map: &mut serde_json::Map<String, serde_json::Value>) {
    fn walk(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => *s = crate::ui::redacted(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            serde_json::Value::Object(map) => map.values_mut().for_each(walk),
            _ => {}
        }
    }
    map.values_mut().for_each(walk);
}

impl InstallRecord {
    /// A record of `files`, installed now by this gopin from `url` (`sha256`, `archive_size`:
    /// what was downloaded, as verified).
    pub fn new(
        version: GoVersion,
        platform: &Platform,
        url: String,
        sha256: String,
        archive_size: u64,
        source: Provenance,
        files: BTreeMap<String, ManifestEntry>,
    ) -> InstallRecord {
        // A record is shown by ls, doctor and export: no URL in it keeps a password or token
        // (docs/security.md, "Credentials").
        let mut source = source;
        redact_strings(&mut source.details);
        InstallRecord {
            version,
            os: platform.os.clone(),
            arch: platform.arch.clone(),
            url: crate::ui::redacted(&url),
            sha256,
            archive_size,
            source,
            installed_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default(),
            gopin_version: env!("CARGO_PKG_VERSION").to_string(),
            files,
        }
    }

    /// The provenance of the record at `path` (a missing or unreadable record has none).
    pub fn provenance(path: &Path) -> Option<Provenance> {
        let bytes = fs::read(path).ok()?;
        serde_json::from_slice::<ProvenanceOnly>(&bytes)
            .ok()
            .map(|r| r.source)
    }

    pub fn load(path: &Path) -> Result<InstallRecord, StoreError> {
        let bytes = fs::read(path).map_err(io_err("read", path))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| io_err("parse", path)(io::Error::new(io::ErrorKind::InvalidData, e)))
    }

    /// Writes the record whole or not at all: a complete record is what marks a staged tree
    /// as finished. Durability: a rename only, since the record is written into a staged
    /// tree, and [`crate::store::Store::commit`] flushes that whole tree, record included,
    /// before it becomes visible; a record rewritten in an installed tree would need
    /// [`Durability::Flushed`].
    pub fn save(&self, path: &Path) -> Result<(), StoreError> {
        let json = serde_json::to_vec(self).expect("records serialise");
        write_atomic(path, &json, Durability::Replaced).map_err(io_err("write", path))
    }

    /// Whether this record can describe the install of `version` for `platform` at all.
    pub fn check(&self, version: &GoVersion, platform: &Platform) -> Result<(), Inconsistent> {
        if self.version != *version || self.os != platform.os || self.arch != platform.arch {
            return Err(Inconsistent::Elsewhere {
                version: self.version,
                os: self.os.clone(),
                arch: self.arch.clone(),
                expected: format!("{version} ({platform})"),
            });
        }
        if self.files.is_empty() {
            return Err(Inconsistent::NoFiles);
        }
        let go = platform.go_binary();
        if !matches!(self.files.get(go), Some(ManifestEntry::File { .. })) {
            return Err(Inconsistent::NoGo(go));
        }
        // A tree imported from a directory came from no archive; from anywhere else the
        // archive's checksum is part of what the record vouches for.
        let no_archive =
            self.sha256.is_empty() && (self.source.is_imported_tree() || self.source.is_delta());
        if !no_archive && !is_sha256(&self.sha256) {
            return Err(Inconsistent::BadChecksum);
        }
        Ok(())
    }

    /// Compares `goroot` with the record both ways, hashing every file: each recorded entry
    /// must be there unchanged, and nothing else may be (directories aside). Returns each
    /// difference.
    pub fn verify(&self, goroot: &Path) -> Vec<Drift> {
        let mut drift = Vec::new();
        for (rel, entry) in &self.files {
            let path = goroot.join(rel);
            let found = match entry {
                ManifestEntry::File { size, sha256, mode } => match fs::symlink_metadata(&path) {
                    Ok(m) if m.is_file() => {
                        let actual = m.permissions().mode() & 0o7777;
                        if let Some(d) = mode_drift(rel, actual, *mode) {
                            drift.push(d);
                        }
                        m.len() == *size && hash_file(&path).ok().as_ref() == Some(sha256)
                    }
                    Ok(_) => false,
                    Err(_) => {
                        drift.push(Drift::Missing(rel.clone()));
                        continue;
                    }
                },
                ManifestEntry::Symlink { target } => match fs::read_link(&path) {
                    Ok(t) => t.to_str() == Some(target.as_str()),
                    Err(_) if fs::symlink_metadata(&path).is_ok() => false,
                    Err(_) => {
                        drift.push(Drift::Missing(rel.clone()));
                        continue;
                    }
                },
            };
            if !found {
                drift.push(Drift::Changed(rel.clone()));
            }
        }
        drift.extend(self.unrecorded(goroot));
        drift
    }

    /// The record as a snapshot carries it (see `snapshot`): the same tree and the same
    /// release, without what belongs to one machine's install. `installed_at` is 0,
    /// `gopin_version` names the gopin that exports, `url` keeps only the archive's file name
    /// (a mirror's address or a `file://` path is a machine's setting), and each file's mode
    /// is the one the snapshot gives it ([`portable_mode`]). So every store that holds the
    /// same release gives the same bytes, and an import can check a snapshot's entries
    /// against this.
    pub fn portable(&self) -> InstallRecord {
        let files = self
            .files
            .iter()
            .map(|(rel, entry)| {
                let entry = match entry {
                    ManifestEntry::File { size, sha256, mode } => ManifestEntry::File {
                        size: *size,
                        sha256: sha256.clone(),
                        mode: portable_mode(*mode),
                    },
                    link @ ManifestEntry::Symlink { .. } => link.clone(),
                };
                (rel.clone(), entry)
            })
            .collect();
        let path = self.url.split(['?', '#']).next().unwrap_or_default();
        InstallRecord {
            installed_at: 0,
            gopin_version: env!("CARGO_PKG_VERSION").to_string(),
            url: path.rsplit('/').next().unwrap_or_default().to_string(),
            files,
            // Which kind of source, and whether it was verified, travel; its addresses and
            // proofs do not (they name one mirror, and the snapshot proves integrity only).
            // The lock an install was checked against does travel: its digest (docs/lock.md).
            source: Provenance {
                details: self
                    .source
                    .details
                    .iter()
                    .filter(|(k, _)| *k == LOCK_DIGEST)
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                ..self.source.clone()
            },
            ..self.clone()
        }
    }

    /// Everything under `goroot` that is not a directory and not in the record, sorted.
    fn unrecorded(&self, goroot: &Path) -> Vec<Drift> {
        let mut found = Vec::new();
        let mut pending = vec![PathBuf::new()];
        while let Some(dir) = pending.pop() {
            // A missing or unreadable directory shows up as its missing files.
            let Ok(entries) = fs::read_dir(goroot.join(&dir)) else {
                continue;
            };
            for entry in entries.filter_map(Result::ok) {
                let rel = dir.join(entry.file_name());
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    pending.push(rel);
                } else if !rel.to_str().is_some_and(|r| self.files.contains_key(r)) {
                    found.push(shown(&rel));
                }
            }
        }
        found.sort();
        found.into_iter().map(Drift::Unrecorded).collect()
    }
}

/// The install created each file with its recorded mode narrowed by the umask, so a mode may
/// lack bits but never gain one; and the owner's execute bit must be as recorded (a
/// `chmod -x bin/go` breaks the install, a `chmod go+w` lets others change it). Bits that no
/// file of a Go tree may have ([`UNSAFE_BITS`]) are reported whatever the record says: a
/// record is no signature, and a mode is covered by no checksum.
fn mode_drift(rel: &str, actual: u32, recorded: u32) -> Option<Drift> {
    if actual & UNSAFE_BITS != 0 {
        return Some(Drift::Unsafe {
            path: rel.to_string(),
            mode: actual,
        });
    }
    let wider = actual & !recorded != 0;
    let exec_flipped = (actual ^ recorded) & 0o100 != 0;
    (wider || exec_flipped).then(|| Drift::Mode {
        path: rel.to_string(),
        mode: actual,
    })
}

/// A file's mode in a snapshot: 0755 when its owner may run it, else 0644. A umask or a
/// `chmod go-r` in one store must not change the bytes of a snapshot, and the owner's
/// execute bit is the one bit a Go tree needs.
pub fn portable_mode(mode: u32) -> u32 {
    if mode & 0o100 != 0 { 0o755 } else { 0o644 }
}

/// Lowercase hex SHA-256 of a file's contents. Only a regular file is read: the path is not
/// followed if it is a symlink, and a FIFO or device put in a file's place is an error, never
/// an open or a read that waits.
pub fn hash_file(path: &Path) -> io::Result<String> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny tree and the record that describes it.
    fn tree() -> (tempfile::TempDir, InstallRecord) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("bin")).unwrap();
        fs::create_dir_all(root.join("src/fmt")).unwrap();
        let mut files = BTreeMap::new();
        for (rel, mode, data) in [
            ("bin/go", 0o755, &b"#!/bin/sh\n"[..]),
            ("src/fmt/print.go", 0o644, &b"package fmt\n"[..]),
        ] {
            let path = root.join(rel);
            fs::write(&path, data).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            files.insert(
                rel.to_string(),
                ManifestEntry::File {
                    size: data.len() as u64,
                    sha256: hex(&Sha256::digest(data)),
                    mode,
                },
            );
        }
        std::os::unix::fs::symlink("go", root.join("bin/go2")).unwrap();
        files.insert(
            "bin/go2".into(),
            ManifestEntry::Symlink {
                target: "go".into(),
            },
        );
        let record = InstallRecord {
            version: "go1.22.10".parse().unwrap(),
            os: "linux".into(),
            arch: "amd64".into(),
            url: "https://dl.google.com/go/go1.22.10.linux-amd64.tar.gz".into(),
            sha256: "ab".repeat(32),
            archive_size: 1,
            source: Provenance::default(),
            installed_at: 0,
            gopin_version: "0".into(),
            files,
        };
        (dir, record)
    }

    fn drift_of(record: &InstallRecord, root: &Path) -> Vec<String> {
        record
            .verify(root)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn an_untouched_tree_verifies() {
        let (dir, record) = tree();
        assert_eq!(record.verify(dir.path()), []);
        // An empty directory is not a file the release lacks.
        fs::create_dir(dir.path().join("pkg")).unwrap();
        assert_eq!(record.verify(dir.path()), []);
    }

    #[test]
    fn added_files_are_found() {
        let (dir, record) = tree();
        let root = dir.path();
        fs::write(root.join("src/fmt/zz_injected.go"), "package fmt\n").unwrap();
        fs::write(root.join("bin/evil-extra"), "").unwrap();
        fs::write(root.join("go.env"), "GOTOOLCHAIN=auto\n").unwrap();
        std::os::unix::fs::symlink("/etc", root.join("src/escape")).unwrap();
        assert_eq!(
            drift_of(&record, root),
            [
                "bin/evil-extra was added",
                "go.env was added",
                "src/escape was added",
                "src/fmt/zz_injected.go was added"
            ]
        );
    }

    #[test]
    fn wider_modes_and_a_lost_execute_bit_are_found() {
        let (dir, record) = tree();
        let go = dir.path().join("bin/go");
        fs::set_permissions(&go, fs::Permissions::from_mode(0o775)).unwrap();
        assert_eq!(
            record.verify(dir.path()),
            [Drift::Unsafe {
                path: "bin/go".into(),
                mode: 0o775
            }]
        );
        let print = dir.path().join("src/fmt/print.go");
        fs::set_permissions(&print, fs::Permissions::from_mode(0o645)).unwrap();
        fs::set_permissions(&go, fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            record.verify(dir.path()),
            [Drift::Mode {
                path: "src/fmt/print.go".into(),
                mode: 0o645
            }]
        );
        fs::set_permissions(&print, fs::Permissions::from_mode(0o644)).unwrap();
        // Narrower than recorded, as a umask of 077 makes it: fine.
        fs::set_permissions(&go, fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(record.verify(dir.path()), []);
        fs::set_permissions(&go, fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(record.verify(dir.path()).len(), 1);
        assert_eq!(
            mode_drift("x", 0o4755, 0o755)
                .map(|d| d.to_string())
                .as_deref(),
            Some("x has mode 4755 (setuid), which no file of a Go tree may have")
        );
    }

    #[test]
    fn unsafe_bits_are_found_whatever_the_record_says() {
        for (mode, says) in [
            (0o777, "0777 (group-writable, world-writable)"),
            (0o664, "0664 (group-writable)"),
            (0o4755, "4755 (setuid)"),
            (0o2755, "2755 (setgid)"),
        ] {
            let d = mode_drift("bin/go", mode, mode).expect("reported");
            assert_eq!(
                d.to_string(),
                format!("bin/go has mode {says}, which no file of a Go tree may have")
            );
        }
        assert_eq!(mode_drift("bin/go", 0o755, 0o755), None);
        assert_eq!(mode_drift("VERSION", 0o444, 0o644), None);
    }

    #[test]
    fn changed_and_missing_entries_are_found() {
        let (dir, record) = tree();
        let root = dir.path();
        fs::write(
            root.join("src/fmt/print.go"),
            "package fmt\n\nfunc init() {}\n",
        )
        .unwrap();
        fs::remove_file(root.join("bin/go2")).unwrap();
        fs::write(root.join("bin/go2"), "").unwrap();
        fs::remove_file(root.join("bin/go")).unwrap();
        assert_eq!(
            drift_of(&record, root),
            [
                "bin/go is missing",
                "bin/go2 was modified",
                "src/fmt/print.go was modified"
            ]
        );
    }

    #[test]
    fn the_portable_record_keeps_the_tree_and_the_release_only() {
        let (_dir, record) = tree();
        let mut other = record.clone();
        other.url = "file:///srv/mirror/go1.22.10.linux-amd64.tar.gz?x=1".into();
        other.installed_at = 1_700_000_000;
        other.gopin_version = "0.0.1".into();
        let (a, b) = (record.portable(), other.portable());
        assert_eq!(
            serde_json::to_vec(&a).unwrap(),
            serde_json::to_vec(&b).unwrap()
        );
        assert_eq!(a.url, "go1.22.10.linux-amd64.tar.gz");
        assert_eq!(
            (a.installed_at, a.sha256.as_str()),
            (0, record.sha256.as_str())
        );
        assert_eq!(
            a.files.keys().collect::<Vec<_>>(),
            record.files.keys().collect::<Vec<_>>()
        );
        let modes = |r: &InstallRecord| {
            r.files
                .values()
                .filter_map(|e| match e {
                    ManifestEntry::File { mode, .. } => Some(*mode),
                    ManifestEntry::Symlink { .. } => None,
                })
                .collect::<Vec<_>>()
        };
        let mut odd = record.clone();
        for e in odd.files.values_mut() {
            if let ManifestEntry::File { mode, .. } = e {
                *mode = if *mode == 0o755 { 0o775 } else { 0o600 };
            }
        }
        assert_eq!(modes(&odd), [0o775, 0o600]);
        assert_eq!(modes(&odd.portable()), [0o755, 0o644]);
    }

    #[test]
    fn records_must_describe_their_own_directory() {
        let (_dir, record) = tree();
        let version: GoVersion = "go1.22.10".parse().unwrap();
        let host: Platform = "linux/amd64".parse().unwrap();
        assert_eq!(record.check(&version, &host), Ok(()));
        let other: Platform = "linux/arm64".parse().unwrap();
        assert!(matches!(
            record.check(&version, &other),
            Err(Inconsistent::Elsewhere { .. })
        ));
        let older: GoVersion = "go1.21.0".parse().unwrap();
        assert!(record.check(&older, &host).is_err());
        let mut emptied = record.clone();
        emptied.files.clear();
        assert_eq!(emptied.check(&version, &host), Err(Inconsistent::NoFiles));
        let mut no_go = record.clone();
        no_go.files.remove("bin/go");
        assert_eq!(
            no_go.check(&version, &host),
            Err(Inconsistent::NoGo("bin/go"))
        );
        let mut bad_sum = record;
        bad_sum.sha256 = "zz".into();
        assert_eq!(
            bad_sum.check(&version, &host),
            Err(Inconsistent::BadChecksum)
        );
    }
}
