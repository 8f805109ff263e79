//! Messages for humans. Everything goes to stderr, so stdout stays clean for `eval`, `--json`
//! and `which`. `-q` silences notes, `-v` adds detail; errors always print.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicI8, Ordering};

static LEVEL: AtomicI8 = AtomicI8::new(0);

/// Sets the verbosity: -1 quiet, 0 normal, 1 verbose.
pub fn set_level(level: i8) {
    LEVEL.store(level, Ordering::Relaxed);
}

pub fn is_quiet() -> bool {
    LEVEL.load(Ordering::Relaxed) < 0
}

/// Whether `-v` was given.
pub fn is_verbose() -> bool {
    LEVEL.load(Ordering::Relaxed) > 0
}

/// A progress or status line, hidden by `-q`.
pub fn note(msg: &str) {
    if !is_quiet() {
        eprintln!("{}", redacted(msg));
    }
}

/// Detail shown only with `-v`.
pub fn verbose(msg: &str) {
    if LEVEL.load(Ordering::Relaxed) > 0 {
        eprintln!("gopin: {}", redacted(msg));
    }
}

/// A warning: something the user should know about even though the command goes on.
pub fn warn(msg: &str) {
    eprintln!("{} {}", paint("warning:", "33"), redacted(msg));
}

/// `text` with the secrets a URL in it may carry hidden: the user and password before `@`
/// (`https://***@proxy.corp/`), and the values of query parameters that hold a key, token,
/// signature or password. Every message, log line and record that shows a URL passes
/// through it (docs/security.md, "Credentials").
pub fn redacted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // A URL ends at white space or at the separators of a GOPROXY list or a sentence.
        let end = tail
            .find(|c: char| {
                c.is_whitespace() || matches!(c, ',' | '|' | '"' | '\'' | ')' | '<' | '>')
            })
            .unwrap_or(tail.len());
        let (url, after) = tail.split_at(end);
        out.push_str(&redact_url_tail(url));
        rest = after;
    }
    out.push_str(rest);
    redact_bare_userinfo(&out)
}

/// `user:password@host` without a scheme (a GOPROXY entry may be written so, and is then
/// https): the part before the `@` is hidden. A token counts when a `:` comes before its first
/// `@` and no `/` does, so an address such as `git@github.com` stays as it is.
fn redact_bare_userinfo(text: &str) -> String {
    let is_separator = |c: char| {
        c.is_whitespace()
            || matches!(
                c,
                ',' | '|' | '"' | '\'' | '(' | ')' | '<' | '>' | '=' | '`'
            )
    };
    let mut out = String::with_capacity(text.len());
    let mut token_start = 0;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        if i < text.len() && !is_separator(c) {
            continue;
        }
        let token = &text[token_start..i];
        match token.find('@') {
            Some(at)
                if !token.contains("://")
                    && token[..at].contains(':')
                    && !token[..at].contains('/') =>
            {
                out.push_str("***");
                out.push_str(&token[at..]);
            }
            _ => out.push_str(token),
        }
        if i < text.len() {
            out.push(c);
        }
        token_start = i + c.len_utf8();
    }
    out
}

/// The part of a URL after `scheme://`, without its userinfo and secret query values.
fn redact_url_tail(url: &str) -> String {
    let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
    let (authority, path) = url.split_at(authority_end);
    let mut out = match authority.rfind('@') {
        Some(at) => format!("***{}", &authority[at..]),
        None => authority.to_string(),
    };
    let Some(q) = path.find('?') else {
        out.push_str(path);
        return out;
    };
    out.push_str(&path[..=q]);
    let query = &path[q + 1..];
    let (query, fragment) = query.split_at(query.find('#').unwrap_or(query.len()));
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if is_secret_name(name) => format!("{name}=***"),
            _ => pair.to_string(),
        })
        .collect();
    out.push_str(&pairs.join("&"));
    out.push_str(fragment);
    out
}

/// Query parameter names that carry credentials (`token`, `access_token`, `api_key`,
/// `X-Amz-Signature`, `sig`, `password`, …).
fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "token",
        "key",
        "sig",
        "secret",
        "pass",
        "auth",
        "credential",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// Whether stderr is a terminal (progress bars are drawn only there).
pub fn stderr_is_tty() -> bool {
    std::io::stderr().is_terminal()
}

/// Whether stderr may be decorated (a TTY, and `NO_COLOR` unset).
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && stderr_is_tty()
}

/// Wraps `text` for stderr in an ANSI colour when colour is enabled.
pub fn paint(text: &str, code: &str) -> String {
    paint_if(color_enabled(), text, code)
}

/// The same for text printed on stdout.
pub fn paint_out(text: &str, code: &str) -> String {
    let tty = std::io::stdout().is_terminal();
    paint_if(
        tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        text,
        code,
    )
}

fn paint_if(enabled: bool, text: &str, code: &str) -> String {
    if enabled {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// Whether `c` must never reach a terminal raw: a control character (a terminal escape
/// sequence starts with one), or a bidirectional formatting character, which makes a terminal
/// show text in another order than it is (`evil\u{202e}txt.exe`).
pub fn hides_text(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A path as it can safely be put in a message: bytes that are not UTF-8, control characters
/// (a directory name may hold a terminal escape sequence) and bidirectional overrides are
/// written as escapes, never sent to the terminal raw.
pub fn shown(path: &std::path::Path) -> String {
    shown_bytes(path.as_os_str().as_encoded_bytes())
}

/// The same for any value: an environment variable, a line from a file.
pub fn shown_bytes(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if hides_text(c) {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// A path for messages, shortened to `~/…` under the home directory and escaped like
/// [`shown`].
pub fn tilde(path: &std::path::Path) -> String {
    if let Some(home) = crate::userdirs::home_dir()
        && let Ok(rest) = path.strip_prefix(&home)
    {
        return format!("~/{}", shown(rest));
    }
    shown(path)
}

/// A byte count for people, in the one unit every message and the progress bar use:
/// decimal, one digit after the point (`812 B`, `41.2 kB`, `66.7 MB`, `1.2 GB`).
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    // Round first, so 999.96 kB reads as 1.0 MB rather than 1000.0 kB.
    while (value * 10.0).round() / 10.0 >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A byte progress bar for `name` on a terminal; otherwise one quiet line saying what is
/// `doing` to it ("downloading", "reading"). Sizes are written as in every other message
/// ([`size`]).
pub fn progress_bar(doing: &str, name: &str, total: Option<u64>) -> indicatif::ProgressBar {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
    if is_quiet() || !stderr_is_tty() {
        note(&format!(
            "{doing} {name}{}",
            total.map(|t| format!(" ({})", size(t))).unwrap_or_default()
        ));
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("{msg} {wide_bar} {done}/{total} {rate} ETA {eta}")
        .expect("the template is valid")
        .with_key("done", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&size(s.pos()));
        })
        .with_key("total", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&s.len().map_or_else(|| "?".to_string(), size));
        })
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{}/s", size(s.per_sec() as u64));
        });
    bar.set_style(style);
    bar.set_message(name.to_string());
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_reordering_never_reach_the_terminal() {
        assert_eq!(shown_bytes(b"a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(
            shown_bytes("evil\u{202e}txt.exe".as_bytes()),
            "evil\\u{202e}txt.exe"
        );
        assert_eq!(
            shown_bytes("x\u{2067}y\u{200f}".as_bytes()),
            "x\\u{2067}y\\u{200f}"
        );
        assert_eq!(shown_bytes(b"ok \xff"), "ok \\xff");
        // Letters of right-to-left scripts are text, not formatting: kept.
        assert_eq!(
            shown_bytes("\u{5e9}\u{5dc}\u{5d5}\u{5dd}".as_bytes()),
            "\u{5e9}\u{5dc}\u{5d5}\u{5dd}"
        );
    }

    #[test]
    fn urls_lose_their_secrets_and_nothing_else() {
        for (text, want) in [
            (
                "GOPROXY=https://alice:s3cret@proxy.corp/go,direct",
                "GOPROXY=https://***@proxy.corp/go,direct",
            ),
            (
                "cannot reach http://tok3n@127.0.0.1:8080/x (refused)",
                "cannot reach http://***@127.0.0.1:8080/x (refused)",
            ),
            (
                "https://go.dev/dl/?mode=json&include=all",
                "https://go.dev/dl/?mode=json&include=all",
            ),
            (
                "https://s3.example/a.zip?X-Amz-Signature=abc&b=1&access_token=t#f",
                "https://s3.example/a.zip?X-Amz-Signature=***&b=1&access_token=***#f",
            ),
            ("no URL here: a@b", "no URL here: a@b"),
            (
                "GOPROXY=user:secret@127.0.0.1:1 names a proxy",
                "GOPROXY=***@127.0.0.1:1 names a proxy",
            ),
            (
                "'user:secret@bad host' is not a URL",
                "'***@bad host' is not a URL",
            ),
            (
                "GOPROXY=a:b@p1,c:d@p2|direct",
                "GOPROXY=***@p1,***@p2|direct",
            ),
            (
                "clone git@github.com:x/y.git",
                "clone git@github.com:x/y.git",
            ),
            (
                "time 10:30 at noon, ünïcode: ok@",
                "time 10:30 at noon, ünïcode: ok@",
            ),
            ("https://a:b@c@d/e", "https://***@d/e"),
        ] {
            assert_eq!(redacted(text), want, "{text}");
        }
    }
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn escapes_reach_the_terminal_as_text() {
        let p = std::path::Path::new(std::ffi::OsStr::from_bytes(
            b"/tmp/\x1b]0;pwned\x07/\xff\xfeok \xc3\xbc",
        ));
        assert_eq!(shown(p), "/tmp/\\u{1b}]0;pwned\\u{7}/\\xff\\xfeok ü");
    }

    #[test]
    fn sizes_use_one_unit_and_never_round_to_zero() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(812), "812 B");
        assert_eq!(size(1_000), "1.0 kB");
        assert_eq!(size(41_234), "41.2 kB");
        assert_eq!(size(999_960), "1.0 MB");
        assert_eq!(size(41_234_567), "41.2 MB");
        assert_eq!(size(66_700_000), "66.7 MB");
        assert_eq!(size(2 << 30), "2.1 GB");
    }
}
