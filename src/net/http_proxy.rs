//! The HTTP proxies the environment names, and `NO_PROXY` as curl reads it.

use reqwest::Url;

use super::error::FetchError;
use crate::ui::{self, shown_bytes};

/// The HTTP proxies of the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, upper or
/// lower case), each with its `user:password` as `Proxy-Authorization`, and `NO_PROXY` read
/// as curl reads it ([`curl_no_proxy`]); see the README, "Behind an HTTP proxy".
pub(super) fn with_proxies(
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
pub(super) fn proxy_variable(url: &Url) -> Option<(&'static str, std::ffi::OsString)> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_is_read_as_curl_reads_it() {
        assert_eq!(
            curl_no_proxy(" example.org  .corp.example,10.0.0.0/8 127.0.0.1:8080,[::1]:443,::1, *"),
            "example.org,.corp.example,10.0.0.0/8,127.0.0.1,::1,::1,*"
        );
        let no = reqwest::NoProxy::from_string(&curl_no_proxy("corp.example 10.0.0.0/8"));
        assert!(no.is_some());
    }
}
