//! The store: installed Go trees, one directory per version and platform, plus the locks and
//! temporary directories that keep installs atomic.
//!
//! ```text
//! $GOPIN_HOME/
//!   versions/go1.22.10.linux-amd64/
//!     go/            GOROOT: the archive's go/ tree
//!     gobin/         GOBIN for this version (gobin = "per-version")
//!     install.json   the install record (see `record`)
//!   gobin/           GOBIN shared by all versions (gobin = "shared")
//!   tmp/             installs in progress; anything here without a live lock is garbage
//!   locks/           one lock file per version and platform
//! ```
//! A version is installed exactly when `versions/<name>/` exists: installs build it under
//! `tmp/` and rename it into place, uninstalls rename it out before deleting.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::platform::Platform;
use crate::request::Request;
use crate::version::GoVersion;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot {action} {path}: {source}{hint}", hint = io_hint(source))]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

/// A suggestion for the common, fixable I/O failures.
fn io_hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            " (set GOPIN_HOME to a writable directory)"
        }
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            " (the disk is full: free some space, or `gopin uninstall` old versions)"
        }
        _ => "",
    }
}

/// Builds a `map_err` closure that names the action and the path.
pub fn io_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}

/// One installed Go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub version: GoVersion,
    pub platform: Platform,
    /// `versions/<name>`.
    pub dir: PathBuf,
}

impl Installed {
    /// The GOROOT.
    pub fn goroot(&self) -> PathBuf {
        self.dir.join("go")
    }

    /// This version's own GOBIN.
    pub fn gobin(&self) -> PathBuf {
        self.dir.join("gobin")
    }

    /// What is wrong with this version's `bin/go`, if it is missing or cannot run: a cheap
    /// check the hook makes before it puts the version on PATH.
    pub fn go_binary_problem(&self) -> Option<String> {
        use std::os::unix::fs::PermissionsExt;
        let go = self.goroot().join("bin/go");
        let runnable = std::fs::metadata(&go)
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
        (!runnable).then(|| {
            format!(
                "{} is missing or not executable, so {} cannot run: reinstall it with `gopin install --force {}`",
                crate::ui::shown(&go),
                self.version,
                self.version
            )
        })
    }

    pub fn record_path(&self) -> PathBuf {
        self.dir.join(RECORD_FILE)
    }

    /// `go1.22.10.linux-amd64`.
    pub fn name(&self) -> String {
        entry_name(&self.version, &self.platform)
    }
}

/// The install record's file name inside a version's directory.
pub const RECORD_FILE: &str = "install.json";

/// The directory name for a version and platform: `go1.22.10.linux-amd64`, like the archive.
pub fn entry_name(version: &GoVersion, platform: &Platform) -> String {
    format!("{version}.{}", platform.slug())
}

/// Parses a directory name made by [`entry_name`].
pub fn parse_entry_name(name: &str) -> Option<(GoVersion, Platform)> {
    let (version, platform) = name.rsplit_once('.')?;
    let version: GoVersion = version.parse().ok()?;
    let platform: Platform = platform.parse().ok()?;
    // Only names gopin itself would have written.
    (entry_name(&version, &platform) == name).then_some((version, platform))
}

/// The store at one root.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// Holds a version's install lock until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Store {
    pub fn new(root: impl Into<PathBuf>) -> Store {
        Store { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn versions_dir(&self) -> PathBuf {
        self.root.join("versions")
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    fn lock_path(&self, name: &str) -> PathBuf {
        self.root.join("locks").join(format!("{name}.lock"))
    }

    /// The GOBIN shared by all versions.
    pub fn shared_gobin(&self) -> PathBuf {
        self.root.join("gobin")
    }

    /// Whether a PATH entry is one of gopin's: a directory inside a version, or the shared
    /// GOBIN. (The shims directory is the user's to keep on PATH, so it is not.)
    pub fn owns_path_entry(&self, entry: &Path) -> bool {
        entry.starts_with(self.versions_dir()) || entry == self.shared_gobin()
    }

    /// The user default's file (`gopin use --global`), in `.go-version` format.
    pub fn default_file(&self) -> PathBuf {
        self.root.join("default-version")
    }

    /// The installed version for `platform` that best satisfies `request` (see
    /// [`Request::choose`]), if any. Every "is a matching Go installed?" question comes here.
    ///
    /// An exact request is answered by looking at its one directory, so the `go` proxy and
    /// the hook cost the same with two versions installed or two hundred; anything else
    /// reads `versions/` once.
    pub fn find(
        &self,
        platform: &Platform,
        request: &Request,
    ) -> Result<Option<Installed>, StoreError> {
        if let Some(version) = request.exact() {
            if !request.admits(&version) {
                return Ok(None);
            }
            return self.entry(&version, platform);
        }
        let installed = self.list_for(platform)?;
        let chosen = request.choose(installed.iter().map(|i| &i.version));
        Ok(installed.into_iter().find(|i| Some(i.version) == chosen))
    }

    /// The installed version at exactly this version and platform.
    pub fn get(&self, version: &GoVersion, platform: &Platform) -> Option<Installed> {
        let dir = self.versions_dir().join(entry_name(version, platform));
        dir.is_dir().then(|| Installed {
            version: *version,
            platform: platform.clone(),
            dir,
        })
    }

    /// The entry for exactly this version and platform, judged as [`Store::list`] judges
    /// entries: a directory, not a link to one.
    fn entry(
        &self,
        version: &GoVersion,
        platform: &Platform,
    ) -> Result<Option<Installed>, StoreError> {
        let dir = self.versions_dir().join(entry_name(version, platform));
        match fs::symlink_metadata(&dir) {
            Ok(meta) => Ok(meta.is_dir().then(|| Installed {
                version: *version,
                platform: platform.clone(),
                dir,
            })),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(io_err("read", &dir)(e)),
        }
    }

    /// Everything installed, for every platform, newest version first.
    pub fn list(&self) -> Result<Vec<Installed>, StoreError> {
        let dir = self.versions_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err("read", &dir)(e)),
        };
        let mut found: Vec<Installed> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let (version, platform) = parse_entry_name(&name)?;
                e.file_type().ok()?.is_dir().then(|| Installed {
                    version,
                    platform,
                    dir: e.path(),
                })
            })
            .collect();
        found.sort_by(|a, b| {
            b.version
                .cmp(&a.version)
                .then_with(|| a.platform.cmp(&b.platform))
        });
        Ok(found)
    }

    /// Installed versions that run on `platform`, newest first.
    pub fn list_for(&self, platform: &Platform) -> Result<Vec<Installed>, StoreError> {
        Ok(self
            .list()?
            .into_iter()
            .filter(|i| i.platform == *platform)
            .collect())
    }

    /// Takes the install lock for `name`, waiting for another process that holds it.
    /// `on_wait` runs once if the lock is busy, so the user learns why nothing happens.
    pub fn lock(&self, name: &str, on_wait: impl FnOnce()) -> Result<Lock, StoreError> {
        let path = self.lock_path(name);
        let file = open_lock_file(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                on_wait();
                file.lock().map_err(io_err("lock", &path))?;
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_err("lock", &path)(e)),
        }
        Ok(Lock { _file: file })
    }

    /// A fresh, empty directory under `tmp/` for building `name`; removed when dropped.
    pub fn temp_dir(&self, name: &str) -> Result<tempfile::TempDir, StoreError> {
        let tmp = self.tmp_dir();
        fs::create_dir_all(&tmp).map_err(io_err("create", &tmp))?;
        tempfile::Builder::new()
            .prefix(&format!("{name}."))
            .tempdir_in(&tmp)
            .map_err(io_err("create a directory in", &tmp))
    }

    /// Removes what killed or interrupted installs and uninstalls left in `tmp/`: every entry
    /// whose version lock nobody holds.
    pub fn clean_stale(&self) {
        let Ok(entries) = fs::read_dir(self.tmp_dir()) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let file_name = entry.file_name();
            let Some((name, _)) = file_name.to_str().and_then(|n| n.rsplit_once('.')) else {
                continue;
            };
            let Ok(file) = open_lock_file(&self.lock_path(name)) else {
                continue;
            };
            if file.try_lock().is_ok() {
                crate::ui::verbose(&format!("removing leftover {}", entry.path().display()));
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }

    /// Moves a finished tree into place as `name`. With `replace`, an existing install is
    /// swapped out first. The caller holds the lock.
    pub fn commit(
        &self,
        built: tempfile::TempDir,
        name: &str,
        replace: bool,
    ) -> Result<PathBuf, StoreError> {
        let versions = self.versions_dir();
        fs::create_dir_all(&versions).map_err(io_err("create", &versions))?;
        let dest = versions.join(name);
        let old = if replace && dest.exists() {
            Some(self.move_out(&dest, name)?)
        } else {
            None
        };
        let built = built.keep();
        if let Err(e) = fs::rename(&built, &dest) {
            let _ = fs::remove_dir_all(&built);
            // Put the previous install back rather than lose it.
            if let Some(old) = &old {
                let _ = fs::rename(old.path().join("old"), &dest);
            }
            return Err(io_err("move into place", &dest)(e));
        }
        drop(old);
        Ok(dest)
    }

    /// Removes an installed version: it disappears at once (a rename), then is deleted.
    pub fn remove(&self, installed: &Installed) -> Result<(), StoreError> {
        let name = installed.name();
        let _lock = self.lock(&name, || {})?;
        let trash = self.move_out(&installed.dir, &name)?;
        trash.close().map_err(io_err("delete", &installed.dir))
    }

    /// Renames `dir` into `tmp/` and returns it as a TempDir that deletes itself.
    fn move_out(&self, dir: &Path, name: &str) -> Result<tempfile::TempDir, StoreError> {
        let trash = self.temp_dir(name)?;
        let target = trash.path().join("old");
        fs::rename(dir, &target).map_err(io_err("move aside", dir))?;
        Ok(trash)
    }
}

fn open_lock_file(path: &Path) -> Result<File, StoreError> {
    let dir = path.parent().expect("lock files live in locks/");
    fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io_err("open", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_round_trip_for_every_real_archive() {
        let tsv = include_str!("../tests/fixtures/go-archive-sha256.tsv");
        let mut seen = 0;
        for line in tsv.lines().filter(|l| !l.starts_with('#')) {
            let file = line.split('\t').next().unwrap();
            let Some(stem) = file.strip_suffix(".tar.gz") else {
                continue;
            };
            let (version, platform) = stem.rsplit_once('.').unwrap();
            let Ok(platform) = platform.parse::<Platform>() else {
                continue;
            };
            let version: GoVersion = version.parse().unwrap();
            let name = entry_name(&version, &platform);
            assert_eq!(name, stem);
            assert_eq!(parse_entry_name(&name), Some((version, platform)));
            seen += 1;
        }
        assert!(seen > 4000, "only {seen} archive names checked");
        assert_eq!(parse_entry_name("go1.22.10.linux-amd64.tmp"), None);
        assert_eq!(parse_entry_name("notes"), None);
    }

    #[test]
    fn an_exact_request_finds_what_the_listing_would() {
        use crate::request::Floor;
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path());
        let linux: Platform = "linux/amd64".parse().unwrap();
        let by_listing = |request: &Request| {
            let all = store.list_for(&linux).unwrap();
            let chosen = request.choose(all.iter().map(|i| &i.version));
            all.into_iter().find(|i| Some(i.version) == chosen)
        };
        let exact = |s: &str| Request::spec(s.parse().unwrap());
        let floored = |s: &str, floor: &str| Request {
            floor: Floor::parse(floor),
            ..exact(s)
        };
        let requests = [
            exact("1.22.10"),
            exact("1.20.0"),
            exact("1.23.4"),
            exact("1.19.1"),
            exact("1.23rc1"),
            floored("1.21.13", "1.22"),
            floored("1.22.10", "1.22"),
        ];
        // No store at all yet.
        for r in &requests {
            assert_eq!(store.find(&linux, r).unwrap(), None);
        }
        let versions = store.versions_dir();
        for name in [
            "go1.22.10.linux-amd64",
            "go1.21.13.linux-amd64",
            "go1.20.linux-amd64",
            "go1.23rc1.darwin-arm64",
        ] {
            fs::create_dir_all(versions.join(name).join("go")).unwrap();
        }
        // A link to a tree and a stray file are not installs.
        std::os::unix::fs::symlink(
            versions.join("go1.22.10.linux-amd64"),
            versions.join("go1.23.4.linux-amd64"),
        )
        .unwrap();
        fs::write(versions.join("go1.19.1.linux-amd64"), "").unwrap();
        for r in &requests {
            assert_eq!(store.find(&linux, r).unwrap(), by_listing(r), "{r}");
        }
        assert!(store.find(&linux, &exact("1.20.0")).unwrap().is_some());
        assert!(store.find(&linux, &exact("1.23.4")).unwrap().is_none());
    }

    #[test]
    fn stale_temp_dirs_are_removed_unless_locked() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path());
        let stale = store.temp_dir("go1.22.1.linux-amd64").unwrap().keep();
        let lock = store.lock("go1.21.0.linux-amd64", || {}).unwrap();
        let busy = store.temp_dir("go1.21.0.linux-amd64").unwrap().keep();
        store.clean_stale();
        assert!(!stale.exists());
        assert!(busy.exists());
        drop(lock);
        store.clean_stale();
        assert!(!busy.exists());
    }
}
