//! Where bytes come from: https/http URLs, `file://` URLs and plain paths, behind one
//! [`Location`] type, with the rules every remote transfer obeys ([`Rules`]): which hosts may
//! be reached over plain http (the configured URL and every redirect alike), when a slow or
//! stalled server is given up on, and how transient failures are retried.

use std::io::{self, Read};
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Url;
use thiserror::Error;

use crate::config::Settings;
use crate::ui::{self, shown, shown_bytes, size};

/// How many times a transient failure is tried in all.
pub const ATTEMPTS: u32 = 4;
/// Redirects followed for one request, as browsers and curl do.
const MAX_REDIRECTS: usize = 10;
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// What remote transfers may do and how long they may take, from the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Plain http to hosts other than loopback.
    pub allow_http: bool,
    /// Give up when fewer than this many bytes arrive in `low_speed_time` (0: no floor).
    pub low_speed_bytes: u64,
    /// The window for `low_speed_bytes`; nothing at all for this long is a stall
    /// (zero: no limit).
    pub low_speed_time: Duration,
    /// The longest one download may take, retries included.
    pub max_time: Option<Duration>,
}

impl Default for Rules {
    /// The defaults of the settings.
    fn default() -> Rules {
        Rules::from_settings(&Settings::default())
    }
}

impl Rules {
    /// The same rules, with plain http refused to hosts other than loopback whatever the
    /// settings say.
    pub fn strict() -> Rules {
        Rules {
            allow_http: false,
            ..Rules::default()
        }
    }

    pub fn from_settings(s: &Settings) -> Rules {
        Rules {
            allow_http: s.allow_http,
            low_speed_bytes: s.low_speed_bytes,
            low_speed_time: Duration::from_secs(s.low_speed_secs),
            max_time: (s.download_timeout > 0).then(|| Duration::from_secs(s.download_timeout)),
        }
    }

    /// When a transfer that starts now must be done by.
    pub fn deadline(&self) -> Option<Instant> {
        self.max_time.map(|t| Instant::now() + t)
    }

    /// The longest one wait for the server may take: the stall limit, else the overall one
    /// (so a silent server cannot outlast `download_timeout`), else none.
    fn read_timeout(&self) -> Option<Duration> {
        Some(self.low_speed_time)
            .filter(|t| !t.is_zero())
            .or(self.max_time)
    }
}

/// A place gopin reads an index or archive from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Http(Remote),
    Local(PathBuf),
}

/// An http(s) URL (without userinfo: that is in `login`) and the rules its transfers obey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub url: Url,
    rules: Rules,
    /// Sent as HTTP basic authentication with every request.
    pub login: Option<Login>,
}

/// Credentials for HTTP basic authentication, and where they came from (for messages: the
/// password is never shown, nor the user, which is often a token).
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    user: String,
    password: Option<String>,
    /// In words: `the GOPROXY URL`, `~/.netrc`.
    pub from: String,
}

impl Login {
    pub fn new(user: String, password: Option<String>, from: String) -> Login {
        Login {
            user,
            password,
            from,
        }
    }

    /// The same credentials, said to come from `from`.
    pub fn new_from(login: Login, from: &str) -> Login {
        Login {
            from: from.to_string(),
            ..login
        }
    }

    #[cfg(test)]
    pub fn secret_for_test(&self) -> (&str, Option<&str>) {
        (&self.user, self.password.as_deref())
    }
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Login(*** from {})", self.from)
    }
}

/// Why a transfer ended before its last byte: each is said differently, because each has a
/// different fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cut {
    /// The server closed the connection early.
    Closed,
    /// The connection was reset.
    Reset,
    /// Nothing arrived for this long.
    Stalled(Duration),
    /// Fewer than `bytes` arrived in `window`.
    Slow { bytes: u64, window: Duration },
    /// The overall limit passed.
    TimedOut(Duration),
    /// Anything else the network layer reported.
    Other(String),
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
    #[error("{from} redirected to {to}, which gopin refuses: {why}")]
    Redirect {
        from: String,
        to: String,
        why: String,
    },
    #[error("{url} answered HTTP {status}{hint}")]
    Status {
        url: String,
        status: u16,
        hint: &'static str,
    },
    #[error("cannot reach {url}: {message}")]
    Network {
        url: String,
        message: String,
        /// No connection was made at all (the name did not resolve, the connection was
        /// refused or timed out): what being offline looks like.
        unreachable: bool,
    },
    #[error(
        "the certificate of {host} was refused: {}; {}",
        reason.words(host),
        reason.fix()
    )]
    Certificate { host: String, reason: CertProblem },
    #[error(transparent)]
    Trust(#[from] super::trust::CaFileError),
    #[error(
        "{var}={value} is not a proxy URL gopin can use (such as http://proxy.corp:3128): fix or unset {var}"
    )]
    BadProxy { var: &'static str, value: String },
    #[error(
        "the proxy in {var}={value} refused gopin's request to {url} (407, proxy authentication required): put the right user:password in {var}'s URL (http://user:password@proxy:3128), or add the host to NO_PROXY"
    )]
    ProxyAuth {
        var: &'static str,
        value: String,
        url: String,
    },
    #[error("{}", describe_cut(url, cut, *received, *total))]
    Cut {
        url: String,
        cut: Cut,
        received: u64,
        total: Option<u64>,
    },
    #[error("{source}; retried {retries} times")]
    Retried {
        source: Box<FetchError>,
        retries: u32,
    },
    #[error("cannot read {}: {source}", shown(path))]
    Io { path: PathBuf, source: io::Error },
    /// A local path that is no regular file (a FIFO that would never answer, a device).
    #[error(transparent)]
    NotAFile(#[from] crate::userfile::UserFileError),
}

/// Why a server's certificate was refused, in the words its fix depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertProblem {
    /// No trusted root signs it: a private CA, or a TLS-inspecting proxy.
    UnknownIssuer,
    Expired,
    NotValidYet,
    /// It is for another host name.
    WrongName,
    Revoked,
    /// Anything else rustls said.
    Other(String),
}

impl CertProblem {
    fn from_rustls(e: &rustls::CertificateError) -> CertProblem {
        use rustls::CertificateError as E;
        match e {
            E::UnknownIssuer => CertProblem::UnknownIssuer,
            E::Expired | E::ExpiredContext { .. } => CertProblem::Expired,
            E::NotValidYet | E::NotValidYetContext { .. } => CertProblem::NotValidYet,
            E::NotValidForName | E::NotValidForNameContext { .. } => CertProblem::WrongName,
            E::Revoked => CertProblem::Revoked,
            other => CertProblem::Other(format!("{other:?}")),
        }
    }

    fn words(&self, host: &str) -> String {
        match self {
            CertProblem::UnknownIssuer => {
                "it is signed by an unknown issuer (a CA that gopin does not trust, such as a company's own or a TLS-inspecting proxy's)".into()
            }
            CertProblem::Expired => "it has expired".into(),
            CertProblem::NotValidYet => "it is not valid yet".into(),
            CertProblem::WrongName => format!("it is for another name than {host} (wrong name)"),
            CertProblem::Revoked => "it has been revoked".into(),
            CertProblem::Other(what) => format!("it is invalid ({what})"),
        }
    }

    fn fix(&self) -> &'static str {
        match self {
            CertProblem::UnknownIssuer | CertProblem::Other(_) => {
                "to trust that CA, add it to the system trust store, or point SSL_CERT_FILE or gopin's ca_file setting (GOPIN_CA_FILE) at its PEM file"
            }
            CertProblem::Expired | CertProblem::NotValidYet => {
                "check this machine's clock, or ask the server's owner to renew it (if a proxy of your network replaces certificates, trust its CA through the system trust store, SSL_CERT_FILE or ca_file)"
            }
            CertProblem::WrongName => {
                "check the host name in the URL (if a proxy of your network replaces certificates, trust its CA through the system trust store, SSL_CERT_FILE or ca_file)"
            }
            CertProblem::Revoked => "ask the server's owner for a new certificate",
        }
    }
}

fn describe_cut(url: &str, cut: &Cut, received: u64, total: Option<u64>) -> String {
    let got = match total {
        Some(t) => format!("{} of {}", size(received), size(t)),
        None => size(received),
    };
    let what = match cut {
        Cut::Closed => format!("the server closed the connection after {got}"),
        Cut::Reset => format!("the connection was reset after {got}"),
        Cut::Stalled(t) => format!(
            "the server stopped sending after {got} (nothing arrived for {} s; low_speed_secs sets how long to wait)",
            t.as_secs()
        ),
        Cut::Slow { bytes, window } => format!(
            "the server sent less than {} in {} s, after {got} (raise or zero low_speed_bytes for a slow link)",
            size(*bytes),
            window.as_secs()
        ),
        Cut::TimedOut(t) => format!(
            "the download took longer than download_timeout ({} s), after {got} (raise it for a slow link)",
            t.as_secs()
        ),
        Cut::Other(message) => format!("the transfer failed after {got}: {message}"),
    };
    format!("downloading {url} failed: {what}")
}

/// Errors that may go away if the operation is simply tried again.
pub trait Retryable: Sized {
    fn is_transient(&self) -> bool;

    /// The error once [`with_retries`] has given up on it after `retries` more tries.
    fn retried(self, _retries: u32) -> Self {
        self
    }
}

impl Retryable for FetchError {
    /// Connection failures, stalls, resets and 5xx are worth another try; 4xx, local errors
    /// and the overall time limit are not.
    fn is_transient(&self) -> bool {
        match self {
            FetchError::Network { .. } => true,
            FetchError::Cut { cut, .. } => !matches!(cut, Cut::TimedOut(_)),
            FetchError::Status { status, .. } => *status >= 500 || *status == 429,
            // Still of a passing kind (an index falls back to its cache for it).
            FetchError::Retried { source, .. } => source.is_transient(),
            _ => false,
        }
    }

    fn retried(self, retries: u32) -> Self {
        FetchError::Retried {
            source: Box::new(self),
            retries,
        }
    }
}

impl FetchError {
    pub fn is_not_found(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => *status == 404 || *status == 410,
            FetchError::Io { source, .. } => source.kind() == io::ErrorKind::NotFound,
            FetchError::Retried { source, .. } => source.is_not_found(),
            _ => false,
        }
    }

    fn network(url: &Url, e: impl std::fmt::Display) -> Self {
        FetchError::Network {
            url: url.to_string(),
            message: e.to_string(),
            unreachable: false,
        }
    }

    /// Whether no connection could be made at all (see [`FetchError::Network`]).
    pub fn is_unreachable(&self) -> bool {
        self.unreachable_url().is_some()
    }

    /// The URL whose host could not be reached at all, if that is what this is.
    pub fn unreachable_url(&self) -> Option<&str> {
        match self {
            FetchError::Network {
                url,
                unreachable: true,
                ..
            } => Some(url),
            FetchError::Retried { source, .. } => source.unreachable_url(),
            _ => None,
        }
    }
}

/// An open stream and its length, if the source told.
pub struct Body {
    pub reader: Box<dyn Read + Send>,
    pub len: Option<u64>,
}

/// The client for one set of rules, made once per process and shared. It trusts the roots of
/// src/net/trust.rs (the system store and `ca_file`), through a rustls configuration of its own.
fn client(rules: &Rules) -> Result<reqwest::blocking::Client, FetchError> {
    type Key = (bool, Option<Duration>);
    static CLIENTS: Mutex<Vec<(Key, reqwest::blocking::Client)>> = Mutex::new(Vec::new());
    let key = (rules.allow_http, rules.read_timeout());
    let mut clients = CLIENTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, c)) = clients.iter().find(|(k, _)| *k == key) {
        return Ok(c.clone());
    }
    let allow_http = rules.allow_http;
    let client = reqwest::blocking::Client::builder()
        .use_preconfigured_tls(tls_config()?)
        .user_agent(concat!("gopin/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(CONNECT_TIMEOUT)
        // The blocking client's timeout bounds the wait for the headers and for each read of
        // the body, never the whole transfer (a per-request timeout would).
        .timeout(rules.read_timeout())
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            let why = if attempt.previous().len() > MAX_REDIRECTS {
                format!("it is more than {MAX_REDIRECTS} redirects away")
            } else {
                match check_web(attempt.url(), allow_http) {
                    Ok(()) => return attempt.follow(),
                    Err(refusal) => refusal.to_string(),
                }
            };
            let refused = RedirectRefused {
                from: attempt.previous().last().map(Url::to_string),
                to: attempt.url().to_string(),
                why,
            };
            attempt.error(refused)
        }));
    // A static build looks host names up itself, never through glibc's NSS (src/net/dns.rs).
    #[cfg(all(target_os = "linux", target_feature = "crt-static"))]
    let client = client.dns_resolver(std::sync::Arc::new(super::dns::Resolver::default()));
    let client = with_proxies(client)?
        .build()
        .expect("the TLS configuration is rustls's own");
    clients.push((key, client.clone()));
    Ok(client)
}

/// The rustls configuration of every client: the roots of src/net/trust.rs, ring's algorithms.
fn tls_config() -> Result<rustls::ClientConfig, FetchError> {
    let roots = super::trust::roots()?;
    let (store, _, ignored) = super::trust::store(&roots);
    ui::verbose(&format!("trusting {}", roots.describe()));
    for problem in &roots.problems {
        ui::verbose(&format!("trust store: {problem}"));
    }
    if ignored > 0 {
        ui::verbose(&format!(
            "trust store: skipped {ignored} certificates rustls cannot use"
        ));
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3")
        .with_root_certificates(store)
        .with_no_client_auth();
    Ok(config)
}

/// Why the redirect policy stopped a redirect; found again in reqwest's error chain.
#[derive(Debug)]
struct RedirectRefused {
    /// The URL that answered with the redirect.
    from: Option<String>,
    to: String,
    why: String,
}

impl std::fmt::Display for RedirectRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redirect to {} refused: {}", self.to, self.why)
    }
}

impl std::error::Error for RedirectRefused {}

/// Why [`check_web`] refused a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
enum Refusal {
    #[error(
        "it is plain http to a host that is not loopback (use https, or set allow_http = true in the config (GOPIN_ALLOW_HTTP=1) for a trusted mirror)"
    )]
    PlainHttp,
    #[error("gopin only follows https and http URLs")]
    Scheme,
}

/// The one rule for where gopin speaks http, for configured URLs and every redirect alike:
/// https anywhere; plain http only to loopback, or anywhere with `allow_http`.
fn check_web(url: &Url, allow_http: bool) -> Result<(), Refusal> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_http || is_loopback(url) => Ok(()),
        "http" => Err(Refusal::PlainHttp),
        _ => Err(Refusal::Scheme),
    }
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

impl Remote {
    fn open(&self, deadline: Option<Instant>) -> Result<Body, FetchError> {
        let url = &self.url;
        let mut request = client(&self.rules)?.get(url.clone());
        if let Some(login) = &self.login {
            request = request.basic_auth(&login.user, login.password.as_ref());
        }
        let resp = request.send().map_err(|e| self.send_error(&e))?;
        let status = resp.status();
        if status.is_redirection()
            && let Some(to) = resp.headers().get(reqwest::header::LOCATION)
        {
            // reqwest follows http(s) redirects through the policy and hands back the others.
            return Err(FetchError::Redirect {
                from: resp.url().to_string(),
                to: shown_bytes(to.as_bytes()),
                why: Refusal::Scheme.to_string(),
            });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                url: resp.url().to_string(),
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
        let now = Instant::now();
        Ok(Body {
            reader: Box::new(NetReader {
                resp,
                url: url.to_string(),
                rules: self.rules,
                deadline,
                received: 0,
                total: len,
                window: (now, 0),
            }),
            len,
        })
    }

    /// The error for a request that got no response: a refused redirect, a timeout, or what
    /// the network said.
    fn send_error(&self, e: &reqwest::Error) -> FetchError {
        if let Some(refused) = find_cause::<RedirectRefused>(e) {
            return FetchError::Redirect {
                from: refused.from.clone().unwrap_or_else(|| self.url.to_string()),
                to: refused.to.clone(),
                why: refused.why.clone(),
            };
        }
        if let Some(problem) = find_certificate_problem(e) {
            return FetchError::Certificate {
                host: self.url.host_str().unwrap_or_default().to_string(),
                reason: problem,
            };
        }
        let mut why = describe_reqwest(e);
        if why.contains("proxy authorization required")
            && let Some((var, value)) = proxy_variable(&self.url)
        {
            return FetchError::ProxyAuth {
                var,
                value: ui::redacted(&shown_bytes(value.as_encoded_bytes())),
                url: self.url.to_string(),
            };
        }
        if e.is_connect()
            && let Some((name, value)) = proxy_variable(&self.url)
        {
            // The proxy's URL may carry its user:password: never shown.
            why = format!(
                "{why} (through the proxy in {name}={}, unless NO_PROXY covers the host)",
                ui::redacted(&shown_bytes(value.as_encoded_bytes()))
            );
        }
        FetchError::Network {
            url: self.url.to_string(),
            message: why,
            unreachable: e.is_connect(),
        }
    }
}

/// The HTTP proxies of the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, upper or
/// lower case), each with its `user:password` as `Proxy-Authorization`, and `NO_PROXY` read
/// as curl reads it ([`curl_no_proxy`]); see the README, "Behind an HTTP proxy".
fn with_proxies(
    mut builder: reqwest::blocking::ClientBuilder,
) -> Result<reqwest::blocking::ClientBuilder, FetchError> {
    let no_proxy = ["NO_PROXY", "no_proxy"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .and_then(|list| reqwest::NoProxy::from_string(&curl_no_proxy(&list)));
    for scheme in ["https", "http"] {
        let Some((var, value)) = proxy_variable_for(scheme) else {
            continue;
        };
        let bad = || FetchError::BadProxy {
            var,
            value: ui::redacted(&shown_bytes(value.as_encoded_bytes())),
        };
        let text = value.to_str().ok_or_else(bad)?;
        let proxy = match scheme {
            "https" => reqwest::Proxy::https(text),
            _ => reqwest::Proxy::http(text),
        }
        .map_err(|_| bad())?;
        builder = builder.proxy(proxy.no_proxy(no_proxy.clone()));
    }
    Ok(builder)
}

/// `NO_PROXY` as curl reads it, in the form reqwest matches: entries separated by commas or
/// white space; a host, a domain (which covers its subdomains; a leading `.` changes
/// nothing), an IP address or a CIDR block (`10.0.0.0/8`), `*` for every host. An entry
/// covers its host on every port, whatever port the URL has, so a `:port` written on an entry
/// is dropped (`[::1]:8080` is `::1`).
fn curl_no_proxy(list: &str) -> String {
    list.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            if let Some(rest) = entry.strip_prefix('[') {
                return rest.split(']').next().unwrap_or(rest).to_string();
            }
            match entry.rsplit_once(':') {
                // One colon: host:port. More: a bare IPv6 address, kept whole.
                Some((host, port))
                    if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    host.to_string()
                }
                _ => entry.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The proxy variable that applies to `url` when one is set: a connection that failed may
/// have failed at that proxy, not at the host.
fn proxy_variable(url: &Url) -> Option<(&'static str, std::ffi::OsString)> {
    proxy_variable_for(url.scheme())
}

fn proxy_variable_for(scheme: &str) -> Option<(&'static str, std::ffi::OsString)> {
    let names: &[&'static str] = match scheme {
        "https" => &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"],
        "http" => &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"],
        _ => &[],
    };
    names.iter().find_map(|&name| {
        std::env::var_os(name)
            .filter(|value| !value.is_empty())
            .map(|value| (name, value))
    })
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Http(remote) => remote.url.fmt(f),
            Location::Local(path) => f.write_str(&shown(path)),
        }
    }
}

/// A response body that counts what arrived and enforces the [`Rules`]: each read waits at
/// most `low_speed_time` (a stall), each window of that length must bring `low_speed_bytes`
/// (a crawl), and the whole transfer must end by the deadline. Its errors carry a
/// [`FetchError::Cut`] that says which.
struct NetReader {
    resp: reqwest::blocking::Response,
    url: String,
    rules: Rules,
    deadline: Option<Instant>,
    received: u64,
    total: Option<u64>,
    /// When the current low-speed window began, and the bytes received before it.
    window: (Instant, u64),
}

impl NetReader {
    fn cut(&self, cut: Cut) -> io::Error {
        io::Error::other(FetchError::Cut {
            url: self.url.clone(),
            cut,
            received: self.received,
            total: self.total,
        })
    }

    /// Fails when the last window brought too little, or the deadline passed.
    fn check_pace(&mut self) -> io::Result<()> {
        let now = Instant::now();
        if let (Some(deadline), Some(limit)) = (self.deadline, self.rules.max_time)
            && now >= deadline
        {
            return Err(self.cut(Cut::TimedOut(limit)));
        }
        let window = self.rules.low_speed_time;
        let (start, before) = self.window;
        if self.rules.low_speed_bytes == 0 || window.is_zero() || now - start < window {
            return Ok(());
        }
        if self.received - before < self.rules.low_speed_bytes {
            return Err(self.cut(Cut::Slow {
                bytes: self.rules.low_speed_bytes,
                window,
            }));
        }
        self.window = (now, self.received);
        Ok(())
    }

    /// Names a failed read: reset, stalled, cut short, or what the network said.
    fn classify(&self, e: &io::Error) -> Cut {
        let reqwest_err = e.get_ref().and_then(|i| i.downcast_ref::<reqwest::Error>());
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(err) = source {
            if let Some(io) = err.downcast_ref::<io::Error>()
                && matches!(
                    io.kind(),
                    io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::BrokenPipe
                )
            {
                return Cut::Reset;
            }
            source = err.source();
        }
        if reqwest_err.is_some_and(reqwest::Error::is_timeout)
            || e.kind() == io::ErrorKind::TimedOut
        {
            // Without a stall limit, the wait that ran out was the overall one.
            let overall = self.rules.low_speed_time.is_zero()
                || self.deadline.is_some_and(|d| Instant::now() >= d);
            return match self.rules.max_time {
                Some(limit) if overall => Cut::TimedOut(limit),
                _ => Cut::Stalled(self.rules.low_speed_time),
            };
        }
        if self.total.is_some_and(|t| self.received < t) {
            return Cut::Closed;
        }
        Cut::Other(match reqwest_err {
            Some(r) => describe_reqwest(r),
            None => e.to_string(),
        })
    }
}

impl Read for NetReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.check_pace()?;
        match self.resp.read(buf) {
            Ok(0) if self.total.is_some_and(|t| self.received < t) && !buf.is_empty() => {
                Err(self.cut(Cut::Closed))
            }
            Ok(n) => {
                self.received += n as u64;
                Ok(n)
            }
            Err(e) => Err(self.cut(self.classify(&e))),
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

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Why rustls refused the server's certificate, if that is why `e` happened. rustls's error
/// travels inside an `io::Error`, whose `source()` skips it: each one is opened.
fn find_certificate_problem(e: &reqwest::Error) -> Option<CertProblem> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some(rustls::Error::InvalidCertificate(c)) = err.downcast_ref::<rustls::Error>() {
            return Some(CertProblem::from_rustls(c));
        }
        next = match err.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

/// The first error of type `T` in `e`'s chain of causes.
fn find_cause<T: std::error::Error + 'static>(e: &reqwest::Error) -> Option<&T> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(found) = s.downcast_ref::<T>() {
            return Some(found);
        }
        source = s.source();
    }
    None
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
/// in. An error that was still transient when the tries ran out comes back through
/// [`Retryable::retried`], so the message says how often it was tried. Each retry is told
/// with `-v` only: for things with a fallback, such as the index and its cache.
pub fn with_retries<T, E: Retryable + std::fmt::Display>(
    attempt: impl FnMut(u32) -> Result<T, E>,
) -> Result<T, E> {
    retry(attempt, ui::verbose)
}

/// [`with_retries`], telling each retry and why, for what the user is waiting on (installs).
pub fn with_retries_told<T, E: Retryable + std::fmt::Display>(
    attempt: impl FnMut(u32) -> Result<T, E>,
) -> Result<T, E> {
    retry(attempt, ui::note)
}

fn retry<T, E: Retryable + std::fmt::Display>(
    mut attempt: impl FnMut(u32) -> Result<T, E>,
    tell: fn(&str),
) -> Result<T, E> {
    let base = retry_delay();
    let mut n = 1;
    loop {
        match attempt(n) {
            Err(e) if e.is_transient() && n < ATTEMPTS => {
                let wait = base * 2u32.pow(n - 1);
                tell(&format!(
                    "{e}; retrying in {} ms (attempt {} of {ATTEMPTS})",
                    wait.as_millis(),
                    n + 1
                ));
                std::thread::sleep(wait);
                n += 1;
            }
            Err(e) if e.is_transient() && n > 1 => return Err(e.retried(n - 1)),
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
    fn a_silent_server_is_bounded_by_the_stall_limit_else_the_overall_one() {
        let mut r = rules(false);
        assert_eq!(r.read_timeout(), Some(Duration::from_secs(30)));
        r.low_speed_time = Duration::ZERO;
        assert_eq!(r.read_timeout(), Some(Duration::from_secs(3600)));
        r.max_time = None;
        assert_eq!(r.read_timeout(), None);
    }

    #[test]
    fn cut_transfers_say_how_far_they_got() {
        let cut = |cut: Cut, total: Option<u64>| {
            FetchError::Cut {
                url: "https://x/a.tar.gz".into(),
                cut,
                received: 41_234_567,
                total,
            }
            .to_string()
        };
        assert_eq!(
            cut(Cut::Closed, Some(66_700_000)),
            "downloading https://x/a.tar.gz failed: the server closed the connection after 41.2 MB of 66.7 MB"
        );
        assert!(cut(Cut::Reset, None).ends_with("the connection was reset after 41.2 MB"));
        let retried = FetchError::Cut {
            url: "https://x/a.tar.gz".into(),
            cut: Cut::Stalled(Duration::from_secs(30)),
            received: 0,
            total: Some(812),
        }
        .retried(3);
        assert!(retried.is_transient(), "still of a passing kind");
        assert!(
            retried
                .to_string()
                .ends_with("stopped sending after 0 B of 812 B (nothing arrived for 30 s; low_speed_secs sets how long to wait); retried 3 times"),
            "{retried}"
        );
        let late = FetchError::Cut {
            url: String::new(),
            cut: Cut::TimedOut(Duration::from_secs(1)),
            received: 0,
            total: None,
        };
        assert!(!late.is_transient(), "the overall limit spans the retries");
    }

    #[test]
    fn no_proxy_is_read_as_curl_reads_it() {
        assert_eq!(
            curl_no_proxy(" example.org  .corp.example,10.0.0.0/8 127.0.0.1:8080,[::1]:443,::1, *"),
            "example.org,.corp.example,10.0.0.0/8,127.0.0.1,::1,::1,*"
        );
        let no = reqwest::NoProxy::from_string(&curl_no_proxy("corp.example 10.0.0.0/8"));
        assert!(no.is_some());
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
