//! Snapshots: a byte-for-byte reproducible `.tar.gz` of an installed Go tree, for an image's
//! build stage or an air-gapped host. The tree is checked against its install record before
//! a byte is written and each file again as it is read, and the record travels inside, first,
//! so that an import can check every entry that follows against it.
//!
//! The bytes depend on nothing but the portable record ([`InstallRecord::portable`]), the
//! file contents it describes, the prefix and this code; not on the store, the time, the
//! umask or the files' mtimes. In order, a snapshot holds:
//!
//! ```text
//! go/                       the prefix (`--prefix usr/local/go`: usr/local/go/)
//! go/.gopin/
//! go/.gopin/install.json    the portable record
//! go/CONTRIBUTING.md, ...   every recorded file and symlink and the directories they imply,
//!                           sorted by path byte by byte (a directory before what it holds)
//! ```
//! Every header is GNU tar (long names in `././@LongLink` entries) with mtime [`MTIME`], uid
//! and gid 0, owner and group `root`, and mode 0755 (directories, files their owner may run),
//! 0644 (other files) or 0777 (symlinks, as `ln -s` makes them). The gzip stream has no file
//! name, mtime 0, OS byte 255 and level [`LEVEL`].

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::mem::ManuallyDrop;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use flate2::{Compression, GzBuilder};
use sha2::{Digest, Sha256};
use tar::{EntryType, Header};
use thiserror::Error;

use crate::archive::ManifestEntry;
use crate::fsio::hex;
use crate::platform::Platform;
use crate::record::{Drift, Inconsistent, InstallRecord};
use crate::store::{Installed, StoreError};
use crate::ui::{shown, shown_bytes, tilde};

/// Where the record sits, below the prefix.
pub const RECORD_ENTRY: &str = ".gopin/install.json";
/// Every entry's mtime: 2000-01-01T00:00:00Z.
pub const MTIME: u64 = 946_684_800;
/// gzip's default level. Level 9 saves under 1% on a Go tree at nearly three times the cost
/// (GNU gzip on go1.22.10's 216 MB tar: 67.2 MB in 15 s at 6, 66.7 MB in 40 s at 9).
pub const LEVEL: u32 = 6;
const OWNER: &str = "root";

#[derive(Debug, Error)]
pub enum SnapshotError {
    #[error("{label} cannot be exported: {problem}; {fix}")]
    Refused {
        label: String,
        problem: Box<TreeProblem>,
        fix: String,
    },
    #[error(
        "{} changed while it was being exported ({what}), so no snapshot was made: export again",
        shown(path)
    )]
    Changed { path: PathBuf, what: &'static str },
    #[error("cannot read {}: {source}{hint}", shown(path), hint = read_hint(source))]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write {}: {source}{hint}", shown(target), hint = write_hint(source))]
    Write { target: PathBuf, source: io::Error },
}

/// Why an installed tree is not exported as it is.
#[derive(Debug, Error)]
pub enum TreeProblem {
    #[error("its install record cannot be used ({0})")]
    NoRecord(StoreError),
    #[error("its install record {} cannot be trusted: {reason}", tilde(path))]
    Untrusted { path: PathBuf, reason: Inconsistent },
    #[error("its install record lists '{}', which {why}", shown_bytes(entry.as_bytes()))]
    BadEntry { entry: String, why: &'static str },
    #[error("it no longer matches its install record: {}", listed(.0))]
    Damaged(Vec<Drift>),
}

/// The first few differences, and how many more there are.
fn listed(drift: &[Drift]) -> String {
    const SHOWN: usize = 5;
    let mut text = drift
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    if drift.len() > SHOWN {
        text.push_str(&format!(" and {} more", drift.len() - SHOWN));
    }
    text
}

fn read_hint(e: &io::Error) -> &'static str {
    if e.kind() == io::ErrorKind::PermissionDenied {
        " (export as the user who installed it)"
    } else {
        ""
    }
}

fn write_hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            " (write the snapshot somewhere writable with -o FILE, or -o - for stdout)"
        }
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            " (the disk is full: free some space, or write the snapshot elsewhere with -o FILE)"
        }
        _ => "",
    }
}

/// The command that installs `version` for `platform`, with the platform flags when it is not
/// the host's.
pub fn install_command(
    version: &impl std::fmt::Display,
    platform: &Platform,
    force: bool,
) -> String {
    let force = if force { " --force" } else { "" };
    let flags = if Platform::host().is_ok_and(|h| h == *platform) {
        String::new()
    } else {
        format!(" --os {} --arch {}", platform.os, platform.arch)
    };
    format!("gopin install{force} {version}{flags}")
}

/// How to repair `installed` when its tree no longer matches its record. A tree gopin
/// installed is reinstalled. A tree recorded in place (`gopin import --link`) is someone
/// else's directory, which `install --force` would not repair but drop, putting a download
/// in the link's place: it is put back as it was, or recorded again as it now is.
pub fn repair(installed: &Installed) -> String {
    let goroot = installed.goroot();
    let linked = std::fs::symlink_metadata(&goroot).is_ok_and(|m| m.is_symlink());
    match std::fs::read_link(&goroot).ok().filter(|_| linked) {
        Some(dir) => {
            let flags = if Platform::host().is_ok_and(|h| h == installed.platform) {
                String::new()
            } else {
                format!(
                    " --os {} --arch {}",
                    installed.platform.os, installed.platform.arch
                )
            };
            format!(
                "it is {}, recorded in place with `gopin import --link`, and gopin does not own it: put back what changed there, or, if the change is wanted, record the tree as it now is with `gopin uninstall {}{flags}` and then `gopin import {} --link`",
                shown(&dir),
                installed.version,
                shown(&dir)
            )
        }
        None => format!(
            "reinstall it: {}",
            install_command(&installed.version, &installed.platform, true)
        ),
    }
}

/// The directory a snapshot's tree sits in: `go`, as in the official archives, or a path
/// such as `usr/local/go` to unpack at an image's root. Relative, without `.` or `..`, so it
/// names the same place wherever the snapshot is unpacked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefix(String);

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PrefixError {
    #[error(
        "'{0}' is absolute, and entries in an archive are relative: write it without the leading '/', and unpack with `tar -C /`"
    )]
    Absolute(String),
    #[error("'{0}' climbs out of the directory it is unpacked in ('..')")]
    Parent(String),
    #[error("'{0}' holds a control character")]
    Control(String),
    #[error("the prefix needs a directory name, such as go or usr/local/go")]
    Empty,
}

impl FromStr for Prefix {
    type Err = PrefixError;

    fn from_str(raw: &str) -> Result<Prefix, PrefixError> {
        let show = || shown_bytes(raw.as_bytes());
        if raw.starts_with('/') {
            return Err(PrefixError::Absolute(show()));
        }
        if raw.chars().any(char::is_control) {
            return Err(PrefixError::Control(show()));
        }
        let parts: Vec<&str> = raw
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        if parts.contains(&"..") {
            return Err(PrefixError::Parent(show()));
        }
        if parts.is_empty() {
            return Err(PrefixError::Empty);
        }
        Ok(Prefix(parts.join("/")))
    }
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One entry of the tree, by its path relative to the GOROOT.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// A directory some recorded entry lies in.
    Dir,
    Recorded(ManifestEntry),
}

/// An installed tree that matched its record, and what its snapshot will hold.
#[derive(Debug)]
pub struct Checked {
    goroot: PathBuf,
    /// The portable record, serialised: the snapshot's first file.
    record: Vec<u8>,
    /// Every entry after the record, in archive order.
    plan: BTreeMap<String, Item>,
}

/// What a written snapshot holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Files and symlinks of the tree (the record's entries).
    pub entries: usize,
    /// The snapshot's size and SHA-256.
    pub size: u64,
    pub sha256: String,
}

/// Loads `installed`'s record and checks the tree against it, hashing every file: a tree
/// that differs in any way is refused, naming what differs.
pub fn check(installed: &Installed) -> Result<Checked, SnapshotError> {
    let refuse = |problem| SnapshotError::Refused {
        label: format!("{} ({})", installed.version, installed.platform),
        problem: Box::new(problem),
        fix: repair(installed),
    };
    let path = installed.record_path();
    let record = InstallRecord::load(&path).map_err(|e| refuse(TreeProblem::NoRecord(e)))?;
    record
        .check(&installed.version, &installed.platform)
        .map_err(|reason| refuse(TreeProblem::Untrusted { path, reason }))?;
    let portable = record.portable();
    let plan = plan(&portable).map_err(refuse)?;
    let goroot = installed.goroot();
    let drift = record.verify(&goroot);
    // A file this user may not read is not a modified one: say what it is.
    for d in &drift {
        if let Drift::Changed(rel) = d
            && let Err(source) = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
                .open(goroot.join(rel))
            && source.kind() == io::ErrorKind::PermissionDenied
        {
            let path = goroot.join(rel);
            return Err(SnapshotError::Read { path, source });
        }
    }
    if !drift.is_empty() {
        return Err(refuse(TreeProblem::Damaged(drift)));
    }
    Ok(Checked {
        goroot,
        record: serde_json::to_vec(&portable).expect("records serialise"),
        plan,
    })
}

/// The record's entries and the directories they lie in, refusing paths that are not plain
/// paths inside the tree (a record is a file in the user's store, so it is checked too).
fn plan(record: &InstallRecord) -> Result<BTreeMap<String, Item>, TreeProblem> {
    let bad = |entry: &str, why| TreeProblem::BadEntry {
        entry: entry.to_string(),
        why,
    };
    let mut plan = BTreeMap::new();
    for (rel, entry) in &record.files {
        if rel
            .split('/')
            .any(|p| p.is_empty() || p == "." || p == "..")
        {
            return Err(bad(rel, "is not a plain path inside the tree"));
        }
        if rel.split('/').next() == RECORD_ENTRY.split('/').next() {
            return Err(bad(rel, "is where a snapshot keeps its record"));
        }
        plan.insert(rel.clone(), Item::Recorded(entry.clone()));
    }
    for rel in record.files.keys() {
        for (end, _) in rel.match_indices('/') {
            match plan.get(&rel[..end]) {
                Some(Item::Recorded(_)) => {
                    return Err(bad(rel, "lies under a file or symlink, not a directory"));
                }
                Some(Item::Dir) => {}
                None => {
                    plan.insert(rel[..end].to_string(), Item::Dir);
                }
            }
        }
    }
    Ok(plan)
}

/// A tar header with everything but the name fixed.
fn header(kind: EntryType, mode: u32, size: u64) -> Header {
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(MTIME);
    h.set_uid(0);
    h.set_gid(0);
    h.set_username(OWNER).expect("a short name fits");
    h.set_groupname(OWNER).expect("a short name fits");
    h
}

impl Checked {
    /// Writes the snapshot to `out` (`target` names it in messages).
    ///
    /// On failure the archive is left unfinished on purpose: ending it properly would hand a
    /// reader at the other end of a pipe a whole-looking snapshot that lacks entries.
    pub fn write<W: Write>(
        &self,
        prefix: &Prefix,
        out: W,
        target: &Path,
    ) -> Result<Written, SnapshotError> {
        let write_err = |source| SnapshotError::Write {
            target: target.to_path_buf(),
            source,
        };
        let mut sink = Hashing::new(out);
        let gz = GzBuilder::new()
            .mtime(0)
            .operating_system(255)
            .write(&mut sink, Compression::new(LEVEL));
        let mut tar = ManuallyDrop::new(tar::Builder::new(gz));
        self.append_all(&mut tar, prefix)
            .map_err(|stop| match stop {
                Stop::Write(e) => write_err(e),
                Stop::Tree(e) => e,
            })?;
        let gz = ManuallyDrop::into_inner(tar)
            .into_inner()
            .map_err(write_err)?;
        gz.finish().and_then(|s| s.flush()).map_err(write_err)?;
        let (size, sha256) = sink.finish();
        Ok(Written {
            entries: self.plan.values().filter(|i| **i != Item::Dir).count(),
            size,
            sha256,
        })
    }

    /// Every entry, in order: the record and its directories, then the plan, each file checked
    /// against the record as it streams.
    fn append_all<W: Write>(&self, tar: &mut tar::Builder<W>, prefix: &Prefix) -> Result<(), Stop> {
        let record_dir = RECORD_ENTRY.rsplit_once('/').expect("in a directory").0;
        append_dir(tar, &format!("{prefix}/")).map_err(Stop::Write)?;
        append_dir(tar, &format!("{prefix}/{record_dir}/")).map_err(Stop::Write)?;
        let mut h = header(EntryType::Regular, 0o644, self.record.len() as u64);
        let name = format!("{prefix}/{RECORD_ENTRY}");
        tar.append_data(&mut h, name, &self.record[..])
            .map_err(Stop::Write)?;
        for (rel, item) in &self.plan {
            let name = format!("{prefix}/{rel}");
            match item {
                Item::Dir => append_dir(tar, &format!("{name}/")).map_err(Stop::Write)?,
                Item::Recorded(ManifestEntry::Symlink { target }) => {
                    let mut h = header(EntryType::Symlink, 0o777, 0);
                    tar.append_link(&mut h, name, target).map_err(Stop::Write)?;
                }
                Item::Recorded(ManifestEntry::File { size, sha256, mode }) => {
                    let mut h = header(EntryType::Regular, *mode, *size);
                    let path = self.goroot.join(rel);
                    let mut reader = Recorded::open(&path, *size).map_err(Stop::Tree)?;
                    if let Err(e) = tar.append_data(&mut h, name, &mut reader) {
                        return Err(reader.fault.take().map_or(Stop::Write(e), Stop::Tree));
                    }
                    if hex(&reader.hasher.finalize()) != *sha256 {
                        let what = "its contents differ from the record";
                        return Err(Stop::Tree(SnapshotError::Changed { path, what }));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Why appending entries stopped: the archive could not be written, or the tree let it down.
enum Stop {
    Write(io::Error),
    Tree(SnapshotError),
}

fn append_dir<W: Write>(tar: &mut tar::Builder<W>, name: &str) -> io::Result<()> {
    let mut h = header(EntryType::Directory, 0o755, 0);
    tar.append_data(&mut h, name, io::empty())
}

/// A recorded file as it is read into the archive: exactly its recorded size, hashed on the
/// way, and why reading it failed (which tar's error would not tell from a write failure).
struct Recorded {
    path: PathBuf,
    file: File,
    left: u64,
    hasher: Sha256,
    fault: Option<SnapshotError>,
}

impl Recorded {
    /// Opens `path` only if it is still a regular file of `size` bytes. Never follows a
    /// symlink and never waits on a FIFO put in its place.
    fn open(path: &Path, size: u64) -> Result<Recorded, SnapshotError> {
        let changed = |what| SnapshotError::Changed {
            path: path.to_path_buf(),
            what,
        };
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)
            .map_err(|e| match (e.kind(), e.raw_os_error()) {
                (io::ErrorKind::NotFound, _) => changed("it was removed"),
                (_, Some(libc::ELOOP)) => changed("it was replaced by a symlink"),
                _ => SnapshotError::Read {
                    path: path.to_path_buf(),
                    source: e,
                },
            })?;
        let meta = file.metadata().map_err(|source| SnapshotError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if !meta.is_file() {
            return Err(changed("it is no longer a regular file"));
        }
        if meta.len() != size {
            return Err(changed("its size differs from the record"));
        }
        Ok(Recorded {
            path: path.to_path_buf(),
            file,
            left: size,
            hasher: Sha256::new(),
            fault: None,
        })
    }
}

impl Read for Recorded {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        match self.file.read(&mut buf[..max]) {
            Ok(0) => {
                self.fault = Some(SnapshotError::Changed {
                    path: self.path.clone(),
                    what: "it became shorter than the record",
                });
                Err(io::ErrorKind::UnexpectedEof.into())
            }
            Ok(n) => {
                self.hasher.update(&buf[..n]);
                self.left -= n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let passed_on = io::Error::new(e.kind(), e.to_string());
                self.fault = Some(SnapshotError::Read {
                    path: self.path.clone(),
                    source: e,
                });
                Err(passed_on)
            }
        }
    }
}

/// Counts and hashes what is written through it: the snapshot's own size and SHA-256.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            size: 0,
        }
    }

    fn finish(self) -> (u64, String) {
        (self.size, hex(&self.hasher.finalize()))
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, entry_name};
    use crate::version::GoVersion;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    /// An installed version with a file, an executable, a symlink and a megabyte of noise
    /// (so a snapshot has begun to reach its output when a later file is read), and its
    /// record.
    fn installed() -> (tempfile::TempDir, Installed) {
        let root = tempfile::tempdir().unwrap();
        let version: GoVersion = "go1.22.10".parse().unwrap();
        let platform: Platform = "linux/amd64".parse().unwrap();
        let store = Store::new(root.path());
        let dir = store.versions_dir().join(entry_name(&version, &platform));
        let installed = store.installed_at(&version, &platform, dir);
        let goroot = installed.goroot();
        fs::create_dir_all(goroot.join("bin")).unwrap();
        fs::create_dir_all(goroot.join("src/fmt")).unwrap();
        let mut x = 1u32;
        let noise: Vec<u8> = (0..1 << 20)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let mut files = BTreeMap::new();
        for (rel, mode, data) in [
            ("bin/go", 0o755, &b"#!/bin/sh\n"[..]),
            ("bin/big", 0o644, &noise[..]),
            ("src/fmt/print.go", 0o644, &b"package fmt\n"[..]),
        ] {
            let path = goroot.join(rel);
            fs::write(&path, data).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let (size, sha256) = (data.len() as u64, hex(&Sha256::digest(data)));
            files.insert(rel.into(), ManifestEntry::File { size, sha256, mode });
        }
        std::os::unix::fs::symlink("go", goroot.join("bin/go2")).unwrap();
        let target = "go".into();
        files.insert("bin/go2".into(), ManifestEntry::Symlink { target });
        let record = InstallRecord {
            version,
            os: "linux".into(),
            arch: "amd64".into(),
            url: "https://dl.google.com/go/go1.22.10.linux-amd64.tar.gz".into(),
            sha256: "ab".repeat(32),
            archive_size: 1,
            installed_at: 1_700_000_000,
            gopin_version: "0".into(),
            files,
            source: crate::record::Provenance::default(),
        };
        record.save(&installed.record_path()).unwrap();
        (root, installed)
    }

    /// Reads a snapshot to its end: an error unless it is a whole `.tar.gz`.
    fn read_whole(bytes: &[u8]) -> io::Result<Vec<String>> {
        let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
        let mut names = Vec::new();
        for entry in archive.entries()? {
            let mut entry = entry?;
            io::copy(&mut entry, &mut io::sink())?;
            names.push(entry.path()?.to_string_lossy().into_owned());
        }
        // The gzip trailer (its CRC and length) is read only after the tar's end.
        let mut rest = archive.into_inner();
        io::copy(&mut rest, &mut io::sink())?;
        Ok(names)
    }

    fn write(checked: &Checked) -> (Result<Written, SnapshotError>, Vec<u8>) {
        let mut out = Vec::new();
        let prefix: Prefix = "go".parse().unwrap();
        let result = checked.write(&prefix, &mut out, Path::new("test"));
        (result, out)
    }

    #[test]
    fn a_checked_tree_is_written_whole() {
        let (_root, installed) = installed();
        let (result, out) = write(&check(&installed).unwrap());
        let written = result.unwrap();
        assert_eq!(written.entries, 4);
        assert_eq!(written.size, out.len() as u64);
        assert_eq!(written.sha256, hex(&Sha256::digest(&out)));
        assert_eq!(
            read_whole(&out).unwrap(),
            [
                "go/",
                "go/.gopin/",
                "go/.gopin/install.json",
                "go/bin/",
                "go/bin/big",
                "go/bin/go",
                "go/bin/go2",
                "go/src/",
                "go/src/fmt/",
                "go/src/fmt/print.go"
            ]
        );
    }

    #[test]
    fn a_file_changed_after_the_check_ends_the_snapshot_unfinished() {
        type Change = fn(&Path);
        let replacements: [(&str, Change); 4] = [
            ("its contents differ", |p| {
                fs::write(p, "package fmx\n").unwrap()
            }),
            ("its size differs", |p| {
                fs::write(p, "package fmt // more\n").unwrap()
            }),
            ("no longer a regular file", |p| {
                fs::remove_file(p).unwrap();
                let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
                // SAFETY: a valid path; a FIFO must not make the export wait for a writer.
                assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
            }),
            ("replaced by a symlink", |p| {
                fs::remove_file(p).unwrap();
                std::os::unix::fs::symlink("/etc/hostname", p).unwrap();
            }),
        ];
        for (what, change) in replacements {
            let (_root, installed) = installed();
            let checked = check(&installed).unwrap();
            let print = installed.goroot().join("src/fmt/print.go");
            change(&print);
            let (result, out) = write(&checked);
            let err = result.unwrap_err();
            assert!(
                matches!(err, SnapshotError::Changed { .. }),
                "{what}: {err}"
            );
            assert!(err.to_string().contains(what), "{err}");
            assert!(err.to_string().contains("src/fmt/print.go"), "{err}");
            assert!(!out.is_empty(), "the snapshot had begun");
            assert!(read_whole(&out).is_err(), "{what}: it must not look whole");
        }
    }

    #[test]
    fn records_with_paths_a_snapshot_cannot_hold_are_refused() {
        let (_root, installed) = installed();
        let record = InstallRecord::load(&installed.record_path()).unwrap();
        let file = record.files["bin/go"].clone();
        for (rel, why) in [
            ("../outside", "not a plain path"),
            ("src/./fmt/x.go", "not a plain path"),
            ("src//x.go", "not a plain path"),
            ("/etc/passwd", "not a plain path"),
            (".gopin/install.json", "keeps its record"),
            ("bin/go/inner", "lies under a file"),
            ("bin/go2/inner", "lies under a file"),
        ] {
            let mut bad = record.clone();
            bad.files.insert(rel.into(), file.clone());
            let err = plan(&bad).unwrap_err().to_string();
            assert!(err.contains(rel) && err.contains(why), "{rel}: {err}");
        }
    }

    #[test]
    fn prefixes_are_relative_plain_paths() {
        let ok = |raw: &str| raw.parse::<Prefix>().map(|p| p.to_string());
        assert_eq!(ok("go").as_deref(), Ok("go"));
        assert_eq!(ok("./usr//local/go/").as_deref(), Ok("usr/local/go"));
        assert_eq!(
            ok("/usr/local/go"),
            Err(PrefixError::Absolute("/usr/local/go".into()))
        );
        assert_eq!(
            ok("usr/../go"),
            Err(PrefixError::Parent("usr/../go".into()))
        );
        assert_eq!(ok("./"), Err(PrefixError::Empty));
        assert_eq!(ok("go\n"), Err(PrefixError::Control("go\\n".into())));
    }
}
