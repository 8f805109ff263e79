//! Where bytes come from: https/http URLs, `file://` URLs and plain paths, behind one
//! [`Location`] type: what to read and how, retrying transient failures. One GET and the
//! rules every remote transfer obeys are in [`super::http`].

use std::io::{self, Read};
use std::path::PathBuf;
use std::time::Instant;

use reqwest::Url;

use super::auth::Login;
use super::error::FetchError;
use super::http::{Body, Refusal, Remote, Rules, check_web};
use super::retry::{Retryable, with_retries};
use crate::ui::shown;

/// A place gopin reads an index or archive from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Http(Remote),
    Local(PathBuf),
}

impl Location {
    /// Parses a URL or path. Plain http is only allowed to loopback unless `rules.allow_http`.
    pub fn parse(s: &str, rules: &Rules) -> Result<Location, FetchError> {
        if s.is_empty() {
            return Err(FetchError::BadLocation(s.to_string()));
        }
        if !s.contains("://") {
            return Ok(Location::Local(PathBuf::from(s)));
        }
        let url = Url::parse(s).map_err(|_| FetchError::BadLocation(s.to_string()))?;
        match url.scheme() {
            "file" => url
                .to_file_path()
                .map(Location::Local)
                .map_err(|_| FetchError::BadLocation(s.to_string())),
            _ => match check_web(&url, rules.allow_http) {
                Ok(()) => {
                    let (url, login) = take_userinfo(url);
                    Ok(Location::Http(Remote {
                        url,
                        rules: *rules,
                        login,
                    }))
                }
                Err(Refusal::PlainHttp) => Err(FetchError::InsecureHttp(url.to_string())),
                Err(Refusal::Scheme) => Err(FetchError::BadLocation(s.to_string())),
            },
        }
    }

    /// The same location, sending `login` unless its URL carried credentials of its own.
    pub fn with_login(self, login: Option<Login>) -> Location {
        match self {
            Location::Http(mut remote) => {
                if remote.login.is_none() {
                    remote.login = login;
                }
                Location::Http(remote)
            }
            local => local,
        }
    }

    /// The credentials this location sends, if any.
    pub fn login(&self) -> Option<&Login> {
        match self {
            Location::Http(remote) => remote.login.as_ref(),
            Location::Local(_) => None,
        }
    }

    /// The location of `name` inside this one, treated as a directory.
    pub fn join(&self, name: &str) -> Location {
        match self {
            Location::Http(remote) => {
                let mut base = remote.url.clone();
                if !base.path().ends_with('/') {
                    base.set_path(&format!("{}/", base.path()));
                }
                Location::Http(Remote {
                    url: base.join(name).expect("file names are valid URL paths"),
                    rules: remote.rules,
                    login: remote.login.clone(),
                })
            }
            Location::Local(dir) => Location::Local(dir.join(name)),
        }
    }

    /// The same location with `suffix` appended (for `<archive>.sha256`).
    pub fn with_suffix(&self, suffix: &str) -> Location {
        match self {
            Location::Http(remote) => {
                let mut url = remote.url.clone();
                url.set_path(&format!("{}{suffix}", url.path()));
                Location::Http(Remote {
                    url,
                    rules: remote.rules,
                    login: remote.login.clone(),
                })
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

    /// When a transfer from here that starts now must be done by (local files: never).
    pub fn deadline(&self) -> Option<Instant> {
        match self {
            Location::Http(remote) => remote.rules.deadline(),
            Location::Local(_) => None,
        }
    }

    /// Opens the location once, without retrying. A remote body fails with a
    /// [`FetchError::Cut`] inside its `io::Error` when it stalls, crawls, is cut off or
    /// passes `deadline`.
    pub fn open(&self, deadline: Option<Instant>) -> Result<Body, FetchError> {
        match self {
            Location::Http(remote) => remote.open(deadline),
            Location::Local(path) => {
                // Never File::open: a FIFO in the archive's or the `.sha256`'s place would
                // block it until some writer came.
                let Some((file, meta)) = crate::userfile::open(path)? else {
                    let errno = if path.is_dir() {
                        libc::EISDIR
                    } else {
                        libc::ENOENT
                    };
                    return Err(FetchError::Io {
                        path: path.clone(),
                        source: io::Error::from_raw_os_error(errno),
                    });
                };
                Ok(Body {
                    reader: Box::new(file),
                    len: Some(meta.len()),
                })
            }
        }
    }

    /// Opens the bytes `range` names (`bytes=START-END` or `bytes=-LEN`). A local file is
    /// read whole, like a server that ignores ranges.
    pub fn open_range(
        &self,
        deadline: Option<Instant>,
        range: &str,
    ) -> Result<super::http::RangeBody, FetchError> {
        match self {
            Location::Http(remote) => remote.open_range(deadline, range),
            Location::Local(_) => {
                let body = self.open(deadline)?;
                Ok(super::http::RangeBody {
                    start: 0,
                    total: body.len,
                    partial: false,
                    body,
                })
            }
        }
    }

    /// Reads the whole location into memory (for small things: indexes, `.sha256` files),
    /// retrying transient failures. At most `limit` bytes are read.
    pub fn read_small(&self, limit: u64) -> Result<Vec<u8>, FetchError> {
        self.read_small_with(limit, true)
    }

    /// [`Location::read_small`], retrying a host that could not be reached at all only if
    /// `retry_unreachable` (where being offline is a normal state, one try says so).
    pub fn read_small_with(
        &self,
        limit: u64,
        retry_unreachable: bool,
    ) -> Result<Vec<u8>, FetchError> {
        /// The error of one try, transient unless it is final here.
        struct Try(FetchError, bool);
        impl Retryable for Try {
            fn is_transient(&self) -> bool {
                self.0.is_transient() && (self.1 || !self.0.is_unreachable())
            }
            fn retried(self, retries: u32) -> Self {
                Try(self.0.retried(retries), self.1)
            }
        }
        impl std::fmt::Display for Try {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
        let deadline = self.deadline();
        with_retries(|_| {
            let body = self.open(deadline).map_err(|e| Try(e, retry_unreachable))?;
            let mut buf = Vec::new();
            body.reader
                .take(limit)
                .read_to_end(&mut buf)
                .map_err(|e| Try(self.read_error(e), retry_unreachable))?;
            Ok(buf)
        })
        .map_err(|t: Try| t.0)
    }

    /// The error for a failed read from this location's stream: the [`FetchError`] a remote
    /// body put inside it, else one naming the location.
    pub fn read_error(&self, e: io::Error) -> FetchError {
        if e.get_ref().is_some_and(|inner| inner.is::<FetchError>()) {
            let inner = e.into_inner().expect("checked above");
            return *inner.downcast::<FetchError>().expect("checked above");
        }
        match self {
            Location::Http(remote) => FetchError::network(&remote.url, e),
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
            Location::Http(remote) => remote.url.fmt(f),
            Location::Local(path) => f.write_str(&shown(path)),
        }
    }
}

/// The URL without its `user:password@`, and those as a [`Login`]: a URL is shown in messages
/// and records, so the secret must not stay in it (docs/security.md, "Credentials").
fn take_userinfo(mut url: Url) -> (Url, Option<Login>) {
    if url.username().is_empty() && url.password().is_none() {
        return (url, None);
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let login = Login {
        user: decode(url.username()),
        password: url.password().map(decode),
        from: "the user:password in the URL".into(),
    };
    let _ = url.set_username("");
    let _ = url.set_password(None);
    (url, Some(login))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn rules(allow_http: bool) -> Rules {
        Rules {
            allow_http,
            ..Rules::from_settings(&Settings::default())
        }
    }

    #[test]
    fn parses_every_kind_of_location() {
        assert!(matches!(
            Location::parse("https://go.dev/dl/?mode=json", &rules(false)).unwrap(),
            Location::Http(_)
        ));
        assert!(matches!(
            Location::parse("http://127.0.0.1:8080/index.json", &rules(false)).unwrap(),
            Location::Http(_)
        ));
        assert!(matches!(
            Location::parse("http://localhost/x", &rules(false)).unwrap(),
            Location::Http(_)
        ));
        assert!(matches!(
            Location::parse("http://mirror.example/x", &rules(false)),
            Err(FetchError::InsecureHttp(_))
        ));
        assert!(Location::parse("http://mirror.example/x", &rules(true)).is_ok());
        assert_eq!(
            Location::parse("file:///srv/go/index.json", &rules(false)).unwrap(),
            Location::Local("/srv/go/index.json".into())
        );
        assert_eq!(
            Location::parse("./mirror/index.json", &rules(false)).unwrap(),
            Location::Local("./mirror/index.json".into())
        );
        assert!(Location::parse("ftp://x/y", &rules(false)).is_err());
    }

    #[test]
    fn joins_file_names_onto_bases() {
        let base = Location::parse("https://dl.google.com/go", &rules(false)).unwrap();
        assert_eq!(
            base.join("go1.22.10.linux-amd64.tar.gz").to_string(),
            "https://dl.google.com/go/go1.22.10.linux-amd64.tar.gz"
        );
        let sum = base.join("go1.tar.gz").with_suffix(".sha256");
        assert_eq!(
            sum.to_string(),
            "https://dl.google.com/go/go1.tar.gz.sha256"
        );
        let local = Location::parse("/srv/mirror", &rules(false)).unwrap();
        assert_eq!(
            local.join("a.tar.gz").with_suffix(".sha256"),
            Location::Local("/srv/mirror/a.tar.gz.sha256".into())
        );
    }
}
