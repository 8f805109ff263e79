//! Where bytes come from: https/http URLs, `file://` URLs and plain paths, behind one
//! [`Location`] type, with timeouts and retries for transient network errors.

use std::fs::File;
use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::Url;
use thiserror::Error;

/// How many times a transient failure is tried in all.
pub const ATTEMPTS: u32 = 4;

/// A place gopin reads an index or archive from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Http(Url),
    Local(PathBuf),
}

#[derive(Debug, Error)]
pub enum FetchError {
    #[error(
        "'{0}' is not a URL or path gopin can read: use https://…, http://127.0.0.1…, file://… or a path"
    )]
    BadLocation(String),
    #[error(
        "refusing plain http to {0}: use https, or set allow_http = true in the config (GOPIN_ALLOW_HTTP=1) for a trusted mirror"
    )]
    InsecureHttp(String),
    #[error("{url} answered HTTP {status}{hint}")]
    Status {
        url: String,
        status: u16,
        hint: &'static str,
    },
    #[error("cannot reach {url}: {message}")]
    Network { url: String, message: String },
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Errors that may go away if the operation is simply tried again.
pub trait Retryable {
    fn is_transient(&self) -> bool;
}

impl Retryable for FetchError {
    /// Connection failures, timeouts, resets and 5xx are worth another try; 4xx and local
    /// errors are not.
    fn is_transient(&self) -> bool {
        match self {
            FetchError::Network { .. } => true,
            FetchError::Status { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

impl FetchError {
    pub fn is_not_found(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => *status == 404 || *status == 410,
            FetchError::Io { source, .. } => source.kind() == std::io::ErrorKind::NotFound,
            _ => false,
        }
    }

    fn network(url: &Url, e: impl std::fmt::Display) -> Self {
        FetchError::Network {
            url: url.to_string(),
            message: e.to_string(),
        }
    }
}

/// An open stream and its length, if the source told.
pub struct Body {
    pub reader: Box<dyn Read + Send>,
    pub len: Option<u64>,
}

fn client() -> &'static reqwest::blocking::Client {
    static CLIENT: OnceLock<reqwest::blocking::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::blocking::Client::builder()
            .user_agent(concat!("gopin/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(15))
            // Applies to each read, so a stalled transfer fails but a long one does not.
            .timeout(Duration::from_secs(30))
            .build()
            .expect("the TLS backend is compiled in")
    })
}

impl Location {
    /// Parses a URL or path. Plain http is only allowed to loopback unless `allow_http`.
    pub fn parse(s: &str, allow_http: bool) -> Result<Location, FetchError> {
        if s.is_empty() {
            return Err(FetchError::BadLocation(s.to_string()));
        }
        if !s.contains("://") {
            return Ok(Location::Local(PathBuf::from(s)));
        }
        let url = Url::parse(s).map_err(|_| FetchError::BadLocation(s.to_string()))?;
        match url.scheme() {
            "https" => Ok(Location::Http(url)),
            "http" => {
                if allow_http || is_loopback(&url) {
                    Ok(Location::Http(url))
                } else {
                    Err(FetchError::InsecureHttp(url.to_string()))
                }
            }
            "file" => url
                .to_file_path()
                .map(Location::Local)
                .map_err(|_| FetchError::BadLocation(s.to_string())),
            _ => Err(FetchError::BadLocation(s.to_string())),
        }
    }

    /// The location of `name` inside this one, treated as a directory.
    pub fn join(&self, name: &str) -> Location {
        match self {
            Location::Http(url) => {
                let mut base = url.clone();
                if !base.path().ends_with('/') {
                    base.set_path(&format!("{}/", base.path()));
                }
                Location::Http(base.join(name).expect("file names are valid URL paths"))
            }
            Location::Local(dir) => Location::Local(dir.join(name)),
        }
    }

    /// The same location with `suffix` appended (for `<archive>.sha256`).
    pub fn with_suffix(&self, suffix: &str) -> Location {
        match self {
            Location::Http(url) => {
                let mut url = url.clone();
                url.set_path(&format!("{}{suffix}", url.path()));
                Location::Http(url)
            }
            Location::Local(path) => {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                Location::Local(p.into())
            }
        }
    }

    pub fn is_remote(&self) -> bool {
        matches!(self, Location::Http(_))
    }

    /// Opens the location once, without retrying.
    pub fn open(&self) -> Result<Body, FetchError> {
        match self {
            Location::Http(url) => {
                let resp = client()
                    .get(url.clone())
                    .send()
                    .map_err(|e| FetchError::network(url, describe_reqwest(&e)))?;
                let status = resp.status();
                if !status.is_success() {
                    return Err(FetchError::Status {
                        url: url.to_string(),
                        status: status.as_u16(),
                        hint: match status.as_u16() {
                            404 | 410 => {
                                " (not found): check the version and the download_url/index_url settings"
                            }
                            s if s >= 500 => ": the server failed; try again later",
                            _ => "",
                        },
                    });
                }
                let len = resp.content_length();
                let url = url.clone();
                Ok(Body {
                    reader: Box::new(NetReader { resp, url }),
                    len,
                })
            }
            Location::Local(path) => {
                let file = File::open(path).map_err(|source| FetchError::Io {
                    path: path.clone(),
                    source,
                })?;
                let len = file.metadata().ok().map(|m| m.len());
                Ok(Body {
                    reader: Box::new(file),
                    len,
                })
            }
        }
    }

    /// Reads the whole location into memory (for small things: indexes, `.sha256` files),
    /// retrying transient failures. At most `limit` bytes are read.
    pub fn read_small(&self, limit: u64) -> Result<Vec<u8>, FetchError> {
        with_retries(|_| {
            let body = self.open()?;
            let mut buf = Vec::new();
            body.reader
                .take(limit)
                .read_to_end(&mut buf)
                .map_err(|e| self.read_error(e))?;
            Ok(buf)
        })
    }

    /// The error for a failed read from this location's stream.
    pub fn read_error(&self, e: std::io::Error) -> FetchError {
        match self {
            Location::Http(url) => FetchError::network(url, e),
            Location::Local(path) => FetchError::Io {
                path: path.clone(),
                source: e,
            },
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Http(url) => url.fmt(f),
            Location::Local(path) => path.display().fmt(f),
        }
    }
}

/// A response body whose read errors name the URL.
struct NetReader {
    resp: reqwest::blocking::Response,
    url: Url,
}

impl Read for NetReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.resp
            .read(buf)
            .map_err(|e| std::io::Error::new(e.kind(), format!("reading {} failed: {e}", self.url)))
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// reqwest's top-level message repeats the URL ("error sending request for url (…)"), which
/// the caller names already; its causes say what actually went wrong.
fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    if e.is_timeout() {
        return "timed out".to_string();
    }
    // The innermost cause is the most specific ("Connection refused", "dns error: …").
    causes.pop().unwrap_or_else(|| e.to_string())
}

/// Runs `attempt` until it succeeds, fails for good, or has been tried [`ATTEMPTS`] times,
/// waiting a little longer after each transient failure. The attempt number (from 1) is passed
/// in so callers can say they are retrying.
pub fn with_retries<T, E: Retryable + std::fmt::Display>(
    mut attempt: impl FnMut(u32) -> Result<T, E>,
) -> Result<T, E> {
    let base = retry_delay();
    let mut n = 1;
    loop {
        match attempt(n) {
            Err(e) if e.is_transient() && n < ATTEMPTS => {
                crate::ui::verbose(&format!("{e}; retrying ({n}/{})", ATTEMPTS - 1));
                std::thread::sleep(base * 2u32.pow(n - 1));
                n += 1;
            }
            other => return other,
        }
    }
}

/// The first back-off delay; `GOPIN_RETRY_DELAY_MS` shortens it for tests.
fn retry_delay() -> Duration {
    std::env::var("GOPIN_RETRY_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_millis(500))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_kind_of_location() {
        assert!(matches!(
            Location::parse("https://go.dev/dl/?mode=json", false).unwrap(),
            Location::Http(_)
        ));
        assert!(matches!(
            Location::parse("http://127.0.0.1:8080/index.json", false).unwrap(),
            Location::Http(_)
        ));
        assert!(matches!(
            Location::parse("http://localhost/x", false).unwrap(),
            Location::Http(_)
        ));
        assert!(matches!(
            Location::parse("http://mirror.example/x", false),
            Err(FetchError::InsecureHttp(_))
        ));
        assert!(Location::parse("http://mirror.example/x", true).is_ok());
        assert_eq!(
            Location::parse("file:///srv/go/index.json", false).unwrap(),
            Location::Local("/srv/go/index.json".into())
        );
        assert_eq!(
            Location::parse("./mirror/index.json", false).unwrap(),
            Location::Local("./mirror/index.json".into())
        );
        assert!(Location::parse("ftp://x/y", false).is_err());
    }

    #[test]
    fn joins_file_names_onto_bases() {
        let base = Location::parse("https://dl.google.com/go", false).unwrap();
        assert_eq!(
            base.join("go1.22.10.linux-amd64.tar.gz").to_string(),
            "https://dl.google.com/go/go1.22.10.linux-amd64.tar.gz"
        );
        let sum = base.join("go1.tar.gz").with_suffix(".sha256");
        assert_eq!(
            sum.to_string(),
            "https://dl.google.com/go/go1.tar.gz.sha256"
        );
        let local = Location::parse("/srv/mirror", false).unwrap();
        assert_eq!(
            local.join("a.tar.gz").with_suffix(".sha256"),
            Location::Local("/srv/mirror/a.tar.gz.sha256".into())
        );
    }
}
