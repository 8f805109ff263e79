//! The latest tree head gopin has verified for a checksum database, kept in its cache directory
//! (`<cache>/sumdb/<name>+<keyhash>/latest`, the signed note as the database sent it).
//!
//! Every tree a database serves afterwards must be consistent with it: that is what makes the
//! log append-only for this machine, so a database (or a proxy in front of it) cannot show
//! one history now and another later. The file is re-verified against the key whenever it is
//! read; updates happen under a lock and by rename, so two gopin processes never interleave.
//!
//! Beside it, `tiles` keeps the tiles of that tree its root proves (its right edge, and the
//! full tiles below it that proofs used): with them an older tree that a lagging server or a
//! caching proxy offers can be checked against the kept one without asking for tiles of a tree
//! that server has never seen, and a fork of it is caught. They are proved again by the kept
//! tree's root whenever they are read.

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use std::collections::HashMap;

use super::SumdbError;
use super::note::Verifier;
use super::tiles::{MAX_KEPT, TileKey, kept_tiles};
use super::tlog::Tree;
use crate::fsio::{Durability, IoError, write_atomic};

/// A tree note is a few hundred bytes; anything much larger is not one.
const NOTE_LIMIT: u64 = 64 * 1024;

/// Where one database's latest verified tree lives.
pub struct Latest {
    dir: PathBuf,
}

/// Holds the lock on a database's state until dropped.
pub struct Locked {
    _file: File,
}

impl Latest {
    /// The state of the database `verifier` names, below `cache_dir`.
    pub fn new(cache_dir: &Path, verifier: &Verifier) -> Latest {
        Latest {
            dir: cache_dir.join("sumdb").join(file_name(&verifier.id())),
        }
    }

    /// The file that holds the note.
    pub fn path(&self) -> PathBuf {
        self.dir.join("latest")
    }

    /// Waits for and takes the lock that serialises updates.
    pub fn lock(&self) -> Result<Locked, SumdbError> {
        fs::create_dir_all(&self.dir).map_err(cache_err("create", &self.dir))?;
        let path = self.dir.join("lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(cache_err("open", &path))?;
        file.lock().map_err(cache_err("lock", &path))?;
        Ok(Locked { _file: file })
    }

    /// The tree kept, checked against the key again; `None` before the first verification.
    pub fn load(&self, verifier: &Verifier) -> Result<Option<(Tree, Vec<u8>)>, SumdbError> {
        let path = self.path();
        let damaged = |reason: String| SumdbError::BadLatest {
            path: path.clone(),
            reason,
        };
        let Some(note) =
            crate::userfile::read(&path, NOTE_LIMIT).map_err(|e| damaged(e.to_string()))?
        else {
            return Ok(None);
        };
        let text = verifier.open(&note).map_err(|e| damaged(e.to_string()))?;
        let tree = Tree::parse(text).map_err(|e| damaged(e.to_string()))?;
        Ok(Some((tree, note)))
    }

    /// Replaces the kept note (the caller holds the lock and has verified `note`).
    /// Durability: flushed. The kept tree is the rollback protection: were a power loss to
    /// bring back an older tree, or an empty file, a database that forked its log after
    /// this verification could show the fork unnoticed.
    pub fn save(&self, note: &[u8]) -> Result<(), SumdbError> {
        fs::create_dir_all(&self.dir).map_err(cache_err("create", &self.dir))?;
        let path = self.path();
        write_atomic(&path, note, Durability::Flushed).map_err(cache_err("write", &path))?;
        Ok(())
    }
}

impl Latest {
    /// The file that holds the kept tiles of the latest tree.
    pub fn tiles_path(&self) -> PathBuf {
        self.dir.join("tiles")
    }

    /// The tiles kept for `tree` (the latest tree, as loaded), each proved again by the
    /// tree's root ([`kept_tiles`]): a missing, damaged or stale file keeps nothing, since the
    /// tiles are a cache that only spares asking a server.
    pub fn load_tiles(&self, tree: &Tree) -> HashMap<TileKey, Vec<u8>> {
        let path = self.tiles_path();
        let bytes = match crate::userfile::read(&path, TILES_LIMIT) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return HashMap::new(),
            Err(e) => {
                crate::ui::verbose(&format!("not using the kept tiles: {e}"));
                return HashMap::new();
            }
        };
        match decode_tiles(&bytes) {
            Some((size, tiles)) if size == tree.size => kept_tiles(tree, &tiles),
            _ => {
                crate::ui::verbose(&format!(
                    "not using {}: it does not hold tiles of tree #{}",
                    crate::ui::shown(&path),
                    tree.size
                ));
                HashMap::new()
            }
        }
    }

    /// Keeps the tiles of `tree` (which the caller has verified, holding the lock) that its
    /// root proves, in place of those of the tree kept before. Durability: flushed, like the
    /// tree they belong to: without them after a power loss, an older tree that a lagging
    /// server offers could not be checked against the kept one, and the install would fail.
    pub fn save_tiles(
        &self,
        tree: &Tree,
        candidates: &HashMap<TileKey, Vec<u8>>,
    ) -> Result<usize, SumdbError> {
        let tiles = kept_tiles(tree, candidates);
        let path = self.tiles_path();
        write_atomic(&path, &encode_tiles(tree.size, &tiles), Durability::Flushed)
            .map_err(cache_err("write", &path))?;
        Ok(tiles.len())
    }
}

/// A failed file operation in the cache directory, which GOPIN_CACHE_DIR moves.
fn cache_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> IoError {
    IoError::at(action, path, "set GOPIN_CACHE_DIR to a writable directory")
}

/// The kept tiles file is at most [`MAX_KEPT`] tiles of 8 KiB and their headers.
const TILES_LIMIT: u64 = (MAX_KEPT as u64 + 1) * 8 * 1024 + 64 * 1024;
/// The first line of the kept tiles file.
const TILES_MAGIC: &str = "gopin sumdb tiles 1\n";

/// `gopin sumdb tiles 1`, the tree's size, then each tile: `<level> <index> <width>` and its
/// hashes, raw.
fn encode_tiles(size: u64, tiles: &HashMap<TileKey, Vec<u8>>) -> Vec<u8> {
    let mut keys: Vec<&TileKey> = tiles.keys().collect();
    keys.sort();
    let mut out = format!("{TILES_MAGIC}{size}\n").into_bytes();
    for key in keys {
        out.extend_from_slice(format!("{} {} {}\n", key.0, key.1, key.2).as_bytes());
        out.extend_from_slice(&tiles[key]);
    }
    out
}

/// The tree size and tiles of a kept tiles file, or `None` if it is not one.
fn decode_tiles(bytes: &[u8]) -> Option<(u64, HashMap<TileKey, Vec<u8>>)> {
    fn line<'a>(rest: &mut &'a [u8]) -> Option<&'a str> {
        let end = rest.iter().position(|&b| b == b'\n')?;
        let (l, r) = rest.split_at(end);
        *rest = &r[1..];
        std::str::from_utf8(l).ok()
    }
    let mut rest = bytes.strip_prefix(TILES_MAGIC.as_bytes())?;
    let size: u64 = line(&mut rest)?.parse().ok()?;
    let mut tiles = HashMap::new();
    loop {
        if rest.is_empty() {
            return Some((size, tiles));
        }
        let header = line(&mut rest)?;
        let mut fields = header.split(' ').map(str::parse::<u64>);
        let (level, index, width) = (
            fields.next()?.ok()?,
            fields.next()?.ok()?,
            fields.next()?.ok()?,
        );
        if fields.next().is_some() || !(1..=256).contains(&width) || level > 7 {
            return None;
        }
        let len = width as usize * 32;
        if rest.len() < len {
            return None;
        }
        let (data, after) = rest.split_at(len);
        tiles.insert((level as u32, index, width), data.to_vec());
        rest = after;
    }
}

/// A database id as one safe file name: `sum.golang.org+033de0ae`; a `/` or any other byte
/// outside `[A-Za-z0-9.+_-]` becomes `%XX`.
fn file_name(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"+-_".contains(&b) || (b == b'.' && !out.is_empty()) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::note::tests::{sign, test_key};
    use super::super::tlog::to_base64;
    use super::*;

    #[test]
    fn file_names_are_single_safe_components() {
        assert_eq!(
            file_name("sum.golang.org+033de0ae"),
            "sum.golang.org+033de0ae"
        );
        assert_eq!(
            file_name("db.example.com:8443/sumdb+01234567"),
            "db.example.com%3A8443%2Fsumdb+01234567"
        );
        assert_eq!(file_name("..+01234567"), "%2E.+01234567");
    }

    #[test]
    fn saved_notes_are_reverified_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let (key, vkey) = test_key("db.test", 3);
        let v = Verifier::parse(&vkey).unwrap();
        let latest = Latest::new(dir.path(), &v);
        assert_eq!(latest.load(&v).unwrap(), None);
        let text = format!("go.sum database tree\n5\n{}\n", to_base64(&[9; 32]));
        let note = sign(&text, "db.test", &key);
        let _lock = latest.lock().unwrap();
        latest.save(note.as_bytes()).unwrap();
        let (tree, kept) = latest.load(&v).unwrap().unwrap();
        assert_eq!(tree.size, 5);
        assert_eq!(kept, note.as_bytes());
        // Edited on disk: refused, naming the file and the fix.
        fs::write(latest.path(), note.replace("\n5\n", "\n6\n")).unwrap();
        let err = latest.load(&v).unwrap_err().to_string();
        assert!(err.contains("latest") && err.contains("delete it"), "{err}");
    }

    #[test]
    fn kept_tiles_round_trip_and_damaged_files_are_not_used() {
        use super::super::tiles::TileKey;
        use super::super::tlog::tests::MemoryLog;
        use super::super::tlog::{self, Hash};
        let dir = tempfile::tempdir().unwrap();
        let (_, vkey) = test_key("db.test", 3);
        let latest = Latest::new(dir.path(), &Verifier::parse(&vkey).unwrap());
        let log = MemoryLog::with_leaves(300);
        let tree = Tree {
            size: 300,
            hash: tlog::tree_hash(&log, 300).unwrap(),
        };
        let tile = |level: usize, index: u64, width: u64| -> Vec<u8> {
            let hashes: &Vec<Hash> = &log.levels[level * 8];
            let from = (index * 256) as usize;
            hashes[from..from + width as usize].concat()
        };
        let tiles: HashMap<TileKey, Vec<u8>> = [
            ((0, 0, 256), tile(0, 0, 256)),
            ((0, 1, 44), tile(0, 1, 44)),
            ((1, 0, 1), tile(1, 0, 1)),
        ]
        .into_iter()
        .collect();
        let _lock = latest.lock().unwrap();
        assert_eq!(latest.save_tiles(&tree, &tiles).unwrap(), 3);
        assert_eq!(latest.load_tiles(&tree), tiles);
        // Kept for another tree: not used for this one.
        let other = Tree { size: 299, ..tree };
        assert!(latest.load_tiles(&other).is_empty());
        // One hash changed on disk: that tile, and what it proves, are not used.
        let path = latest.tiles_path();
        let mut bytes = fs::read(&path).unwrap();
        let at = bytes.len() - 1;
        bytes[at] ^= 1;
        fs::write(&path, &bytes).unwrap();
        assert!(latest.load_tiles(&tree).is_empty());
        // Cut short, or not a tiles file at all: nothing, and no error.
        fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(latest.load_tiles(&tree).is_empty());
        fs::write(&path, "garbage").unwrap();
        assert!(latest.load_tiles(&tree).is_empty());
    }
}
