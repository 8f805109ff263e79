//! One GET over https or http, under the rules every remote transfer obeys ([`Rules`]): which
//! hosts may be reached over plain http (the configured URL and every redirect alike), and
//! when a slow or stalled server is given up on. The client trusts the roots of src/net/trust.rs
//! and goes through the environment's HTTP proxies (src/net/http_proxy.rs); what went wrong is
//! found in reqwest's and rustls's errors and said as a [`FetchError`].

use std::io::{self, Read};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Url;
use thiserror::Error;

use super::auth::Login;
use super::error::{CertProblem, Cut, FetchError};
use super::http_proxy::{proxy_variable, with_proxies};
use crate::config::Settings;
use crate::ui::{self, shown_bytes};

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

/// An http(s) URL (without userinfo: that is in `login`) and the rules its transfers obey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub url: Url,
    pub(super) rules: Rules,
    /// Sent as HTTP basic authentication with every request.
    pub login: Option<Login>,
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
pub(super) enum Refusal {
    #[error(
        "it is plain http to a host that is not loopback (use https, or set allow_http = true in the config (GOPIN_ALLOW_HTTP=1) for a trusted mirror)"
    )]
    PlainHttp,
    #[error("gopin only follows https and http URLs")]
    Scheme,
}

/// The one rule for where gopin speaks http, for configured URLs and every redirect alike:
/// https anywhere; plain http only to loopback, or anywhere with `allow_http`.
pub(super) fn check_web(url: &Url, allow_http: bool) -> Result<(), Refusal> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_http || is_loopback(url) => Ok(()),
        "http" => Err(Refusal::PlainHttp),
        _ => Err(Refusal::Scheme),
    }
}

/// What a request with a `Range` header got: the part asked for (206), or the whole body from
/// a server that ignores ranges (200).
pub struct RangeBody {
    pub body: Body,
    /// Whether this is the part asked for; false for the whole body.
    pub partial: bool,
    /// The first byte's offset and the whole resource's length, from `Content-Range`.
    pub start: u64,
    pub total: Option<u64>,
}

/// Parses `bytes START-END/TOTAL` (TOTAL may be `*`).
pub fn parse_content_range(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let rest = value.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (start, end) = span.split_once('-')?;
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse().ok()?),
    };
    Some((start.trim().parse().ok()?, end.trim().parse().ok()?, total))
}

impl Remote {
    pub(super) fn open(&self, deadline: Option<Instant>) -> Result<Body, FetchError> {
        self.open_with(deadline, None).map(|r| r.body)
    }

    /// Asks for the bytes `range` names (`bytes=0-99`, `bytes=-22`), as a CDN answers it.
    pub(super) fn open_range(
        &self,
        deadline: Option<Instant>,
        range: &str,
    ) -> Result<RangeBody, FetchError> {
        self.open_with(deadline, Some(range))
    }

    fn open_with(
        &self,
        deadline: Option<Instant>,
        range: Option<&str>,
    ) -> Result<RangeBody, FetchError> {
        let url = &self.url;
        let mut request = client(&self.rules)?.get(url.clone());
        if let Some(login) = &self.login {
            request = request.basic_auth(&login.user, login.password.as_ref());
        }
        if let Some(range) = range {
            request = request.header(reqwest::header::RANGE, range);
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
        let partial = range.is_some() && status.as_u16() == 206;
        let content_range = resp
            .headers()
            .get(reqwest::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_content_range);
        let (start, total) = match content_range {
            Some((start, _, total)) if partial => (start, total),
            _ => (0, len),
        };
        let body = Body {
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
        };
        Ok(RangeBody {
            body,
            partial,
            start,
            total,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_server_is_bounded_by_the_stall_limit_else_the_overall_one() {
        let mut r = Rules::strict();
        assert_eq!(r.read_timeout(), Some(Duration::from_secs(30)));
        r.low_speed_time = Duration::ZERO;
        assert_eq!(r.read_timeout(), Some(Duration::from_secs(3600)));
        r.max_time = None;
        assert_eq!(r.read_timeout(), None);
    }
}
