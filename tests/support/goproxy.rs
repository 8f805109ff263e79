//! A loopback Go module proxy and checksum database, for tests of the module-proxy source.
//!
//! [`GoProxy`] serves, on one [`Mirror`]:
//! - a module proxy at [`GoProxy::proxy_url`]: `golang.org/toolchain/@v/list`, and each
//!   release's `.zip`, `.mod` and `.info`, the zips built from the fake Go trees of
//!   [`go_tree`](super::go_tree) as Go's release tooling builds them ([`toolchain_zip`]);
//! - a checksum database, with its own ed25519 test key: an RFC 6962 log of the releases'
//!   go.sum records, `lookup/…`, hash tiles `tile/8/L/N[.p/W]` and `latest`, both directly at
//!   [`GoProxy::sumdb_url`] and through the proxy at `<proxy>/sumdb/<name>/…` (announced by
//!   `supported`).
//!
//! It can misbehave on request, each the way a real attacker or broken server would: a zip
//! changed after its record ([`GoProxy::replace_zip`]), a record changed after signing
//! ([`GoProxy::tamper_record`]), tree heads signed by another key ([`GoProxy::sign_with`]),
//! a lookup answered with a tree that does not contain the record
//! ([`GoProxy::answer_with_tree_before`]), a log rolled back and rewritten
//! ([`GoProxy::rewrite_history`]); and it can lag without lying, serving an earlier state of
//! its log ([`GoProxy::serve_earlier_tree`]), which a client must accept. A proxy that answers 404 to everything, so that the next
//! one in GOPROXY must answer, is a bare `Mirror::start()`.
//!
//! Everything here is written independently of gopin's own code (tests cannot import it), so
//! the two implementations check each other.
#![allow(dead_code)] // a helper may go unused for a while

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use super::{Entry, Env, Mirror, Reply, go_tree};

pub const MODULE: &str = "golang.org/toolchain";
/// The test database's name.
pub const SUMDB_NAME: &str = "sum.gopin.test";

/// golang.org/toolchain's version for a release: `v0.0.1-go1.22.10.linux-amd64`
/// (`platform` as `linux/amd64`; 32-bit ARM is Go's `arm`, never `armv6l`).
pub fn module_version(version: &str, platform: &str) -> String {
    let (os, arch) = platform.split_once('/').expect("os/arch");
    let arch = if arch == "armv6l" { "arm" } else { arch };
    format!("v0.0.1-{version}.{os}-{arch}")
}

/// The module zip Go's release tooling (`cmd/distpack`) makes from a distribution's `go/`
/// tree: files only, the `go/` prefix replaced by `golang.org/toolchain@<module version>/`,
/// every `go.mod` renamed `_go.mod`, `api/ doc/ misc/ test/ .github/` left out, sorted,
/// deflated, with Unix modes.
pub fn toolchain_zip(entries: &[Entry], module_version: &str) -> Vec<u8> {
    let prefix = format!("{MODULE}@{module_version}/");
    let mut files = BTreeMap::new();
    for entry in entries {
        match entry {
            Entry::Dir(_) => {}
            Entry::File(path, mode, data) => {
                let rel = path.strip_prefix("go/").expect("entries under go/");
                let top = rel.split('/').next().unwrap_or("");
                if ["api", "doc", "misc", "test", ".github"].contains(&top) {
                    continue;
                }
                let rel = match rel.strip_suffix("go.mod") {
                    Some(dir) if dir.is_empty() || dir.ends_with('/') => format!("{dir}_go.mod"),
                    _ => rel.to_string(),
                };
                files.insert(format!("{prefix}{rel}"), (*mode, data.clone()));
            }
            _ => panic!("a toolchain zip holds regular files only"),
        }
    }
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, (mode, data)) in &files {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(*mode);
        w.start_file(name.as_str(), options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Go's `h1:` of a zip: SHA-256 over the sorted `<sha256 hex>  <name>\n` lines of its entries.
pub fn h1_of_zip(zip: &[u8]) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut files = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        files.push((String::from_utf8(f.name_raw().to_vec()).unwrap(), data));
    }
    h1_of_files(files.iter().map(|(n, d)| (n.as_str(), d.as_slice())))
}

/// Go's `h1:` of (name, content) pairs.
pub fn h1_of_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut files: Vec<(&str, &[u8])> = files.into_iter().collect();
    files.sort_by_key(|(name, _)| *name);
    let lines: String = files
        .iter()
        .map(|(name, data)| format!("{}  {name}\n", super::sha256_hex(data)))
        .collect();
    format!("h1:{}", BASE64.encode(Sha256::digest(lines)))
}

/// A signing key in the note format: `<name>+<hash>+<base64(0x01 ‖ public key)>`.
pub struct Key {
    pub name: String,
    signing: SigningKey,
    hash: [u8; 4],
    /// The verifier key, as GOSUMDB takes it.
    pub vkey: String,
}

impl Key {
    pub fn new(name: &str, seed: u8) -> Key {
        let signing = SigningKey::from_bytes(&[seed; 32]);
        let mut public = vec![1u8];
        public.extend_from_slice(signing.verifying_key().as_bytes());
        let hash = key_hash(name, &public);
        let vkey = format!("{name}+{}+{}", hex(&hash), BASE64.encode(&public));
        Key {
            name: name.to_string(),
            signing,
            hash,
            vkey,
        }
    }

    /// `text` as a signed note: the text, a blank line, `— <name> base64(hash ‖ signature)`.
    pub fn sign(&self, text: &str) -> String {
        let mut sig = self.hash.to_vec();
        sig.extend_from_slice(&self.signing.sign(text.as_bytes()).to_bytes());
        format!("{text}\n\u{2014} {} {}\n", self.name, BASE64.encode(sig))
    }
}

/// The first four bytes of SHA-256(`<name>\n` ‖ key): how notes and verifier keys name a key.
pub fn key_hash(name: &str, key: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(format!("{name}\n"));
    h.update(key);
    h.finalize()[..4].try_into().unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

type Hash = [u8; 32];

fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

fn node_hash(l: &Hash, r: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

/// An append-only log of records and the hashes of its complete subtrees, level by level.
#[derive(Clone, Default)]
pub struct Log {
    pub records: Vec<String>,
    levels: Vec<Vec<Hash>>,
}

impl Log {
    /// Appends a record (go.sum lines) and returns its number.
    pub fn append(&mut self, text: String) -> u64 {
        let mut hash = leaf_hash(text.as_bytes());
        self.records.push(text);
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(hash);
            let n = self.levels[level].len();
            if n % 2 == 1 {
                break;
            }
            hash = node_hash(&self.levels[level][n - 2], &self.levels[level][n - 1]);
            level += 1;
        }
        self.records.len() as u64 - 1
    }

    pub fn size(&self) -> u64 {
        self.records.len() as u64
    }

    /// RFC 6962's root of the first `size` records.
    pub fn root(&self, size: u64) -> Hash {
        self.range(0, size)
    }

    fn range(&self, lo: u64, hi: u64) -> Hash {
        let n = hi - lo;
        if n == 0 {
            return Sha256::digest([]).into();
        }
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            let level = n.trailing_zeros() as usize;
            return self.levels[level][(lo >> level) as usize];
        }
        let mut k = 1;
        while k * 2 < n {
            k *= 2;
        }
        node_hash(&self.range(lo, lo + k), &self.range(lo + k, hi))
    }

    /// The tree head's text for the first `size` records.
    pub fn tree_text(&self, size: u64) -> String {
        format!(
            "go.sum database tree\n{size}\n{}\n",
            BASE64.encode(self.root(size))
        )
    }

    /// The tiles (height 8) a database serves at `size` records, as (path, bytes): every full
    /// tile, and the last tile of each level at every width up to its current one.
    pub fn tiles(&self, size: u64) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let mut tile_level = 0;
        while size >> (8 * tile_level) > 0 {
            let stored = size >> (8 * tile_level);
            let hashes = &self.levels[8 * tile_level];
            let data = |n: u64, w: u64| -> Vec<u8> {
                hashes[(n * 256) as usize..(n * 256 + w) as usize].concat()
            };
            for n in 0..stored / 256 {
                out.push((tile_path(tile_level, n, 256), data(n, 256)));
            }
            for w in 1..=stored % 256 {
                out.push((
                    tile_path(tile_level, stored / 256, w),
                    data(stored / 256, w),
                ));
            }
            tile_level += 1;
        }
        out
    }
}

/// `tile/8/<level>/<n in x-prefixed groups of 3>[.p/<width>]`.
pub fn tile_path(level: usize, n: u64, width: u64) -> String {
    let mut rest = n;
    let mut digits = format!("{:03}", rest % 1000);
    while rest >= 1000 {
        rest /= 1000;
        digits = format!("x{:03}/{digits}", rest % 1000);
    }
    let partial = if width < 256 {
        format!(".p/{width}")
    } else {
        String::new()
    };
    format!("tile/8/{level}/{digits}{partial}")
}

/// A release the proxy serves.
#[derive(Clone)]
pub struct Published {
    pub module_version: String,
    pub zip: Vec<u8>,
    pub h1: String,
    /// Its record's number in the log.
    pub id: u64,
}

struct State {
    log: Log,
    /// The log size the database currently serves.
    size: u64,
    releases: BTreeMap<String, Published>,
    /// The key tree heads are signed with.
    signer: Key,
    /// Lookups answered with this record text instead of the logged one.
    tampered: BTreeMap<String, String>,
    /// Lookups answered with the tree of this many records.
    tree_for: BTreeMap<String, u64>,
    proxies_sumdb: bool,
}

/// A module proxy and a checksum database on loopback (see the module docs).
pub struct GoProxy {
    pub mirror: Mirror,
    /// The database's real key: what GOSUMDB names.
    pub key: Key,
    state: Mutex<State>,
}

impl GoProxy {
    pub fn start() -> GoProxy {
        let proxy = GoProxy {
            mirror: Mirror::start(),
            key: Key::new(SUMDB_NAME, 1),
            state: Mutex::new(State {
                log: Log::default(),
                size: 0,
                releases: BTreeMap::new(),
                signer: Key::new(SUMDB_NAME, 1),
                tampered: BTreeMap::new(),
                tree_for: BTreeMap::new(),
                proxies_sumdb: true,
            }),
        };
        proxy.serve();
        proxy
    }

    /// The module proxy's base URL, for GOPROXY.
    pub fn proxy_url(&self) -> String {
        self.mirror.url("/proxy")
    }

    /// The database's own URL.
    pub fn sumdb_url(&self) -> String {
        self.mirror.url("/sumdb")
    }

    /// GOSUMDB reaching the database through the proxy (which says it supports it).
    pub fn gosumdb(&self) -> String {
        self.key.vkey.clone()
    }

    /// GOSUMDB naming the database's URL, which bypasses proxies.
    pub fn gosumdb_direct(&self) -> String {
        format!("{} {}", self.key.vkey, self.sumdb_url())
    }

    /// An isolated gopin environment whose GOPROXY is this proxy and whose GOSUMDB is this
    /// database (through the proxy), with no GOPIN source setting and no index or download
    /// URL (either would choose go.dev): `auto` must pick the proxy. Every https request goes
    /// to a proxy that refuses, so nothing can come from go.dev's real index.
    pub fn env(&self) -> Env {
        Env::with_urls("", "")
            .with_var("HTTPS_PROXY", "http://127.0.0.1:9")
            .with_var("GOPROXY", &self.proxy_url())
            .with_var("GOSUMDB", &self.gosumdb())
    }

    /// Publishes the fake Go tree of `version` for `platform` (`linux/amd64`).
    pub fn publish(&self, version: &str, platform: &str) -> Published {
        self.publish_tree(version, platform, &go_tree(version, platform))
    }

    /// Publishes a release built from `entries` (a `go/` tree): its zip on the proxy, its
    /// record appended to the log, which the database then serves.
    pub fn publish_tree(&self, version: &str, platform: &str, entries: &[Entry]) -> Published {
        let module_version = module_version(version, platform);
        let zip = toolchain_zip(entries, &module_version);
        let h1 = h1_of_zip(&zip);
        let mut state = self.state.lock().unwrap();
        let id = state.log.append(record(&module_version, &h1));
        state.size = state.log.size();
        let published = Published {
            module_version: module_version.clone(),
            zip,
            h1,
            id,
        };
        state.releases.insert(module_version, published.clone());
        drop(state);
        self.serve();
        published
    }

    /// Appends `count` records of other modules, so the log spans more tiles.
    pub fn add_other_records(&self, count: usize) {
        let mut state = self.state.lock().unwrap();
        for i in 0..count {
            let n = state.log.size();
            let text = format!(
                "example.com/m{n} v1.0.{i} h1:{}\nexample.com/m{n} v1.0.{i}/go.mod h1:{}\n",
                BASE64.encode([i as u8; 32]),
                BASE64.encode([n as u8; 32])
            );
            state.log.append(text);
        }
        state.size = state.log.size();
        drop(state);
        self.serve();
    }

    /// Serves `zip` in place of the published zip (which no longer matches its record).
    pub fn replace_zip(&self, version: &str, platform: &str, zip: Vec<u8>) {
        let mv = module_version(version, platform);
        self.mirror
            .set(&format!("/proxy/{MODULE}/@v/{mv}.zip"), Reply::Body(zip));
    }

    /// Answers the lookup of the release with its record's h1 changed (the signed tree and
    /// the tiles stay those of the real record).
    pub fn tamper_record(&self, version: &str, platform: &str, h1: &str) {
        let mv = module_version(version, platform);
        self.state
            .lock()
            .unwrap()
            .tampered
            .insert(mv.clone(), record(&mv, h1));
        self.serve();
    }

    /// Signs every tree head with `key` from now on (a key GOSUMDB does not name).
    pub fn sign_with(&self, key: Key) {
        self.state.lock().unwrap().signer = key;
        self.serve();
    }

    /// Answers the lookup of the release with the tree of the records before it: a signed
    /// tree that does not contain the record.
    pub fn answer_with_tree_before(&self, version: &str, platform: &str) {
        let mv = module_version(version, platform);
        let mut state = self.state.lock().unwrap();
        let id = state.releases[&mv].id;
        state.tree_for.insert(mv, id);
        drop(state);
        self.serve();
    }

    /// Rolls the log back to its first `keep` records and appends different ones in their
    /// place, as a database that rewrote its history would; the releases published after
    /// `keep` are recorded again. The served tree is not consistent with any earlier one
    /// beyond `keep`.
    pub fn rewrite_history(&self, keep: u64) {
        let mut state = self.state.lock().unwrap();
        let old = std::mem::take(&mut state.log);
        for text in &old.records[..keep as usize] {
            state.log.append(text.clone());
        }
        state
            .log
            .append("example.com/rewritten v1.0.0 h1:AAAA\n".into());
        let mut releases: Vec<Published> = state.releases.values().cloned().collect();
        releases.sort_by_key(|r| r.id);
        for mut r in releases.into_iter().filter(|r| r.id >= keep) {
            r.id = state.log.append(record(&r.module_version, &r.h1));
            state.releases.insert(r.module_version.clone(), r);
        }
        state.size = state.log.size();
        drop(state);
        self.serve();
    }

    /// Serves the log as it was at `size` records: an earlier state of the same history, as a
    /// lagging mirror or cache would (consistent with every later tree, so a client accepts
    /// it); releases recorded after it have no lookup.
    pub fn serve_earlier_tree(&self, size: u64) {
        let mut state = self.state.lock().unwrap();
        assert!(size <= state.log.size(), "an earlier state of the log");
        state.size = size;
        drop(state);
        self.serve_fresh();
    }

    /// Whether the proxy says it proxies the database (`/sumdb/<name>/supported`).
    pub fn set_proxies_sumdb(&self, yes: bool) {
        self.state.lock().unwrap().proxies_sumdb = yes;
        self.serve();
    }

    /// The size of the tree the database serves now.
    pub fn tree_size(&self) -> u64 {
        self.state.lock().unwrap().size
    }

    /// Like [`GoProxy::serve`], first removing the lookups and tiles of a larger tree.
    fn serve_fresh(&self) {
        let state = self.state.lock().unwrap();
        for base in ["/sumdb".to_string(), format!("/proxy/sumdb/{SUMDB_NAME}")] {
            for (path, _) in state.log.tiles(state.log.size()) {
                self.mirror
                    .set(&format!("{base}/{path}"), Reply::Status(404));
            }
            for mv in state.releases.keys() {
                self.mirror
                    .set(&format!("{base}/lookup/{MODULE}@{mv}"), Reply::Status(404));
            }
        }
        drop(state);
        self.serve();
    }

    /// Puts every route in place for the current state.
    fn serve(&self) {
        let state = self.state.lock().unwrap();
        let proxy = "/proxy";
        let list: String = state.releases.keys().map(|mv| format!("{mv}\n")).collect();
        self.mirror.set(
            &format!("{proxy}/{MODULE}/@v/list"),
            Reply::Body(list.into_bytes()),
        );
        for (mv, r) in &state.releases {
            let at = |ext: &str| format!("{proxy}/{MODULE}/@v/{mv}.{ext}");
            self.mirror.set(&at("zip"), Reply::Body(r.zip.clone()));
            self.mirror.set(
                &at("mod"),
                Reply::Body(format!("module {MODULE}\n").into_bytes()),
            );
            self.mirror.set(
                &at("info"),
                Reply::Body(
                    format!("{{\"Version\":\"{mv}\",\"Time\":\"2024-01-01T00:00:00Z\"}}\n")
                        .into_bytes(),
                ),
            );
        }
        let supported = format!("{proxy}/sumdb/{SUMDB_NAME}/supported");
        self.mirror.set(
            &supported,
            if state.proxies_sumdb {
                Reply::Body(Vec::new())
            } else {
                Reply::Status(404)
            },
        );
        let note = |size: u64| state.signer.sign(&state.log.tree_text(size));
        for base in ["/sumdb".to_string(), format!("{proxy}/sumdb/{SUMDB_NAME}")] {
            self.mirror.set(
                &format!("{base}/latest"),
                Reply::Body(note(state.size).into_bytes()),
            );
            for (path, data) in state.log.tiles(state.size) {
                self.mirror
                    .set(&format!("{base}/{path}"), Reply::Body(data));
            }
            for (mv, r) in &state.releases {
                if r.id >= state.size {
                    continue;
                }
                let text = state
                    .tampered
                    .get(mv)
                    .cloned()
                    .unwrap_or_else(|| state.log.records[r.id as usize].clone());
                let size = state.tree_for.get(mv).copied().unwrap_or(state.size);
                self.mirror.set(
                    &format!("{base}/lookup/{MODULE}@{mv}"),
                    Reply::Body(format!("{}\n{text}\n{}", r.id, note(size)).into_bytes()),
                );
            }
        }
    }
}

/// The go.sum lines the database records for a toolchain release.
pub fn record(module_version: &str, h1: &str) -> String {
    format!(
        "{MODULE} {module_version} {h1}\n{MODULE} {module_version}/go.mod {}\n",
        h1_of_files([("go.mod", format!("module {MODULE}\n").as_bytes())])
    )
}
