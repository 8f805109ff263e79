//! Reading from servers as one small trait, so that everything that talks to a module proxy or
//! a checksum database (listing, lookups, tiles, zips) can be tested against bytes held in
//! memory, and runs for real over [`crate::net::Location`] (https, http, `file://`, paths)
//! with its timeouts and retries.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use thiserror::Error;

use super::error::FetchError;
use super::http::Rules;
use super::location::Location;
use super::retry::{self, Retryable};
use crate::fsio::hex;
use crate::ui::shown;

#[derive(Debug, Error)]
pub enum RemoteError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("{url} answered HTTP {status} ({}): {detail}", if *status == 401 { "credentials required" } else { "forbidden" })]
    Denied {
        url: String,
        status: u16,
        detail: String,
    },
    #[error(
        "{url} sent more than {limit} bytes, more than any genuine answer to this request; the server is broken or hostile"
    )]
    TooLarge { url: String, limit: u64 },
    #[error("cannot write the download from {url} to {}: {source}", shown(path))]
    Write {
        url: String,
        path: PathBuf,
        source: io::Error,
    },
}

impl RemoteError {
    /// 404 or 410 (or a missing local file): the one answer a comma-separated GOPROXY list
    /// falls through on.
    pub fn is_not_found(&self) -> bool {
        matches!(self, RemoteError::Fetch(e) if e.is_not_found())
    }
}

impl RemoteError {
    /// The URL whose host could not be reached at all (no network), if that is what this is.
    pub fn unreachable_url(&self) -> Option<&str> {
        match self {
            RemoteError::Fetch(e) => e.unreachable_url(),
            _ => None,
        }
    }
}

impl Retryable for RemoteError {
    fn is_transient(&self) -> bool {
        matches!(self, RemoteError::Fetch(e) if e.is_transient())
    }
}

/// A downloaded file: its length and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    pub size: u64,
    pub sha256: String,
}

/// Where bytes come from, by URL (or path).
pub trait Remote {
    /// The whole body at `url`; more than `limit` bytes is an error, never a silent cut.
    fn get(&self, url: &str, limit: u64) -> Result<Vec<u8>, RemoteError>;

    /// Streams the body at `url` into a new file `dest` (replacing what a failed attempt
    /// wrote), at most `limit` bytes.
    fn download(&self, url: &str, dest: &Path, limit: u64) -> Result<Downloaded, RemoteError>;

    /// The bytes `range` names (`bytes=START-END`, `bytes=-LEN`: one range, as a CDN
    /// serves it), at most `limit` of them; `None` when the server answers with the whole
    /// body instead (it ignores ranges), which is then not read.
    fn get_range(
        &self,
        _url: &str,
        _range: &str,
        _limit: u64,
    ) -> Result<Option<Ranged>, RemoteError> {
        Ok(None)
    }

    /// Streams the bytes `range` names into `sink` (at most `limit`), for parts too large to
    /// hold in memory; returns the first byte's offset and how many came, or `None` when the
    /// server answers with the whole body (not read). Not retried: a sink cannot take bytes
    /// twice. A `sink` error stops the transfer (the caller keeps its own error).
    fn copy_range(
        &self,
        url: &str,
        range: &str,
        limit: u64,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<Option<(u64, u64)>, RemoteError> {
        let Some(part) = self.get_range(url, range, limit)? else {
            return Ok(None);
        };
        sink(&part.bytes).map_err(|e| sink_error(url, &e))?;
        Ok(Some((part.start, part.bytes.len() as u64)))
    }
}

/// A `copy_range` sink's failure, as the transfer's.
fn sink_error(url: &str, e: &io::Error) -> RemoteError {
    RemoteError::Fetch(FetchError::Network {
        url: url.to_string(),
        message: format!("stopped: {e}"),
        unreachable: false,
    })
}

/// Part of a body, and where it sits in the whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranged {
    pub start: u64,
    /// The whole body's length, when the server said it.
    pub total: Option<u64>,
    pub bytes: Vec<u8>,
}

/// The real thing: [`Location`]s with their retries. Plain http is accepted for any host,
/// as `go` accepts it in GOPROXY: what comes from a proxy is trusted only after the checksum
/// database has proved it (see docs/sources.md).
#[derive(Debug, Default)]
pub struct Network {
    /// Timeouts and limits, from the settings.
    pub rules: Rules,
    /// What each request carries (src/net/auth.rs).
    pub credentials: super::auth::Credentials,
    /// Whether a host that cannot be reached at all (no network) is an answer at the first
    /// try rather than retried: where the network is optional (an import's look-up in the
    /// checksum database).
    pub offline_is_final: bool,
}

impl Network {
    fn rules(&self) -> Rules {
        Rules {
            allow_http: true,
            ..self.rules
        }
    }

    /// `url` with the credentials it is sent with.
    fn location(&self, url: &str) -> Result<Location, RemoteError> {
        Ok(Location::parse(url, &self.rules())?.with_login(self.credentials.for_url(url)))
    }

    /// A 401 or 403 explained: what was sent, or where credentials were looked for.
    fn explained(&self, location: &Location, e: RemoteError) -> RemoteError {
        match e {
            RemoteError::Fetch(FetchError::Status { url, status, .. })
                if status == 401 || status == 403 =>
            {
                RemoteError::Denied {
                    detail: self.credentials.explain_denial(&url, location.login()),
                    url,
                    status,
                }
            }
            other => other,
        }
    }
}

impl Remote for Network {
    fn get(&self, url: &str, limit: u64) -> Result<Vec<u8>, RemoteError> {
        let location = self.location(url)?;
        let body = location
            .read_small_with(limit.saturating_add(1), !self.offline_is_final)
            .map_err(|e| self.explained(&location, e.into()))?;
        within(url, body, limit)
    }

    fn download(&self, url: &str, dest: &Path, limit: u64) -> Result<Downloaded, RemoteError> {
        let location = self.location(url)?;
        let deadline = self.rules().deadline();
        // Downloads are what an install waits on: its retries are told, with progress.
        let name = url.rsplit('/').next().unwrap_or(url);
        retry::with_retries_told(|_| {
            let body = location.open(deadline)?;
            if body.len.is_some_and(|len| len > limit) {
                return Err(too_large(url, limit));
            }
            let bar = crate::ui::progress_bar("downloading", name, body.len);
            let copied = copy_hashed(bar.wrap_read(body.reader), dest, limit, url, |e| {
                location.read_error(e)
            });
            bar.finish_and_clear();
            copied
        })
        .map_err(|e| self.explained(&location, e))
    }

    fn copy_range(
        &self,
        url: &str,
        range: &str,
        limit: u64,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<Option<(u64, u64)>, RemoteError> {
        let location = self.location(url)?;
        let deadline = self.rules().deadline();
        let part = location
            .open_range(deadline, range)
            .map_err(|e| self.explained(&location, e.into()))?;
        if !part.partial {
            return Ok(None);
        }
        if part.body.len.is_some_and(|len| len > limit) {
            return Err(too_large(url, limit));
        }
        let mut reader = part.body.reader;
        let mut buf = vec![0u8; 128 * 1024];
        let mut count = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(location.read_error(e).into()),
            };
            count += n as u64;
            if count > limit {
                return Err(too_large(url, limit));
            }
            sink(&buf[..n]).map_err(|e| sink_error(url, &e))?;
        }
        Ok(Some((part.start, count)))
    }

    fn get_range(&self, url: &str, range: &str, limit: u64) -> Result<Option<Ranged>, RemoteError> {
        let location = self.location(url)?;
        let deadline = self.rules().deadline();
        retry::with_retries(|_| {
            let part = location.open_range(deadline, range)?;
            if !part.partial {
                return Ok(None);
            }
            if part.body.len.is_some_and(|len| len > limit) {
                return Err(too_large(url, limit));
            }
            // Sized once where the length is known: a doubling buffer would hold up to twice
            // a large member.
            let mut bytes = Vec::with_capacity(part.body.len.unwrap_or(0).min(limit) as usize);
            part.body
                .reader
                .take(limit.saturating_add(1))
                .read_to_end(&mut bytes)
                .map_err(|e| RemoteError::from(location.read_error(e)))?;
            Ok(Some(Ranged {
                start: part.start,
                total: part.total,
                bytes: within(url, bytes, limit)?,
            }))
        })
        .map_err(|e| self.explained(&location, e))
    }
}

/// Why [`copy_hashing`] stopped.
#[derive(Debug)]
pub enum CopyError {
    Read(io::Error),
    Write(io::Error),
    /// More than the limit came.
    TooLarge,
}

/// Copies `reader` into `out`, hashing what passes; more than `limit` bytes is an error.
/// Returns the byte count and the SHA-256 (raw, so that a thread unpacking thousands of files
/// allocates nothing that outlives each file: see docs/performance.md).
pub fn copy_hashing(
    reader: &mut impl Read,
    out: &mut impl Write,
    limit: u64,
    buf: &mut [u8],
) -> Result<(u64, [u8; 32]), CopyError> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        let n = match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        size += n as u64;
        if size > limit {
            return Err(CopyError::TooLarge);
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n]).map_err(CopyError::Write)?;
    }
    Ok((size, hasher.finalize().into()))
}

/// Downloads into a new file `dest` (truncating what is there): [`copy_hashing`] with errors
/// that name the URL and the file.
pub fn copy_hashed(
    mut reader: impl Read,
    dest: &Path,
    limit: u64,
    url: &str,
    read_error: impl Fn(io::Error) -> FetchError,
) -> Result<Downloaded, RemoteError> {
    let write_err = |source| RemoteError::Write {
        url: url.to_string(),
        path: dest.to_path_buf(),
        source,
    };
    let mut out = File::create(dest).map_err(write_err)?;
    let mut buf = vec![0u8; 256 * 1024];
    let (size, sha256) =
        copy_hashing(&mut reader, &mut out, limit, &mut buf).map_err(|e| match e {
            CopyError::Read(e) => read_error(e).into(),
            CopyError::Write(e) => write_err(e),
            CopyError::TooLarge => too_large(url, limit),
        })?;
    // Not flushed to disk: it is read back at once and deleted, and only the tree unpacked
    // from it is made durable (see docs/performance.md).
    Ok(Downloaded {
        size,
        sha256: hex(&sha256),
    })
}

fn too_large(url: &str, limit: u64) -> RemoteError {
    RemoteError::TooLarge {
        url: url.to_string(),
        limit,
    }
}

/// `body`, unless it is larger than `limit`.
fn within(url: &str, body: Vec<u8>, limit: u64) -> Result<Vec<u8>, RemoteError> {
    if body.len() as u64 > limit {
        return Err(too_large(url, limit));
    }
    Ok(body)
}

/// A map from URL to body, for tests: any other URL answers 404.
#[cfg(test)]
#[derive(Default)]
pub struct InMemory {
    pub bodies: std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>,
    /// Every URL asked for, in order.
    pub asked: std::sync::Mutex<Vec<String>>,
    /// URLs that answer this status instead.
    pub statuses: std::sync::Mutex<std::collections::HashMap<String, u16>>,
}

#[cfg(test)]
impl InMemory {
    pub fn put(&self, url: &str, body: impl Into<Vec<u8>>) {
        self.bodies
            .lock()
            .unwrap()
            .insert(url.to_string(), body.into());
    }

    pub fn fail(&self, url: &str, status: u16) {
        self.statuses
            .lock()
            .unwrap()
            .insert(url.to_string(), status);
    }

    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }

    fn body(&self, url: &str) -> Result<Vec<u8>, RemoteError> {
        self.asked.lock().unwrap().push(url.to_string());
        let status = self.statuses.lock().unwrap().get(url).copied();
        let body = self.bodies.lock().unwrap().get(url).cloned();
        match (status, body) {
            (None, Some(body)) => Ok(body),
            (status, _) => Err(FetchError::Status {
                url: url.to_string(),
                status: status.unwrap_or(404),
                hint: "",
            }
            .into()),
        }
    }
}

#[cfg(test)]
impl Remote for InMemory {
    fn get(&self, url: &str, limit: u64) -> Result<Vec<u8>, RemoteError> {
        within(url, self.body(url)?, limit)
    }

    fn download(&self, url: &str, dest: &Path, limit: u64) -> Result<Downloaded, RemoteError> {
        let body = self.body(url)?;
        copy_hashed(&body[..], dest, limit, url, |e| FetchError::Network {
            url: url.to_string(),
            message: e.to_string(),
            unreachable: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_files_are_read_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list");
        std::fs::write(&path, "v0.0.1-go1.22.10.linux-amd64\n").unwrap();
        let url = path.to_str().unwrap();
        assert_eq!(Network::default().get(url, 100).unwrap().len(), 29);
        assert!(matches!(
            Network::default().get(url, 10),
            Err(RemoteError::TooLarge { limit: 10, .. })
        ));
        let missing = dir.path().join("none");
        assert!(
            Network::default()
                .get(missing.to_str().unwrap(), 10)
                .unwrap_err()
                .is_not_found()
        );
    }

    #[test]
    fn downloads_replace_what_was_there_and_hash() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a.zip");
        std::fs::write(&src, b"abc").unwrap();
        let dest = dir.path().join("download.zip");
        std::fs::write(&dest, b"leftover from a failed attempt").unwrap();
        let got = Network::default()
            .download(src.to_str().unwrap(), &dest, 10)
            .unwrap();
        assert_eq!(got.size, 3);
        assert_eq!(
            got.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(std::fs::read(&dest).unwrap(), b"abc");
        let err = Network::default()
            .download(src.to_str().unwrap(), &dest, 2)
            .unwrap_err();
        assert!(
            matches!(err, RemoteError::TooLarge { limit: 2, .. }),
            "{err}"
        );
    }
}
