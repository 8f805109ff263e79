//! Shared test support: a loopback HTTP mirror with fault injection, builders for Go-like
//! archives and release indexes, and an isolated environment for running the gopin binary.
#![allow(dead_code)] // each test crate uses a different part of this module

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
}

/// An HTTP/1.1 server on 127.0.0.1 that serves [`Reply`]s and counts requests per path.
/// It is written by hand (not a crate) so tests can break the protocol on purpose.
pub struct Mirror {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl Mirror {
    pub fn start() -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let (r, h) = (Arc::clone(&routes), Arc::clone(&hits));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, h) = (Arc::clone(&r), Arc::clone(&h));
                std::thread::spawn(move || serve(stream, &r, &h));
            }
        });
        Mirror { base, routes, hits }
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

fn serve(
    stream: TcpStream,
    routes: &Mutex<HashMap<String, Reply>>,
    hits: &Mutex<HashMap<String, usize>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
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
        Some(Reply::Body(body)) => out
            .write_all(head(200, body.len()).as_bytes())
            .and_then(|_| out.write_all(&body)),
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

/// An isolated gopin environment: its own store, cache, config and HOME.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub index_url: String,
    pub download_url: String,
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
        }
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
        ]
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

/// Output of a finished command as text.
pub fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
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
