//! The checksum database's log: an RFC 6962 Merkle tree over the records, and the two proofs a
//! client checks against a signed tree head.
//!
//! - **Inclusion**: the record at index `i` is leaf `i` of the tree of size `n` whose root is
//!   the signed hash. The proof is the hashes of the sibling subtrees along the path to the
//!   root; folding them with the record's own hash must give the root.
//! - **Consistency**: the tree of size `m` is a prefix of the tree of size `n` (the log only
//!   ever appended). Folding the proof must give both signed roots.
//!
//! Proofs are assembled here from hashes of complete subtrees ([`SubtreeHashes`]), which the
//! database serves in tiles (see `tiles`). Nothing a server sends is trusted on its own: every
//! hash ends up folded into a root that must equal a signed one, so a lying server can only
//! make verification fail.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use thiserror::Error;

pub type Hash = [u8; 32];

/// The first line of every tree head's text.
const TREE_HEADER: &str = "go.sum database tree\n";
/// Tree notes are three short lines; Go refuses anything past a megabyte.
const MAX_TREE_TEXT: usize = 1 << 20;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TlogError {
    #[error("the tree head is malformed: {0}")]
    MalformedTree(&'static str),
    #[error("the lookup response is malformed: {0}")]
    MalformedRecord(&'static str),
}

/// A leaf's hash: SHA-256(0x00 ‖ record text).
pub fn record_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// An interior node's hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Base64, how the protocol writes hashes.
pub fn to_base64(hash: &Hash) -> String {
    BASE64.encode(hash)
}

/// A tree head: the number of records and the root hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tree {
    pub size: u64,
    pub hash: Hash,
}

impl Tree {
    /// Parses a tree note's text: `go.sum database tree\n<size>\n<base64 root>\n` (Go ignores
    /// any further lines, and so does gopin).
    pub fn parse(text: &str) -> Result<Tree, TlogError> {
        let malformed = TlogError::MalformedTree;
        if text.len() > MAX_TREE_TEXT {
            return Err(malformed("too long"));
        }
        let body = text
            .strip_prefix(TREE_HEADER)
            .ok_or(malformed("it does not start with 'go.sum database tree'"))?;
        let mut lines = body.split('\n');
        let (Some(size), Some(hash), Some(_)) = (lines.next(), lines.next(), lines.next()) else {
            return Err(malformed("it has fewer than three lines"));
        };
        let size = canonical_number(size).ok_or(malformed("the size is not a number"))?;
        let hash = BASE64
            .decode(hash)
            .ok()
            .and_then(|h| Hash::try_from(h).ok())
            .ok_or(malformed("the root is not a base64 SHA-256 hash"))?;
        Ok(Tree { size, hash })
    }
}

/// A decimal number as Go formats one: digits only, no leading zeros, no overflow.
fn canonical_number(s: &str) -> Option<u64> {
    let n: u64 = s.parse().ok()?;
    (s.bytes().all(|b| b.is_ascii_digit()) && n.to_string() == s).then_some(n)
}

/// A lookup response: the record's index in the log, its text (the go.sum lines) and the
/// signed tree head that came with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    pub id: u64,
    pub text: &'a str,
    pub note: &'a [u8],
}

impl<'a> Record<'a> {
    /// Parses `<id>\n<text lines>\n\n<note>`.
    pub fn parse(msg: &'a [u8]) -> Result<Record<'a>, TlogError> {
        let malformed = TlogError::MalformedRecord;
        let nl = msg
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(malformed("no record number"))?;
        let id = std::str::from_utf8(&msg[..nl])
            .ok()
            .and_then(canonical_number)
            .ok_or(malformed("the record number is not a number"))?;
        let rest = &msg[nl + 1..];
        let end = rest
            .windows(2)
            .position(|w| w == b"\n\n")
            .ok_or(malformed("no tree head after the record"))?;
        let text = std::str::from_utf8(&rest[..end + 1])
            .map_err(|_| malformed("the record is not UTF-8"))?;
        if text.chars().any(|c| c < ' ' && c != '\n') {
            return Err(malformed("the record holds control characters"));
        }
        Ok(Record {
            id,
            text,
            note: &rest[end + 2..],
        })
    }

    /// The `h1:` hash the record gives for `module version` (not its `/go.mod` line).
    pub fn h1(&self, module: &str, version: &str) -> Option<&'a str> {
        let prefix = format!("{module} {version} ");
        self.text
            .lines()
            .find_map(|line| line.strip_prefix(prefix.as_str()))
            .filter(|h| h.starts_with("h1:") && !h.contains(' '))
    }
}

/// Hashes of complete subtrees of one tree: the `2^level` leaves from `index << level`.
pub trait SubtreeHashes {
    type Error;
    fn subtree(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// The largest power of two strictly below `n` (n ≥ 2).
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// The hash of leaves `lo..hi` as RFC 6962 defines it: a complete subtree when the range is
/// one, else the left power-of-two part joined with the rest.
pub fn range_hash<S: SubtreeHashes>(src: &S, lo: u64, hi: u64) -> Result<Hash, S::Error> {
    let n = hi - lo;
    if n.is_power_of_two() && lo.is_multiple_of(n) {
        return src.subtree(n.trailing_zeros(), lo >> n.trailing_zeros());
    }
    let k = split_point(n);
    Ok(node_hash(
        &range_hash(src, lo, lo + k)?,
        &range_hash(src, lo + k, hi)?,
    ))
}

/// The root of the tree of `size` leaves (the empty tree's root is SHA-256 of nothing): what
/// kept tiles are proved by, and what the tests check proofs against.
pub fn tree_hash<S: SubtreeHashes>(src: &S, size: u64) -> Result<Hash, S::Error> {
    if size == 0 {
        return Ok(Sha256::digest([]).into());
    }
    range_hash(src, 0, size)
}

/// The audit path of leaf `index` in the tree of `size` leaves, leaf side first.
pub fn inclusion_proof<S: SubtreeHashes>(
    src: &S,
    size: u64,
    index: u64,
) -> Result<Vec<Hash>, S::Error> {
    assert!(index < size, "the leaf is inside the tree");
    let mut path = Vec::new();
    let (mut lo, mut hi) = (0, size);
    // Walk down from the root; the siblings come out root side first.
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            path.push(range_hash(src, lo + k, hi)?);
            hi = lo + k;
        } else {
            path.push(range_hash(src, lo, lo + k)?);
            lo += k;
        }
    }
    path.reverse();
    Ok(path)
}

/// Whether `proof` shows `leaf` at `index` in the tree of `size` leaves with root `root`
/// (RFC 9162, 2.1.3.2).
pub fn verify_inclusion(proof: &[Hash], size: u64, index: u64, leaf: &Hash, root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// The proof that the tree of `old` leaves is a prefix of the tree of `new` leaves
/// (RFC 6962's SUBPROOF, leaf side first). Empty when the sizes are equal or `old` is 0.
pub fn consistency_proof<S: SubtreeHashes>(
    src: &S,
    old: u64,
    new: u64,
) -> Result<Vec<Hash>, S::Error> {
    assert!(old <= new, "the old tree is not larger");
    let mut proof = Vec::new();
    if old == 0 || old == new {
        return Ok(proof);
    }
    let (mut lo, mut hi, mut whole) = (0, new, true);
    while old != hi {
        let k = split_point(hi - lo);
        if old <= lo + k {
            proof.push(range_hash(src, lo + k, hi)?);
            hi = lo + k;
        } else {
            proof.push(range_hash(src, lo, lo + k)?);
            lo += k;
            whole = false;
        }
    }
    if !whole {
        proof.push(range_hash(src, lo, hi)?);
    }
    proof.reverse();
    Ok(proof)
}

/// Whether `proof` shows the tree (`old`, `old_root`) is a prefix of (`new`, `new_root`)
/// (RFC 9162, 2.1.4.2).
pub fn verify_consistency(
    proof: &[Hash],
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
) -> bool {
    if old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        return proof.is_empty();
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    fr == *old_root && sr == *new_root && s == 0
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::convert::Infallible;

    /// A whole log in memory: every level of complete subtree hashes.
    pub struct MemoryLog {
        pub levels: Vec<Vec<Hash>>,
    }

    impl MemoryLog {
        pub fn new(records: &[Vec<u8>]) -> MemoryLog {
            let mut levels = vec![records.iter().map(|r| record_hash(r)).collect::<Vec<_>>()];
            while levels.last().unwrap().len() > 1 {
                let below = levels.last().unwrap();
                let up = below
                    .chunks_exact(2)
                    .map(|p| node_hash(&p[0], &p[1]))
                    .collect();
                levels.push(up);
            }
            MemoryLog { levels }
        }

        pub fn with_leaves(n: u64) -> MemoryLog {
            MemoryLog::new(
                &(0..n)
                    .map(|i| format!("record {i}\n").into_bytes())
                    .collect::<Vec<_>>(),
            )
        }
    }

    impl SubtreeHashes for MemoryLog {
        type Error = Infallible;
        fn subtree(&self, level: u32, index: u64) -> Result<Hash, Infallible> {
            Ok(self.levels[level as usize][index as usize])
        }
    }

    /// RFC 6962's definition, written out directly, to check the split logic against.
    fn naive_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => Sha256::digest([]).into(),
            1 => leaves[0],
            n => {
                let k = split_point(n as u64) as usize;
                node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
            }
        }
    }

    #[test]
    fn roots_match_the_rfc_definition() {
        let log = MemoryLog::with_leaves(300);
        for size in 0..=300u64 {
            let want = naive_root(&log.levels[0][..size as usize]);
            assert_eq!(tree_hash(&log, size).unwrap(), want, "size {size}");
        }
    }

    #[test]
    fn inclusion_proofs_verify_and_nothing_else_does() {
        let log = MemoryLog::with_leaves(70);
        for size in 1..=70u64 {
            let root = tree_hash(&log, size).unwrap();
            for index in 0..size {
                let leaf = log.levels[0][index as usize];
                let proof = inclusion_proof(&log, size, index).unwrap();
                assert!(verify_inclusion(&proof, size, index, &leaf, &root));
                // Another leaf, another index, another root, a shortened proof: all fail.
                let other = record_hash(b"forged\n");
                assert!(!verify_inclusion(&proof, size, index, &other, &root));
                if size > 1 {
                    let j = (index + 1) % size;
                    assert!(!verify_inclusion(&proof, size, j, &leaf, &root));
                    assert!(!verify_inclusion(&proof[1..], size, index, &leaf, &root));
                    let mut bent = proof.clone();
                    bent[0][0] ^= 1;
                    assert!(!verify_inclusion(&bent, size, index, &leaf, &root));
                }
                assert!(!verify_inclusion(&proof, size, size, &leaf, &root));
            }
        }
    }

    #[test]
    fn consistency_proofs_verify_and_forks_do_not() {
        let log = MemoryLog::with_leaves(70);
        let mut forked: Vec<Vec<u8>> = (0..70)
            .map(|i| format!("record {i}\n").into_bytes())
            .collect();
        forked[20] = b"rewritten history\n".to_vec();
        let fork = MemoryLog::new(&forked);
        for new in 1..=70u64 {
            let new_root = tree_hash(&log, new).unwrap();
            for old in 1..=new {
                let old_root = tree_hash(&log, old).unwrap();
                let proof = consistency_proof(&log, old, new).unwrap();
                assert!(
                    verify_consistency(&proof, old, new, &old_root, &new_root),
                    "{old} -> {new}"
                );
                // The same sizes over a log that rewrote record 20: never consistent.
                if old > 20 {
                    let fork_old = tree_hash(&fork, old).unwrap();
                    assert!(!verify_consistency(&proof, old, new, &fork_old, &new_root));
                }
                if old < new {
                    let fork_new = tree_hash(&fork, new).unwrap();
                    let fork_proof = consistency_proof(&fork, old, new).unwrap();
                    if old <= 20 {
                        // History up to `old` is shared, so the fork is consistent with it.
                        let ok = verify_consistency(&fork_proof, old, new, &old_root, &fork_new);
                        assert!(ok, "{old} -> fork {new}");
                    } else {
                        assert!(!verify_consistency(
                            &fork_proof,
                            old,
                            new,
                            &old_root,
                            &fork_new
                        ));
                    }
                    assert!(!verify_consistency(&proof, new, old, &new_root, &old_root));
                    if !proof.is_empty() {
                        let mut bent = proof.clone();
                        bent[0][5] ^= 1;
                        assert!(!verify_consistency(&bent, old, new, &old_root, &new_root));
                    }
                }
            }
        }
        let root = tree_hash(&log, 9).unwrap();
        assert!(verify_consistency(&[], 9, 9, &root, &root));
        assert!(!verify_consistency(&[root], 9, 9, &root, &root));
    }

    #[test]
    fn tree_notes_parse_strictly() {
        let h = to_base64(&[7u8; 32]);
        let t = Tree::parse(&format!("go.sum database tree\n1234\n{h}\n")).unwrap();
        assert_eq!(
            t,
            Tree {
                size: 1234,
                hash: [7; 32]
            }
        );
        for bad in [
            format!("go.sum database tree\n01234\n{h}\n"),
            format!("go.sum database tree\n-1\n{h}\n"),
            format!("go.sum database tree\n1234\n{h}"),
            format!("go.sum database tree\n1234\n{}\n", &h[..40]),
            format!("go.sum database\n1234\n{h}\n"),
            format!("go.sum database tree\n 1234\n{h}\n"),
        ] {
            assert!(Tree::parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn lookup_responses_parse() {
        let msg = b"42\nm v h1:abc=\nm v/go.mod h1:def=\n\ngo.sum database tree\n";
        let r = Record::parse(msg).unwrap();
        assert_eq!(r.id, 42);
        assert_eq!(r.text, "m v h1:abc=\nm v/go.mod h1:def=\n");
        assert_eq!(r.note, b"go.sum database tree\n");
        assert_eq!(r.h1("m", "v"), Some("h1:abc="));
        assert_eq!(r.h1("m", "v/go.mod"), Some("h1:def="));
        assert_eq!(r.h1("m", "w"), None);
        for bad in [
            &b"x\nm v h1:a=\n\nnote"[..],
            b"42\nm v h1:a=\nnote",
            b"42",
            b"42\nm v\x01 h1:a=\n\nnote",
            b"042\nm v h1:a=\n\nnote",
        ] {
            assert!(
                Record::parse(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
