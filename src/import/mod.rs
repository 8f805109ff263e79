//! `gopin import`: Go from this machine into the store, from wherever it is.
//!
//! - An official archive file (`go1.22.10.linux-amd64.tar.gz`) goes through the install's own
//!   pipeline ([`crate::source::godev::archive_file`]), checked against the release index's
//!   SHA-256 when the index or its cache is at hand, else the `.sha256` file beside it, else
//!   `--sha256`; without one it is refused.
//! - A gopin snapshot ([`crate::snapshot`]) is unpacked by the same extractor and each of its
//!   entries checked against the record inside it. That proves the snapshot is intact, not
//!   that it holds Go's release.
//! - A directory ([`tree`]), or the trees another version manager keeps ([`tools`]), is
//!   identified by its VERSION file and its `bin/go`, checked whole and safe, and copied, or
//!   recorded in place (`--link`), with every file hashed.
//!
//! Snapshots and directories are then looked up in the checksum database ([`verify`]): a tree
//! that proves is marked verified, any other is marked "imported, not verified against a
//! release checksum", which `ls` and `doctor` repeat. Every import runs under the version's
//! lock, is staged and committed as an install is ([`crate::install::install_with`]), and
//! leaves nothing in the store when it fails.

mod file;
pub mod tools;
pub mod tree;
pub mod verify;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::archive::Manifest;
use crate::config::Config;
use crate::install::{InstallError, Outcome, Stage, install_with};
use crate::record::{self, InstallRecord, Provenance};
use crate::source::godev::GoDevError;
use crate::store::{Staging, Store, StoreError};
use crate::ui::{shown, tilde};
use tree::{Identity, Scan};
use verify::Verdict;

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("{} does not exist: name a Go archive, a gopin snapshot or a Go directory", shown(.0))]
    Missing(PathBuf),
    #[error(
        "{} is a symlink to {}: import {} itself, so the store never depends on a link that can be moved",
        shown(path),
        shown(target),
        shown(target)
    )]
    Symlinked { path: PathBuf, target: PathBuf },
    #[error("{} is neither a regular file nor a directory: name a Go archive, a gopin snapshot or a Go directory", shown(.0))]
    Special(PathBuf),
    #[error(
        "{} is not a whole Go tree: it has no {missing} (a GOROOT holds bin/go, src/runtime and pkg/tool/<os>_<arch>); name the directory that holds bin/ and src/",
        shown(dir)
    )]
    Incomplete { dir: PathBuf, missing: String },
    #[error(
        "{} has no VERSION file, so which release it is cannot be known (trees built from a Go checkout have none): import a release's tree",
        shown(dir)
    )]
    NoVersionFile { dir: PathBuf },
    #[error(
        "{}/VERSION says '{line}', which is not a Go release: import a release's tree",
        shown(dir)
    )]
    BadVersionFile { dir: PathBuf, line: String },
    /// `problem` names the binary (`/usr/local/go/bin/go is not an executable …`).
    #[error(
        "{problem}: which release {} is cannot be confirmed; import a tree of an official release",
        shown(dir)
    )]
    NoBuildInfo { dir: PathBuf, problem: String },
    #[error(
        "{}'s VERSION says {file} but its bin/go was built as {binary}: the tree is a mix of two releases, so it is not imported (reinstall it with the tool that made it)",
        shown(dir)
    )]
    VersionMismatch {
        dir: PathBuf,
        file: crate::version::GoVersion,
        binary: crate::version::GoVersion,
    },
    #[error("cannot tell which platform {} is for: {why}", shown(dir))]
    UnknownPlatform { dir: PathBuf, why: String },
    #[error(
        "refusing to import {}: {} {reason}; nothing was imported (a Go tree holds only files, directories and links inside itself)",
        shown(dir),
        shown(entry)
    )]
    Unsafe {
        dir: PathBuf,
        entry: PathBuf,
        reason: String,
    },
    #[error(
        "refusing to record {} in place: {} has mode {mode:04o} ({what}), which no file of a Go tree may have, and --link keeps the tree as it is; remove those bits (chmod -R go-w,ug-s,-t {}) or import a copy without --link, which drops them",
        shown(dir),
        shown(entry),
        shown(dir)
    )]
    UnsafeMode {
        dir: PathBuf,
        entry: PathBuf,
        mode: u32,
        what: String,
    },
    #[error(
        "refusing to import {}: it holds {limit}, far more than any Go release",
        shown(dir)
    )]
    TooLarge { dir: PathBuf, limit: String },
    #[error(
        "{} changed while it was being imported, so nothing was imported: import again",
        shown(path)
    )]
    Changed { path: PathBuf },
    #[error("cannot read {}: {source}", shown(path))]
    Read { path: PathBuf, source: io::Error },
    #[error("cannot write {}: {source}", shown(path))]
    Write { path: PathBuf, source: io::Error },
    #[error("cannot copy {}: {message}", shown(from))]
    Copy { from: PathBuf, message: String },
    #[error(
        "{} is neither a gopin snapshot nor an official Go archive named as go.dev names them (go1.22.10.linux-amd64.tar.gz): give it that name, or import its unpacked directory",
        shown(.0)
    )]
    NotAnArchive(PathBuf),
    #[error(
        "refusing to import {}: there is no SHA-256 to check it against (the release index lists none for it, {} does not exist, and no --sha256 was given); pass --sha256 with the digest go.dev/dl lists, or put its .sha256 file beside it",
        shown(file),
        shown(sum_file)
    )]
    NoChecksum { file: PathBuf, sum_file: PathBuf },
    #[error("{} does not hold a SHA-256 digest: fix or remove it, or pass --sha256", shown(.0))]
    BadSumFile(PathBuf),
    #[error(
        "--sha256 {given} is not the SHA-256 that {from} gives for {} ({expected}): check the digest you passed",
        shown(file)
    )]
    Disagree {
        file: PathBuf,
        given: String,
        expected: String,
        from: String,
    },
    #[error(
        "checksum mismatch for {}: {from} says {expected}, but the file hashes to {actual}; nothing was imported (the file is damaged or is not that release: download it again)",
        shown(file)
    )]
    ChecksumMismatch {
        file: PathBuf,
        expected: String,
        actual: String,
        from: String,
    },
    #[error(
        "{} is damaged ({message}); nothing was imported: copy or download it again",
        shown(file)
    )]
    Damaged { file: PathBuf, message: String },
    #[error(
        "refusing to import the snapshot {}: {problem}; nothing was imported (it was changed after it was exported: export it again)",
        shown(file)
    )]
    Snapshot { file: PathBuf, problem: String },
    #[error(
        "{} is {named} by its {by}, but the tree inside is {found}; nothing was imported",
        shown(file)
    )]
    NotWhatItSays {
        file: PathBuf,
        by: &'static str,
        named: String,
        found: String,
    },
    #[error(
        "{what} checks an archive file, and {} is a directory: leave it out",
        shown(path)
    )]
    FileOnly { what: &'static str, path: PathBuf },
    #[error("--link records a directory where it is, and {} is a file: import it without --link", shown(.0))]
    DirOnly(PathBuf),
    #[error(
        "{tool} keeps its Go trees in {} ({why}), and there are none there: {}",
        tilde(dir),
        match read_error {
            Some(e) if e.kind() == io::ErrorKind::NotFound => "it does not exist".to_string(),
            Some(e) => e.to_string(),
            None => "it holds no directories".to_string(),
        }
    )]
    NoTrees {
        tool: tools::Tool,
        dir: PathBuf,
        why: String,
        read_error: Option<io::Error>,
    },
    #[error(transparent)]
    NotAFile(#[from] crate::userfile::UserFileError),
    #[error(transparent)]
    Source(#[from] GoDevError),
    #[error(transparent)]
    Install(#[from] InstallError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What is imported, and how.
#[derive(Debug)]
pub enum What {
    /// An official archive file, and the SHA-256 it must have and where that came from.
    Archive { sha256: String, from: String },
    /// A snapshot: the directory its tree sits in and the record inside it.
    Snapshot {
        prefix: Vec<String>,
        record: Box<InstallRecord>,
    },
    /// A directory, scanned; `link`: recorded in place rather than copied.
    Tree { scan: Box<Scan>, link: bool },
}

/// One thing found to import, identified and checked as far as can be without writing.
#[derive(Debug)]
pub struct Candidate {
    pub path: PathBuf,
    pub identity: Identity,
    pub what: What,
}

impl Candidate {
    /// For `--dry-run` and messages: what would come from where.
    pub fn describe(&self) -> String {
        let how = match &self.what {
            What::Archive { from, .. } => {
                format!("the archive {}, checked against {from}", tilde(&self.path))
            }
            What::Snapshot { .. } => format!(
                "the snapshot {} (integrity only, not origin)",
                tilde(&self.path)
            ),
            What::Tree { scan, link: false } => format!(
                "{}, copied ({} files and links, {})",
                tilde(&self.path),
                scan.count(),
                crate::ui::size(scan.bytes)
            ),
            What::Tree { scan, link: true } => format!(
                "{}, recorded in place ({} files and links)",
                tilde(&self.path),
                scan.count()
            ),
        };
        format!("{} from {how}", self.identity)
    }
}

/// Looks at `path` (a file or a directory): what it is and what importing it would take.
/// `link` and `sha256` are the command's flags.
pub fn examine(
    config: &Config,
    path: &Path,
    link: bool,
    sha256: Option<&str>,
) -> Result<Candidate, ImportError> {
    let meta = fs::symlink_metadata(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => ImportError::Missing(path.to_path_buf()),
        _ => ImportError::Read {
            path: path.to_path_buf(),
            source: e,
        },
    })?;
    if meta.is_dir() || (meta.is_symlink() && path.is_dir()) {
        if sha256.is_some() {
            return Err(ImportError::FileOnly {
                what: "--sha256",
                path: path.to_path_buf(),
            });
        }
        return examine_dir(path, link);
    }
    if !path.is_file() {
        return Err(ImportError::Special(path.to_path_buf()));
    }
    if link {
        return Err(ImportError::DirOnly(path.to_path_buf()));
    }
    file::examine_file(config, path, sha256)
}

/// A directory: identified, whole and safe. A symlink to one is refused: the store must not
/// depend on a link that can be pointed elsewhere later.
pub fn examine_dir(path: &Path, link: bool) -> Result<Candidate, ImportError> {
    if fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) {
        return Err(ImportError::Symlinked {
            path: path.to_path_buf(),
            target: fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()),
        });
    }
    let root = fs::canonicalize(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let identity = tree::identify(&root)?;
    let scan = tree::scan(&root)?;
    if link {
        scan.check_modes_for_link()?;
    }
    Ok(Candidate {
        path: root,
        identity,
        what: What::Tree {
            scan: Box::new(scan),
            link,
        },
    })
}

/// Imports `candidate` into `store` (unless that version is installed already): staged,
/// checked, recorded and committed under the version's lock.
pub fn import(
    config: &Config,
    store: &Store,
    candidate: &Candidate,
) -> Result<Outcome, ImportError> {
    let Identity { version, platform } = &candidate.identity;
    let key = format!("import of {}", candidate.path.display());
    install_with(
        store,
        &key,
        version,
        platform,
        false,
        |stage| match &candidate.what {
            What::Archive { sha256, from } => file::import_archive(candidate, sha256, from, stage),
            What::Snapshot { prefix, record } => {
                file::import_snapshot(config, candidate, prefix, record, stage)
            }
            What::Tree { scan, link } => import_tree(config, candidate, scan, *link, stage),
        },
    )
}

/// A directory, copied into the store or recorded in place.
fn import_tree(
    config: &Config,
    candidate: &Candidate,
    scan: &Scan,
    link: bool,
    stage: &mut Stage,
) -> Result<(Staging, InstallRecord), ImportError> {
    let staging = stage()?;
    let goroot = staging.tree().join("go");
    let files = if link {
        std::os::unix::fs::symlink(&scan.root, &goroot).map_err(|source| ImportError::Write {
            path: goroot.clone(),
            source,
        })?;
        tree::hash_in_place(scan)?
    } else {
        tree::copy(scan, &goroot)?
    };
    let (kind, whence) = if link {
        (
            record::IMPORTED_LINK,
            format!("{} in place (linked, not copied)", tilde(&scan.root)),
        )
    } else {
        (record::IMPORTED_DIRECTORY, tilde(&scan.root))
    };
    let verdict = check(config, candidate, &files, &staging);
    let mut provenance = provenance(kind, &whence, &verdict);
    provenance.details.insert(
        "path".to_string(),
        scan.root.to_string_lossy().into_owned().into(),
    );
    let record = InstallRecord::new(
        candidate.identity.version,
        &candidate.identity.platform,
        scan.root.to_string_lossy().into_owned(),
        String::new(),
        0,
        provenance,
        files,
    );
    Ok((staging, record))
}

/// Asks the checksum database about the staged tree, and says what it answered.
fn check(config: &Config, candidate: &Candidate, files: &Manifest, staging: &Staging) -> Verdict {
    let Identity { version, platform } = &candidate.identity;
    let scratch = staging.tree().with_file_name("release");
    let verdict = verify::check(config, version, platform, files, &scratch);
    let _ = fs::remove_dir_all(&scratch);
    let label = &candidate.identity;
    match &verdict {
        Verdict::Proved {
            h1,
            proof,
            uncovered,
        } => crate::ui::note(&format!(
            "{label}: verified: its {} {h1} is record #{} of {}'s tree #{}{}",
            verify_module(),
            proof.record,
            proof.database,
            proof.tree_size,
            uncovered_note(uncovered)
        )),
        Verdict::Differs {
            h1,
            recorded,
            database,
            first,
        } => crate::ui::warn(&format!(
            "{label} is not the release Go published: its {} is {h1}, but {database} records {recorded}{}; it is imported marked unverified",
            verify_module(),
            first
                .as_ref()
                .map(|f| format!(
                    " (the first file that differs: {})",
                    crate::ui::shown_bytes(f.as_bytes())
                ))
                .unwrap_or_default()
        )),
        Verdict::Links {
            h1,
            database,
            links,
        } => crate::ui::warn(&format!(
            "{label} is not verified: its files hash to the {} {h1} that {database} records, but it also holds {}, and a symlink is in no module, so the checksum database proves nothing about it; it is imported marked unverified",
            verify_module(),
            symlinks_named(links)
        )),
        Verdict::Unchecked { reason } => crate::ui::note(&format!(
            "{label}: not verified against a release checksum (the checksum database: {})",
            crate::ui::shown_bytes(reason.as_bytes())
        )),
    }
    verdict
}

/// "the symlink src/x" or "3 symlinks (src/x, …)", escaped for printing.
fn symlinks_named(links: &[String]) -> String {
    let show = |l: &String| crate::ui::shown_bytes(l.as_bytes());
    match links {
        [one] => format!("the symlink {}", show(one)),
        _ => format!(
            "{} symlinks ({}{})",
            links.len(),
            links
                .iter()
                .take(3)
                .map(show)
                .collect::<Vec<_>>()
                .join(", "),
            if links.len() > 3 { ", …" } else { "" }
        ),
    }
}

fn verify_module() -> String {
    format!("{} module hash", crate::source::goproxy::toolchain::MODULE)
}

/// ", which does not cover api/, doc/ (the module leaves them out)".
fn uncovered_note(uncovered: &[String]) -> String {
    if uncovered.is_empty() {
        return String::new();
    }
    let dirs: Vec<String> = uncovered.iter().map(|d| format!("{d}/")).collect();
    let them = if dirs.len() == 1 { "it" } else { "them" };
    format!(
        ", which does not cover {} (Go's module leaves {them} out)",
        dirs.join(", ")
    )
}

/// What the record keeps of an imported tree: its kind, whether the checksum database proved
/// it, and the one-line summary `ls` and `doctor` show.
fn provenance(kind: &str, whence: &str, verdict: &Verdict) -> Provenance {
    let mut details = serde_json::Map::new();
    let (unverified, summary) = match verdict {
        Verdict::Proved {
            h1,
            proof,
            uncovered,
        } => {
            details.insert("h1".into(), h1.clone().into());
            details.insert(
                "verification".into(),
                serde_json::to_value(proof).expect("proofs serialise"),
            );
            details.insert("not_covered".into(), uncovered.clone().into());
            let summary = format!(
                "imported from {whence}, and proved in {} (record #{}){}",
                proof.database,
                proof.record,
                uncovered_note(uncovered)
            );
            (None, summary)
        }
        Verdict::Differs {
            h1,
            recorded,
            database,
            first,
        } => {
            details.insert("h1".into(), h1.clone().into());
            details.insert("recorded_h1".into(), recorded.clone().into());
            let first = first
                .as_ref()
                .map(|f| format!(", first {f}"))
                .unwrap_or_default();
            let summary = format!(
                "imported from {whence}, not verified against a release checksum: it differs from the release {database} records{first}"
            );
            (Some(summary.clone()), summary)
        }
        Verdict::Links {
            h1,
            database,
            links,
        } => {
            details.insert("h1".into(), h1.clone().into());
            details.insert("symlinks".into(), links.clone().into());
            let summary = format!(
                "imported from {whence}, not verified against a release checksum: its files are the release {database} records, but it also holds {}, which no release's module has",
                symlinks_named(links)
            );
            (Some(summary.clone()), summary)
        }
        Verdict::Unchecked { .. } => {
            let summary =
                format!("imported from {whence}, not verified against a release checksum");
            (Some(summary.clone()), summary)
        }
    };
    details.insert(record::SUMMARY.into(), summary.into());
    Provenance {
        kind: kind.to_string(),
        unverified,
        details,
    }
}

/// One tree another tool keeps, and what examining it found.
pub type Found = (PathBuf, Result<Candidate, ImportError>);

/// The trees `tool` keeps, each examined (a tree that cannot be imported comes back as its
/// error, beside the others).
pub fn from_tool(tool: tools::Tool, link: bool) -> Result<Vec<Found>, ImportError> {
    let env = |name: &str| std::env::var_os(name);
    let home = crate::userdirs::home_dir().unwrap_or_default();
    let place = tool.place(&env, &home);
    let none = |read_error| ImportError::NoTrees {
        tool,
        dir: place.dir.clone(),
        why: place.why.clone(),
        read_error,
    };
    let trees = place.trees(tool).map_err(|e| none(Some(e)))?;
    if trees.is_empty() {
        return Err(none(None));
    }
    Ok(trees
        .into_iter()
        .map(|dir| {
            let found = examine_dir(&dir, link);
            (dir, found)
        })
        .collect())
}
