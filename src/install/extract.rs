//! Unpacks a Go archive's `go/` tree, refusing anything that could write outside it.
//!
//! Every entry must live under `go/`, with no absolute path and no `..`; symlinks must point
//! inside the tree and are never written through; hard links must name a file already
//! extracted; device files, FIFOs and other special entries abort the install. Files are
//! created with their final mode and hashed as they are written, for the install record.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tar::EntryType;

use crate::record::{ManifestEntry, hex};

/// Every file and symlink extracted, keyed by its path relative to the GOROOT.
pub type Manifest = BTreeMap<String, ManifestEntry>;

#[derive(Debug)]
pub enum ExtractError {
    /// The archive stream could not be read or decoded.
    Read(io::Error),
    /// An entry would escape the tree or is not a plain file, directory or link.
    Unsafe { entry: String, reason: String },
    /// The store could not be written.
    Write { path: PathBuf, source: io::Error },
}

fn unsafe_entry(entry: &str, reason: &str) -> ExtractError {
    ExtractError::Unsafe {
        entry: entry.to_string(),
        reason: reason.to_string(),
    }
}

/// Turns an archive path (`go/bin/go`) into a path relative to the GOROOT (`bin/go`), or
/// `None` for `go/` itself.
fn tree_path(raw: &str) -> Result<Option<String>, &'static str> {
    if raw.starts_with('/') {
        return Err("is an absolute path");
    }
    let mut parts = raw.split('/').filter(|p| !p.is_empty() && *p != ".");
    if parts.next() != Some("go") {
        return Err("is outside the go/ directory");
    }
    let rest: Vec<&str> = parts.collect();
    if rest.contains(&"..") {
        return Err("contains '..'");
    }
    Ok((!rest.is_empty()).then(|| rest.join("/")))
}

/// Whether a symlink at `link` (relative to the root) pointing at `target` stays inside.
///
/// Any `..` must come first (`../../pkg/x`, never `a/../..`): the link's own directory is a
/// real one, so climbing from it is exact, and descending afterwards can only pass through
/// other links that obey the same rule. Together that keeps every chain of links inside.
fn link_stays_inside(link: &str, target: &str) -> bool {
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

/// Permission bits gopin keeps: no setuid, setgid or sticky bits, and always owner-writable
/// so the tree can be removed again.
fn file_mode(header_mode: u32) -> u32 {
    (header_mode & 0o777) | 0o600
}

/// Extracts the tar stream `src` into `root` (which must not exist yet).
pub fn extract<R: Read>(src: R, root: &Path) -> Result<Manifest, ExtractError> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExtractError::Write { path, source }
    };
    let mut dirs = DirBuilder::new();
    dirs.recursive(true).mode(0o755);
    dirs.create(root).map_err(write_err(root))?;

    let mut archive = tar::Archive::new(src);
    let mut manifest = Manifest::new();
    let mut symlinks: HashSet<String> = HashSet::new();
    let mut buf = vec![0u8; 128 * 1024];

    for entry in archive.entries().map_err(ExtractError::Read)? {
        let mut entry = entry.map_err(ExtractError::Read)?;
        let raw_bytes = entry.path_bytes();
        let Ok(raw) = std::str::from_utf8(&raw_bytes).map(str::to_string) else {
            return Err(unsafe_entry(
                &String::from_utf8_lossy(&raw_bytes),
                "is not a UTF-8 path",
            ));
        };
        let kind = entry.header().entry_type();
        if matches!(kind, EntryType::XGlobalHeader) {
            continue;
        }
        let rel = tree_path(&raw).map_err(|r| unsafe_entry(&raw, r))?;
        let Some(rel) = rel else {
            continue; // go/ itself
        };
        // Never write through a symlink the archive made earlier.
        let mut ancestor = rel.as_str();
        while let Some((parent, _)) = ancestor.rsplit_once('/') {
            if symlinks.contains(parent) {
                return Err(unsafe_entry(&raw, "is inside a symlinked directory"));
            }
            ancestor = parent;
        }
        let path = root.join(&rel);
        match kind {
            EntryType::Directory => {
                // A symlink or file already there would make create() a no-op or fail.
                if symlinks.contains(&rel) {
                    return Err(unsafe_entry(&raw, "replaces a symlink"));
                }
                dirs.create(&path).map_err(write_err(&path))?;
            }
            EntryType::Regular | EntryType::Continuous => {
                let file_mode = file_mode(entry.header().mode().map_err(ExtractError::Read)?);
                let (size, sha256) = write_file(
                    &mut entry, &path, file_mode, &symlinks, &rel, &mut buf, &raw,
                )?;
                manifest.insert(
                    rel,
                    ManifestEntry::File {
                        size,
                        sha256,
                        mode: file_mode,
                    },
                );
            }
            EntryType::Symlink => {
                let target = link_target(&entry, &raw)?;
                if !link_stays_inside(&rel, &target) {
                    return Err(unsafe_entry(
                        &raw,
                        &format!("is a symlink to '{target}', outside the go/ tree"),
                    ));
                }
                make_parent(&path, &dirs)?;
                remove_existing(&path, &symlinks, &rel, &raw)?;
                std::os::unix::fs::symlink(&target, &path).map_err(write_err(&path))?;
                symlinks.insert(rel.clone());
                manifest.insert(rel, ManifestEntry::Symlink { target });
            }
            EntryType::Link => {
                let target = link_target(&entry, &raw)?;
                let linked = tree_path(&target)
                    .ok()
                    .flatten()
                    .and_then(|t| manifest.get(&t).cloned().map(|e| (t, e)));
                let Some((target_rel, file @ ManifestEntry::File { .. })) = linked else {
                    return Err(unsafe_entry(
                        &raw,
                        &format!(
                            "is a hard link to '{target}', which is not a file extracted earlier"
                        ),
                    ));
                };
                make_parent(&path, &dirs)?;
                remove_existing(&path, &symlinks, &rel, &raw)?;
                fs::hard_link(root.join(&target_rel), &path).map_err(write_err(&path))?;
                manifest.insert(rel, file);
            }
            EntryType::XHeader | EntryType::GNULongName | EntryType::GNULongLink => {
                // The tar crate folds these into the next entry; nothing to write.
            }
            _ => {
                return Err(unsafe_entry(
                    &raw,
                    "is a device, FIFO or other special file",
                ));
            }
        }
    }
    Ok(manifest)
}

fn link_target<R: Read>(entry: &tar::Entry<'_, R>, raw: &str) -> Result<String, ExtractError> {
    let target = entry
        .link_name_bytes()
        .ok_or_else(|| unsafe_entry(raw, "is a link with no target"))?;
    std::str::from_utf8(&target)
        .map(str::to_string)
        .map_err(|_| unsafe_entry(raw, "is a link whose target is not UTF-8"))
}

fn make_parent(path: &Path, dirs: &DirBuilder) -> Result<(), ExtractError> {
    let parent = path.parent().expect("entries live below the root");
    dirs.create(parent).map_err(|source| ExtractError::Write {
        path: parent.to_path_buf(),
        source,
    })
}

/// Archives may list a path twice (the later one wins, as with `tar x`); a symlink is never
/// replaced, so nothing can be written through it.
fn remove_existing(
    path: &Path,
    symlinks: &HashSet<String>,
    rel: &str,
    raw: &str,
) -> Result<(), ExtractError> {
    if symlinks.contains(rel) {
        return Err(unsafe_entry(raw, "replaces a symlink"));
    }
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => Err(unsafe_entry(raw, "replaces a directory")),
        Ok(_) => fs::remove_file(path).map_err(|source| ExtractError::Write {
            path: path.to_path_buf(),
            source,
        }),
        Err(_) => Ok(()),
    }
}

/// Creates `path` with its final mode and copies the entry's data into it, hashing it.
fn write_file<R: Read>(
    entry: &mut R,
    path: &Path,
    mode: u32,
    symlinks: &HashSet<String>,
    rel: &str,
    buf: &mut [u8],
    raw: &str,
) -> Result<(u64, String), ExtractError> {
    let write_err = |source| ExtractError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut open = OpenOptions::new();
    open.write(true).create_new(true).mode(mode);
    let mut file = match open.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut dirs = DirBuilder::new();
            dirs.recursive(true).mode(0o755);
            make_parent(path, &dirs)?;
            open.open(path).map_err(write_err)?
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            remove_existing(path, symlinks, rel, raw)?;
            open.open(path).map_err(write_err)?
        }
        Err(e) => return Err(write_err(e)),
    };
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    loop {
        let n = match entry.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ExtractError::Read(e)),
        };
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n]).map_err(write_err)?;
        size += n as u64;
    }
    Ok((size, hex(&hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_paths() {
        assert_eq!(tree_path("go/"), Ok(None));
        assert_eq!(tree_path("./go/bin/go"), Ok(Some("bin/go".into())));
        assert_eq!(tree_path("go//src/x.go"), Ok(Some("src/x.go".into())));
        assert!(tree_path("/etc/passwd").is_err());
        assert!(tree_path("go/../../x").is_err());
        assert!(tree_path("go/bin/../../x").is_err());
        assert!(tree_path("notgo/x").is_err());
        assert!(tree_path("../go/x").is_err());
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
