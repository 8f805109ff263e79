//! Shared test support: a loopback HTTP mirror with fault injection, builders for Go-like
//! archives and release indexes, and an isolated environment for running the gopin binary.
#![allow(dead_code)] // a helper may go unused for a while

pub mod goproxy;
pub mod tls;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

/// How the mirror answers one path.
#[derive(Clone)]
pub enum Reply {
    /// 200 with this body.
    Body(Vec<u8>),
    /// This status, empty body.
    Status(u16),
    /// `status` for the first `n` requests, then the body.
    FailFirst {
        n: usize,
        status: u16,
        body: Vec<u8>,
    },
    /// Announces the full length, sends only `send` bytes, then closes the connection.
    Truncated { body: Vec<u8>, send: usize },
    /// The body, sent slowly in chunks (for overlapping concurrent requests).
    Slow { body: Vec<u8>, pause: Duration },
    /// Announces the full length and sends `chunk` bytes every `pause`: a server that drips.
    Drip {
        body: Vec<u8>,
        chunk: usize,
        pause: Duration,
    },
    /// Announces the full length, sends `send` bytes, then neither sends nor closes.
    Stall { body: Vec<u8>, send: usize },
    /// Announces the full length, sends `send` bytes, then resets the connection (RST).
    Reset { body: Vec<u8>, send: usize },
    /// No Content-Length: sends `send` bytes of the body and closes, which looks complete.
    Unsized { body: Vec<u8>, send: usize },
    /// A redirect (`status` 301/302/307/308) to `location`.
    Redirect { status: u16, location: String },
}

/// An HTTP/1.1 server on 127.0.0.1 that serves [`Reply`]s and counts requests per path.
/// It is written by hand (not a crate) so tests can break the protocol on purpose.
pub struct Mirror {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    ranges: Arc<Ranges>,
}

/// How the mirror answers `Range` headers on [`Reply::Body`]s, and what it sent.
#[derive(Default)]
pub struct Ranges {
    /// Answer every request with the whole body (200), as a server without range support.
    pub ignore: std::sync::atomic::AtomicBool,
    /// Body bytes sent per path.
    pub sent: Mutex<HashMap<String, u64>>,
    /// The `Range` header of each request that had one, per path.
    pub asked: Mutex<HashMap<String, Vec<String>>>,
}

impl Mirror {
    pub fn start() -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let ranges: Arc<Ranges> = Arc::default();
        let (r, h, g) = (Arc::clone(&routes), Arc::clone(&hits), Arc::clone(&ranges));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, h, g) = (Arc::clone(&r), Arc::clone(&h), Arc::clone(&g));
                std::thread::spawn(move || serve(stream, &r, &h, &g));
            }
        });
        Mirror {
            base,
            routes,
            hits,
            ranges,
        }
    }

    /// Whether to ignore `Range` headers (answer 200 with the whole body).
    pub fn ignore_ranges(&self, yes: bool) {
        self.ranges
            .ignore
            .store(yes, std::sync::atomic::Ordering::SeqCst);
    }

    /// Body bytes sent for `path` so far.
    pub fn bytes_sent(&self, path: &str) -> u64 {
        self.ranges
            .sent
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// The `Range` headers asked for `path`, in order.
    pub fn ranges_asked(&self, path: &str) -> Vec<String> {
        self.ranges
            .asked
            .lock()
            .unwrap()
            .get(path)
            .cloned()
            .unwrap_or_default()
    }

    pub fn set(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.to_string(), reply);
    }

    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// What a single `Range` header value asks of a body of `len` bytes, as a CDN reads it:
/// `Some(Ok((start, end)))` (end exclusive) for one satisfiable range, `Some(Err(()))` for an
/// unsatisfiable one (416), `None` for a header that is ignored (several ranges, another
/// unit, nonsense: the whole body, 200).
pub fn range_of(value: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        // A suffix: the last N bytes.
        let n: u64 = last.parse().ok()?;
        if n == 0 {
            return Some(Err(()));
        }
        return Some(Ok((len.saturating_sub(n), len)));
    }
    let start: u64 = first.parse().ok()?;
    let end = if last.is_empty() {
        len
    } else {
        let last: u64 = last.parse().ok()?;
        if last < start {
            return None;
        }
        (last + 1).min(len)
    };
    if start >= len {
        return Some(Err(()));
    }
    Some(Ok((start, end)))
}

fn serve(
    stream: TcpStream,
    routes: &Mutex<HashMap<String, Reply>>,
    hits: &Mutex<HashMap<String, usize>>,
    ranges: &Ranges,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut range = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_string());
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    let n = {
        let mut hits = hits.lock().unwrap();
        let n = hits.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    let reply = routes.lock().unwrap().get(&path).cloned();
    let mut out = stream;
    let head = |status: u16, len: usize| {
        format!("HTTP/1.1 {status} X\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n")
    };
    let _ = match reply {
        None => out.write_all(head(404, 0).as_bytes()),
        Some(Reply::Status(s)) => out.write_all(head(s, 0).as_bytes()),
        Some(Reply::Body(body)) => {
            let len = body.len() as u64;
            if let Some(value) = &range {
                ranges
                    .asked
                    .lock()
                    .unwrap()
                    .entry(path.clone())
                    .or_default()
                    .push(value.clone());
            }
            let honoured = range
                .as_deref()
                .filter(|_| !ranges.ignore.load(std::sync::atomic::Ordering::SeqCst))
                .and_then(|v| range_of(v, len));
            let (head, part) = match honoured {
                None => (head(200, body.len()), &body[..]),
                Some(Ok((start, end))) => (
                    format!(
                        "HTTP/1.1 206 X\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{}/{len}\r\nConnection: close\r\n\r\n",
                        end - start,
                        end - 1
                    ),
                    &body[start as usize..end as usize],
                ),
                Some(Err(())) => (
                    format!(
                        "HTTP/1.1 416 X\r\nContent-Length: 0\r\nContent-Range: bytes */{len}\r\nConnection: close\r\n\r\n"
                    ),
                    &body[..0],
                ),
            };
            *ranges.sent.lock().unwrap().entry(path.clone()).or_default() += part.len() as u64;
            out.write_all(head.as_bytes())
                .and_then(|_| out.write_all(part))
        }
        Some(Reply::FailFirst {
            n: fail,
            status,
            body,
        }) => {
            if n <= fail {
                out.write_all(head(status, 0).as_bytes())
            } else {
                out.write_all(head(200, body.len()).as_bytes())
                    .and_then(|_| out.write_all(&body))
            }
        }
        Some(Reply::Truncated { body, send }) => out
            .write_all(head(200, body.len()).as_bytes())
            .and_then(|_| out.write_all(&body[..send])),
        Some(Reply::Drip { body, chunk, pause }) => {
            let r = out.write_all(head(200, body.len()).as_bytes());
            for part in body.chunks(chunk.max(1)) {
                std::thread::sleep(pause);
                if out.write_all(part).is_err() {
                    break;
                }
            }
            r
        }
        Some(Reply::Stall { body, send }) => {
            let r = out
                .write_all(head(200, body.len()).as_bytes())
                .and_then(|_| out.write_all(&body[..send]))
                .and_then(|_| out.flush());
            // Hold the connection open, silent, until the client gives up and closes it.
            let _ = out.set_read_timeout(Some(Duration::from_secs(600)));
            let _ = std::io::Read::read(&mut out, &mut [0u8; 1]);
            r
        }
        Some(Reply::Reset { body, send }) => {
            let _ = out
                .write_all(head(200, body.len()).as_bytes())
                .and_then(|_| out.write_all(&body[..send]))
                .and_then(|_| out.flush());
            // Let the client read what was sent, then abort: with SO_LINGER 0, dropping the
            // stream sends a RST instead of a FIN.
            std::thread::sleep(Duration::from_millis(200));
            reset_on_close(&out);
            return;
        }
        Some(Reply::Unsized { body, send }) => out
            .write_all(b"HTTP/1.1 200 X\r\nConnection: close\r\n\r\n")
            .and_then(|_| out.write_all(&body[..send])),
        Some(Reply::Redirect { status, location }) => out.write_all(
            format!(
                "HTTP/1.1 {status} X\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        ),
        Some(Reply::Slow { body, pause }) => {
            let r = out.write_all(head(200, body.len()).as_bytes());
            for chunk in body.chunks(body.len() / 8 + 1) {
                std::thread::sleep(pause);
                if out.write_all(chunk).is_err() {
                    break;
                }
            }
            r
        }
    };
    let _ = out.flush();
    let _ = out.shutdown(std::net::Shutdown::Both);
}

/// Makes closing `stream` abort the connection (RST) rather than end it (FIN).
fn reset_on_close(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a correctly sized option value.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// One entry of a generated archive.
pub enum Entry {
    Dir(&'static str),
    File(String, u32, Vec<u8>),
    Symlink(&'static str, &'static str),
    Hardlink(&'static str, &'static str),
    /// A regular file whose raw tar name is written verbatim (for `..` and absolute paths).
    RawName(&'static str),
    /// A character device.
    CharDevice(&'static str),
}

/// A `go/bin/go` that answers `go version` and `go env GOROOT` like the real one.
pub fn fake_go_script(version: &str, platform: &str) -> Vec<u8> {
    format!(
        r#"#!/bin/sh
case "$1" in
  version) echo "go version {version} {platform}" ;;
  env)
    shift
    for name in "$@"; do
      case "$name" in
        GOROOT) echo "${{GOROOT:-$(cd "$(dirname "$0")/.." && pwd)}}" ;;
        GOTOOLCHAIN) echo "${{GOTOOLCHAIN:-auto}}" ;;
        *) printenv "$name" || echo ;;
      esac
    done ;;
  *) echo "fake go: $*" ;;
esac
"#
    )
    .into_bytes()
}

/// The entries of a small Go-like tree: `go/bin/go`, `go/bin/gofmt`, `go/VERSION`,
/// `go/src/runtime/`.
pub fn go_tree(version: &str, platform: &str) -> Vec<Entry> {
    vec![
        Entry::Dir("go/"),
        Entry::Dir("go/bin/"),
        Entry::File("go/bin/go".into(), 0o755, fake_go_script(version, platform)),
        Entry::File(
            "go/bin/gofmt".into(),
            0o755,
            b"#!/bin/sh\necho gofmt\n".to_vec(),
        ),
        Entry::File(
            "go/VERSION".into(),
            0o644,
            format!("{version}\ntime 2024-01-01T00:00:00Z\n").into_bytes(),
        ),
        Entry::Dir("go/src/"),
        Entry::Dir("go/src/runtime/"),
        Entry::File(
            "go/src/runtime/runtime.go".into(),
            0o644,
            b"package runtime\n".to_vec(),
        ),
    ]
}

/// Packs entries into a `.tar.gz`.
pub fn tar_gz(entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_mtime(1_700_000_000);
        match entry {
            Entry::Dir(path) => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                builder.append_data(&mut header, path, &[][..]).unwrap();
            }
            Entry::File(path, mode, data) => {
                header.set_mode(*mode);
                header.set_size(data.len() as u64);
                builder
                    .append_data(&mut header, path, data.as_slice())
                    .unwrap();
            }
            Entry::Symlink(path, target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_size(0);
                builder.append_link(&mut header, path, target).unwrap();
            }
            Entry::Hardlink(path, target) => {
                header.set_entry_type(tar::EntryType::Link);
                header.set_size(0);
                builder.append_link(&mut header, path, target).unwrap();
            }
            Entry::RawName(name) => {
                let data = b"pwned\n";
                header.set_mode(0o644);
                header.set_size(data.len() as u64);
                let raw = &mut header.as_old_mut().name;
                raw.fill(0);
                raw[..name.len()].copy_from_slice(name.as_bytes());
                header.set_cksum();
                builder.append(&header, &data[..]).unwrap();
            }
            Entry::CharDevice(path) => {
                header.set_entry_type(tar::EntryType::Char);
                header.set_mode(0o644);
                header.set_size(0);
                builder.append_data(&mut header, path, &[][..]).unwrap();
            }
        }
    }
    builder.into_inner().unwrap().finish().unwrap()
}

/// `len` bytes that do not compress (a fixed xorshift stream), so an archive holding them is
/// about as large as they are.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A release in a generated index.
pub struct Release {
    pub version: &'static str,
    pub stable: bool,
    /// (os, arch, archive bytes); the sha256 in the index is the archive's unless overridden.
    pub archives: Vec<(&'static str, &'static str, Vec<u8>)>,
    pub sha_override: Option<String>,
}

impl Release {
    /// A stable release with a fake tree for linux/amd64.
    pub fn linux(version: &'static str) -> Release {
        Release::with_archive(version, tar_gz(&go_tree(version, "linux/amd64")))
    }

    pub fn with_archive(version: &'static str, archive: Vec<u8>) -> Release {
        Release {
            version,
            stable: !version.contains("rc") && !version.contains("beta"),
            archives: vec![("linux", "amd64", archive)],
            sha_override: None,
        }
    }

    pub fn filename(&self, os: &str, arch: &str) -> String {
        format!("{}.{os}-{arch}.tar.gz", self.version)
    }
}

/// The index JSON for `releases`, in go.dev's schema.
pub fn index_json(releases: &[Release]) -> Vec<u8> {
    let list: Vec<serde_json::Value> = releases
        .iter()
        .map(|r| {
            let files: Vec<serde_json::Value> = r
                .archives
                .iter()
                .map(|(os, arch, data)| {
                    serde_json::json!({
                        "filename": r.filename(os, arch),
                        "os": os, "arch": arch, "version": r.version,
                        "sha256": r.sha_override.clone().unwrap_or_else(|| sha256_hex(data)),
                        "size": data.len(), "kind": "archive",
                    })
                })
                .collect();
            serde_json::json!({"version": r.version, "stable": r.stable, "files": files})
        })
        .collect();
    serde_json::to_vec_pretty(&list).unwrap()
}

/// Serves `releases` (index at `/index.json`, archives under `/dl/`) on `mirror`.
pub fn publish(mirror: &Mirror, releases: &[Release]) {
    mirror.set("/index.json", Reply::Body(index_json(releases)));
    for r in releases {
        for (os, arch, data) in &r.archives {
            mirror.set(
                &format!("/dl/{}", r.filename(os, arch)),
                Reply::Body(data.clone()),
            );
        }
    }
}

/// A mirror serving `releases` and an isolated environment pointed at it.
pub fn mirror_with(releases: &[Release]) -> (Mirror, Env) {
    let mirror = Mirror::start();
    publish(&mirror, releases);
    let env = Env::new(&mirror);
    (mirror, env)
}

/// The only line of a failed command's stderr (errors are one sentence), checked to be one.
pub fn one_error_line(out: &std::process::Output) -> String {
    let err = stderr_of(out);
    let errors: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("gopin: error:"))
        .collect();
    assert_eq!(errors.len(), 1, "one error sentence: {err}");
    assert!(!out.status.success(), "{err}");
    errors[0].to_string()
}

/// An isolated gopin environment: its own store, cache, config and HOME.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub index_url: String,
    pub download_url: String,
    /// More variables for every command (GOPROXY, GOSUMDB, …), set after the others.
    pub extra: Vec<(String, String)>,
}

impl Env {
    pub fn new(mirror: &Mirror) -> Env {
        Env::with_urls(&mirror.url("/index.json"), &mirror.url("/dl/"))
    }

    pub fn with_urls(index_url: &str, download_url: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["home", "work"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        Env {
            dir,
            index_url: index_url.to_string(),
            download_url: download_url.to_string(),
            extra: Vec::new(),
        }
    }

    /// The same environment with `name=value` added (or replaced) for every command.
    pub fn with_var(mut self, name: &str, value: &str) -> Env {
        self.extra.retain(|(k, _)| k != name);
        self.extra.push((name.to_string(), value.to_string()));
        self
    }

    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    pub fn work(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// The environment variables that isolate gopin, as (name, value).
    pub fn vars(&self) -> Vec<(String, String)> {
        let p = |s: &str| self.dir.path().join(s).to_string_lossy().into_owned();
        vec![
            ("GOPIN_HOME".into(), p("store")),
            ("GOPIN_CACHE_DIR".into(), p("cache")),
            ("GOPIN_CONFIG".into(), p("config.toml")),
            ("GOPIN_INDEX_URL".into(), self.index_url.clone()),
            ("GOPIN_DOWNLOAD_URL".into(), self.download_url.clone()),
            ("GOPIN_RETRY_DELAY_MS".into(), "10".into()),
            ("GOPIN_OS".into(), "linux".into()),
            ("GOPIN_ARCH".into(), "amd64".into()),
            ("HOME".into(), p("home")),
            ("XDG_CONFIG_HOME".into(), p("home/.config")),
            ("XDG_DATA_HOME".into(), p("home/.local/share")),
            ("NO_COLOR".into(), "1".into()),
            // Never vuln.go.dev: tests that want security status serve the fixture's copy.
            ("GOPIN_VULNDB".into(), "off".into()),
        ]
        .into_iter()
        // An empty URL is no setting at all: gopin's default, as for a user who set none.
        .filter(|(k, v): &(String, String)| !(k.ends_with("_URL") && v.is_empty()))
        .chain(self.extra.iter().cloned())
        .collect()
    }

    /// `gopin ARGS` in the work directory with this environment.
    pub fn gopin(&self, args: &[&str]) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.command(args))
    }

    /// The same as [`Env::gopin`], as a plain process (to spawn in the background).
    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(gopin_bin());
        cmd.args(args).current_dir(self.work()).env_clear();
        cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
        for (k, v) in self.vars() {
            cmd.env(k, v);
        }
        cmd
    }

    /// Names of the entries of a store subdirectory (empty if it does not exist).
    pub fn store_entries(&self, sub: &str) -> Vec<String> {
        list_dir(&self.store().join(sub))
    }

    pub fn goroot(&self, name: &str) -> PathBuf {
        self.store().join("versions").join(name).join("go")
    }
}

/// The gopin binary under test.
pub fn gopin_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_gopin"))
}

pub fn list_dir(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// `gopin doctor`'s checks of the installed trees, as (ok, detail).
pub fn doctor_store_checks(env: &Env) -> Vec<(bool, String)> {
    let out = env.gopin(&["doctor", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == "store")
        .map(|c| {
            let detail = c["detail"].as_str().unwrap().to_string();
            (c["ok"].as_bool().unwrap(), detail)
        })
        .collect()
}

/// `gopin doctor`'s failed checks of the installed trees and of the object store: what must
/// be empty after any install, removal or interruption.
pub fn store_problems(env: &Env) -> Vec<String> {
    let out = env.gopin(&["doctor", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| (c["name"] == "store" || c["name"] == "objects") && c["ok"] == false)
        .map(|c| c["detail"].as_str().unwrap().to_string())
        .collect()
}

/// Whether this process may make a private mount namespace (root, with `unshare`).
pub fn namespaces_available() -> bool {
    std::process::Command::new("unshare")
        .args(["-m", "true"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A seed for the kill tests' delays, printed in their messages so a failure can be replayed.
pub fn kill_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64
}

/// Runs `gopin ARGS` and kills it (SIGKILL) after a delay within `span` drawn from `seed` and
/// `trial`; returns the delay, for the test's message.
pub fn kill_during(
    env: &Env,
    args: &[&str],
    span: std::time::Duration,
    seed: u64,
    trial: u64,
) -> std::time::Duration {
    let micros = seed.wrapping_mul(trial + 1).wrapping_mul(7919) % (span.as_micros() as u64 + 1);
    let delay = std::time::Duration::from_micros(micros);
    let mut child = env
        .command(args)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    child.kill().unwrap();
    child.wait().unwrap();
    delay
}

/// Output of a finished command as text.
pub fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Go build info as `go build` embeds it (what `gopin audit` reads, docs/audit.md): module information framed by
/// Go's two 16-byte sentinels.
pub fn go_modinfo(text: &str) -> Vec<u8> {
    const START: &[u8; 16] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
    const END: &[u8; 16] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";
    [&START[..], text.as_bytes(), &END[..]].concat()
}

/// The `\xff Go buildinf:` header with the pointer size and flags bytes, padded to 32 bytes.
fn go_blob_header(ptr_size: u8, flags: u8) -> Vec<u8> {
    let mut blob = b"\xff Go buildinf:".to_vec();
    blob.extend([ptr_size, flags]);
    blob.resize(32, 0);
    blob
}

/// A Go 1.18+ build-info blob: the header, then the version and module information inline,
/// each behind a varint length.
pub fn go_blob_inline(version: &str, modinfo: &[u8]) -> Vec<u8> {
    let mut blob = go_blob_header(8, 2);
    for s in [version.as_bytes(), modinfo] {
        let mut n = s.len();
        while n >= 0x80 {
            blob.push((n as u8) | 0x80);
            n >>= 7;
        }
        blob.push(n as u8);
        blob.extend_from_slice(s);
    }
    blob
}

/// A Go 1.13–1.17 blob for 64-bit little-endian, loaded at virtual address `base`: the
/// header holds the addresses of two Go string headers (address, length), which follow it,
/// and then the bytes they point at.
pub fn go_blob_pointers(base: u64, version: &str, modinfo: &[u8]) -> Vec<u8> {
    let mut blob = go_blob_header(8, 0);
    let strings = base + 64;
    blob[16..24].copy_from_slice(&(base + 32).to_le_bytes());
    blob[24..32].copy_from_slice(&(base + 48).to_le_bytes());
    for (addr, len) in [
        (strings, version.len()),
        (strings + version.len() as u64, modinfo.len()),
    ] {
        blob.extend(addr.to_le_bytes());
        blob.extend((len as u64).to_le_bytes());
    }
    blob.extend_from_slice(version.as_bytes());
    blob.extend_from_slice(modinfo);
    blob
}

/// A minimal ELF64 x86-64 executable whose one writable PT_LOAD segment holds `make(vaddr)`
/// (the blob, given the address it is loaded at). With `section`, the data is also a section
/// of that name (`.go.buildinfo` as Go's linker writes it, `.data` as older or other tools
/// do); without, the file has no section headers at all, like an `sstrip`ped binary.
pub fn elf_exe(section: Option<&str>, make: impl Fn(u64) -> Vec<u8>) -> Vec<u8> {
    use object::elf;
    use object::write::elf::{FileHeader, ProgramHeader, SectionHeader, Writer};
    const BASE: u64 = 0x40_0000;
    let len = make(0).len() as u64;
    let mut bytes = Vec::new();
    let mut w = Writer::new(object::Endianness::Little, true, &mut bytes);
    w.reserve_file_header();
    w.reserve_program_headers(1);
    let offset = w.reserve(len, 16);
    let name = section.map(|s| w.add_section_name(s.as_bytes()));
    if name.is_some() {
        w.reserve_null_section_index();
        w.reserve_section_index();
        w.reserve_shstrtab_section_index();
        w.reserve_shstrtab().unwrap();
        w.reserve_section_headers();
    }
    let vaddr = BASE + offset;
    w.write_file_header(&FileHeader {
        os_abi: elf::ELFOSABI_SYSV,
        abi_version: 0,
        e_type: elf::ET_EXEC,
        e_machine: elf::EM_X86_64,
        e_entry: vaddr,
        e_flags: elf::FileFlags(0),
    })
    .unwrap();
    w.write_align_program_headers();
    w.write_program_header(&ProgramHeader {
        p_type: elf::PT_LOAD,
        p_flags: elf::PF_R | elf::PF_W,
        p_offset: offset,
        p_vaddr: vaddr,
        p_paddr: vaddr,
        p_filesz: len,
        p_memsz: len,
        p_align: 16,
    });
    w.pad_until(offset);
    w.write(&make(vaddr));
    if let Some(name) = name {
        w.write_shstrtab();
        w.write_null_section_header();
        w.write_section_header(&SectionHeader {
            sh_name: w.section_name_offset(Some(name)),
            sh_type: elf::SHT_PROGBITS,
            sh_flags: elf::SHF_ALLOC | elf::SHF_WRITE,
            sh_addr: vaddr,
            sh_offset: offset,
            sh_size: len,
            sh_link: 0,
            sh_info: 0,
            sh_addralign: 16,
            sh_entsize: 0,
        });
        w.write_shstrtab_section_header();
    }
    bytes
}

/// A minimal 64-bit Windows executable whose `.data` section starts with `blob`, where Go's
/// linker puts it on Windows.
pub fn pe_exe(blob: &[u8]) -> Vec<u8> {
    use object::pe;
    use object::write::pe::{NtHeaders, Writer};
    let mut bytes = Vec::new();
    let mut w = Writer::new(true, 0x1000, 0x200, &mut bytes);
    w.reserve_dos_header_and_stub();
    w.reserve_nt_headers(16);
    w.reserve_section_headers(1);
    let data = w.reserve_data_section(blob.len() as u32, blob.len() as u32);
    w.write_dos_header_and_stub().unwrap();
    w.write_nt_headers(NtHeaders {
        machine: pe::IMAGE_FILE_MACHINE_AMD64,
        time_date_stamp: 0,
        characteristics: pe::IMAGE_FILE_EXECUTABLE_IMAGE | pe::IMAGE_FILE_LARGE_ADDRESS_AWARE,
        major_linker_version: 3,
        minor_linker_version: 0,
        address_of_entry_point: 0,
        image_base: 0x1_4000_0000,
        major_operating_system_version: 6,
        minor_operating_system_version: 1,
        major_image_version: 0,
        minor_image_version: 0,
        major_subsystem_version: 6,
        minor_subsystem_version: 1,
        subsystem: pe::IMAGE_SUBSYSTEM_WINDOWS_CUI,
        dll_characteristics: pe::DllFlags(0),
        size_of_stack_reserve: 0x10_0000,
        size_of_stack_commit: 0x1000,
        size_of_heap_reserve: 0x10_0000,
        size_of_heap_commit: 0x1000,
    });
    w.write_section_headers();
    w.write_section(data.file_offset, blob);
    bytes
}

/// A Mach-O (arm64) file with `blob` in `__DATA,__go_buildinfo`, the section Go's linker
/// uses on macOS.
pub fn macho_with_blob(blob: &[u8]) -> Vec<u8> {
    use object::write::Object;
    use object::{Architecture, BinaryFormat, Endianness, SectionKind};
    let mut obj = Object::new(
        BinaryFormat::MachO,
        Architecture::Aarch64,
        Endianness::Little,
    );
    let section = obj.add_section(
        b"__DATA".to_vec(),
        b"__go_buildinfo".to_vec(),
        SectionKind::Data,
    );
    obj.append_section_data(section, blob, 16);
    obj.write().unwrap()
}

/// Whether the shell `name` can run here. CI installs bash, zsh and fish, so there a missing
/// one fails the test; a developer machine may lack one, and its tests are skipped.
pub fn shell_available(name: &str) -> bool {
    let ok = std::process::Command::new(name)
        .args(["-c", "true"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "{name} is required in CI"
    );
    if !ok {
        eprintln!("skipping: {name} is not installed");
    }
    ok
}

/// A loopback mirror publishing a linux/amd64 release of each of `published`, an isolated
/// environment on it, and `installed` of them installed: the usual start of a test.
pub fn world_with(published: &[&'static str], installed: &[&str]) -> (Mirror, Env) {
    let mirror = Mirror::start();
    let releases: Vec<Release> = published.iter().map(|v| Release::linux(v)).collect();
    publish(&mirror, &releases);
    let env = Env::new(&mirror);
    if !installed.is_empty() {
        let mut args = vec!["install"];
        args.extend(installed);
        env.gopin(&args).assert().success();
    }
    (mirror, env)
}

/// A `bin/go` as far as gopin can read it without running it: an ELF executable whose Go
/// build info says `version` built it for `platform` (`linux/amd64`), as `go` records it.
pub fn go_binary_with_buildinfo(version: &str, platform: &str) -> Vec<u8> {
    let (os, arch) = platform.split_once('/').expect("os/arch");
    let arch = if arch == "armv6l" { "arm" } else { arch };
    let modinfo = go_modinfo(&format!(
        "path\tcmd/go\nmod\tcmd\t(devel)\t\nbuild\t-trimpath=true\nbuild\tGOOS={os}\nbuild\tGOARCH={arch}\n"
    ));
    elf_exe(Some(".go.buildinfo"), |_| go_blob_inline(version, &modinfo))
}

/// A whole Go-like tree whose `bin/go` carries build info (see [`go_binary_with_buildinfo`]):
/// what `gopin import` takes in. Beside [`go_tree`]'s entries it has `pkg/tool/<os>_<arch>`,
/// a `src/go.mod` (the module renames it) and `api/` (the module leaves it out).
pub fn importable_tree(version: &str, platform: &str) -> Vec<Entry> {
    let (os, arch) = platform.split_once('/').expect("os/arch");
    let mut tree: Vec<Entry> = go_tree(version, platform)
        .into_iter()
        .map(|e| match e {
            Entry::File(path, mode, _) if path == "go/bin/go" => {
                Entry::File(path, mode, go_binary_with_buildinfo(version, platform))
            }
            other => other,
        })
        .collect();
    tree.extend([
        Entry::Dir("go/pkg/"),
        Entry::Dir("go/pkg/tool/"),
        Entry::File(
            format!("go/pkg/tool/{os}_{arch}/compile"),
            0o755,
            b"\x7fELF compile\n".to_vec(),
        ),
        Entry::File(
            "go/src/go.mod".into(),
            0o644,
            b"module std\n\ngo 1.22\n".to_vec(),
        ),
        Entry::Dir("go/api/"),
        Entry::File("go/api/go1.txt".into(), 0o644, b"pkg fmt\n".to_vec()),
    ]);
    tree
}

/// Writes the `go/…` files, directories and links of `entries` under `dest` (which becomes
/// the GOROOT), with their modes.
pub fn write_tree(entries: &[Entry], dest: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let at = |path: &str| dest.join(path.strip_prefix("go/").unwrap_or(""));
    std::fs::create_dir_all(dest).unwrap();
    for entry in entries {
        match entry {
            Entry::Dir(path) => std::fs::create_dir_all(at(path)).unwrap(),
            Entry::File(path, mode, data) => {
                let path = at(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, data).unwrap();
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode)).unwrap();
            }
            Entry::Symlink(path, target) => {
                std::os::unix::fs::symlink(target, at(path)).unwrap();
            }
            _ => panic!("write_tree writes files, directories and symlinks"),
        }
    }
}

/// Makes a FIFO (named pipe) at `path`.
pub fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo {path:?}"
    );
}

/// Runs `cmd` to its end, or kills it after `secs` seconds and fails the test: for commands
/// that must never wait for ever (on a FIFO, on themselves). Its output is read as it comes,
/// so a command that writes much never waits on the test.
pub fn output_within(mut cmd: std::process::Command, secs: u64) -> std::process::Output {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut from: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = from.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{cmd:?} still ran after {secs} s, so it was killed");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// Writes an executable file (mode 755), and its directory: a script standing in for a tool.
pub fn write_executable(path: &Path, text: impl AsRef<[u8]>) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Each file's permission bits in its install record against `want`, and in `goroot`
/// against `want` without the write bits: every file of an installed tree is a link to a
/// read-only object (docs/store.md).
pub fn assert_installed_modes(goroot: &Path, record: &serde_json::Value, want: &[(&str, u32)]) {
    use std::os::unix::fs::PermissionsExt;
    for &(rel, want) in want {
        let mode = std::fs::metadata(goroot.join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777;
        assert_eq!(mode, want & !0o222, "{rel} in the store: {mode:o}");
        assert_eq!(record["files"][rel]["mode"], want, "{rel} in the record");
    }
}

/// `gopin ls` output without each version's size column (`  612 B`, `  214.9 MB, 124.1 MB
/// shared`), for tests about the rest of the line.
pub fn ls_without_sizes(text: &str) -> String {
    let is_size = |field: &str| {
        let first = field.split(", ").next().unwrap_or_default();
        let mut words = first.split(' ');
        let number = words.next().unwrap_or_default();
        let unit = words.next().unwrap_or_default();
        !number.is_empty()
            && number.chars().all(|c| c.is_ascii_digit() || c == '.')
            && matches!(unit, "B" | "kB" | "MB")
            && words.next().is_none()
    };
    text.lines()
        .map(|line| {
            let fields: Vec<&str> = line.split("  ").filter(|f| !is_size(f)).collect();
            format!("{}\n", fields.join("  "))
        })
        .collect()
}
