//! Hash tiles: how a checksum database serves the hashes of its Merkle tree.
//!
//! With tile height 8 (what sum.golang.org and `go` use), tile `N` of level `L` holds the
//! hashes of the complete subtrees of `256^L` leaves numbered `256·N` to `256·N + W - 1`:
//! `W` 32-byte hashes, `W = 256` for a full tile. A tree of size `n` ends in a partial tile
//! at each level, named `<N>.p/<W>`; once the log grows past it the partial tile may vanish and
//! only the full one exists, whose first `W` hashes are the same. `N` is written in groups of
//! three digits, all but the last with an `x`: tile 1234067 is `x001/x234/067`.
//!
//! Tiles are not signed. They are only ever used to build a proof that is checked against a
//! signed root (see `tlog`), so a wrong tile makes a proof fail, never pass.

use std::cell::RefCell;
use std::collections::HashMap;

use super::tlog::{self, Hash, SubtreeHashes, Tree, node_hash};
use super::{Server, SumdbError};

/// Levels of the tree per tile.
pub const HEIGHT: u32 = 8;
/// Hashes in a full tile.
const WIDTH: u64 = 1 << HEIGHT;
const HASH_SIZE: usize = 32;

/// The path of a tile below the database's URL: `tile/8/0/x001/234.p/5`.
pub fn path(level: u32, index: u64, width: u64) -> String {
    let mut n = index;
    let mut digits = format!("{:03}", n % 1000);
    while n >= 1000 {
        n /= 1000;
        digits = format!("x{:03}/{digits}", n % 1000);
    }
    let partial = if width < WIDTH {
        format!(".p/{width}")
    } else {
        String::new()
    };
    format!("tile/{HEIGHT}/{level}/{digits}{partial}")
}

/// A tile by (level, index, width).
pub type TileKey = (u32, u64, u64);

/// Tiles at hand during one verification, by (level, index, width): the ones fetched, and
/// the ones this machine kept from the tree it verified last ([`kept_tiles`]).
#[derive(Default)]
pub struct TileCache {
    tiles: RefCell<HashMap<TileKey, Vec<u8>>>,
}

impl TileCache {
    /// A cache that starts with `tiles` (verified tiles kept from an earlier run).
    pub fn with(tiles: HashMap<TileKey, Vec<u8>>) -> TileCache {
        TileCache {
            tiles: RefCell::new(tiles),
        }
    }

    /// Every tile at hand.
    pub fn all(&self) -> HashMap<TileKey, Vec<u8>> {
        self.tiles.borrow().clone()
    }
}

/// The complete-subtree hashes of one tree (`size` leaves), read from its tiles: those at
/// hand in `cache`, else the server's.
pub struct TileHashes<'a> {
    pub server: &'a Server<'a>,
    pub size: u64,
    pub cache: &'a TileCache,
}

impl TileHashes<'_> {
    /// Tile `index` of `level` as the tree of `self.size` leaves has it: `width` hashes.
    fn tile(&self, level: u32, index: u64, width: u64) -> Result<Vec<u8>, SumdbError> {
        let key = (level, index, width);
        if let Some(data) = self.cache.tiles.borrow().get(&key) {
            return Ok(data.clone());
        }
        let want = width as usize * HASH_SIZE;
        let full_size = WIDTH as usize * HASH_SIZE;
        let own = path(level, index, width);
        let missing = |url: String| SumdbError::MissingTile {
            url,
            purpose: String::new(),
        };
        let (got, from, expected) = match self.server.get(&own, want as u64) {
            Ok(data) => (data, own, want),
            // The tile has been completed since: its first hashes are the ones wanted.
            Err(e) if e.is_not_found() && width < WIDTH => {
                let full = path(level, index, WIDTH);
                match self.server.get(&full, full_size as u64) {
                    Ok(data) => (data, full, full_size),
                    Err(e) if e.is_not_found() => return Err(missing(self.server.url(&own))),
                    Err(e) => return Err(e.into()),
                }
            }
            Err(e) if e.is_not_found() => return Err(missing(self.server.url(&own))),
            Err(e) => return Err(e.into()),
        };
        if got.len() != expected {
            return Err(SumdbError::Malformed {
                url: self.server.url(&from),
                reason: format!(
                    "it sent {} bytes for a tile of {} hashes",
                    got.len(),
                    expected / HASH_SIZE
                ),
            });
        }
        let data = got[..want].to_vec();
        self.cache.tiles.borrow_mut().insert(key, data.clone());
        Ok(data)
    }
}

impl TileHashes<'_> {
    /// Brings every tile of the tree that holds hashes of its last `records` records into the
    /// cache (at each level, from the tile of record `size - records` to the right edge): what
    /// proves that a tree up to that many records older is a prefix of this one, which a
    /// server holding only the older tree cannot. The first failure stops it.
    pub fn fetch_recent(&self, records: u64) -> Result<(), SumdbError> {
        let from = self.size.saturating_sub(records);
        let mut level = 0;
        while let Some(stored) = self.size.checked_shr(level * HEIGHT).filter(|&s| s > 0) {
            let first = (from >> (level * HEIGHT)) / WIDTH;
            for index in first..=(stored - 1) / WIDTH {
                let width = (stored - index * WIDTH).min(WIDTH);
                self.tile(level, index, width)?;
            }
            level += 1;
        }
        Ok(())
    }
}

/// Where the complete subtree `(level, index)` of a tree of `size` leaves lies: the tile that
/// holds it, and the run of that tile's hashes (first, count) that fold into it.
fn locate(size: u64, level: u32, index: u64) -> (TileKey, u64, u64) {
    let (tile_level, within) = (level / HEIGHT, level % HEIGHT);
    // The subtree is 2^within consecutive hashes of the tile level.
    let first = index << within;
    let count = 1u64 << within;
    let tile_index = first / WIDTH;
    let offset = first % WIDTH;
    let stored = size >> (tile_level * HEIGHT);
    let width = (stored - tile_index * WIDTH).min(WIDTH);
    assert!(
        offset + count <= width,
        "a complete subtree of the tree lies in its tiles"
    );
    ((tile_level, tile_index, width), offset, count)
}

/// The hash of `count` consecutive hashes of a tile from `offset` on (a power of two).
fn fold(data: &[u8], offset: u64, count: u64) -> Hash {
    let mut hashes: Vec<Hash> = data[offset as usize * HASH_SIZE..]
        .chunks_exact(HASH_SIZE)
        .take(count as usize)
        .map(|c| c.try_into().expect("32 bytes"))
        .collect();
    while hashes.len() > 1 {
        hashes = hashes
            .chunks_exact(2)
            .map(|p| node_hash(&p[0], &p[1]))
            .collect();
    }
    hashes[0]
}

impl SubtreeHashes for TileHashes<'_> {
    type Error = SumdbError;

    fn subtree(&self, level: u32, index: u64) -> Result<Hash, SumdbError> {
        let ((l, i, w), offset, count) = locate(self.size, level, index);
        let data = self.tile(l, i, w)?;
        Ok(fold(&data, offset, count))
    }
}

/// Hashes of one tree from a fixed set of tiles, remembering which tiles were read.
struct AtHand<'a> {
    size: u64,
    tiles: &'a HashMap<TileKey, Vec<u8>>,
    used: RefCell<Vec<TileKey>>,
}

impl SubtreeHashes for AtHand<'_> {
    type Error = TileKey;

    fn subtree(&self, level: u32, index: u64) -> Result<Hash, TileKey> {
        let (key, offset, count) = locate(self.size, level, index);
        let data = self.tiles.get(&key).ok_or(key)?;
        self.used.borrow_mut().push(key);
        Ok(fold(data, offset, count))
    }
}

/// At most this many tiles are kept (8 KiB each at most): the right edge of the tree, and
/// the full tiles below it that proofs used, highest levels first.
pub const MAX_KEPT: usize = 256;

/// Which of `candidates` are tiles of `tree` whose every hash is proved by its signed root.
///
/// The last, partial tile of each level (its right edge) is proved by folding the tree's
/// root from exactly those tiles: every one of their hashes goes into it. A full tile is
/// proved by its parent: the hash its 256 hashes fold to is one hash of a proved tile a level
/// up. Nothing here is taken on trust, so a damaged or forged tile is simply not among the
/// answer. Empty when the right edge is not all there.
pub fn kept_tiles(
    tree: &Tree,
    candidates: &HashMap<TileKey, Vec<u8>>,
) -> HashMap<TileKey, Vec<u8>> {
    let mut proved = HashMap::new();
    if tree.size == 0 {
        return proved;
    }
    let well_formed = |key: &TileKey, data: &Vec<u8>| data.len() as u64 == key.2 * HASH_SIZE as u64;
    let edge = AtHand {
        size: tree.size,
        tiles: candidates,
        used: RefCell::new(Vec::new()),
    };
    match tlog::tree_hash(&edge, tree.size) {
        Ok(root) if root == tree.hash => {}
        _ => return proved,
    }
    // Only partial tiles go into a root, each with all its hashes; a full one never does.
    for key in edge.used.into_inner().into_iter().filter(|k| k.2 < WIDTH) {
        if let Some(data) = candidates.get(&key).filter(|d| well_formed(&key, d)) {
            proved.insert(key, data.clone());
        }
    }
    // Full tiles of the tree, each below a proved parent: from the top level down.
    let mut full: Vec<(&TileKey, &Vec<u8>)> = candidates
        .iter()
        .filter(|&(key, data)| {
            let (level, index, width) = *key;
            let stored = tree.size.checked_shr(level * HEIGHT).unwrap_or(0);
            width == WIDTH
                && index.checked_add(1).and_then(|n| n.checked_mul(WIDTH)) <= Some(stored)
                && well_formed(key, data)
        })
        .collect();
    full.sort_by_key(|&(key, _)| (std::cmp::Reverse(key.0), key.1));
    for (&(level, index, _), data) in full {
        let (parent, offset, _) = locate(tree.size, (level + 1) * HEIGHT, index);
        let Some(above) = proved.get(&parent) else {
            continue;
        };
        let at = offset as usize * HASH_SIZE;
        if above[at..at + HASH_SIZE] == fold(data, 0, WIDTH) {
            proved.insert((level, index, WIDTH), data.clone());
        }
    }
    // Bounded: the edge and the highest full tiles (a parent before what it proves).
    if proved.len() > MAX_KEPT {
        let mut keys: Vec<TileKey> = proved.keys().copied().collect();
        keys.sort_by_key(|&(level, index, width)| {
            (width == WIDTH, std::cmp::Reverse(level), index)
        });
        for key in keys.into_iter().skip(MAX_KEPT) {
            proved.remove(&key);
        }
    }
    proved
}

#[cfg(test)]
pub mod tests {
    use super::super::tlog::tests::MemoryLog;
    use super::super::tlog::{self, Hash};
    use super::*;
    use crate::net::remote::InMemory;

    fn server(remote: &InMemory) -> Server<'_> {
        Server {
            remote,
            base: "http://db".into(),
        }
    }

    #[test]
    fn tile_paths() {
        assert_eq!(path(0, 0, 256), "tile/8/0/000");
        assert_eq!(path(0, 5, 17), "tile/8/0/005.p/17");
        assert_eq!(path(1, 1234, 256), "tile/8/1/x001/234");
        assert_eq!(path(2, 1_234_067, 3), "tile/8/2/x001/x234/067.p/3");
        assert_eq!(path(0, 1000, 256), "tile/8/0/x001/000");
    }

    /// The tiles a log of `size` leaves serves, as `url → bytes`: every full tile, and the last
    /// tile of each level at every width up to its current one (a database computes any
    /// `.p/W` it has the hashes for, so clients can check earlier trees).
    pub fn publish(remote: &InMemory, base: &str, log: &MemoryLog, size: u64) {
        let mut level = 0u32;
        loop {
            let stored = size >> (level * HEIGHT);
            if stored == 0 {
                break;
            }
            let hashes = &log.levels[(level * HEIGHT) as usize];
            let tile = |index: u64, width: u64| -> Vec<u8> {
                let from = (index * WIDTH) as usize;
                hashes[from..from + width as usize]
                    .iter()
                    .flat_map(|h: &Hash| h.iter().copied())
                    .collect()
            };
            for index in 0..stored / WIDTH {
                remote.put(
                    &format!("{base}/{}", path(level, index, WIDTH)),
                    tile(index, WIDTH),
                );
            }
            let last = stored / WIDTH;
            for width in 1..=stored % WIDTH {
                remote.put(
                    &format!("{base}/{}", path(level, last, width)),
                    tile(last, width),
                );
            }
            level += 1;
        }
    }

    #[test]
    fn tiles_give_the_same_proofs_as_the_whole_log() {
        // Past 256 leaves at level 0 and past 65536 at level 1: every kind of tile.
        let size = 65_536 + 256 * 3 + 7;
        let log = MemoryLog::with_leaves(size);
        let remote = InMemory::default();
        publish(&remote, "http://db", &log, size);
        let server = server(&remote);
        let cache = TileCache::default();
        let tiles = TileHashes {
            server: &server,
            size,
            cache: &cache,
        };
        let root = tlog::tree_hash(&log, size).unwrap();
        assert_eq!(tlog::tree_hash(&tiles, size).unwrap(), root);
        for index in [0, 1, 255, 256, 65_535, 65_536, size - 8, size - 1] {
            let proof = tlog::inclusion_proof(&tiles, size, index).unwrap();
            assert_eq!(proof, tlog::inclusion_proof(&log, size, index).unwrap());
            let leaf = log.levels[0][index as usize];
            assert!(tlog::verify_inclusion(&proof, size, index, &leaf, &root));
        }
        for old in [1, 256, 300, 65_536, 65_537, size - 1] {
            let proof = tlog::consistency_proof(&tiles, old, size).unwrap();
            assert_eq!(proof, tlog::consistency_proof(&log, old, size).unwrap());
        }
        // One request per tile: the cache serves repeats.
        let asked = remote.asked();
        let mut unique = asked.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(asked.len(), unique.len());
    }

    #[test]
    fn completed_partial_tiles_are_read_from_the_full_tile() {
        let log = MemoryLog::with_leaves(600);
        let remote = InMemory::default();
        // The server has grown to 600 leaves (tiles 000 and 001 full); the client checks the
        // tree of 300, whose level-0 tile 001 was partial (44 hashes) and now exists only whole.
        publish(&remote, "http://db", &log, 600);
        let server = server(&remote);
        let cache = TileCache::default();
        let tiles = TileHashes {
            server: &server,
            size: 300,
            cache: &cache,
        };
        assert_eq!(
            tlog::tree_hash(&tiles, 300).unwrap(),
            tlog::tree_hash(&log, 300).unwrap()
        );
        let asked = remote.asked();
        assert!(asked.contains(&"http://db/tile/8/0/001.p/44".to_string()));
        assert!(asked.contains(&"http://db/tile/8/0/001".to_string()));
    }

    #[test]
    fn short_or_long_tiles_are_errors_naming_the_url() {
        let log = MemoryLog::with_leaves(10);
        let remote = InMemory::default();
        publish(&remote, "http://db", &log, 10);
        remote.put("http://db/tile/8/0/000.p/10", vec![0u8; 9 * 32]);
        let server = server(&remote);
        let cache = TileCache::default();
        let tiles = TileHashes {
            server: &server,
            size: 10,
            cache: &cache,
        };
        let err = tlog::tree_hash(&tiles, 10).unwrap_err().to_string();
        assert!(err.contains("http://db/tile/8/0/000.p/10"), "{err}");
        remote.put("http://db/tile/8/0/000.p/10", vec![0u8; 11 * 32]);
        let cache = TileCache::default();
        let tiles = TileHashes {
            server: &server,
            size: 10,
            cache: &cache,
        };
        assert!(tlog::tree_hash(&tiles, 10).is_err());
    }
}
