//! The checksum database client: what makes a module proxy trustworthy without trusting it.
//!
//! For a module version, the database answers a lookup with the record (its go.sum lines),
//! the record's number in an append-only Merkle log, and a signed tree head. gopin accepts the
//! record only when, as `go` does:
//! 1. the tree head is signed by the key named in `GOSUMDB` ([`note`]);
//! 2. the record is provably leaf number `id` of that tree ([`tlog`], from [`tiles`]);
//! 3. the tree is consistent with the latest tree this machine verified before: it extends
//!    it, or is an earlier state of it ([`latest`]); a rewritten or forked log is refused.
//!
//! Everything fails closed: a missing record, a malformed answer, a bad signature, a failed
//! proof or an unreadable state file is an error, never a skipped check.

pub mod latest;
pub mod note;
pub mod tiles;
pub mod tlog;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::fsio::IoError;
use crate::net::remote::{Remote, RemoteError};
use crate::ui::{self, shown, shown_bytes};
use latest::Latest;
use note::{NoteError, Verifier};
use tiles::{TileCache, TileHashes};
use tlog::{Record, Tree};

/// The key built into the go command for its default database.
pub const SUM_GOLANG_ORG: &str =
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";
/// The records at the end of the kept tree whose tiles are kept: a server that lags this
/// many records behind it (a mirror, a caching proxy) is checked without asking it for tiles
/// of a tree it has not seen. Eight full tiles and the right edge, about 80 kB.
pub const KEPT_RECORDS: u64 = 2048;
/// A lookup answer is a few hundred bytes.
const LOOKUP_LIMIT: u64 = 64 * 1024;

#[derive(Debug, Error)]
pub enum SumdbError {
    #[error(
        "GOSUMDB={} is not valid: {reason}; set it to sum.golang.org (the default), off, or name+hash+key [URL]",
        shown_bytes(value.as_bytes())
    )]
    BadGosumdb { value: String, reason: String },
    #[error(
        "the checksum database {db} has no record of {module}@{version} ({url} answered not found); nothing was installed"
    )]
    NoRecord {
        db: String,
        module: String,
        version: String,
        url: String,
    },
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error(
        "{url} did not answer as a checksum database ({reason}); check GOSUMDB and GOPROXY; nothing was installed"
    )]
    Malformed { url: String, reason: String },
    #[error(
        "the tree head from {url} does not verify against the key {key}: {source}; nothing was installed (check the key in GOSUMDB, or whether {url} is the database it claims to be)"
    )]
    Signature {
        url: String,
        key: String,
        source: NoteError,
    },
    #[error(
        "SECURITY ERROR: {db} did not prove {what} ({url}); nothing was installed: the checksum database, or something between it and you, is misbehaving (retry later; report it if it persists)"
    )]
    NotProved {
        db: String,
        url: String,
        what: String,
    },
    #[error(
        "SECURITY ERROR: {db} served tree #{new_size} ({new_hash}), which is not consistent with tree #{old_size} ({old_hash}) verified earlier and kept in {}: its log was rewritten or forked; nothing was installed (report it; delete that file only if you knowingly moved to a new log under the same key)",
        shown(path)
    )]
    Inconsistent {
        db: String,
        old_size: u64,
        old_hash: String,
        new_size: u64,
        new_hash: String,
        path: PathBuf,
    },
    /// A tile the server does not have (404/410). `purpose` says what needed it.
    #[error(
        "the checksum database server has no tile {url} (it answered not found){purpose}; nothing was installed (check GOSUMDB, and GOPROXY if a proxy serves the database through /sumdb/)"
    )]
    MissingTile { url: String, purpose: String },
    #[error(
        "the checksum database state {} is damaged ({reason}): delete it, and gopin starts again from the next tree the database serves",
        shown(path)
    )]
    BadLatest { path: PathBuf, reason: String },
    #[error(transparent)]
    Io(#[from] IoError),
}

/// What `GOSUMDB` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gosumdb {
    /// `GOSUMDB=off`: nothing is verified.
    Off,
    On(Box<Database>),
}

/// A checksum database: its key, and the URL `GOSUMDB` gives for it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    pub verifier: Verifier,
    /// `GOSUMDB="key URL"`: reach the database there, never through a proxy.
    pub url: Option<String>,
}

impl Database {
    /// `https://<name>`: where the database is when no proxy serves it.
    pub fn direct_url(&self) -> String {
        self.url
            .clone()
            .unwrap_or_else(|| format!("https://{}", self.verifier.name()))
    }

    pub fn name(&self) -> &str {
        self.verifier.name()
    }
}

/// Parses `GOSUMDB` in every form `go` accepts: unset (sum.golang.org), `off`, a known name
/// (`sum.golang.org`; `sum.golang.google.cn` is the same database at another URL),
/// `name+hash+key`, and any of these followed by a URL.
pub fn parse_gosumdb(value: Option<&OsStr>) -> Result<Gosumdb, SumdbError> {
    let raw = value.map_or(Some("sum.golang.org"), OsStr::to_str);
    let bad = |reason: &str| SumdbError::BadGosumdb {
        value: value.map_or_else(String::new, |v| v.to_string_lossy().into_owned()),
        reason: reason.to_string(),
    };
    let raw = raw.ok_or_else(|| bad("it is not valid UTF-8"))?;
    let raw = if raw == "sum.golang.google.cn" {
        "sum.golang.org https://sum.golang.google.cn"
    } else {
        raw
    };
    if raw == "off" {
        return Ok(Gosumdb::Off);
    }
    let fields: Vec<&str> = raw.split_whitespace().collect();
    let (key, url) = match fields[..] {
        [key] => (key, None),
        [key, url] => (key, Some(url)),
        [] => return Err(bad("it is empty")),
        _ => return Err(bad("it has more than two fields")),
    };
    let key = if key == "sum.golang.org" {
        SUM_GOLANG_ORG
    } else {
        key
    };
    let verifier = Verifier::parse(key).map_err(|e| bad(&e.to_string()))?;
    check_name(verifier.name()).map_err(&bad)?;
    let url = match url {
        None => None,
        Some(url) => {
            let parsed = url::Url::parse(url).map_err(|_| bad("its URL is not a URL"))?;
            if !["https", "http", "file"].contains(&parsed.scheme()) {
                return Err(bad("its URL is not https://, http:// or file://"));
            }
            Some(parsed.as_str().trim_end_matches('/').to_string())
        }
    };
    Ok(Gosumdb::On(Box::new(Database { verifier, url })))
}

/// A database name must be `host[/path]`, so that `https://<name>` is its URL and nothing
/// else (no user, port tricks, query or `..`).
fn check_name(name: &str) -> Result<(), &'static str> {
    let bad = "the database name must be host[/path]";
    let url = url::Url::parse(&format!("https://{name}")).map_err(|_| bad)?;
    let plain = url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
        && url.host_str().is_some_and(|h| !h.is_empty());
    let segments_ok = name
        .split('/')
        .skip(1)
        .all(|s| !s.is_empty() && s != "." && s != "..");
    let same = url.as_str().trim_end_matches('/') == format!("https://{name}");
    if plain && segments_ok && same && !name.ends_with('/') {
        Ok(())
    } else {
        Err(bad)
    }
}

/// A checksum database at one base URL: directly, or `<proxy>/sumdb/<name>`.
pub struct Server<'a> {
    pub remote: &'a dyn Remote,
    pub base: String,
}

impl Server<'_> {
    /// The URL of `path` (`lookup/…`, `tile/…`) on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base.trim_end_matches('/'))
    }

    pub fn get(&self, path: &str, limit: u64) -> Result<Vec<u8>, RemoteError> {
        self.remote.get(&self.url(path), limit)
    }
}

/// What the database proved about a module version: kept in the install record so the
/// proof can be shown, and its signature checked again, later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    /// The database's name (`sum.golang.org`) and key id (`sum.golang.org+033de0ae`).
    pub database: String,
    pub key: String,
    /// The lookup's URL (which says whether a proxy served it).
    pub url: String,
    /// The record's number in the log.
    pub record: u64,
    /// The module zip's hash as recorded.
    pub h1: String,
    /// The signed tree the record was proved in.
    pub tree_size: u64,
    pub tree_hash: String,
    pub tree_note: String,
}

/// What proves a record with no network: the record (its go.sum lines) and its number, the
/// signed tree head it is in, and the inclusion proof (the sibling hashes, base64, leaf
/// side first). See [`verify_inclusion_offline`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inclusion {
    pub record: u64,
    pub text: String,
    pub note: String,
    pub hashes: Vec<String>,
}

/// Checks `inclusion` with no network, as [`Client::prove`] checks a lookup: the tree head is
/// signed by `verifier`, the record is about `module version`, and it is leaf `record` of
/// that tree by the proof's hashes. Returns the record's `h1:` and the signed tree, or why
/// it does not verify.
pub fn verify_inclusion_offline(
    verifier: &Verifier,
    module: &str,
    version: &str,
    inclusion: &Inclusion,
) -> Result<(String, Tree), String> {
    let text = verifier.open(inclusion.note.as_bytes()).map_err(|e| {
        format!(
            "its tree head does not verify against the key {}: {e}",
            verifier.id()
        )
    })?;
    let tree = Tree::parse(text).map_err(|e| e.to_string())?;
    let record = Record {
        id: inclusion.record,
        text: &inclusion.text,
        note: inclusion.note.as_bytes(),
    };
    if inclusion.text.chars().any(|c| c < ' ' && c != '\n') || !inclusion.text.ends_with('\n') {
        return Err("its record is not a checksum database record".into());
    }
    let h1 = record
        .h1(module, version)
        .ok_or_else(|| format!("its record is not about {module}@{version}"))?;
    let hashes = inclusion
        .hashes
        .iter()
        .map(|h| {
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, h)
                .ok()
                .and_then(|b| tlog::Hash::try_from(b).ok())
                .ok_or_else(|| format!("its proof holds '{h}', which is not a base64 SHA-256 hash"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let leaf = tlog::record_hash(inclusion.text.as_bytes());
    if !tlog::verify_inclusion(&hashes, tree.size, record.id, &leaf, &tree.hash) {
        return Err(format!(
            "its inclusion proof does not show record #{} in the signed tree #{}",
            record.id, tree.size
        ));
    }
    Ok((h1.to_string(), tree))
}

/// Looks records up in one database and proves them.
pub struct Client<'a> {
    db: &'a Database,
    server: Server<'a>,
    latest: Latest,
}

impl<'a> Client<'a> {
    /// A client for `db` reached at `base`, keeping its state below `cache_dir`.
    pub fn new(db: &'a Database, remote: &'a dyn Remote, base: String, cache_dir: &Path) -> Self {
        Client {
            db,
            server: Server { remote, base },
            latest: Latest::new(cache_dir, &db.verifier),
        }
    }

    /// Looks `module version` up and proves the record, or fails.
    pub fn prove(&self, module: &str, version: &str) -> Result<Proof, SumdbError> {
        self.prove_with_inclusion(module, version)
            .map(|(proof, _)| proof)
    }

    /// As [`Client::prove`], and keeps what proves the record with no network at all: the
    /// record, the signed tree head and the inclusion proof (a lock file, docs/lock.md).
    pub fn prove_with_inclusion(
        &self,
        module: &str,
        version: &str,
    ) -> Result<(Proof, Inclusion), SumdbError> {
        let path = format!("lookup/{module}@{version}");
        let url = self.server.url(&path);
        let body = match self.server.get(&path, LOOKUP_LIMIT) {
            Ok(body) => body,
            Err(e) if e.is_not_found() => {
                return Err(SumdbError::NoRecord {
                    db: self.db.name().to_string(),
                    module: module.to_string(),
                    version: version.to_string(),
                    url,
                });
            }
            Err(e) => return Err(e.into()),
        };
        let malformed = |reason: String| SumdbError::Malformed {
            url: url.clone(),
            reason,
        };
        let record = Record::parse(&body).map_err(|e| malformed(e.to_string()))?;
        let text = self
            .db
            .verifier
            .open(record.note)
            .map_err(|source| SumdbError::Signature {
                url: url.clone(),
                key: self.db.verifier.id(),
                source,
            })?;
        let tree = Tree::parse(text).map_err(|e| malformed(e.to_string()))?;
        let h1 = record.h1(module, version).ok_or_else(|| {
            malformed(format!(
                "the record it sent is not about {module}@{version}"
            ))
        })?;
        let hashes = self.check_and_keep(&record, &tree, &url)?;
        let proof = Proof {
            database: self.db.name().to_string(),
            key: self.db.verifier.id(),
            url,
            record: record.id,
            h1: h1.to_string(),
            tree_size: tree.size,
            tree_hash: tlog::to_base64(&tree.hash),
            tree_note: String::from_utf8_lossy(record.note).into_owned(),
        };
        let inclusion = Inclusion {
            record: record.id,
            text: record.text.to_string(),
            note: proof.tree_note.clone(),
            hashes: hashes.iter().map(tlog::to_base64).collect(),
        };
        Ok((proof, inclusion))
    }

    /// Under the state's lock: `tree` is one history with the tree kept from before (checked
    /// first, so a fork is named as one), the record is in `tree`, and a `tree` larger than
    /// the kept one is kept in its place, with the tiles its root proves.
    /// Returns the inclusion proof.
    fn check_and_keep(
        &self,
        record: &Record,
        tree: &Tree,
        url: &str,
    ) -> Result<Vec<tlog::Hash>, SumdbError> {
        let _lock = self.latest.lock()?;
        let kept = self.latest.load(&self.db.verifier)?;
        let kept_tiles = match &kept {
            Some((known, _)) => self.latest.load_tiles(known),
            None => Default::default(),
        };
        let had_tiles = !kept_tiles.is_empty();
        let cache = TileCache::with(kept_tiles);
        if let Some((known, _)) = &kept {
            self.check_consistent(tree, known, &cache)?;
        }
        let hashes = self.prove_inclusion(record, tree, &cache, url)?;
        match &kept {
            Some((known, _)) if known.size > tree.size => {}
            // The kept tree again: keep its tiles if none are (a state an older gopin left).
            Some((known, _)) if known.size == tree.size && had_tiles => {}
            Some((known, _)) if known.size == tree.size => self.keep_tiles(tree, &cache),
            _ => {
                self.latest.save(record.note)?;
                self.keep_tiles(tree, &cache);
            }
        }
        Ok(hashes)
    }

    /// The record is leaf `record.id` of `tree`; returns the proof.
    fn prove_inclusion(
        &self,
        record: &Record,
        tree: &Tree,
        cache: &TileCache,
        url: &str,
    ) -> Result<Vec<tlog::Hash>, SumdbError> {
        let not_proved = |what: String| SumdbError::NotProved {
            db: self.db.name().to_string(),
            url: url.to_string(),
            what,
        };
        if record.id >= tree.size {
            return Err(not_proved(format!(
                "record #{} is in the tree of size {} it came with",
                record.id, tree.size
            )));
        }
        let tiles = TileHashes {
            server: &self.server,
            size: tree.size,
            cache,
        };
        let proof = tlog::inclusion_proof(&tiles, tree.size, record.id).map_err(|e| {
            needed_for(
                e,
                format!(
                    ", which the proof of record #{} in tree #{} needs",
                    record.id, tree.size
                ),
            )
        })?;
        let leaf = tlog::record_hash(record.text.as_bytes());
        if !tlog::verify_inclusion(&proof, tree.size, record.id, &leaf, &tree.hash) {
            return Err(not_proved(format!(
                "the record it sent is record #{} of tree #{}",
                record.id, tree.size
            )));
        }
        Ok(proof)
    }

    /// `tree` and the tree `known` (verified before and kept) are one history: the smaller is
    /// a prefix of the larger, proved from the larger tree's tiles. When `tree` is the smaller
    /// one (a lagging server, a caching proxy), those are the kept tree's, which this machine
    /// keeps: a server that never saw the kept tree cannot serve them.
    fn check_consistent(
        &self,
        tree: &Tree,
        known: &Tree,
        cache: &TileCache,
    ) -> Result<(), SumdbError> {
        let (older, newer) = if tree.size >= known.size {
            (*known, *tree)
        } else {
            (*tree, *known)
        };
        let tiles = TileHashes {
            server: &self.server,
            size: newer.size,
            cache,
        };
        let proof = tlog::consistency_proof(&tiles, older.size, newer.size).map_err(|e| {
            let lag = if tree.size < known.size {
                format!(
                    ": it serves tree #{}, older than tree #{} this machine verified and keeps in {}, and that tile is not among the kept ones; retry when it has caught up, or use an up-to-date server",
                    tree.size,
                    known.size,
                    shown(&self.latest.path())
                )
            } else {
                String::new()
            };
            needed_for(
                e,
                format!(
                    ", which the proof that tree #{} extends tree #{} needs{lag}",
                    newer.size, older.size
                ),
            )
        })?;
        if !tlog::verify_consistency(&proof, older.size, newer.size, &older.hash, &newer.hash) {
            return Err(SumdbError::Inconsistent {
                db: self.db.name().to_string(),
                old_size: known.size,
                old_hash: tlog::to_base64(&known.hash),
                new_size: tree.size,
                new_hash: tlog::to_base64(&tree.hash),
                path: self.latest.path(),
            });
        }
        Ok(())
    }

    /// Keeps the tiles of the newly kept `tree` that its root proves: those of its last
    /// [`KEPT_RECORDS`] records and its right edge, fetching those the proofs did not need.
    /// They only spare later requests: when they cannot all be had, fewer are kept and
    /// nothing fails.
    fn keep_tiles(&self, tree: &Tree, cache: &TileCache) {
        let tiles = TileHashes {
            server: &self.server,
            size: tree.size,
            cache,
        };
        if let Err(e) = tiles.fetch_recent(KEPT_RECORDS) {
            ui::verbose(&format!("keeping fewer tiles of tree #{}: {e}", tree.size));
        }
        match tlog::tree_hash(&tiles, tree.size) {
            Ok(root) if root == tree.hash => {}
            Ok(_) => ui::verbose(&format!(
                "{}'s tiles of tree #{} do not fold to its signed root; none are kept",
                self.db.name(),
                tree.size
            )),
            Err(e) => ui::verbose(&format!(
                "not keeping the tiles of tree #{}: {e}",
                tree.size
            )),
        }
        match self.latest.save_tiles(tree, &cache.all()) {
            Ok(kept) => ui::verbose(&format!(
                "kept {kept} tiles of {}'s tree #{} in {}",
                self.db.name(),
                tree.size,
                shown(&self.latest.tiles_path())
            )),
            Err(e) => ui::verbose(&format!("not keeping tiles: {e}")),
        }
    }
}

/// A missing tile's error, saying what needed it.
fn needed_for(e: SumdbError, purpose: String) -> SumdbError {
    match e {
        SumdbError::MissingTile { url, .. } => SumdbError::MissingTile { url, purpose },
        other => other,
    }
}

#[cfg(test)]
pub mod testdb;
#[cfg(test)]
mod tests;
