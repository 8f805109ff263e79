//! What can go wrong when bytes are fetched, each said in the words its fix depends on
//! ([`FetchError`]), and which of it is worth another try.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

use super::retry::Retryable;
use crate::ui::{shown, size};

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
    pub(super) fn from_rustls(e: &rustls::CertificateError) -> CertProblem {
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

    pub(super) fn network(url: &reqwest::Url, e: impl std::fmt::Display) -> Self {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
