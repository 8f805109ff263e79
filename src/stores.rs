//! System stores (docs/store.md, "System stores"): stores with the user's layout, provisioned
//! by someone else (an image, an admin, a shared volume), searched after the user's store and
//! never written. This module says what is wrong with one: a store that cannot be read, or a
//! version in it that no longer matches its install record. The search itself is
//! [`Store`]'s; the user's writable state for such a version (its GOBIN) is in the user's
//! store.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use sha2::{Digest, Sha256};

use crate::archive::ManifestEntry;
use crate::fsio::{Durability, write_atomic};
use crate::record::{InstallRecord, Provenance};
use crate::store::{Installed, Store};
use crate::ui::shown;
use crate::version::GoVersion;

/// One sentence per system store that cannot be read: missing, not a store, or unreadable.
/// Such a store is skipped (never fatal); this is how it gets named.
pub fn problems(store: &Store) -> Vec<String> {
    store
        .system_stores()
        .iter()
        .filter_map(|root| store_problem(root))
        .collect()
}

fn store_problem(root: &Path) -> Option<String> {
    let versions = root.join("versions");
    let fix = "mount or provision it, or take it out of system_stores and GOPIN_SYSTEM_STORE";
    let why = match fs::read_dir(&versions) {
        Ok(_) => return None,
        Err(e) if e.kind() == io::ErrorKind::NotFound && root.is_dir() => {
            "it has no versions/ directory, so it is not a gopin store".to_string()
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => "it does not exist".to_string(),
        Err(e) => format!("cannot read {}: {e}", shown(&versions)),
    };
    Some(format!(
        "the system store {} is not used: {why}; {fix}",
        shown(root)
    ))
}

/// What is wrong with a version of a system store, checked against its install record each
/// time it is used: the record must be there and describe this version, and the files of
/// `go/bin` must have the size and mode it records (`gopin doctor` hashes every file). A
/// version of the user's own store has no such check here (its record is checked by
/// `doctor`); `None` for it.
pub fn integrity_problem(i: &Installed) -> Option<String> {
    let store = i.system_store()?;
    let why = match recorded_bin(i) {
        Err(why) => why,
        Ok(bin) => bin_drift(&bin, &i.goroot())?,
    };
    Some(format!(
        "{version} in the system store {store} fails its integrity check ({why}), so gopin does not use it: have it reinstalled there (`GOPIN_HOME={store} gopin install --force {version}`), or install your own copy with `gopin install --force {version}`",
        version = i.version,
        store = shown(store),
    ))
}

/// One file of `go/bin` as the record has it: its path under the GOROOT, size and mode.
type BinEntry = (String, u64, u32);

/// The `go/bin` files `i`'s install record lists, once the record is found consistent with
/// `i`. Reading a real Go's record costs milliseconds, too much for each `go` the proxy runs,
/// so what was read is kept in the user's state directory (`system-checks/`) under the
/// record's identity (device, inode, size, modification and change times): a record
/// rewritten or replaced is read again. The files themselves are looked at every time.
fn recorded_bin(i: &Installed) -> Result<Vec<BinEntry>, String> {
    let record_path = i.record_path();
    let meta = fs::metadata(&record_path)
        .map_err(|e| format!("cannot read {}: {e}", shown(&record_path)))?;
    let identity = format!(
        "{} {} {} {} {} {}",
        i.name(),
        meta.dev(),
        meta.ino(),
        meta.size(),
        meta.mtime_nsec() + meta.mtime() * 1_000_000_000,
        meta.ctime_nsec() + meta.ctime() * 1_000_000_000
    );
    let cache = crate::config::state_dir(&i.home)
        .join("system-checks")
        .join(crate::fsio::hex(
            &Sha256::digest(record_path.as_os_str().as_encoded_bytes())[..12],
        ));
    if let Some(bin) = read_checked(&cache, &identity) {
        return Ok(bin);
    }
    let record = load_quick(&record_path)?;
    record
        .check(&i.version, &i.platform)
        .map_err(|e| format!("its install record cannot be trusted: {e}"))?;
    let bin: Vec<BinEntry> = record
        .files
        .into_iter()
        .filter_map(|(rel, entry)| match entry {
            ManifestEntry::File { size, mode, .. } => Some((rel, size, mode)),
            ManifestEntry::Symlink { .. } => None,
        })
        .collect();
    let mut text = format!("{identity}\n");
    for (rel, size, mode) in &bin {
        text.push_str(&format!("{size} {mode} {rel}\n"));
    }
    let written = fs::create_dir_all(cache.parent().expect("in system-checks/"))
        .and_then(|()| write_atomic(&cache, text.as_bytes(), Durability::Replaced));
    if let Err(e) = written {
        crate::ui::verbose(&format!("cannot write {}: {e}", shown(&cache)));
    }
    Ok(bin)
}

/// What an earlier check kept for the record with this identity, if it is that record's.
fn read_checked(cache: &Path, identity: &str) -> Option<Vec<BinEntry>> {
    let text = fs::read_to_string(cache).ok()?;
    let mut lines = text.lines();
    if lines.next()? != identity {
        return None;
    }
    lines
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            let size = parts.next()?.parse().ok()?;
            let mode = parts.next()?.parse().ok()?;
            let rel = parts.next().filter(|r| r.starts_with("bin/"))?;
            Some((rel.to_string(), size, mode))
        })
        .collect::<Option<Vec<_>>>()
        .filter(|bin| !bin.is_empty())
}

/// The install record at `path` with only its `go/bin` entries: what
/// [`integrity_problem`] checks, read without building the manifest of every file (a real
/// Go's record lists some fifteen thousand).
fn load_quick(path: &Path) -> Result<InstallRecord, String> {
    #[derive(Deserialize)]
    struct Quick {
        version: GoVersion,
        os: String,
        arch: String,
        sha256: String,
        #[serde(default)]
        source: Provenance,
        #[serde(deserialize_with = "bin_entries")]
        files: BTreeMap<String, ManifestEntry>,
    }
    let bytes = fs::read(path).map_err(|e| format!("cannot read {}: {e}", shown(path)))?;
    let q: Quick =
        serde_json::from_slice(&bytes).map_err(|e| format!("cannot parse {}: {e}", shown(path)))?;
    Ok(InstallRecord {
        version: q.version,
        os: q.os,
        arch: q.arch,
        url: String::new(),
        sha256: q.sha256,
        archive_size: 0,
        source: q.source,
        installed_at: 0,
        gopin_version: String::new(),
        files: q.files,
    })
}

/// The entries of a manifest under `bin/`, the others skipped unread.
fn bin_entries<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, ManifestEntry>, D::Error> {
    struct Bin;
    impl<'de> Visitor<'de> for Bin {
        type Value = BTreeMap<String, ManifestEntry>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a manifest of files")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if key.starts_with("bin/") {
                    found.insert(key, map.next_value::<ManifestEntry>()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    d.deserialize_map(Bin)
}

/// The first file of `go/bin` that differs from the record in kind, size or mode.
fn bin_drift(bin: &[BinEntry], goroot: &Path) -> Option<String> {
    for (rel, size, mode) in bin {
        let path = goroot.join(rel);
        let differs = match fs::symlink_metadata(&path) {
            Err(_) => Some("is missing"),
            Ok(m) if !m.is_file() => Some("is no longer a file"),
            Ok(m) if m.len() != *size => Some("has changed size"),
            Ok(m) if m.permissions().mode() & 0o7777 & !*mode != 0 => {
                Some("has a wider mode than recorded")
            }
            Ok(_) => None,
        };
        if let Some(differs) = differs {
            return Some(format!("{} {differs}", shown(&path)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;

    #[test]
    fn stores_that_cannot_be_read_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good");
        fs::create_dir_all(good.join("versions")).unwrap();
        let empty = dir.path().join("empty");
        fs::create_dir_all(&empty).unwrap();
        let gone = dir.path().join("gone");
        let store = Store::new(dir.path().join("user")).with_system_stores(vec![
            good,
            empty.clone(),
            gone.clone(),
        ]);
        let found = problems(&store);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains(&shown(&empty)) && found[0].contains("not a gopin store"),
            "{found:?}"
        );
        assert!(
            found[1].contains(&shown(&gone)) && found[1].contains("does not exist"),
            "{found:?}"
        );
    }

    #[test]
    fn the_quick_read_keeps_only_bin_and_checks_what_the_full_one_would() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("install.json");
        let mut files = serde_json::Map::new();
        for n in 0..2000 {
            files.insert(
                format!("src/p{n}/f.go"),
                serde_json::json!({"type": "file", "size": 1, "sha256": "00", "mode": 420}),
            );
        }
        let entry = |size: u64| serde_json::json!({"type": "file", "size": size, "sha256": "ab", "mode": 493});
        files.insert("bin/go".into(), entry(10));
        files.insert("bin/gofmt".into(), entry(5));
        let record = serde_json::json!({
            "version": "go1.22.10", "os": "linux", "arch": "amd64", "url": "x",
            "sha256": "a".repeat(64), "archive_size": 1, "installed_at": 0,
            "gopin_version": "0", "files": files,
        });
        std::fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
        let full = InstallRecord::load(&path).unwrap();
        let quick = load_quick(&path).unwrap();
        assert_eq!(full.files.len(), 2002);
        assert_eq!(
            quick.files.keys().collect::<Vec<_>>(),
            ["bin/go", "bin/gofmt"]
        );
        let platform: Platform = "linux/amd64".parse().unwrap();
        let version: GoVersion = "go1.22.10".parse().unwrap();
        assert!(quick.check(&version, &platform).is_ok());
        assert!(full.check(&version, &platform).is_ok());
        // A GOROOT whose bin/go has another size is named.
        let goroot = dir.path().join("go");
        std::fs::create_dir_all(goroot.join("bin")).unwrap();
        std::fs::write(goroot.join("bin/go"), "0123456789").unwrap();
        std::fs::write(goroot.join("bin/gofmt"), "01234").unwrap();
        let bin: Vec<BinEntry> = vec![("bin/go".into(), 10, 0o755), ("bin/gofmt".into(), 5, 0o755)];
        assert_eq!(bin_drift(&bin, &goroot), None);
        std::fs::write(goroot.join("bin/gofmt"), "012345").unwrap();
        assert!(
            bin_drift(&bin, &goroot)
                .unwrap()
                .contains("gofmt has changed size")
        );
    }

    #[test]
    fn a_system_version_without_a_trustworthy_record_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let system = dir.path().join("system");
        let version: GoVersion = "go1.22.10".parse().unwrap();
        let platform: Platform = "linux/amd64".parse().unwrap();
        let tree = system.join("versions/go1.22.10.linux-amd64/go/bin");
        fs::create_dir_all(&tree).unwrap();
        fs::write(tree.join("go"), "#!/bin/sh\n").unwrap();
        let store = Store::new(dir.path().join("user")).with_system_stores(vec![system.clone()]);
        let i = store.get(&version, &platform).unwrap();
        assert_eq!(i.system_store(), Some(system.as_path()));
        let problem = integrity_problem(&i).unwrap();
        assert!(
            problem.contains(&shown(&system)) && problem.contains("install --force go1.22.10"),
            "{problem}"
        );
        // The user's own copy has no such check, and shadows the system one.
        let own = dir.path().join("user/versions/go1.22.10.linux-amd64");
        fs::create_dir_all(&own).unwrap();
        let i = store.get(&version, &platform).unwrap();
        assert_eq!(i.system_store(), None);
        assert_eq!(integrity_problem(&i), None);
        assert_eq!(
            i.gobin(),
            dir.path().join("user/gobins/go1.22.10.linux-amd64")
        );
    }
}
