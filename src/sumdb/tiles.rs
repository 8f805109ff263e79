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

use super::tlog::{Hash, SubtreeHashes, node_hash};
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

/// Tiles already fetched during one verification, by (level, index, width).
#[derive(Default)]
pub struct TileCache {
    tiles: RefCell<HashMap<(u32, u64, u64), Vec<u8>>>,
}

/// The complete-subtree hashes of one tree (`size` leaves), read from its tiles.
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
        let (got, from, expected) = match self.server.get(&own, want as u64) {
            Ok(data) => (data, own, want),
            // The tile has been completed since: its first hashes are the ones wanted.
            Err(e) if e.is_not_found() && width < WIDTH => {
                let full = path(level, index, WIDTH);
                let data = self.server.get(&full, full_size as u64)?;
                (data, full, full_size)
            }
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

impl SubtreeHashes for TileHashes<'_> {
    type Error = SumdbError;

    fn subtree(&self, level: u32, index: u64) -> Result<Hash, SumdbError> {
        let (tile_level, within) = (level / HEIGHT, level % HEIGHT);
        // The subtree is 2^within consecutive hashes of the tile level.
        let first = index << within;
        let count = 1u64 << within;
        let tile_index = first / WIDTH;
        let offset = first % WIDTH;
        let stored = self.size >> (tile_level * HEIGHT);
        let width = (stored - tile_index * WIDTH).min(WIDTH);
        assert!(
            offset + count <= width,
            "a complete subtree of the tree lies in its tiles"
        );
        let data = self.tile(tile_level, tile_index, width)?;
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
        Ok(hashes[0])
    }
}

#[cfg(test)]
pub mod tests {
    use super::super::tlog::tests::MemoryLog;
    use super::super::tlog::{self, Hash};
    use super::*;
    use crate::remote::InMemory;

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
