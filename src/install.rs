//! The install pipeline: one streaming pass from the archive's bytes to a verified tree in the
//! store.
//!
//! ```text
//! source ─▶ progress ─▶ SHA-256 ─▶ gunzip ─▶ tar ─▶ checked entries ─▶ tmp/<name>.XXXX/go
//! ```
//! Nothing is visible in `versions/` until the whole archive has been read and its SHA-256
//! matches; then the temporary directory is renamed into place. A failure at any point drops
//! the temporary directory; a killed process leaves it for [`Store::clean_stale`].

mod extract;

use std::io::{self, BufReader, Read};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::config::Config;
use crate::fetch::{self, FetchError, Location, Retryable};
use crate::index::{Index, Release, ReleaseFile};
use crate::platform::Platform;
use crate::record::{InstallRecord, hex};
use crate::request::Request;
use crate::store::{Installed, Store, StoreError, entry_name};
use crate::ui;
use crate::version::{GoVersion, VersionSpec};

use extract::ExtractError;

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
    let _lock = store.lock(&name, || {
        ui::note(&format!(
            "waiting for another gopin that is installing {name}…"
        ))
    })?;
    // Whoever held the lock may have installed it meanwhile.
    if !force && let Some(found) = store.get(&version, platform) {
        return Ok(Outcome::AlreadyInstalled(found));
    }
    store.clean_stale();

    let base = Location::parse(&config.settings.download_url, config.settings.allow_http)?;
    let location = base.join(&file.filename);
    let expected = expected_sha256(file, &location)?;
    let (built, record) = fetch::with_retries(|attempt| {
        if attempt > 1 {
            ui::note(&format!("retrying {} (attempt {attempt})", file.filename));
        }
        let tmp = store.temp_dir(&name)?;
        let record = stream_into(&location, file, &expected, tmp.path(), release, platform)?;
        Ok::<_, InstallError>((tmp, record))
    })?;
    record.save(&built.path().join(crate::store::RECORD_FILE))?;
    let dir = store.commit(built, &name, force)?;
    Ok(Outcome::Installed(Installed {
        version,
        platform: platform.clone(),
        dir,
    }))
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

/// Remembers why the source failed, so a dropped connection can be told from a corrupt archive
/// after the error has travelled up through gunzip and tar.
struct SourceReader<R> {
    inner: R,
    fault: Arc<Mutex<Option<String>>>,
}

impl<R: Read> Read for SourceReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            *self.fault.lock().unwrap() = Some(e.to_string());
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

/// One attempt: download `location` into `dir/go`, verifying as it streams.
fn stream_into(
    location: &Location,
    file: &ReleaseFile,
    expected: &str,
    dir: &std::path::Path,
    release: &Release,
    platform: &Platform,
) -> Result<InstallRecord, InstallError> {
    let body = location.open()?;
    if let (Some(got), Some(want)) = (body.len, file.size)
        && got != want
    {
        return Err(InstallError::SizeMismatch {
            file: file.filename.clone(),
            url: location.to_string(),
            got,
            want,
        });
    }
    let total = body.len.or(file.size);
    let bar = progress_bar(&file.filename, total);
    let fault = Arc::new(Mutex::new(None));
    let limit = file.size.unwrap_or(MAX_ARCHIVE_BYTES);
    let source = SourceReader {
        inner: body.reader.take(limit),
        fault: Arc::clone(&fault),
    };
    let hashing = HashReader {
        inner: bar.wrap_read(source),
        hasher: Sha256::new(),
        count: 0,
    };
    let mut gz = flate2::bufread::GzDecoder::new(BufReader::with_capacity(READ_BUFFER, hashing));
    let extracted = extract::extract(&mut gz, &dir.join("go")).and_then(|manifest| {
        // Read the gzip trailer (which checks the CRC) and anything after the tar's end.
        io::copy(&mut gz, &mut io::sink()).map_err(ExtractError::Read)?;
        Ok(manifest)
    });
    let network_fault = fault.lock().unwrap().take();
    if let Some(message) = network_fault {
        bar.abandon();
        return Err(FetchError::Network {
            url: location.to_string(),
            message,
        }
        .into());
    }
    let hashed = gz.into_inner().into_inner().finish();
    bar.finish_and_clear();
    let (actual, size) = match hashed {
        Ok(done) => done,
        Err(e) => return Err(location.read_error(e).into()),
    };
    if actual != expected && matches!(extracted, Ok(_) | Err(ExtractError::Read(_))) {
        return Err(InstallError::ChecksumMismatch {
            file: file.filename.clone(),
            url: location.to_string(),
            expected: expected.to_string(),
            actual,
        });
    }
    let files = extracted.map_err(|e| match e {
        ExtractError::Read(e) => InstallError::Corrupt {
            file: file.filename.clone(),
            url: location.to_string(),
            message: e.to_string(),
        },
        ExtractError::Unsafe { entry, reason } => InstallError::Unsafe {
            file: file.filename.clone(),
            entry,
            reason,
        },
        ExtractError::Write { path, source } => StoreError::Io {
            action: "write",
            path,
            source,
        }
        .into(),
    })?;
    let go_binary = if platform.os == "windows" {
        "bin/go.exe"
    } else {
        "bin/go"
    };
    if !files.contains_key(go_binary) {
        return Err(InstallError::Corrupt {
            file: file.filename.clone(),
            url: location.to_string(),
            message: format!("it has no go/{go_binary}"),
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

/// A byte progress bar on a terminal; otherwise one quiet line.
fn progress_bar(filename: &str, total: Option<u64>) -> ProgressBar {
    if ui::is_quiet() || !ui::stderr_is_tty() {
        ui::note(&format!(
            "downloading {filename}{}",
            total
                .map(|t| format!(" ({:.1} MB)", t as f64 / 1e6))
                .unwrap_or_default()
        ));
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .expect("the template is valid"),
    );
    bar.set_message(filename.to_string());
    bar
}
