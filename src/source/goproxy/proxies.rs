//! `GOPROXY` as `go` reads it, and the module's own origin for `direct`.
//!
//! The list is URLs and the words `direct` and `off`, separated by `,` or `|`. The separator
//! after an entry says when the next one is tried: after `,` only if this one answered 404 or
//! 410 (it does not have the module), after `|` on any error. `direct` and `off` end the
//! list. A URL without a scheme gets `https://`, as in `go`.
//!
//! `direct` means the module's origin: for `golang.org/toolchain`, the `mod` server that the
//! `<meta name="go-import">` tag of `https://golang.org/toolchain?go-get=1` names (go.dev's).
//! It is looked up, never assumed.

use crate::net::auth::Login;
use crate::net::remote::{Remote, RemoteError};
use crate::net::{Location, Rules};

/// Go's default, which `source = "auto"` treats as "the user has not chosen a proxy".
pub const DEFAULT_GOPROXY: &str = "https://proxy.golang.org,direct";
/// The page whose go-import tag names the toolchain module's origin.
pub const ORIGIN_PAGE: &str = "https://golang.org/toolchain?go-get=1";
/// go-get pages are small HTML documents.
const ORIGIN_PAGE_LIMIT: u64 = 1 << 20;

/// One entry of the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A proxy's base URL (no trailing slash).
    Url(String),
    Direct,
    Off,
}

/// An entry and what to do when it fails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    pub entry: Entry,
    /// Followed by `|`: try the next entry on any error, not only on 404/410.
    pub fall_back_on_error: bool,
    /// The `user:password@` the URL carried, taken out of it (it is shown in messages and
    /// records) and sent as basic authentication (src/net/auth.rs).
    pub login: Option<Login>,
}

/// Why a `GOPROXY` value is not a list `go` would accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadList(pub String);

/// Parses a `GOPROXY` value.
pub fn parse(value: &str) -> Result<Vec<Proxy>, BadList> {
    let mut list = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let (raw, fall_back_on_error, next) = match rest.find([',', '|']) {
            Some(i) => (&rest[..i], rest.as_bytes()[i] == b'|', &rest[i + 1..]),
            None => (rest, false, ""),
        };
        rest = next;
        let raw = raw.trim();
        let mut login = None;
        let entry = match raw {
            "" => continue,
            "off" => Entry::Off,
            "direct" => Entry::Direct,
            url => {
                let (url, found) = proxy_url(url)?;
                login = found;
                Entry::Url(url)
            }
        };
        // direct and off end the list, so what follows them never matters.
        let last = !matches!(entry, Entry::Url(_));
        list.push(Proxy {
            entry,
            fall_back_on_error: fall_back_on_error && !last,
            login,
        });
        if last {
            break;
        }
    }
    if list.is_empty() {
        return Err(BadList("it lists no proxy".into()));
    }
    Ok(list)
}

/// A proxy URL as `go` completes it: `goproxy.cn` is `https://goproxy.cn`. Only http, https
/// and file URLs name a proxy. Its `user:password@` comes back apart, as a [`Login`].
fn proxy_url(raw: &str) -> Result<(String, Option<Login>), BadList> {
    let full = if raw.contains(['.', ':', '/']) && !raw.contains(":/") && !raw.starts_with('/') {
        format!("https://{raw}")
    } else {
        raw.to_string()
    };
    let shown = crate::ui::redacted(raw);
    let url = url::Url::parse(&full)
        .map_err(|_| BadList(format!("'{shown}' is not a URL, direct or off")))?;
    if !["https", "http", "file"].contains(&url.scheme()) {
        return Err(BadList(format!(
            "'{shown}' is not an https://, http:// or file:// URL"
        )));
    }
    let login = match Location::parse(
        url.as_str(),
        &Rules {
            allow_http: true,
            ..Rules::default()
        },
    ) {
        Ok(location) => location.login().cloned(),
        Err(_) => None,
    };
    let mut url = url;
    let _ = url.set_username("");
    let _ = url.set_password(None);
    let login = login.map(|l| Login::new_from(l, "the user:password in GOPROXY"));
    // The parsed form: canonical, with anything unprintable percent-encoded.
    Ok((url.as_str().trim_end_matches('/').to_string(), login))
}

/// Whether `list` is Go's default (however it is spelled).
pub fn is_default(list: &[Proxy]) -> bool {
    parse(DEFAULT_GOPROXY).is_ok_and(|default| default == list)
}

/// Why the module's origin could not be found.
#[derive(Debug)]
pub enum OriginError {
    Fetch(RemoteError),
    /// The page was read but names no usable origin.
    Page(String),
}

/// The module proxy that serves `module` for `direct`, from the go-import tag on `page`.
pub fn origin(remote: &dyn Remote, page: &str, module: &str) -> Result<String, OriginError> {
    let html = remote
        .get(page, ORIGIN_PAGE_LIMIT)
        .map_err(OriginError::Fetch)?;
    let html = String::from_utf8_lossy(&html);
    let imports: Vec<[String; 3]> = go_imports(&html)
        .into_iter()
        .filter(|[prefix, _, _]| prefix == module)
        .collect();
    let mods: Vec<&[String; 3]> = imports.iter().filter(|[_, vcs, _]| vcs == "mod").collect();
    let url = match (mods.as_slice(), imports.first()) {
        ([one], _) => &one[2],
        ([], Some([_, vcs, _])) => {
            return Err(OriginError::Page(format!(
                "it names a {vcs:?} repository for {module}, not a module proxy (mod)"
            )));
        }
        ([], None) => {
            return Err(OriginError::Page(format!(
                "it has no go-import tag for {module}"
            )));
        }
        _ => {
            return Err(OriginError::Page(format!(
                "it has several go-import mod tags for {module}"
            )));
        }
    };
    // The origin must be https (plain http only on this machine, for tests).
    let not_https = || OriginError::Page(format!("its origin {url:?} is not an https URL"));
    match Location::parse(url, &Rules::strict()) {
        Ok(Location::Http(parsed)) => Ok(parsed.url.as_str().trim_end_matches('/').to_string()),
        _ => Err(not_https()),
    }
}

/// The `content` of every `<meta name="go-import" content="prefix vcs url">` in the page's
/// head, as (prefix, vcs, url).
fn go_imports(html: &str) -> Vec<[String; 3]> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if let Some(after) = rest.strip_prefix("!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        rest = &rest[end..];
        let lower = tag.to_ascii_lowercase();
        let name = lower
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        if lower.starts_with("/head") || name == "body" {
            break; // go reads the head only
        }
        if name != "meta" {
            continue;
        }
        let attrs = attributes(&tag[4..]);
        let get = |key: &str| {
            attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.as_str())
        };
        if get("name") == Some("go-import")
            && let Some(content) = get("content")
        {
            let fields: Vec<&str> = content.split_whitespace().collect();
            if let [prefix, vcs, url, ..] = fields[..]
                && fields.len() <= 4
            {
                found.push([prefix.to_string(), vcs.to_string(), url.to_string()]);
            }
        }
    }
    found
}

/// `key="value"` / `key='value'` / `key=value` pairs of a tag, entities decoded.
fn attributes(mut s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        let key_end = s
            .find(|c: char| c == '=' || c.is_whitespace() || c == '/')
            .unwrap_or(s.len());
        if key_end == 0 {
            return out;
        }
        let key = s[..key_end].to_string();
        s = s[key_end..].trim_start();
        let Some(after) = s.strip_prefix('=') else {
            out.push((key, String::new()));
            continue;
        };
        s = after.trim_start();
        let (value, rest) = match s.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &s[1..];
                let end = body.find(q).unwrap_or(body.len());
                (&body[..end], body.get(end + 1..).unwrap_or(""))
            }
            _ => {
                let end = s.find(char::is_whitespace).unwrap_or(s.len());
                (&s[..end], &s[end..])
            }
        };
        out.push((key, decode_entities(value)));
        s = rest;
    }
}

fn decode_entities(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::remote::InMemory;

    fn url(s: &str, fall_back_on_error: bool) -> Proxy {
        Proxy {
            entry: Entry::Url(s.into()),
            fall_back_on_error,
            login: None,
        }
    }

    fn word(entry: Entry) -> Proxy {
        Proxy {
            entry,
            fall_back_on_error: false,
            login: None,
        }
    }

    #[test]
    fn userinfo_leaves_the_url_and_becomes_a_login() {
        let list = parse("https://alice:s%40cret@proxy.corp/go,direct").unwrap();
        assert_eq!(list[0].entry, Entry::Url("https://proxy.corp/go".into()));
        let login = list[0].login.as_ref().unwrap();
        assert_eq!(login.from, "the user:password in GOPROXY");
        assert_eq!(login.secret_for_test(), ("alice", Some("s@cret")));
        let err = parse("ftp://bob:pw@x.org").unwrap_err().0;
        assert!(!err.contains("pw"), "{err}");
    }

    #[test]
    fn lists_parse_as_go_reads_them() {
        assert_eq!(
            parse("https://goproxy.cn,direct").unwrap(),
            [url("https://goproxy.cn", false), word(Entry::Direct)]
        );
        assert_eq!(
            parse(" goproxy.io | https://athens.corp/ , file:///srv/goproxy,off,https://ignored")
                .unwrap(),
            [
                url("https://goproxy.io", true),
                url("https://athens.corp", false),
                url("file:///srv/goproxy", false),
                word(Entry::Off)
            ]
        );
        assert_eq!(
            parse("http://127.0.0.1:8080|direct|x").unwrap(),
            [url("http://127.0.0.1:8080", true), word(Entry::Direct)]
        );
        assert_eq!(parse("off").unwrap(), [word(Entry::Off)]);
        assert_eq!(parse(",,direct").unwrap(), [word(Entry::Direct)]);
        assert_eq!(
            parse("localhost:3000").unwrap(),
            [url("https://localhost:3000", false)]
        );
        for bad in [
            "",
            ",",
            " | ",
            "proxy",
            "/srv/goproxy",
            "ftp://x.org",
            "https://",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_default_is_recognised_however_spelled() {
        for default in [
            DEFAULT_GOPROXY,
            "proxy.golang.org,direct",
            "https://proxy.golang.org/,direct",
            " https://proxy.golang.org , direct ",
            "https://proxy.golang.org,direct,https://never.example",
        ] {
            assert!(is_default(&parse(default).unwrap()), "{default}");
        }
        for other in [
            "https://goproxy.cn,direct",
            "https://proxy.golang.org|direct",
            "https://proxy.golang.org",
            "direct",
            "off",
            "https://proxy.golang.org,https://goproxy.cn,direct",
        ] {
            assert!(!is_default(&parse(other).unwrap()), "{other}");
        }
    }

    const GO_DEV_PAGE: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<!-- <meta name="go-import" content="golang.org/toolchain mod https://commented.out"> -->
<meta name="go-import" content="golang.org/x/tools git https://go.googlesource.com/tools">
<META NAME="go-import" CONTENT='golang.org/toolchain mod https://go.dev/dl/mod'/>
<meta name="go-source" content="golang.org/toolchain https://x https://y https://z">
</head>
<body><meta name="go-import" content="golang.org/toolchain mod https://in.the.body"></body>
</html>"#;

    #[test]
    fn the_origin_comes_from_the_go_import_tag() {
        let remote = InMemory::default();
        remote.put(ORIGIN_PAGE, GO_DEV_PAGE);
        assert_eq!(
            origin(&remote, ORIGIN_PAGE, "golang.org/toolchain").unwrap(),
            "https://go.dev/dl/mod"
        );
        assert_eq!(remote.asked(), [ORIGIN_PAGE]);
        let cases = [
            (
                r#"<meta name="go-import" content="golang.org/toolchain git https://go.googlesource.com/toolchain">"#,
                "\"git\" repository",
            ),
            (r#"<html><head></head></html>"#, "no go-import tag"),
            (
                r#"<meta name="go-import" content="golang.org mod https://go.dev/dl/mod">"#,
                "no go-import tag",
            ),
            (
                r#"<meta name="go-import" content="golang.org/toolchain mod https://a"><meta name="go-import" content="golang.org/toolchain mod https://b">"#,
                "several",
            ),
            (
                r#"<meta name="go-import" content="golang.org/toolchain mod http://plain.example/mod">"#,
                "not an https URL",
            ),
            (
                r#"<meta name="go-import" content="golang.org/toolchain mod /etc/passwd">"#,
                "not an https URL",
            ),
        ];
        for (page, why) in cases {
            remote.put(ORIGIN_PAGE, page);
            match origin(&remote, ORIGIN_PAGE, "golang.org/toolchain") {
                Err(OriginError::Page(msg)) => assert!(msg.contains(why), "{msg} / {why}"),
                other => panic!("{page}: {other:?}"),
            }
        }
        remote.fail(ORIGIN_PAGE, 503);
        assert!(matches!(
            origin(&remote, ORIGIN_PAGE, "golang.org/toolchain"),
            Err(OriginError::Fetch(_))
        ));
    }

    #[test]
    fn attributes_parse_every_quoting() {
        assert_eq!(
            attributes(r#" name="go-import" content='a b c' x=y flag/"#),
            [
                ("name".to_string(), "go-import".to_string()),
                ("content".to_string(), "a b c".to_string()),
                ("x".to_string(), "y".to_string()),
                ("flag".to_string(), String::new()),
            ]
        );
        assert_eq!(attributes(r#"c="a &amp; b""#)[0].1, "a & b");
    }
}
