//! The go.dev source: releases from go.dev's JSON index ([`index`], or a mirror of it at
//! `index_url`), archives from `download_url`, each checked against the index's SHA-256 in one
//! streaming pass:
//!
//! ```text
//! source ─▶ progress ─▶ SHA-256 ─▶ gunzip ─▶ tar ─▶ checked entries ─▶ <staging>/go
//! ```
//! The staged tree is only committed (by the install pipeline) once the whole archive has been
//! read and its SHA-256 matches. What the archive may unpack to is bounded ([`Limits`]), and so
//! is how slowly it may arrive ([`net::Rules`]). The index is the root of trust.

pub mod index;

use std::cell::OnceCell;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sha2::{Digest, Sha256};
use thiserror::Error;

use super::{Artifact, Releases, Source, SourceError};
use crate::archive::extract::{self, ExtractError};
use crate::archive::{Limits, Manifest};
use crate::config::Config;
use crate::fsio::{hex, is_sha256};
use crate::net::{self, Cut, FetchError, Location, Retryable, Rules};
use crate::platform::Platform;
use crate::record::{InstallRecord, Provenance};
use crate::store::{Staging, StoreError};
use crate::ui;
use crate::version::GoVersion;
use index::{Index, LoadOptions, ReleaseFile};

/// Archives larger than this are refused when the index gives no size (real ones are < 200 MB).
const MAX_ARCHIVE_BYTES: u64 = 2 << 30;
/// Read-side buffer: large enough that inflating never waits on small reads.
const READ_BUFFER: usize = 256 * 1024;

#[derive(Debug, Error)]
pub enum GoDevError {
    #[error("{version} is not in the index at {index}")]
    NotListed { version: GoVersion, index: String },
    #[error("{version} has no .tar.gz archive for {platform}{hint}")]
    NoArchive {
        version: GoVersion,
        platform: Platform,
        hint: String,
    },
    #[error(
        "refusing to install {file}: the index lists no SHA-256 for it and {sum_url} {why}; use an index that carries checksums"
    )]
    NoChecksum {
        file: String,
        sum_url: String,
        why: String,
    },
    #[error(
        "checksum mismatch for {file} from {url}: expected {expected}, got {actual}; nothing was installed (the download is corrupt or was tampered with: retry, or check download_url)"
    )]
    ChecksumMismatch {
        file: String,
        url: String,
        expected: String,
        actual: String,
    },
    #[error(
        "{url} sent {got} bytes but the index lists {file} as {want} bytes; nothing was installed (check download_url, or retry)"
    )]
    SizeMismatch {
        file: String,
        url: String,
        got: u64,
        want: u64,
    },
    #[error(
        "{file} from {url} is not a valid Go archive ({message}); nothing was installed (check download_url, or report it to the mirror's owner)"
    )]
    Corrupt {
        file: String,
        url: String,
        message: String,
    },
    #[error(
        "refusing to install {file}: its entry '{entry}' {reason}; nothing was installed (the archive is not a genuine Go release)"
    )]
    Unsafe {
        file: String,
        entry: String,
        reason: String,
    },
    #[error(
        "refusing to install {file}: {what}; nothing was installed (the archive is not a genuine Go release)"
    )]
    Oversized { file: String, what: String },
    #[error(transparent)]
    Index(#[from] index::IndexError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Retryable for GoDevError {
    fn is_transient(&self) -> bool {
        matches!(self, GoDevError::Fetch(e) if e.is_transient())
    }

    fn retried(self, retries: u32) -> Self {
        match self {
            GoDevError::Fetch(e) => GoDevError::Fetch(e.retried(retries)),
            other => other,
        }
    }
}

/// go.dev's index and archives, as the settings name them.
pub struct GoDev<'a> {
    config: &'a Config,
    refresh: bool,
    index: OnceCell<Index>,
}

impl<'a> GoDev<'a> {
    /// The source of `config`'s `index_url` and `download_url`; `refresh` ignores a fresh
    /// cached index. Nothing is fetched until it is needed.
    pub fn new(config: &'a Config, refresh: bool) -> GoDev<'a> {
        GoDev {
            config,
            refresh,
            index: OnceCell::new(),
        }
    }

    /// The index, loaded once (from its cache while fresh, see [`index::load`]).
    fn index(&self) -> Result<&Index, GoDevError> {
        if let Some(index) = self.index.get() {
            return Ok(index);
        }
        let loaded = index::load(
            self.config,
            LoadOptions {
                refresh: self.refresh,
            },
        )?;
        Ok(self.index.get_or_init(|| loaded))
    }
}

impl Source for GoDev<'_> {
    /// Every release of the index, whatever its platforms (the index is one list for all;
    /// `locate` names the platforms a release does have).
    fn releases(&self, _platform: &Platform) -> Result<Releases, SourceError> {
        Ok(self.index()?.releases())
    }

    fn locate<'s>(
        &'s self,
        version: &GoVersion,
        platform: &Platform,
    ) -> Result<Box<dyn Artifact + 's>, SourceError> {
        let index = self.index()?;
        let release = index.find(version).ok_or_else(|| GoDevError::NotListed {
            version: *version,
            index: index.url.clone(),
        })?;
        let file = release.archive_for(platform).ok_or_else(|| {
            let available: Vec<String> =
                release.platforms().iter().map(|p| p.to_string()).collect();
            GoDevError::NoArchive {
                version: *version,
                platform: platform.clone(),
                hint: if available.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (it has: {}; pick one with --os/--arch)",
                        available.join(", ")
                    )
                },
            }
        })?;
        let rules = Rules::from_settings(&self.config.settings);
        let location = Location::parse(&self.config.settings.download_url, &rules)
            .map_err(GoDevError::from)?
            .join(&file.filename);
        Ok(Box::new(TarGz {
            version: *version,
            platform: platform.clone(),
            file: file.clone(),
            location,
            trust: Trust::Index(index.url.clone()),
        }))
    }
}

/// An official archive already on this machine (`gopin import go1.22.10.linux-amd64.tar.gz`),
/// unpacked by the install's own pipeline and checked against `sha256`, which the record says
/// came from `sha256_from` (the index, a `.sha256` file, the user).
pub fn archive_file(
    path: &Path,
    version: GoVersion,
    platform: &Platform,
    sha256: String,
    sha256_from: String,
) -> Box<dyn Artifact> {
    let filename = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Box::new(TarGz {
        version,
        platform: platform.clone(),
        file: ReleaseFile {
            filename,
            os: platform.os.clone(),
            arch: platform.arch.clone(),
            sha256: Some(sha256.clone()),
            size: None,
            kind: "archive".into(),
        },
        location: Location::Local(path.to_path_buf()),
        trust: Trust::Given {
            sha256,
            from: sha256_from,
        },
    })
}

/// The archive a lock file names (docs/lock.md), from `download_url`, checked against the
/// lock's SHA-256 alone: no index is read. `lock` names the lock file for the record. The
/// whole archive is read before its size is judged, so that a different one is reported by
/// its digest.
pub fn locked_archive(
    config: &Config,
    version: GoVersion,
    platform: &Platform,
    filename: &str,
    sha256: &str,
    lock: String,
) -> Result<Box<dyn Artifact>, GoDevError> {
    let rules = Rules::from_settings(&config.settings);
    let location = Location::parse(&config.settings.download_url, &rules)?.join(filename);
    Ok(Box::new(TarGz {
        version,
        platform: platform.clone(),
        file: ReleaseFile {
            filename: filename.to_string(),
            os: platform.os.clone(),
            arch: platform.arch.clone(),
            sha256: Some(sha256.to_string()),
            size: None,
            kind: "archive".into(),
        },
        location,
        trust: Trust::Lock {
            sha256: sha256.to_string(),
            lock,
        },
    }))
}

/// One release's `.tar.gz` for one platform.
struct TarGz {
    version: GoVersion,
    platform: Platform,
    file: ReleaseFile,
    location: Location,
    trust: Trust,
}

/// What the archive's SHA-256 is checked against.
enum Trust {
    /// The index at this URL (or the `.sha256` beside the archive when it lists none).
    Index(String),
    /// A digest found for an archive file, and where it was found.
    Given { sha256: String, from: String },
    /// The digest a lock file holds, and the lock file.
    Lock { sha256: String, lock: String },
}

impl Artifact for TarGz {
    fn key(&self) -> String {
        self.location.to_string()
    }

    /// Downloads the archive into a fresh staging directory per attempt, retrying transient
    /// failures within the rules' overall deadline.
    fn fetch(
        &self,
        stage: &mut dyn FnMut() -> Result<Staging, StoreError>,
    ) -> Result<(Staging, InstallRecord), SourceError> {
        let (expected, checked_by, kind, origin) = match &self.trust {
            Trust::Index(index) => {
                let (expected, checked_by) = expected_sha256(&self.file, &self.location)?;
                (expected, checked_by, "go.dev", ("index", index.clone()))
            }
            Trust::Given { sha256, from } => (
                sha256.clone(),
                from.clone(),
                crate::record::IMPORTED_ARCHIVE,
                ("file", self.location.to_string()),
            ),
            Trust::Lock { sha256, lock } => (
                sha256.clone(),
                lock.clone(),
                "go.dev",
                ("lock", lock.clone()),
            ),
        };
        let deadline = self.location.deadline();
        let provenance = Provenance {
            kind: kind.into(),
            unverified: None,
            details: serde_json::Map::from_iter([
                (origin.0.to_string(), origin.1.into()),
                ("sha256_from".to_string(), checked_by.into()),
            ]),
        };
        let fetched = net::with_retries_told(|_| {
            let mut staging = stage()?;
            let stream = Stream {
                location: &self.location,
                deadline,
                file: &self.file,
                expected: Some(&expected),
                prefix: &[GO.to_string()],
            };
            let (record, linked) = stream.stream_into(&staging.tree(), self, &provenance)?;
            staging.set_linked(linked);
            Ok::<_, GoDevError>((staging, record))
        })?;
        Ok(fetched)
    }
}

/// The SHA-256 the archive must have, and where it came from: the index's, else the
/// mirror's `<file>.sha256` (its URL).
fn expected_sha256(
    file: &ReleaseFile,
    location: &Location,
) -> Result<(String, String), GoDevError> {
    if let Some(sum) = &file.sha256 {
        return Ok((sum.clone(), "index".into()));
    }
    let sum_location = location.with_suffix(".sha256");
    let no_checksum = |why: &str| GoDevError::NoChecksum {
        file: file.filename.clone(),
        sum_url: sum_location.to_string(),
        why: why.to_string(),
    };
    match sha256_file(&sum_location) {
        Ok(Some(sum)) => Ok((sum, sum_location.to_string())),
        Ok(None) => Err(no_checksum("does not exist")),
        Err(Sha256FileError::NotADigest) => Err(no_checksum("does not hold a SHA-256 digest")),
        Err(Sha256FileError::Fetch(FetchError::NotAFile(e))) => Err(no_checksum(&format!(
            "is {}, not a file, so it was not read",
            e.kind().unwrap_or("not a regular file")
        ))),
        Err(Sha256FileError::Fetch(e)) => Err(e.into()),
    }
}

/// Why a `.sha256` file gave no digest.
#[derive(Debug, Error)]
pub enum Sha256FileError {
    #[error("it does not hold a SHA-256 digest")]
    NotADigest,
    #[error(transparent)]
    Fetch(#[from] FetchError),
}

/// The lowercase digest in the `.sha256` file at `location` (a bare digest, as
/// dl.google.com serves, or `sha256sum` output); `None` when there is no such file.
pub fn sha256_file(location: &Location) -> Result<Option<String>, Sha256FileError> {
    let bytes = match location.read_small(4096) {
        Ok(bytes) => bytes,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let text = String::from_utf8_lossy(&bytes);
    match text.split_whitespace().next() {
        Some(sum) if is_sha256(sum) => Ok(Some(sum.to_ascii_lowercase())),
        _ => Err(Sha256FileError::NotADigest),
    }
}

/// What an archive unpacked to, and the archive's own SHA-256 and size.
#[derive(Debug)]
pub struct Unpacked {
    pub files: Manifest,
    pub sha256: String,
    pub size: u64,
    /// Files already made links to new objects as they were written (a first install).
    pub linked: std::collections::BTreeSet<String>,
}

/// Unpacks the `.tar.gz` at `path`, whose tree sits under `prefix` (its path's parts), into
/// `root` with every rule and limit of an install. Nothing vouches for the file here, so the
/// caller judges what it holds (a snapshot: against the record inside it).
pub fn unpack_file(path: &Path, prefix: &[String], root: &Path) -> Result<Unpacked, GoDevError> {
    let location = Location::Local(path.to_path_buf());
    let file = ReleaseFile {
        filename: ui::shown(path.file_name().map_or(path, Path::new)),
        os: String::new(),
        arch: String::new(),
        sha256: None,
        size: None,
        kind: "archive".into(),
    };
    Stream {
        location: &location,
        deadline: None,
        file: &file,
        expected: None,
        prefix,
    }
    .unpack(root)
}

/// The directory every official archive's tree sits in.
const GO: &str = "go";

/// Keeps why the source failed, so a dropped connection can be told from a corrupt archive
/// after the error has travelled up through gunzip and tar (which may rewrap it).
struct SourceReader<R> {
    inner: R,
    fault: Arc<Mutex<Option<io::Error>>>,
}

impl<R: Read> Read for SourceReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let passed_on = io::Error::new(e.kind(), e.to_string());
            *self.fault.lock().unwrap() = Some(e);
            passed_on
        })
    }
}

/// Feeds every byte that passes through into SHA-256.
struct HashReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R: Read> Read for HashReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

impl<R: Read> HashReader<R> {
    /// Reads to the end and returns the digest and byte count.
    fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((hex(&self.hasher.finalize()), self.count))
    }
}

/// Where one archive comes from and what it must hash to.
struct Stream<'a> {
    location: &'a Location,
    deadline: Option<Instant>,
    file: &'a ReleaseFile,
    /// `None` for a file nothing vouches for, whose contents the caller judges.
    expected: Option<&'a str>,
    /// The directory the tree sits in inside the archive, by parts (`go`).
    prefix: &'a [String],
}

impl Stream<'_> {
    /// One attempt: download into `dir/go`, verifying as it streams, and return the record.
    fn stream_into(
        &self,
        dir: &Path,
        archive: &TarGz,
        provenance: &Provenance,
    ) -> Result<(InstallRecord, std::collections::BTreeSet<String>), GoDevError> {
        let unpacked = self.unpack(&dir.join("go"))?;
        let go = archive.platform.go_binary();
        if !unpacked.files.contains_key(go) {
            return Err(GoDevError::Corrupt {
                file: self.file.filename.clone(),
                url: self.location.to_string(),
                message: format!("it has no go/{go}"),
            });
        }
        let record = InstallRecord::new(
            archive.version,
            &archive.platform,
            self.location.to_string(),
            unpacked.sha256,
            unpacked.size,
            provenance.clone(),
            unpacked.files,
        );
        Ok((record, unpacked.linked))
    }

    /// Streams the archive into `root` (which must not exist yet), checking every entry, and
    /// its SHA-256 against the expected one once it has all been read.
    fn unpack(&self, root: &Path) -> Result<Unpacked, GoDevError> {
        let (file, location) = (self.file, self.location);
        let body = self.open()?;
        let total = body.len.or(file.size);
        let doing = if location.is_remote() {
            "downloading"
        } else {
            "reading"
        };
        let bar = ui::progress_bar(doing, &file.filename, total);
        let fault = Arc::new(Mutex::new(None));
        let source = SourceReader {
            inner: body.reader.take(file.size.unwrap_or(MAX_ARCHIVE_BYTES)),
            fault: Arc::clone(&fault),
        };
        let hashing = HashReader {
            inner: bar.wrap_read(source),
            hasher: Sha256::new(),
            count: 0,
        };
        let limits = Limits::for_archive(total.unwrap_or(MAX_ARCHIVE_BYTES));
        let mut gz =
            flate2::bufread::GzDecoder::new(BufReader::with_capacity(READ_BUFFER, hashing));
        let extracted = extract::extract_adopting(&mut gz, root, self.prefix, limits);
        let network_fault = fault.lock().unwrap().take();
        if let Some(e) = network_fault {
            bar.finish_and_clear();
            return Err(location.read_error(e).into());
        }
        let manifest = match extracted {
            Ok(files) => Ok(files),
            // A corrupt download or a tampered one: the checksum tells which.
            Err(ExtractError::Read(e)) => Err(e),
            // Refused whatever its checksum, without reading the rest.
            Err(refused) => {
                bar.finish_and_clear();
                return Err(self.refusal(refused, total.unwrap_or_default()));
            }
        };
        let hashed = gz.into_inner().into_inner().finish();
        bar.finish_and_clear();
        // Reading the rest may fail at the source too (after a corrupt start, say).
        let (sha256, size) = hashed.map_err(|e| {
            let original = fault.lock().unwrap().take();
            location.read_error(original.unwrap_or(e))
        })?;
        self.check_whole(&sha256, size)?;
        let (files, linked) = manifest.map_err(|e| GoDevError::Corrupt {
            file: file.filename.clone(),
            url: location.to_string(),
            message: e.to_string(),
        })?;
        Ok(Unpacked {
            files,
            sha256,
            size,
            linked,
        })
    }

    /// Opens the archive, refusing a length that differs from the index's.
    fn open(&self) -> Result<net::Body, GoDevError> {
        let body = self.location.open(self.deadline)?;
        if let (Some(got), Some(want)) = (body.len, self.file.size)
            && got != want
        {
            return Err(GoDevError::SizeMismatch {
                file: self.file.filename.clone(),
                url: self.location.to_string(),
                got,
                want,
            });
        }
        Ok(body)
    }

    /// All of the archive arrived (`size` bytes) and it hashes to what was expected.
    fn check_whole(&self, actual: &str, size: u64) -> Result<(), GoDevError> {
        if let Some(want) = self.file.size
            && size < want
        {
            // Cut short without an error (no Content-Length to hold the server to).
            return Err(FetchError::Cut {
                url: self.location.to_string(),
                cut: Cut::Closed,
                received: size,
                total: Some(want),
            }
            .into());
        }
        if let Some(expected) = self.expected
            && actual != expected
        {
            return Err(GoDevError::ChecksumMismatch {
                file: self.file.filename.clone(),
                url: self.location.to_string(),
                expected: expected.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(())
    }

    /// The error for an archive that could not be extracted (`size`: its length).
    fn refusal(&self, e: ExtractError, size: u64) -> GoDevError {
        let file = self.file.filename.clone();
        match e {
            ExtractError::Read(e) => GoDevError::Corrupt {
                file,
                url: self.location.to_string(),
                message: e.to_string(),
            },
            ExtractError::Unsafe { entry, reason } => GoDevError::Unsafe {
                file,
                entry,
                reason,
            },
            ExtractError::TooLarge(limit) => GoDevError::Oversized {
                file,
                what: format!(
                    "it unpacks to more than {} from {} (Go releases unpack to about 3.5 times their size; the bound is {} times, at least {} and at most {})",
                    ui::size(limit),
                    ui::size(size),
                    Limits::RATIO,
                    ui::size(Limits::FLOOR),
                    ui::size(Limits::MAX_BYTES)
                ),
            },
            ExtractError::TooMany(limit) => GoDevError::Oversized {
                file,
                what: format!("it holds more than {limit} entries (Go releases hold about 11000)"),
            },
            ExtractError::Write { path, source } => StoreError::Io {
                action: "write",
                path,
                source,
            }
            .into(),
        }
    }
}

/// The releases of the real index of 2021-11-08 (go1.17.3 is the newest), for tests.
#[cfg(test)]
pub fn releases_2021() -> Releases {
    let dir = tempfile::tempdir().unwrap();
    let config = tests::config_2021(dir.path());
    let linux: Platform = "linux/amd64".parse().unwrap();
    GoDev::new(&config, false).releases(&linux).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A configuration that reads the real index of 2021-11-08 from its file.
    pub(super) fn config_2021(dir: &Path) -> Config {
        let settings = crate::config::Settings {
            index_url: concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/go-dl-index-2021-11.json"
            )
            .into(),
            download_url: "https://dl.example/go/".into(),
            ..Default::default()
        };
        Config {
            settings,
            home: dir.join("home"),
            cache_dir: dir.join("cache"),
            config_file: dir.join("config.toml"),
        }
    }

    #[test]
    fn resolves_prefixes_to_newest_stable_and_locates_archives() {
        let dir = tempfile::tempdir().unwrap();
        let config = config_2021(dir.path());
        let source = GoDev::new(&config, false);
        let linux: Platform = "linux/amd64".parse().unwrap();
        let releases = source.releases(&linux).unwrap();
        assert_eq!(
            releases.origin,
            format!("the index at {}", config.settings.index_url)
        );
        let pick = |s: &str| {
            releases
                .resolve(&s.parse().unwrap())
                .map(|r| r.version.to_string())
        };
        assert_eq!(pick("1.16").as_deref(), Some("go1.16.10"));
        assert_eq!(pick("latest").as_deref(), Some("go1.17.3"));
        assert_eq!(pick("1").as_deref(), Some("go1.17.3"));
        assert_eq!(pick("1.16.1").as_deref(), Some("go1.16.1"));
        assert_eq!(pick("1.16.0").as_deref(), Some("go1.16"));
        assert_eq!(pick("1.18beta1"), None);
        assert_eq!(pick("1.17rc1").as_deref(), Some("go1.17rc1"));
        assert_eq!(pick("1.99"), None);
        assert_eq!(pick("stable").as_deref(), Some("go1.17.3"));
        assert_eq!(pick("oldstable").as_deref(), Some("go1.16.10"));
        let v: GoVersion = "go1.17.3".parse().unwrap();
        assert_eq!(
            source.locate(&v, &linux).unwrap().key(),
            "https://dl.example/go/go1.17.3.linux-amd64.tar.gz"
        );
        let arm: Platform = "linux/armv7l".parse().unwrap();
        assert_eq!(
            source.locate(&v, &arm).unwrap().key(),
            "https://dl.example/go/go1.17.3.linux-armv6l.tar.gz"
        );
        let plan9: Platform = "plan9/amd64".parse().unwrap();
        let err = source.locate(&v, &plan9).err().unwrap().to_string();
        assert!(
            err.starts_with("go1.17.3 has no .tar.gz archive for plan9/amd64 (it has: "),
            "{err}"
        );
    }
}
