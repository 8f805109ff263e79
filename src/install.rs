//! The install pipeline: one streaming pass from the archive's bytes to a verified tree in the
//! store.
//!
//! ```text
//! source ─▶ progress ─▶ SHA-256 ─▶ gunzip ─▶ tar ─▶ checked entries ─▶ tmp/<name>.XXXX/go
//! ```
//! Nothing is visible in `versions/` until the whole archive has been read and its SHA-256
//! matches; then the staged tree is renamed into place ([`Store::commit`]). A failure at any
//! point drops the staging directory; a killed process leaves it for the next
//! [`Store::clean_stale`]. What the archive may unpack to is bounded ([`Limits`]), and so is
//! how slowly it may arrive ([`fetch::Rules`]).

mod extract;

use std::io::{self, BufReader, Read};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::config::Config;
use crate::fetch::{self, Cut, FetchError, Location, Retryable, Rules};
use crate::index::{Index, Release, ReleaseFile};
use crate::platform::Platform;
use crate::record::{InstallRecord, go_binary, hex};
use crate::request::Request;
use crate::store::{Installed, Lock, RECORD_FILE, Store, StoreError, entry_name};
use crate::ui;
use crate::version::{GoVersion, VersionSpec};

use extract::{ExtractError, Limits};

/// Archives larger than this are refused when the index gives no size (real ones are < 200 MB).
const MAX_ARCHIVE_BYTES: u64 = 2 << 30;
/// Read-side buffer: large enough that inflating never waits on small reads.
const READ_BUFFER: usize = 256 * 1024;

#[derive(Debug, Error)]
pub enum InstallError {
    #[error("no Go release matches '{spec}' in the index at {index}{hint}")]
    NoSuchVersion {
        spec: String,
        index: String,
        hint: String,
    },
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
    #[error(
        "{name} was not installed: another gopin was installing it and failed while this one waited ({message})"
    )]
    FailedMeanwhile { name: String, message: String },
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Retryable for InstallError {
    fn is_transient(&self) -> bool {
        matches!(self, InstallError::Fetch(e) if e.is_transient())
    }

    fn retried(self, retries: u32) -> Self {
        match self {
            InstallError::Fetch(e) => InstallError::Fetch(e.retried(retries)),
            other => other,
        }
    }
}

/// What [`install`] did.
#[derive(Debug)]
pub enum Outcome {
    Installed(Installed),
    AlreadyInstalled(Installed),
}

impl Outcome {
    pub fn installed(&self) -> &Installed {
        match self {
            Outcome::Installed(i) | Outcome::AlreadyInstalled(i) => i,
        }
    }
}

/// Finds the release `spec` names, with a helpful error when there is none.
pub fn resolve<'a>(index: &'a Index, spec: &VersionSpec) -> Result<&'a Release, InstallError> {
    index.resolve(spec).ok_or_else(|| {
        let near = match spec {
            VersionSpec::Exact(v) => VersionSpec::Prefix {
                major: v.major,
                minor: Some(v.minor),
            },
            other => *other,
        };
        let hint = match index.resolve(&near) {
            Some(r) => format!(
                " (the newest {near} release is {}; run `gopin ls-remote {near}`)",
                r.version
            ),
            None => " (run `gopin ls-remote` to see what is available)".to_string(),
        };
        InstallError::NoSuchVersion {
            spec: spec.to_string(),
            index: index.url.clone(),
            hint,
        }
    })
}

/// Makes sure a version that `request` accepts is installed for `platform`: an installed one
/// that satisfies it is used as is (no network), else the release it chooses from the index
/// is installed. This is what `use`, `exec --install`, argument-less `install` and the hook's
/// `auto_install` call; an explicit `gopin install 1.22` goes to the index instead.
pub fn install_request(
    config: &Config,
    store: &Store,
    request: &Request,
    platform: &Platform,
    refresh: bool,
) -> Result<Outcome, InstallError> {
    if let Some(found) = store.find(platform, request)? {
        return Ok(Outcome::AlreadyInstalled(found));
    }
    let index = crate::index::load(config, crate::index::LoadOptions { refresh })?;
    let release = match (request.spec, request.floor) {
        (Some(spec), None) => resolve(&index, &spec)?,
        _ => {
            let versions: Vec<GoVersion> = index.releases.iter().map(|r| r.version).collect();
            request
                .choose(&versions)
                .and_then(|v| index.find(&v))
                .ok_or_else(|| InstallError::NoSuchVersion {
                    spec: request.to_string(),
                    index: index.url.clone(),
                    hint: " (run `gopin ls-remote` to see what is available)".to_string(),
                })?
        }
    };
    install(config, store, release, platform, false)
}

/// Installs `release` for `platform` unless it is already there (or `force`).
pub fn install(
    config: &Config,
    store: &Store,
    release: &Release,
    platform: &Platform,
    force: bool,
) -> Result<Outcome, InstallError> {
    let version = release.version;
    let file = release.archive_for(platform).ok_or_else(|| {
        let available: Vec<String> = release.platforms().iter().map(|p| p.to_string()).collect();
        InstallError::NoArchive {
            version,
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
    if !force && let Some(found) = store.get(&version, platform) {
        return Ok(Outcome::AlreadyInstalled(found));
    }
    let name = entry_name(&version, platform);
    let lock = store.lock(&name, || {
        ui::note(&format!(
            "waiting for another gopin that is installing {name}…"
        ))
    })?;
    // First, as it may put back a version an interrupted `--force` left out.
    store.clean_stale(Some(&lock));
    // Whoever held the lock may have installed it meanwhile.
    if !force && let Some(found) = store.get(&version, platform) {
        return Ok(Outcome::AlreadyInstalled(found));
    }

    let rules = Rules::from_settings(&config.settings);
    let location = Location::parse(&config.settings.download_url, &rules)?.join(&file.filename);
    // Or it may have failed: then so would this process, after the same retries.
    let key = location.to_string();
    if let Some(message) = lock.failure_while_waiting(&key) {
        return Err(InstallError::FailedMeanwhile { name, message });
    }
    let dir = fetch_and_commit(store, &lock, &location, release, file, platform, force)
        .inspect_err(|e| lock.report_failure(&key, &e.to_string()))?;
    lock.clear_failure();
    Ok(Outcome::Installed(Installed {
        version,
        platform: platform.clone(),
        dir,
    }))
}

/// Downloads `file` from `location` into a staging directory (retrying transient failures
/// within the rules' overall deadline), records it, and commits it. The caller holds `lock`.
fn fetch_and_commit(
    store: &Store,
    lock: &Lock,
    location: &Location,
    release: &Release,
    file: &ReleaseFile,
    platform: &Platform,
    replace: bool,
) -> Result<std::path::PathBuf, InstallError> {
    let expected = expected_sha256(file, location)?;
    let deadline = location.deadline();
    let (staging, record) = fetch::with_retries_told(|_| {
        let staging = store.staging(lock)?;
        let source = Source {
            location,
            deadline,
            file,
            expected: &expected,
        };
        let record = source.stream_into(&staging.tree(), release, platform)?;
        Ok::<_, InstallError>((staging, record))
    })?;
    record.save(&staging.tree().join(RECORD_FILE))?;
    Ok(store.commit(staging, lock, replace)?)
}

/// The SHA-256 the archive must have: the index's, else the mirror's `<file>.sha256`.
fn expected_sha256(file: &ReleaseFile, location: &Location) -> Result<String, InstallError> {
    if let Some(sum) = &file.sha256 {
        return Ok(sum.clone());
    }
    let sum_location = location.with_suffix(".sha256");
    let no_checksum = |why: String| InstallError::NoChecksum {
        file: file.filename.clone(),
        sum_url: sum_location.to_string(),
        why,
    };
    let bytes = match sum_location.read_small(4096) {
        Ok(bytes) => bytes,
        Err(e) if e.is_not_found() => return Err(no_checksum("does not exist".into())),
        Err(e) => return Err(e.into()),
    };
    let text = String::from_utf8_lossy(&bytes);
    // Accept both the bare digest (dl.google.com) and `sha256sum` output.
    match text.split_whitespace().next() {
        Some(sum) if sum.len() == 64 && sum.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(sum.to_ascii_lowercase())
        }
        _ => Err(no_checksum("does not hold a SHA-256 digest".into())),
    }
}

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
struct Source<'a> {
    location: &'a Location,
    deadline: Option<Instant>,
    file: &'a ReleaseFile,
    expected: &'a str,
}

impl Source<'_> {
    /// One attempt: download into `dir/go`, verifying as it streams, and return the record.
    fn stream_into(
        &self,
        dir: &std::path::Path,
        release: &Release,
        platform: &Platform,
    ) -> Result<InstallRecord, InstallError> {
        let (file, location) = (self.file, self.location);
        let body = self.open()?;
        let total = body.len.or(file.size);
        let bar = progress_bar(&file.filename, total);
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
        let extracted = extract::extract(&mut gz, &dir.join("go"), limits);
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
        let (actual, size) = hashed.map_err(|e| {
            let original = fault.lock().unwrap().take();
            location.read_error(original.unwrap_or(e))
        })?;
        self.check_whole(&actual, size)?;
        let files = manifest.map_err(|e| InstallError::Corrupt {
            file: file.filename.clone(),
            url: location.to_string(),
            message: e.to_string(),
        })?;
        let go = go_binary(platform);
        if !files.contains_key(go) {
            return Err(InstallError::Corrupt {
                file: file.filename.clone(),
                url: location.to_string(),
                message: format!("it has no go/{go}"),
            });
        }
        Ok(InstallRecord {
            version: release.version,
            os: platform.os.clone(),
            arch: platform.arch.clone(),
            url: location.to_string(),
            sha256: actual,
            archive_size: size,
            installed_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default(),
            gopin_version: env!("CARGO_PKG_VERSION").to_string(),
            files,
        })
    }

    /// Opens the archive, refusing a length that differs from the index's.
    fn open(&self) -> Result<fetch::Body, InstallError> {
        let body = self.location.open(self.deadline)?;
        if let (Some(got), Some(want)) = (body.len, self.file.size)
            && got != want
        {
            return Err(InstallError::SizeMismatch {
                file: self.file.filename.clone(),
                url: self.location.to_string(),
                got,
                want,
            });
        }
        Ok(body)
    }

    /// All of the archive arrived (`size` bytes) and it hashes to what was expected.
    fn check_whole(&self, actual: &str, size: u64) -> Result<(), InstallError> {
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
        if actual != self.expected {
            return Err(InstallError::ChecksumMismatch {
                file: self.file.filename.clone(),
                url: self.location.to_string(),
                expected: self.expected.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(())
    }

    /// The install error for an archive that could not be extracted (`size`: its length).
    fn refusal(&self, e: ExtractError, size: u64) -> InstallError {
        let file = self.file.filename.clone();
        match e {
            ExtractError::Read(e) => InstallError::Corrupt {
                file,
                url: self.location.to_string(),
                message: e.to_string(),
            },
            ExtractError::Unsafe { entry, reason } => InstallError::Unsafe {
                file,
                entry,
                reason,
            },
            ExtractError::TooLarge(limit) => InstallError::Oversized {
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
            ExtractError::TooMany(limit) => InstallError::Oversized {
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

/// A byte progress bar on a terminal; otherwise one quiet line. Sizes are written as in every
/// other message ([`ui::size`]).
fn progress_bar(filename: &str, total: Option<u64>) -> ProgressBar {
    if ui::is_quiet() || !ui::stderr_is_tty() {
        ui::note(&format!(
            "downloading {filename}{}",
            total
                .map(|t| format!(" ({})", ui::size(t)))
                .unwrap_or_default()
        ));
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{msg} {wide_bar} {done}/{total} {rate} ETA {eta}")
        .expect("the template is valid")
        .with_key("done", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&ui::size(s.pos()));
        })
        .with_key("total", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&s.len().map_or_else(|| "?".to_string(), ui::size));
        })
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{}/s", ui::size(s.per_sec() as u64));
        });
    bar.set_style(style);
    bar.set_message(filename.to_string());
    bar
}
