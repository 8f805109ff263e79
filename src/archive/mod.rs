//! The rules for every tree gopin takes in, whatever it came from (a release archive, a
//! module zip, a directory that `gopin import` copies or records in place, a snapshot): where
//! its links may point, what mode each file gets ([`installed_mode`]), how large it may be
//! ([`Limits`]), and what it is recorded as ([`Manifest`]).
//!
//! [`extract`] unpacks a tar stream's tree by them: go.dev's archives and gopin's snapshots.
//! The module zip's own format (Go's rules for its names) is checked by
//! `source::goproxy::modzip`, and a directory is checked and copied by `import::tree`.

pub mod extract;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One entry of a GOROOT, by its path relative to the GOROOT (`bin/go`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ManifestEntry {
    File {
        size: u64,
        sha256: String,
        mode: u32,
    },
    Symlink {
        target: String,
    },
}

/// Every file and symlink of a tree, keyed by its path relative to the GOROOT.
pub type Manifest = BTreeMap<String, ManifestEntry>;

/// What one archive may unpack to. gzip inflates up to about a thousand times, so without a
/// bound a 2 MB download can write 2 GB before its checksum is known to be wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of the inflated stream: file contents, tar headers and anything after the tar.
    pub bytes: u64,
    /// Entries of any kind.
    pub entries: u64,
}

impl Limits {
    /// Real releases inflate to 3.2-3.4 times their archive (go1.21.13, go1.22.10 and
    /// go1.25.0 for linux-amd64: 205, 214 and 197 MB from 64, 67 and 57 MB).
    pub const RATIO: u64 = 8;
    /// Small archives (tests, tiny custom builds) may inflate further than big ones.
    pub const FLOOR: u64 = 8 << 20;
    /// Whatever the archive's size: ten times a real release.
    pub const MAX_BYTES: u64 = 2 << 30;
    /// Real releases hold 9,300-11,100 entries.
    pub const MAX_ENTRIES: u64 = 50_000;

    /// The bounds for an archive of `size` bytes.
    pub fn for_archive(size: u64) -> Limits {
        Limits {
            bytes: size
                .saturating_mul(Self::RATIO)
                .clamp(Self::FLOOR, Self::MAX_BYTES),
            entries: Self::MAX_ENTRIES,
        }
    }
}

/// Mode bits no file gopin puts in a GOROOT has: write for the group or others, setuid,
/// setgid and sticky. Whoever may write a file of a toolchain changes every program it builds.
pub const UNSAFE_BITS: u32 = 0o7022;

/// The one rule for the mode of every file gopin writes into a GOROOT, whatever it came from
/// (a release archive's header, a module zip's executable rule, a copied tree's file): the
/// permission bits without [`UNSAFE_BITS`], and always the owner's read and write (so the
/// tree can be removed again). Read and execute for others stay as they came.
pub fn installed_mode(mode: u32) -> u32 {
    (mode & 0o777 & !UNSAFE_BITS) | 0o600
}

/// What `mode`'s [`UNSAFE_BITS`] let happen, in words: "group-writable, setuid".
pub fn unsafe_bits_described(mode: u32) -> String {
    [
        (0o020, "group-writable"),
        (0o002, "world-writable"),
        (0o4000, "setuid"),
        (0o2000, "setgid"),
        (0o1000, "sticky"),
    ]
    .iter()
    .filter(|(bit, _)| mode & bit != 0)
    .map(|(_, what)| *what)
    .collect::<Vec<_>>()
    .join(", ")
}

/// Whether a symlink at `link` (relative to the root) pointing at `target` stays inside
/// (the rule for every tree gopin takes in, unpacked or copied).
///
/// Any `..` must come first (`../../pkg/x`, never `a/../..`): the link's own directory is a
/// real one, so climbing from it is exact, and descending afterwards can only pass through
/// other links that obey the same rule. Together that keeps every chain of links inside.
pub fn link_stays_inside(link: &str, target: &str) -> bool {
    if target.is_empty() || target.starts_with('/') {
        return false;
    }
    let parts: Vec<&str> = target
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let ups = parts.iter().take_while(|p| **p == "..").count();
    let link_depth = link.split('/').count() - 1;
    ups <= link_depth && !parts[ups..].contains(&"..") && parts.len() > ups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_the_archive_size_within_a_floor_and_a_ceiling() {
        assert_eq!(Limits::for_archive(0).bytes, Limits::FLOOR);
        // go1.22.10 for linux-amd64: 66.6 MB inflating to 213.8 MB.
        let real = Limits::for_archive(66_581_186);
        assert!(real.bytes > 213_770_240 * 2, "{real:?}");
        assert_eq!(Limits::for_archive(u64::MAX).bytes, Limits::MAX_BYTES);
    }

    #[test]
    fn installed_modes_follow_one_rule() {
        for (given, installed) in [
            (0o644, 0o644),
            (0o755, 0o755),
            (0o777, 0o755),
            (0o666, 0o644),
            (0o4777, 0o755),
            (0o2755, 0o755),
            (0o1644, 0o644),
            (0o444, 0o644),
            (0o000, 0o600),
            (0o100755, 0o755),
        ] {
            assert_eq!(installed_mode(given), installed, "{given:o}");
            assert_eq!(installed_mode(given) & UNSAFE_BITS, 0);
        }
    }

    #[test]
    fn symlink_targets() {
        assert!(link_stays_inside("bin/gofmt", "../pkg/tool/gofmt"));
        assert!(link_stays_inside("a/b/c", "../../x"));
        assert!(!link_stays_inside("a/b/c", "../../../x"));
        assert!(!link_stays_inside("escape", "../outside"));
        assert!(!link_stays_inside("x", "/etc/passwd"));
        assert!(!link_stays_inside("x", ""));
        assert!(
            !link_stays_inside("a/x", "./y/../z"),
            "'..' only at the front"
        );
        assert!(
            !link_stays_inside("m", "a/l/.."),
            "could climb out through a link"
        );
        assert!(
            !link_stays_inside("a/l", ".."),
            "a link to a directory above itself"
        );
    }
}
