//! Files to import: an official archive, checked against a release checksum and unpacked by
//! the install's own pipeline, or a gopin snapshot, unpacked by the same extractor and checked
//! entry by entry against the record inside it (which proves integrity, not origin).

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::tree::{self, Identity};
use super::{Candidate, ImportError, What, check, provenance};
use crate::archive::Manifest;
use crate::config::Config;
use crate::install::Stage;
use crate::net::Location;
use crate::platform::Platform;
use crate::record::{self, InstallRecord};
use crate::snapshot::{Prefix, RECORD_ENTRY};
use crate::source::SourceError;
use crate::source::godev::index::{self, LoadOptions};
use crate::source::godev::{self, GoDevError, Sha256FileError};
use crate::store::{Staging, parse_entry_name};
use crate::ui::{shown, tilde};

/// A snapshot's record is a few MB for a Go tree; anything far larger is not one.
const MAX_RECORD_BYTES: u64 = 64 << 20;

/// A file: a snapshot (by what it holds first), else an official archive (by its name).
pub fn examine_file(
    config: &Config,
    path: &Path,
    given: Option<&str>,
) -> Result<Candidate, ImportError> {
    if let Some((prefix, record)) = snapshot_record(path)? {
        if given.is_some() {
            return Err(ImportError::Snapshot {
                file: path.to_path_buf(),
                problem: "--sha256 checks official archives; a snapshot is checked against the record inside it".into(),
            });
        }
        let platform =
            Platform::new(&record.os, &record.arch).map_err(|e| ImportError::Snapshot {
                file: path.to_path_buf(),
                problem: format!("its record names no platform gopin knows ({e})"),
            })?;
        if let Err(e) = record.check(&record.version, &platform) {
            return Err(ImportError::Snapshot {
                file: path.to_path_buf(),
                problem: format!("its record cannot be trusted: {e}"),
            });
        }
        return Ok(Candidate {
            path: path.to_path_buf(),
            identity: Identity {
                version: record.version,
                platform,
            },
            what: What::Snapshot {
                prefix,
                record: Box::new(record),
            },
        });
    }
    let identity = archive_identity(path)?;
    let (sha256, from) = expected_sha256(config, path, &identity, given)?;
    Ok(Candidate {
        path: path.to_path_buf(),
        identity,
        what: What::Archive { sha256, from },
    })
}

/// The release and platform an official archive's file name gives.
fn archive_identity(path: &Path) -> Result<Identity, ImportError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let (version, platform) = name
        .strip_suffix(".tar.gz")
        .and_then(parse_entry_name)
        .ok_or_else(|| ImportError::NotAnArchive(path.to_path_buf()))?;
    Ok(Identity { version, platform })
}

/// The SHA-256 the archive must have, and where it came from: the release index (or its
/// cache), else the `.sha256` beside it, else `given`. A `given` digest must agree with the
/// one found first.
fn expected_sha256(
    config: &Config,
    path: &Path,
    identity: &Identity,
    given: Option<&str>,
) -> Result<(String, String), ImportError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let listed = match index::load(config, LoadOptions { refresh: false }) {
        Ok(index) => index
            .find(&identity.version)
            .and_then(|r| r.archive_for(&identity.platform))
            .filter(|f| f.filename == name)
            .and_then(|f| f.sha256.clone())
            .map(|sum| (sum, format!("the release index at {}", index.url))),
        Err(e) => {
            crate::ui::verbose(&format!("no release index to check {name} against: {e}"));
            None
        }
    };
    let mut sum_path = path.as_os_str().to_owned();
    sum_path.push(".sha256");
    let sum_path = PathBuf::from(sum_path);
    let found = match listed {
        Some(found) => Some(found),
        None => match godev::sha256_file(&Location::Local(sum_path.clone())) {
            Ok(sum) => sum.map(|s| (s, shown(&sum_path))),
            Err(Sha256FileError::NotADigest) => return Err(ImportError::BadSumFile(sum_path)),
            Err(Sha256FileError::Fetch(e)) => return Err(GoDevError::from(e).into()),
        },
    };
    let given = given.map(str::to_ascii_lowercase);
    match (found, given) {
        (Some((expected, from)), Some(given)) if given != expected => Err(ImportError::Disagree {
            file: path.to_path_buf(),
            given,
            expected,
            from,
        }),
        (Some(found), _) => Ok(found),
        (None, Some(given)) => Ok((given, "the SHA-256 given with --sha256".into())),
        (None, None) => Err(ImportError::NoChecksum {
            file: path.to_path_buf(),
            sum_file: sum_path,
        }),
    }
}

/// The record a snapshot carries, if `path` is one: a `.tar.gz` whose first entries are
/// `<prefix>/`, `<prefix>/.gopin/` and `<prefix>/.gopin/install.json`. Anything else is not a
/// snapshot (and is judged as an archive).
fn snapshot_record(path: &Path) -> Result<Option<(Vec<String>, InstallRecord)>, ImportError> {
    let file = match crate::userfile::open(path) {
        Ok(Some((file, _))) => file,
        Ok(None) => return Err(ImportError::Missing(path.to_path_buf())),
        Err(e) => return Err(e.into()),
    };
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(io::BufReader::new(file)));
    let Ok(mut entries) = archive.entries() else {
        return Ok(None);
    };
    let mut names = Vec::new();
    for _ in 0..2 {
        match entries.next() {
            Some(Ok(e)) if e.header().entry_type().is_dir() => {
                names.push(String::from_utf8_lossy(&e.path_bytes()).into_owned());
            }
            _ => return Ok(None),
        }
    }
    let Some(Ok(entry)) = entries.next() else {
        return Ok(None);
    };
    let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
    let Some(prefix) = name
        .strip_suffix(RECORD_ENTRY)
        .and_then(|p| p.strip_suffix('/'))
        .and_then(|p| p.parse::<Prefix>().ok())
    else {
        return Ok(None);
    };
    let dir = format!("{prefix}/");
    if names != [dir.clone(), format!("{dir}.gopin/")] || !entry.header().entry_type().is_file() {
        return Ok(None);
    }
    let bad = |problem: String| ImportError::Snapshot {
        file: path.to_path_buf(),
        problem,
    };
    let mut bytes = Vec::new();
    entry
        .take(MAX_RECORD_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(format!("its record cannot be read ({e})")))?;
    let record: InstallRecord = serde_json::from_slice(&bytes)
        .map_err(|e| bad(format!("its record is not an install record ({e})")))?;
    let parts = prefix.to_string().split('/').map(str::to_string).collect();
    Ok(Some((parts, record)))
}
/// An official archive through the install's pipeline, then its tree identified.
pub fn import_archive(
    candidate: &Candidate,
    sha256: &str,
    from: &str,
    stage: &mut Stage,
) -> Result<(Staging, InstallRecord), ImportError> {
    let file = &candidate.path;
    let Identity { version, platform } = &candidate.identity;
    let artifact = godev::archive_file(
        file,
        *version,
        platform,
        sha256.to_string(),
        from.to_string(),
    );
    let (staging, record) = artifact.fetch(stage).map_err(|e| match e {
        SourceError::GoDev(GoDevError::ChecksumMismatch {
            expected, actual, ..
        }) => ImportError::ChecksumMismatch {
            file: file.clone(),
            expected,
            actual,
            from: from.to_string(),
        },
        SourceError::GoDev(GoDevError::Corrupt { message, .. }) => ImportError::Damaged {
            file: file.clone(),
            message,
        },
        SourceError::GoDev(e) => e.into(),
        SourceError::Proxy(e) => ImportError::Damaged {
            file: file.clone(),
            message: e.to_string(),
        },
        // A lock is never part of an import's artifact.
        SourceError::Locked(e) => ImportError::Damaged {
            file: file.clone(),
            message: e.to_string(),
        },
    })?;
    same_identity(
        file,
        "name",
        &candidate.identity,
        &staging.tree().join("go"),
    )?;
    Ok((staging, record))
}

/// The tree unpacked at `goroot` is the release `named` says it is.
fn same_identity(
    file: &Path,
    by: &'static str,
    named: &Identity,
    goroot: &Path,
) -> Result<(), ImportError> {
    let found = tree::identify(goroot)?;
    if found != *named {
        return Err(ImportError::NotWhatItSays {
            file: file.to_path_buf(),
            by,
            named: named.to_string(),
            found: found.to_string(),
        });
    }
    Ok(())
}

/// A snapshot, unpacked by the install's extractor, each entry checked against its record.
pub fn import_snapshot(
    config: &Config,
    candidate: &Candidate,
    prefix: &[String],
    record: &InstallRecord,
    stage: &mut Stage,
) -> Result<(Staging, InstallRecord), ImportError> {
    let file = &candidate.path;
    // The record's own directory is gopin's, and is removed from the tree below: a record
    // that lists an entry there describes a tree that cannot be (doctor and export would
    // then find it missing).
    let metadata = RECORD_ENTRY.split('/').next().expect("a path");
    if let Some(rel) = record
        .files
        .keys()
        .find(|rel| rel.split('/').next() == Some(metadata))
    {
        return Err(ImportError::Snapshot {
            file: file.clone(),
            problem: format!(
                "its record lists {}, inside {metadata}/, the directory that holds gopin's own record and never a file of Go",
                crate::ui::shown_bytes(rel.as_bytes())
            ),
        });
    }
    let staging = stage()?;
    let goroot = staging.tree().join("go");
    let unpacked = godev::unpack_file(file, prefix, &goroot).map_err(|e| match e {
        GoDevError::Corrupt { message, .. } => ImportError::Damaged {
            file: file.clone(),
            message,
        },
        other => other.into(),
    })?;
    let mut files = unpacked.files;
    files.remove(RECORD_ENTRY);
    if let Some(problem) = snapshot_difference(&record.files, &files) {
        return Err(ImportError::Snapshot {
            file: file.clone(),
            problem,
        });
    }
    let record_dir = goroot.join(RECORD_ENTRY);
    let record_dir = record_dir.parent().expect("the record lies in a directory");
    fs::remove_dir_all(record_dir).map_err(|source| ImportError::Write {
        path: record_dir.to_path_buf(),
        source,
    })?;
    same_identity(file, "record", &candidate.identity, &goroot)?;
    let whence = format!(
        "the snapshot {} (its record proves integrity, not origin)",
        tilde(file)
    );
    let verdict = check(config, candidate, &files, &staging);
    let mut provenance = provenance(record::IMPORTED_SNAPSHOT, &whence, &verdict);
    provenance.details.extend([
        (
            "snapshot".to_string(),
            file.to_string_lossy().into_owned().into(),
        ),
        ("snapshot_sha256".to_string(), unpacked.sha256.into()),
        (
            "recorded_source".to_string(),
            record.source.kind.clone().into(),
        ),
    ]);
    let imported = InstallRecord::new(
        record.version,
        &candidate.identity.platform,
        record.url.clone(),
        record.sha256.clone(),
        record.archive_size,
        provenance,
        files,
    );
    Ok((staging, imported))
}

/// The first way a snapshot's unpacked entries differ from its record, if any.
fn snapshot_difference(recorded: &Manifest, unpacked: &Manifest) -> Option<String> {
    let show = |p: &str| crate::ui::shown_bytes(p.as_bytes());
    for (rel, entry) in recorded {
        match unpacked.get(rel) {
            None => {
                return Some(format!(
                    "its record lists {}, which it does not hold",
                    show(rel)
                ));
            }
            Some(found) if found != entry => {
                return Some(format!("{} differs from its record", show(rel)));
            }
            Some(_) => {}
        }
    }
    unpacked
        .keys()
        .find(|rel| !recorded.contains_key(*rel))
        .map(|rel| format!("it holds {}, which its record does not list", show(rel)))
}
