//! Host names in a static build (docs/install.md, "A static build"). A static glibc binary must not
//! call `getaddrinfo`: glibc's NSS would load the running system's modules, built for another
//! glibc. So a static gopin answers as glibc's usual `hosts: files dns` would, by itself: a
//! name in `/etc/hosts` is what that file says (no DNS query at all), `localhost` (and
//! `*.localhost`) is otherwise the loopback address, even when the hosts file cannot be read,
//! and any other name is asked of the nameservers `/etc/resolv.conf` lists (hickory, with
//! that file's options). Lines of either file that are not UTF-8 are skipped, as glibc skips
//! lines it cannot parse.
//!
//! The default (dynamic) build uses the system's resolver and none of this but the parsing,
//! which is pure and tested in every build.

// Only a static build resolves names itself; every build tests the parsing.
#![cfg_attr(
    not(all(target_os = "linux", target_feature = "crt-static")),
    allow(dead_code)
)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The hosts file, as glibc's `files` service reads it.
pub const HOSTS: &str = "/etc/hosts";
/// The resolver configuration, as glibc's `dns` service reads it.
pub const RESOLV_CONF: &str = "/etc/resolv.conf";
/// The most of either file gopin reads (`userfile::read` refuses more): ad-blocking hosts
/// files run to a few megabytes.
const LIMIT: u64 = 16 << 20;

/// Loopback for `localhost` and its subdomains (RFC 6761); None for other names.
pub fn loopback(host: &str) -> Option<Vec<IpAddr>> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let suffix = ".localhost";
    let is_localhost = host.eq_ignore_ascii_case("localhost")
        || host
            .len()
            .checked_sub(suffix.len())
            .is_some_and(|at| host.is_char_boundary(at) && host[at..].eq_ignore_ascii_case(suffix));
    is_localhost.then(|| {
        vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]
    })
}

/// The addresses `hosts` (the hosts file's bytes) gives `host`, in file order, as glibc's
/// `files` service answers; None when the file does not list it.
pub fn from_hosts(host: &str, hosts: &[u8]) -> Option<Vec<IpAddr>> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let mut found = Vec::new();
    for line in utf8_lines(hosts) {
        let line = line.split_once('#').map_or(line, |(before, _)| before);
        let mut fields = line.split_ascii_whitespace();
        let Some(Ok(address)) = fields.next().map(str::parse::<IpAddr>) else {
            continue;
        };
        if fields.any(|name| {
            name.strip_suffix('.')
                .unwrap_or(name)
                .eq_ignore_ascii_case(host)
        }) && !found.contains(&address)
        {
            found.push(address);
        }
    }
    (!found.is_empty()).then_some(found)
}

/// The lines of `bytes` that are UTF-8 text (a byte-order mark at the start dropped).
pub fn utf8_lines(bytes: &[u8]) -> impl Iterator<Item = &str> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    bytes
        .split(|&b| b == b'\n')
        .filter_map(|line| std::str::from_utf8(line).ok())
}

#[cfg(all(target_os = "linux", target_feature = "crt-static"))]
pub use resolver::Resolver;

#[cfg(all(target_os = "linux", target_feature = "crt-static"))]
mod resolver {
    use std::net::{IpAddr, SocketAddr};
    use std::path::Path;
    use std::sync::OnceLock;

    use hickory_resolver::TokioResolver;
    use hickory_resolver::config::{LookupIpStrategy, ResolveHosts};
    use hickory_resolver::name_server::TokioConnectionProvider;
    use reqwest::dns::{Addrs, Name, Resolve, Resolving};

    type BoxError = Box<dyn std::error::Error + Send + Sync>;

    use super::{HOSTS, LIMIT, RESOLV_CONF, from_hosts, loopback, utf8_lines};

    /// reqwest's resolver in a static build (see the module's documentation).
    #[derive(Default)]
    pub struct Resolver {
        /// The DNS resolver from /etc/resolv.conf, or why there is none; read at the first
        /// name that needs it.
        dns: OnceLock<Result<TokioResolver, String>>,
    }

    /// Why a name could not be looked up, as one sentence for fetch's messages.
    fn failure(host: &str, why: impl std::fmt::Display) -> BoxError {
        format!(
            "cannot look up {host}: {why} (a static gopin reads {HOSTS} and {RESOLV_CONF} itself, not /etc/nsswitch.conf)"
        )
        .into()
    }

    impl Resolve for Resolver {
        fn resolve(&self, name: Name) -> Resolving {
            let host = name.as_str().to_string();
            match local(&host) {
                Ok(Some(found)) => return Box::pin(std::future::ready(Ok(addrs(found)))),
                Err(e) => return Box::pin(std::future::ready(Err(e))),
                Ok(None) => {}
            }
            let dns = self.dns.get_or_init(from_resolv_conf).clone();
            Box::pin(async move {
                let dns = dns.map_err(|why| failure(&host, why))?;
                match dns.lookup_ip(host.as_str()).await {
                    Ok(found) => Ok(addrs(found.iter().collect())),
                    Err(e) if e.is_no_records_found() => Err(failure(
                        &host,
                        format!(
                            "the nameservers of {RESOLV_CONF} know no such host, and {HOSTS} does not list it"
                        ),
                    )),
                    Err(e) => {
                        let e = e.to_string();
                        let e = e.strip_prefix("proto error: ").unwrap_or(&e);
                        Err(failure(
                            &host,
                            format!("asking the nameservers of {RESOLV_CONF}: {e}"),
                        ))
                    }
                }
            })
        }
    }

    /// The addresses `host` has without DNS: what /etc/hosts says, as glibc's `files` would,
    /// else loopback for `localhost` (also when the hosts file cannot be read). The file is
    /// read with `userfile`: never blocking on a FIFO, never without bound; absent is empty.
    fn local(host: &str) -> Result<Option<Vec<IpAddr>>, BoxError> {
        match crate::userfile::read(Path::new(HOSTS), LIMIT) {
            Ok(hosts) => {
                Ok(from_hosts(host, &hosts.unwrap_or_default()).or_else(|| loopback(host)))
            }
            Err(e) => loopback(host).map(Some).ok_or_else(|| failure(host, e)),
        }
    }

    /// `found` as reqwest takes it (the port is the URL's, filled in by reqwest).
    fn addrs(found: Vec<IpAddr>) -> Addrs {
        Box::new(found.into_iter().map(|ip| SocketAddr::new(ip, 0)))
    }

    /// A DNS resolver for the nameservers and options of /etc/resolv.conf.
    fn from_resolv_conf() -> Result<TokioResolver, String> {
        let bytes = crate::userfile::read(Path::new(RESOLV_CONF), LIMIT)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| {
                format!(
                    "{RESOLV_CONF} does not exist: add a `nameserver` line to it, or the host to {HOSTS}"
                )
            })?;
        let text: Vec<&str> = utf8_lines(&bytes).collect();
        let no_nameserver = || {
            format!(
                "{RESOLV_CONF} lists no nameserver: add a `nameserver` line to it, or the host to {HOSTS}"
            )
        };
        if !text
            .iter()
            .any(|line| line.trim_start().starts_with("nameserver"))
        {
            return Err(no_nameserver());
        }
        let (config, mut options) =
            hickory_resolver::system_conf::parse_resolv_conf(text.join("\n"))
                .map_err(|e| format!("{RESOLV_CONF} cannot be parsed ({e})"))?;
        if config.name_servers().is_empty() {
            return Err(no_nameserver());
        }
        // The hosts file was consulted already, byte-tolerantly.
        options.use_hosts_file = ResolveHosts::Never;
        // As glibc does by default: A and AAAA at once, each try waiting at most 5 s, two tries
        // (hickory's `attempts` counts the retries), so a nameserver that never answers is said
        // to be one within 10 s, before fetch's 15 s connect timeout would cut the lookup short
        // without saying why.
        options.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        options.timeout = options.timeout.min(std::time::Duration::from_secs(5));
        options.attempts = 1;
        Ok(
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
                .with_options(options)
                .build(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Option<Vec<IpAddr>> {
        Some(list.iter().map(|s| s.parse().unwrap()).collect())
    }

    #[test]
    fn localhost_and_its_subdomains_are_loopback() {
        for host in [
            "localhost",
            "LOCALHOST",
            "localhost.",
            "a.b.localhost",
            "x.Localhost.",
        ] {
            assert_eq!(loopback(host), ips(&["127.0.0.1", "::1"]), "{host}");
        }
        for host in [
            "notlocalhost",
            "localhost.example",
            "example.com",
            "é.localhos",
        ] {
            assert_eq!(loopback(host), None, "{host}");
        }
    }

    #[test]
    fn the_hosts_file_answers_like_glibc_files() {
        let hosts = b"\xef\xbb\xbf127.0.1.1 vm vm.lan  # the machine\n\
            # 10.0.0.9 vm\n\
            10.0.0.1\tmirror MIRROR.corp.\n\
            \xff\xfe 10.0.0.66 mirror\n\
            bogus mirror\n\
            fd00::1 mirror\n\
            10.0.0.1 mirror\n\
            10.0.0.2\n";
        assert_eq!(from_hosts("vm", hosts), ips(&["127.0.1.1"]));
        assert_eq!(from_hosts("VM.lan.", hosts), ips(&["127.0.1.1"]));
        assert_eq!(from_hosts("mirror", hosts), ips(&["10.0.0.1", "fd00::1"]));
        assert_eq!(from_hosts("mirror.corp", hosts), ips(&["10.0.0.1"]));
        assert_eq!(from_hosts("go.dev", hosts), None);
        assert_eq!(from_hosts("the", hosts), None, "comments are not names");
    }
}
