//! HTTP credentials: a [`Login`] is what one request sends as basic authentication (from the
//! `user:password` of its URL, or given to its [`super::Location`]).
//!
//! [`Credentials`] are those for module-proxy requests, found as the `go` command finds them
//! (docs/sources.md, "Credentials"): `user:password` in a `GOPROXY` URL, and with
//! `GOAUTH=netrc` (the default) the `machine` lines of `$NETRC` or `~/.netrc`, sent over https
//! only. `GOAUTH=off` sends none. The other `GOAUTH` forms (`git DIR`, commands) are refused by
//! name rather than ignored. A secret is never shown: [`Login`]'s Debug hides it, and every
//! message names only where the credentials came from.

use std::ffi::OsString;
use std::path::PathBuf;

use thiserror::Error;
use url::Url;

use crate::goenv::GoEnv;
use crate::ui::{shown, shown_bytes};

/// A netrc file is a few lines; anything larger is not one.
const NETRC_LIMIT: u64 = 1 << 20;

#[derive(Debug, Error)]
pub enum AuthError {
    #[error(
        "GOAUTH={} uses {form}, which gopin does not support: gopin reads credentials from netrc only (GOAUTH=netrc, the default) or sends none (GOAUTH=off); put the proxy's credentials in ~/.netrc (or the file $NETRC names) or in the GOPROXY URL, and set GOAUTH=netrc",
        without_arguments(value)
    )]
    Unsupported { value: OsString, form: String },
    #[error("GOAUTH={} is not valid: {why}; use netrc or off", shown_bytes(value.as_encoded_bytes()))]
    Invalid { value: OsString, why: &'static str },
    #[error("cannot read the netrc file {what}: {source}; fix it, or set GOAUTH=off")]
    Netrc {
        what: String,
        source: crate::userfile::UserFileError,
    },
}

/// Credentials for HTTP basic authentication, and where they came from (for messages: the
/// password is never shown, nor the user, which is often a token).
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub(super) user: String,
    pub(super) password: Option<String>,
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

/// One `machine` (or `default`) entry of a netrc file.
#[derive(Clone, PartialEq, Eq)]
struct Entry {
    /// `None` for `default`.
    machine: Option<String>,
    login: String,
    password: String,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Entry({:?}, ***)", self.machine)
    }
}

/// What credentials module-proxy requests carry, and where they were looked for.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// Proxy base URLs (clean) and the `user:password` their `GOPROXY` entry carried.
    url_logins: Vec<(String, Login)>,
    /// The netrc's entries (empty with `GOAUTH=off` or no file).
    netrc: Vec<Entry>,
    /// The hosts (`host[:port]`) of the `GOPROXY` URLs: the only ones a `default` entry is for.
    proxy_hosts: Vec<String>,
    /// `GOAUTH=off`.
    off: bool,
    /// The netrc file, in words (`~/.netrc`, `$NETRC (/path)`).
    netrc_file: String,
}

impl Credentials {
    /// Reads `GOAUTH` and the netrc file as `go` does; `proxies` are the `GOPROXY` URLs with
    /// the logins their entries carried.
    pub fn read(go: &GoEnv, proxies: &[(String, Option<Login>)]) -> Result<Credentials, AuthError> {
        let off = goauth_is_off(go.get("GOAUTH"))?;
        let netrc_path = go
            .var("NETRC")
            .filter(|v| !v.is_empty())
            .map(|v| (PathBuf::from(&v), format!("$NETRC ({})", shown(v.as_ref()))))
            .or_else(|| {
                crate::userdirs::home_dir().map(|h| (h.join(".netrc"), "~/.netrc".to_string()))
            });
        let netrc_file = netrc_path.as_ref().map_or_else(
            || "~/.netrc (no home directory)".into(),
            |(_, what)| what.clone(),
        );
        let netrc = match (&netrc_path, off) {
            (Some((path, what)), false) => match crate::userfile::read(path, NETRC_LIMIT) {
                Ok(Some(bytes)) => parse_netrc(&String::from_utf8_lossy(&bytes)),
                Ok(None) => Vec::new(),
                Err(source) => {
                    return Err(AuthError::Netrc {
                        what: what.clone(),
                        source,
                    });
                }
            },
            _ => Vec::new(),
        };
        Ok(Credentials {
            url_logins: proxies
                .iter()
                .filter_map(|(base, login)| Some((base.clone(), login.clone()?)))
                .collect(),
            netrc,
            proxy_hosts: proxies
                .iter()
                .filter_map(|(base, _)| Url::parse(base).ok().and_then(|u| host_port(&u)))
                .collect(),
            off,
            netrc_file,
        })
    }

    /// The credentials for a request to `url`: its proxy's `GOPROXY` userinfo, else (https
    /// only, unless `GOAUTH=off`) the netrc's `machine` for `host:port` or `host`, else its
    /// `default` if `url` is on a `GOPROXY` host.
    pub fn for_url(&self, url: &str) -> Option<Login> {
        if let Some((_, login)) = self
            .url_logins
            .iter()
            .find(|(base, _)| url == base || url.starts_with(&format!("{base}/")))
        {
            return Some(login.clone());
        }
        if self.off {
            return None;
        }
        let parsed = Url::parse(url).ok()?;
        if parsed.scheme() != "https" {
            return None;
        }
        let with_port = host_port(&parsed)?;
        let host = parsed.host_str()?.to_string();
        let entry = self
            .netrc
            .iter()
            .find(|e| e.machine.as_deref() == Some(&with_port))
            .or_else(|| {
                self.netrc
                    .iter()
                    .find(|e| e.machine.as_deref() == Some(&host))
            })
            .or_else(|| {
                self.proxy_hosts
                    .contains(&with_port)
                    .then(|| self.netrc.iter().find(|e| e.machine.is_none()))
                    .flatten()
            })?;
        let from = match &entry.machine {
            Some(m) => format!("the machine {m} of {}", self.netrc_file),
            None => format!("the default entry of {}", self.netrc_file),
        };
        Some(Login::new(
            entry.login.clone(),
            Some(entry.password.clone()),
            from,
        ))
    }

    /// For a 401 or 403 from `url`: what was sent, or where credentials were looked for.
    pub fn explain_denial(&self, url: &str, sent: Option<&Login>) -> String {
        let host = Url::parse(url)
            .ok()
            .and_then(|u| host_port(&u))
            .unwrap_or_default();
        if let Some(login) = sent {
            return format!(
                "gopin sent the credentials from {}: check them, and that they may read this proxy",
                login.from
            );
        }
        if self.off {
            return format!(
                "gopin sent none, as GOAUTH=off: set GOAUTH=netrc (the default) and give {host} a machine line in {}, or put user:password in the GOPROXY URL",
                self.netrc_file
            );
        }
        let https = url.starts_with("https://");
        format!(
            "gopin sent none: it looks for credentials in the GOPROXY URL (https://user:password@{host}/…) and{} in a `machine {host} login … password …` line of {} (GOAUTH=netrc)",
            if https { "" } else { ", over https only," },
            self.netrc_file
        )
    }
}

/// `host[:port]` as a netrc `machine` may name it (the port only when the URL has one).
fn host_port(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

/// Whether `GOAUTH` says `off`. `netrc` (the default) is the one other form gopin supports;
/// the others are errors that name them.
fn goauth_is_off(value: Option<OsString>) -> Result<bool, AuthError> {
    let Some(value) = value else {
        return Ok(false);
    };
    let invalid = |why| AuthError::Invalid {
        value: value.clone(),
        why,
    };
    let text = value
        .to_str()
        .ok_or_else(|| invalid("it is not valid UTF-8"))?;
    let commands: Vec<&str> = text.split(';').map(str::trim).collect();
    let mut off = false;
    for command in &commands {
        let words: Vec<&str> = command.split_whitespace().collect();
        match words.as_slice() {
            [] => return Err(invalid("it holds an empty command")),
            ["off"] if commands.len() == 1 => off = true,
            ["off"] => return Err(invalid("off cannot be combined with other methods")),
            ["netrc"] => {}
            ["git", ..] => {
                return Err(AuthError::Unsupported {
                    value: value.clone(),
                    form: format!("'{command}' (git's credential helpers)"),
                });
            }
            _ => {
                // A command's arguments may carry a token: only the program is named.
                let more = if words.len() > 1 {
                    " (its arguments not shown)"
                } else {
                    ""
                };
                return Err(AuthError::Unsupported {
                    value: value.clone(),
                    form: format!("the command '{}'{more}", words[0]),
                });
            }
        }
    }
    Ok(off)
}

/// `GOAUTH` as it can be shown: each method with the arguments of a command replaced by `…`
/// (they may carry a token); `git DIR` is shown whole.
fn without_arguments(value: &OsString) -> String {
    let Some(text) = value.to_str() else {
        return shown_bytes(value.as_encoded_bytes());
    };
    text.split(';')
        .map(|method| {
            let words: Vec<&str> = method.split_whitespace().collect();
            match words.as_slice() {
                ["git", ..] | [_] | [] => method.trim().to_string(),
                [program, ..] => format!("{program} …"),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The complete entries of a netrc file, as `go` reads them: whitespace-separated
/// `keyword value` pairs, `machine` starting an entry that counts once it has a `login` and a
/// `password` (the first entry for a machine wins), a `macdef` skipped to the next empty
/// line. Unlike `go`, which stops at `default`, gopin keeps the `default` entry, for the
/// `GOPROXY` hosts alone.
fn parse_netrc(text: &str) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut current: Option<(Option<String>, Option<String>, Option<String>)> = None;
    let mut in_macro = false;
    let mut finish = |current: &mut Option<(Option<String>, Option<String>, Option<String>)>| {
        if let Some((machine, Some(login), Some(password))) = current.take()
            && !entries.iter().any(|e| e.machine == machine)
        {
            entries.push(Entry {
                machine,
                login,
                password,
            });
        }
    };
    for line in text.split('\n') {
        if in_macro {
            in_macro = !line.trim_end_matches('\r').is_empty();
            continue;
        }
        let mut words = line.split_whitespace();
        while let Some(word) = words.next() {
            match word {
                "default" => {
                    finish(&mut current);
                    current = Some((None, None, None));
                }
                "machine" => {
                    finish(&mut current);
                    current = words.next().map(|m| (Some(m.to_string()), None, None));
                }
                "login" | "password" | "account" => {
                    let Some(value) = words.next() else { break };
                    if let Some((_, login, password)) = current.as_mut() {
                        match word {
                            "login" => *login = Some(value.to_string()),
                            "password" => *password = Some(value.to_string()),
                            _ => {}
                        }
                    }
                }
                "macdef" => {
                    finish(&mut current);
                    in_macro = true;
                    break;
                }
                _ => {}
            }
        }
    }
    finish(&mut current);
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(machine: Option<&str>, login: &str, password: &str) -> Entry {
        Entry {
            machine: machine.map(str::to_string),
            login: login.into(),
            password: password.into(),
        }
    }

    #[test]
    fn netrc_entries_parse_as_go_reads_them_plus_default() {
        let text = "machine a.corp login alice password p1\n\
                    machine b.corp\n  login bob\n  password p2\n\
                    machine a.corp login mallory password later\n\
                    machine half.corp login nobody\n\
                    macdef init\ncd /pub\nmachine in.macro login x password y\n\n\
                    machine c.corp:8443 login carol password p3 account ignored\n\
                    default login anon password p4\n";
        assert_eq!(
            parse_netrc(text),
            [
                entry(Some("a.corp"), "alice", "p1"),
                entry(Some("b.corp"), "bob", "p2"),
                entry(Some("c.corp:8443"), "carol", "p3"),
                entry(None, "anon", "p4"),
            ]
        );
    }

    #[test]
    fn credentials_go_by_host_over_https_and_default_only_to_proxies() {
        let creds = Credentials {
            url_logins: vec![(
                "http://127.0.0.1:1/p".into(),
                Login::new("u".into(), Some("pw".into()), "the GOPROXY URL".into()),
            )],
            netrc: parse_netrc(
                "machine a.corp login alice password p1\nmachine a.corp:8443 login port password p2\ndefault login anon password p3\n",
            ),
            proxy_hosts: vec!["proxy.corp".into(), "http://127.0.0.1:1".into()],
            off: false,
            netrc_file: "~/.netrc".into(),
        };
        let from = |url: &str| creds.for_url(url).map(|l| l.from);
        assert_eq!(
            from("https://a.corp/x").unwrap(),
            "the machine a.corp of ~/.netrc"
        );
        assert_eq!(
            from("https://a.corp:8443/x").unwrap(),
            "the machine a.corp:8443 of ~/.netrc"
        );
        assert_eq!(
            from("https://a.corp:9999/x").unwrap(),
            "the machine a.corp of ~/.netrc"
        );
        assert_eq!(from("http://a.corp/x"), None, "netrc goes over https only");
        assert_eq!(
            from("https://proxy.corp/x").unwrap(),
            "the default entry of ~/.netrc"
        );
        assert_eq!(
            from("https://sum.golang.org/lookup/x"),
            None,
            "default: GOPROXY hosts only"
        );
        assert_eq!(
            from("http://127.0.0.1:1/p/golang.org/x").unwrap(),
            "the GOPROXY URL"
        );
        assert_eq!(from("http://127.0.0.1:1/pq"), None);
        let off = Credentials {
            off: true,
            ..creds.clone()
        };
        assert_eq!(off.for_url("https://a.corp/x").map(|l| l.from), None);
        assert!(format!("{:?}", creds.for_url("https://a.corp/x").unwrap()).contains("***"));
        assert!(!format!("{:?}", creds).contains("p1"), "{creds:?}");
    }

    #[test]
    fn goauth_forms() {
        let off = |v: &str| goauth_is_off(Some(v.into())).map_err(|e| e.to_string());
        assert!(!goauth_is_off(None).unwrap());
        assert!(!off("netrc").unwrap());
        assert!(off(" off ").unwrap());
        assert!(!off("netrc; netrc").unwrap());
        let err = off("git /home/me/src").unwrap_err();
        assert!(
            err.contains("'git /home/me/src' (git's credential helpers)"),
            "{err}"
        );
        // A command's arguments may carry a token: only the program is named.
        let err = off("netrc; /usr/local/bin/creds --token t0ken").unwrap_err();
        assert!(
            err.contains("the command '/usr/local/bin/creds' (its arguments not shown)")
                && !err.contains("t0ken"),
            "{err}"
        );
        assert!(
            off("off; netrc")
                .unwrap_err()
                .contains("cannot be combined")
        );
        assert!(off("netrc;").unwrap_err().contains("empty command"));
    }
}
