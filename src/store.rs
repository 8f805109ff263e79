//! The store: installed Go trees, one directory per version and platform, plus the locks and
//! temporary directories that keep installs atomic.
//!
//! ```text
//! $GOPIN_HOME/
//!   versions/go1.22.10.linux-amd64/
//!     go/            GOROOT: the archive's go/ tree
//!     install.json   the install record (see `record`), written last
//!   gobins/go1.22.10.linux-amd64/   GOBIN for this version (gobin = "per-version")
//!   gobin/           GOBIN shared by all versions (gobin = "shared")
//!   tmp/go1.22.10.linux-amd64.XXXXXX/
//!     tree/          a version directory being built; complete once its install.json exists
//!     replaced/      the previous install, moved aside by a `--force` swap without exchange
//!     removed/       an install being deleted by `uninstall`
//!   locks/           one lock file per version and platform, and a failure note beside it
//! ```
//! A version is installed exactly when `versions/<name>/` exists, and it is then complete:
//! installs build it under `tmp/` and rename it into place (exchanging it with the old one on
//! `--force`), uninstalls rename it out before deleting. Everything under `tmp/<name>.*` is
//! made while holding `<name>`'s lock, so whoever holds that lock next may finish or undo
//! what it finds there and delete it ([`Store::clean_stale`]).
//!
//! Nothing writable lives inside a version's directory, so a version can be read-only: a
//! store can also be a *system store* (docs/store.md, "System stores"), searched after the
//! user's and never written, whose versions get their GOBIN in the user's store.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::fsio::{Durability, is_executable, sync_dir, write_atomic};
use crate::platform::Platform;
use crate::request::Request;
use crate::ui::shown;
use crate::version::GoVersion;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot {action} {}: {source}{hint}", shown(path), hint = io_hint(source))]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "{name} is in the system store {}, which gopin never changes: whoever provides that store removes it there (or take the store out of system_stores and GOPIN_SYSTEM_STORE)",
        shown(store)
    )]
    SystemStore { name: String, store: PathBuf },
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
    /// `versions/<name>`, in the user's store or in a system store.
    pub dir: PathBuf,
    /// The user's store root, which holds this version's writable state (its GOBIN) even
    /// when the tree itself is in a system store.
    pub home: PathBuf,
}

impl Installed {
    /// The GOROOT.
    pub fn goroot(&self) -> PathBuf {
        self.dir.join("go")
    }

    /// This version's own GOBIN: `gobins/<name>` in the user's store, outside the version's
    /// directory, so the tree can be read-only (docs/store.md).
    pub fn gobin(&self) -> PathBuf {
        self.home.join(GOBINS).join(self.name())
    }

    /// The system store this version is in, or `None` for the user's own store.
    pub fn system_store(&self) -> Option<&Path> {
        let root = self.dir.parent()?.parent()?;
        (root != self.home).then_some(root)
    }

    /// What is wrong with this version's `bin/go`, if it is missing or cannot run: a cheap
    /// check the hook makes before it puts the version on PATH.
    pub fn go_binary_problem(&self) -> Option<String> {
        let go = self.goroot().join(self.platform.go_binary());
        (!is_executable(&go)).then(|| {
            format!(
                "{} is missing or not executable, so {} cannot run: reinstall it with `gopin install --force {}`",
                crate::ui::shown(&go),
                self.version,
                self.version
            )
        })
    }

    /// For a tree imported with `--link` (its `go` is a link to a directory outside the
    /// store): what is wrong if that directory now holds another release than this one (the
    /// system's package manager upgraded `/opt/go`, say), read from its `VERSION` file. One
    /// `lstat` for a tree in the store; one small read more for a linked one.
    ///
    /// A version of a system store is first checked against its install record (see
    /// `stores::integrity_problem`): one that fails is not used either.
    pub fn link_problem(&self) -> Option<String> {
        if let Some(problem) = crate::stores::integrity_problem(self) {
            return Some(problem);
        }
        let goroot = self.goroot();
        let target = std::fs::read_link(&goroot).ok()?;
        let shown_target = crate::ui::shown(&target);
        let mut text = Vec::with_capacity(64);
        let read = File::open(goroot.join("VERSION"))
            .and_then(|f| f.take(4096).read_to_end(&mut text).map(|_| ()));
        let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
        let line = String::from_utf8_lossy(first).trim().to_string();
        let now = match (read, line.parse::<GoVersion>()) {
            (Ok(()), Ok(now)) if now == self.version => return None,
            (Ok(()), Ok(now)) => now.to_string(),
            (Ok(()), Err(_)) => format!(
                "something that is not a Go release (its VERSION says '{}')",
                crate::ui::shown_bytes(line.as_bytes())
            ),
            (Err(_), _) => "no Go release (it has no readable VERSION file)".to_string(),
        };
        Some(format!(
            "{version} was imported with --link from {shown_target}, which now holds {now}: gopin will not run that as {version}; `gopin uninstall {version}`, then `gopin install {version}` (the pinned release) or `gopin import --link {shown_target}` (what it holds now, under its own name)",
            version = self.version,
        ))
    }

    /// The PATH entries worth watching for a linked tree being replaced (see
    /// [`Installed::link_problem`]): its `VERSION` file, its directory, and the directory that
    /// holds it (a tree deleted and unpacked again keeps the archive's dates, but changes
    /// its parent). None for a tree in the store.
    pub fn link_watch(&self) -> Vec<PathBuf> {
        let goroot = self.goroot();
        let Ok(target) = std::fs::read_link(&goroot) else {
            return Vec::new();
        };
        let mut files = vec![goroot.join("VERSION"), goroot.clone()];
        files.extend(target.parent().map(Path::to_path_buf));
        files
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

/// The directory of the per-version GOBINs in the user's store.
pub const GOBINS: &str = "gobins";

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

/// The user's store at one root, and the system stores searched after it.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
    /// System stores: the same layout, searched in order after `root`, never written.
    system: Vec<PathBuf>,
}

/// Holds a version's install lock until dropped.
#[derive(Debug)]
pub struct Lock {
    _file: File,
    name: String,
    /// `locks/<name>.failed`: what the last holder that failed said, for those who waited.
    note: PathBuf,
    /// When this process began to wait for another holder (`None`: the lock was free).
    waited_since: Option<SystemTime>,
}

/// Where one operation on a version builds or discards a version directory:
/// `tmp/<name>.XXXXXX/`, deleted when dropped. Only made under that name's [`Lock`].
#[derive(Debug)]
pub struct Staging {
    dir: tempfile::TempDir,
    linked: BTreeSet<String>,
}

impl Staging {
    /// The new version directory being built (`go/`, then `install.json` last).
    pub fn tree(&self) -> PathBuf {
        self.dir.path().join(TREE)
    }

    /// The files of `go/` (by path below it) that are already links to their objects, each
    /// read and hashed to the name of its object (a delta's files taken from the store):
    /// the install does not adopt them again.
    pub fn linked(&self) -> &BTreeSet<String> {
        &self.linked
    }

    pub fn set_linked(&mut self, linked: BTreeSet<String>) {
        self.linked = linked;
    }
}

/// Names inside a staging directory; see the module documentation.
const TREE: &str = "tree";
const REPLACED: &str = "replaced";
const REMOVED: &str = "removed";

/// What a lock holder that failed leaves for the processes waiting on it.
#[derive(Debug, Serialize, Deserialize)]
struct FailureNote {
    /// Milliseconds since the Unix epoch.
    at_ms: u64,
    /// What was attempted (the archive URL): a waiter asking for another thing ignores it.
    key: String,
    message: String,
}

impl Lock {
    /// The failure of the holder this process waited for, if it was trying the same `key`:
    /// waiters report it instead of each trying the whole retry schedule again.
    pub fn failure_while_waiting(&self, key: &str) -> Option<String> {
        let since = millis(self.waited_since?);
        let mut bytes = Vec::new();
        File::open(&self.note)
            .and_then(|f| f.take(64 * 1024).read_to_end(&mut bytes))
            .ok()?;
        let note: FailureNote = serde_json::from_slice(&bytes).ok()?;
        (note.at_ms >= since && note.key == key).then_some(note.message)
    }

    /// Tells the processes waiting on this lock why the attempt at `key` failed.
    pub fn report_failure(&self, key: &str, message: &str) {
        let note = FailureNote {
            at_ms: millis(SystemTime::now()),
            key: key.to_string(),
            message: message.to_string(),
        };
        let json = serde_json::to_vec(&note).expect("notes serialise");
        // Durability: a rename only. The note is for the processes waiting on the lock now;
        // one older than a wait is ignored, so after a restart no note is ever read.
        if let Err(e) = write_atomic(&self.note, &json, Durability::Replaced) {
            crate::ui::verbose(&format!("cannot write {}: {e}", shown(&self.note)));
        }
    }

    /// Forgets an earlier failure once the thing has worked.
    pub fn clear_failure(&self) {
        let _ = fs::remove_file(&self.note);
    }
}

fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

impl Store {
    pub fn new(root: impl Into<PathBuf>) -> Store {
        Store {
            root: root.into(),
            system: Vec::new(),
        }
    }

    /// The same store with `system` searched after it (docs/store.md, "System stores"). The
    /// user's own root is never one of them.
    pub fn with_system_stores(mut self, system: Vec<PathBuf>) -> Store {
        self.system = system.into_iter().filter(|s| *s != self.root).collect();
        self
    }

    /// The system stores, in search order.
    pub fn system_stores(&self) -> &[PathBuf] {
        &self.system
    }

    /// Every store searched, the user's first.
    pub fn roots(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(self.root.as_path()).chain(self.system.iter().map(PathBuf::as_path))
    }

    /// What `dir` (`versions/<name>` of one of the stores) holds as an install.
    fn installed(&self, version: GoVersion, platform: Platform, dir: PathBuf) -> Installed {
        Installed {
            version,
            platform,
            dir,
            home: self.root.clone(),
        }
    }

    /// An install of `version` for `platform` at `dir`, in this (the user's) store.
    pub fn installed_at(
        &self,
        version: &GoVersion,
        platform: &Platform,
        dir: PathBuf,
    ) -> Installed {
        self.installed(*version, platform.clone(), dir)
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

    /// Where the per-version GOBINs live (see [`Installed::gobin`]).
    pub fn gobins_dir(&self) -> PathBuf {
        self.root.join(GOBINS)
    }

    /// Where the hook's guard lives: `go` and `gofmt` links to gopin that the hook puts in
    /// front of PATH while the directory selects a Go that cannot run (not installed, damaged,
    /// a linked tree that now holds another release), so that no other `go` on PATH runs in
    /// its place: run, they say why (see `commands::shim`).
    pub fn guard_dir(&self) -> PathBuf {
        self.root.join("guard")
    }

    /// Whether a PATH entry is one of gopin's: a directory inside a version (of any store),
    /// a GOBIN, or the guard. (The shims directory is the user's to keep on PATH, so it is not.)
    pub fn owns_path_entry(&self, entry: &Path) -> bool {
        self.roots()
            .any(|root| entry.starts_with(root.join("versions")))
            || entry.starts_with(self.gobins_dir())
            || entry == self.shared_gobin()
            || entry == self.guard_dir()
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
            if request.choose(std::iter::once(&version)) != Some(version) {
                return Ok(None);
            }
            for root in self.roots() {
                match self.entry(root, &version, platform) {
                    Ok(Some(found)) => return Ok(Some(found)),
                    Ok(None) => {}
                    Err(e) if root == self.root => return Err(e),
                    // A system store that cannot be read is as good as absent here; `doctor`
                    // and `ls` name it (see `stores`).
                    Err(_) => {}
                }
            }
            return Ok(None);
        }
        let installed = self.list_for(platform)?;
        let chosen = request.choose(installed.iter().map(|i| &i.version));
        Ok(installed.into_iter().find(|i| Some(i.version) == chosen))
    }

    /// The installed version at exactly this version and platform: the user's copy, else
    /// the first system store's.
    pub fn get(&self, version: &GoVersion, platform: &Platform) -> Option<Installed> {
        self.roots().find_map(|root| {
            let dir = root.join("versions").join(entry_name(version, platform));
            dir.is_dir()
                .then(|| self.installed(*version, platform.clone(), dir))
        })
    }

    /// The entry in the store at `root` for exactly this version and platform, judged as
    /// [`Store::list`] judges entries: a directory, not a link to one.
    fn entry(
        &self,
        root: &Path,
        version: &GoVersion,
        platform: &Platform,
    ) -> Result<Option<Installed>, StoreError> {
        let dir = root.join("versions").join(entry_name(version, platform));
        match fs::symlink_metadata(&dir) {
            Ok(meta) => Ok(meta
                .is_dir()
                .then(|| self.installed(*version, platform.clone(), dir))),
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

    /// Everything installed, for every platform, newest version first: the user's store
    /// and the system stores, a version in several of them once (the first store's copy).
    pub fn list(&self) -> Result<Vec<Installed>, StoreError> {
        let mut found: Vec<Installed> = Vec::new();
        for root in self.roots() {
            let listed = match self.list_root(root) {
                Ok(listed) => listed,
                Err(e) if root == self.root => return Err(e),
                // Named by `ls` and `doctor` (see `stores`); absent here.
                Err(_) => continue,
            };
            for i in listed {
                if !found
                    .iter()
                    .any(|f| f.version == i.version && f.platform == i.platform)
                {
                    found.push(i);
                }
            }
        }
        found.sort_by(|a, b| {
            b.version
                .cmp(&a.version)
                .then_with(|| a.platform.cmp(&b.platform))
        });
        Ok(found)
    }

    /// What the store at `root` holds, unsorted.
    fn list_root(&self, root: &Path) -> Result<Vec<Installed>, StoreError> {
        let dir = root.join("versions");
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound && root == self.root => {
                return Ok(Vec::new());
            }
            Err(e) => return Err(io_err("read", &dir)(e)),
        };
        let found: Vec<Installed> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let (version, platform) = parse_entry_name(&name)?;
                e.file_type()
                    .ok()?
                    .is_dir()
                    .then(|| self.installed(version, platform, e.path()))
            })
            .collect();
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
        let mut waited_since = None;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                waited_since = Some(SystemTime::now());
                on_wait();
                file.lock().map_err(io_err("lock", &path))?;
            }
            Err(fs::TryLockError::Error(e)) => return Err(io_err("lock", &path)(e)),
        }
        Ok(Lock {
            _file: file,
            name: name.to_string(),
            note: path.with_extension("failed"),
            waited_since,
        })
    }

    /// A fresh staging directory for the version `lock` holds.
    pub fn staging(&self, lock: &Lock) -> Result<Staging, StoreError> {
        let tmp = self.tmp_dir();
        fs::create_dir_all(&tmp).map_err(io_err("create", &tmp))?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("{}.", lock.name))
            .tempdir_in(&tmp)
            .map_err(io_err("create a directory in", &tmp))?;
        let tree = dir.path().join(TREE);
        fs::create_dir(&tree).map_err(io_err("create", &tree))?;
        Ok(Staging {
            dir,
            linked: BTreeSet::new(),
        })
    }

    /// Deals with what killed or interrupted operations left in `tmp/`: the entries of the
    /// version `held` locks (no one else can be using them), and those of every version whose
    /// lock is free. An interrupted swap is finished or undone first, so the version is in
    /// place again; then the entry is deleted. Costs one directory read when there is nothing.
    pub fn clean_stale(&self, held: Option<&Lock>) {
        let Ok(entries) = fs::read_dir(self.tmp_dir()) else {
            return;
        };
        let mut names = BTreeMap::<String, Vec<PathBuf>>::new();
        for entry in entries.filter_map(Result::ok) {
            if let Some(name) = entry.file_name().to_str().and_then(staged_name) {
                names
                    .entry(name.to_string())
                    .or_default()
                    .push(entry.path());
            }
        }
        for (name, dirs) in names {
            if held.is_some_and(|l| l.name == name) {
                self.recover(&name, &dirs);
            } else if let Ok(file) = open_lock_file(&self.lock_path(&name))
                && file.try_lock().is_ok()
            {
                self.recover(&name, &dirs);
            }
        }
    }

    /// Puts back a version an interrupted swap left out of `versions/` (the new tree when it
    /// is complete, else the old one), then deletes `dirs`. The caller holds `name`'s lock.
    fn recover(&self, name: &str, dirs: &[PathBuf]) {
        let dest = self.versions_dir().join(name);
        for dir in dirs {
            let aside = dir.join(REPLACED);
            if aside.is_dir() && fs::symlink_metadata(&dest).is_err() {
                let tree = dir.join(TREE);
                let (back, done) = if tree.join(RECORD_FILE).is_file() {
                    (tree, "finished")
                } else {
                    (aside, "undid")
                };
                match fs::rename(&back, &dest) {
                    Ok(()) => {
                        sync_dir(&self.versions_dir());
                        crate::ui::note(&format!(
                            "{done} an interrupted `install --force` of {name}"
                        ));
                    }
                    Err(e) => {
                        crate::ui::warn(&format!("cannot put {} back in place: {e}", shown(&back)))
                    }
                }
            }
            crate::ui::verbose(&format!("removing leftover {}", shown(dir)));
            if let Err(e) = fs::remove_dir_all(dir) {
                crate::ui::verbose(&format!("cannot remove {}: {e}", shown(dir)));
            }
        }
    }

    /// Makes the finished tree in `staging` the installed version `lock` holds. With
    /// `replace`, an existing install is swapped for it, so one of the two is in place at
    /// every instant. The tree is on disk before it becomes visible, and the rename is on disk
    /// before this returns.
    pub fn commit(
        &self,
        staging: Staging,
        lock: &Lock,
        replace: bool,
    ) -> Result<PathBuf, StoreError> {
        let versions = self.versions_dir();
        let fresh = fs::symlink_metadata(&versions).is_err();
        fs::create_dir_all(&versions).map_err(io_err("create", &versions))?;
        if fresh {
            // A new store has no GOBIN inside a version to move out, ever.
            crate::gobins::mark_migrated(self);
        }
        let dest = versions.join(&lock.name);
        let tree = staging.tree();
        make_durable(&tree).map_err(io_err("flush to disk", &tree))?;
        if replace && fs::symlink_metadata(&dest).is_ok() {
            swap(&staging, &dest)?;
        } else {
            fs::rename(&tree, &dest).map_err(io_err("move into place", &dest))?;
        }
        sync_dir(&versions);
        // Deletes the previous install, now inside the staging directory.
        drop(staging);
        Ok(dest)
    }

    /// Removes an installed version: it disappears at once (a rename), then is deleted.
    pub fn remove(&self, installed: &Installed) -> Result<(), StoreError> {
        if let Some(store) = installed.system_store() {
            return Err(StoreError::SystemStore {
                name: installed.name(),
                store: store.to_path_buf(),
            });
        }
        let lock = self.lock(&installed.name(), || {})?;
        self.clean_stale(Some(&lock));
        let staging = self.staging(&lock)?;
        let target = staging.dir.path().join(REMOVED);
        fs::rename(&installed.dir, &target).map_err(io_err("move aside", &installed.dir))?;
        sync_dir(&self.versions_dir());
        staging
            .dir
            .close()
            .map_err(io_err("delete", &installed.dir))?;
        // Its tools go with it, unless a system store's copy of the version still uses them.
        if self.get(&installed.version, &installed.platform).is_none() {
            let gobin = installed.gobin();
            if let Err(e) = fs::remove_dir_all(&gobin)
                && e.kind() != io::ErrorKind::NotFound
            {
                crate::ui::verbose(&format!("cannot remove {}: {e}", shown(&gobin)));
            }
        }
        // Objects only this tree linked are garbage now (see docs/store.md).
        crate::objects::Objects::of(self).collect_quietly();
        Ok(())
    }
}

/// The version name of a `tmp/` entry gopin made (`<name>.XXXXXX`).
fn staged_name(file_name: &str) -> Option<&str> {
    let (name, _) = file_name.rsplit_once('.')?;
    parse_entry_name(name).map(|_| name)
}

/// Puts the staged tree in `dest`'s place and the old install inside the staging directory.
/// An atomic exchange where the system has one; else two renames, with the old tree first
/// moved to `replaced/` beside the new one, so that [`Store::recover`] can finish the swap
/// if the process dies between them.
fn swap(staging: &Staging, dest: &Path) -> Result<(), StoreError> {
    let tree = staging.tree();
    match exchange(&tree, dest) {
        Ok(()) => Ok(()),
        Err(e) if exchange_unsupported(&e) => swap_by_renames(staging, dest),
        Err(e) => Err(io_err("replace", dest)(e)),
    }
}

/// The portable swap: old out to `replaced/`, new in. Between the two, `dest` is missing, and
/// a crash there is repaired by the next [`Store::recover`].
fn swap_by_renames(staging: &Staging, dest: &Path) -> Result<(), StoreError> {
    let tree = staging.tree();
    let aside = staging.dir.path().join(REPLACED);
    fs::rename(dest, &aside).map_err(io_err("move aside", dest))?;
    if let Err(e) = fs::rename(&tree, dest) {
        // Put the previous install back rather than lose it.
        let _ = fs::rename(&aside, dest);
        return Err(io_err("move into place", dest)(e));
    }
    Ok(())
}

/// Exchanges two paths atomically (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path holds a NUL byte"))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// The kernel or file system has no atomic exchange (so two renames it is).
fn exchange_unsupported(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Unsupported
        || matches!(
            e.raw_os_error(),
            Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
        )
}

/// Writes everything under `path` to the disk before it is renamed into view. One `syncfs`
/// of the store's file system costs a fraction of a second after a Go tree (a `fsync` per file
/// would cost one disk flush per file); see docs/security.md.
#[cfg(target_os = "linux")]
fn make_durable(path: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let dir = File::open(path)?;
    // SAFETY: the descriptor is open for the duration of the call.
    if unsafe { libc::syncfs(dir.as_raw_fd()) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn make_durable(_: &Path) -> io::Result<()> {
    // SAFETY: sync takes no arguments and cannot fail.
    unsafe { libc::sync() };
    Ok(())
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

    const NAME: &str = "go1.22.10.linux-amd64";

    /// A staged tree that looks finished: a go/ with one file, and a record.
    fn finished(staging: &Staging, content: &str) {
        let tree = staging.tree();
        fs::create_dir_all(tree.join("go")).unwrap();
        fs::write(tree.join("go/VERSION"), content).unwrap();
        fs::write(tree.join(RECORD_FILE), "{}").unwrap();
    }

    fn installed_content(store: &Store) -> Option<String> {
        fs::read_to_string(store.versions_dir().join(NAME).join("go/VERSION")).ok()
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
    fn stale_temp_dirs_are_removed_unless_locked_by_someone_else() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path());
        let other = Store::new(root.path());
        // Leftovers of a killed run: its lock is free again.
        let stale = {
            let lock = store.lock("go1.22.1.linux-amd64", || {}).unwrap();
            store.staging(&lock).unwrap().dir.keep()
        };
        // Another process's install in progress.
        let busy_lock = other.lock("go1.21.0.linux-amd64", || {}).unwrap();
        let busy = other.staging(&busy_lock).unwrap().dir.keep();
        // A leftover of the very version this process now holds (it used to survive).
        let own = {
            let lock = store.lock(NAME, || {}).unwrap();
            store.staging(&lock).unwrap().dir.keep()
        };
        let junk = root.path().join("tmp/not-gopins");
        fs::create_dir_all(&junk).unwrap();
        let held = store.lock(NAME, || {}).unwrap();
        store.clean_stale(Some(&held));
        assert!(!stale.exists());
        assert!(!own.exists(), "its own version's leftover is removed");
        assert!(busy.exists(), "a live install is left alone");
        assert!(junk.exists(), "what gopin did not make is left alone");
        drop(busy_lock);
        store.clean_stale(Some(&held));
        assert!(!busy.exists());
    }

    #[test]
    fn commit_swaps_a_forced_install_atomically() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path());
        let lock = store.lock(NAME, || {}).unwrap();
        let first = store.staging(&lock).unwrap();
        finished(&first, "old");
        store.commit(first, &lock, false).unwrap();
        let second = store.staging(&lock).unwrap();
        finished(&second, "new");
        store.commit(second, &lock, true).unwrap();
        assert_eq!(installed_content(&store).as_deref(), Some("new"));
        assert_eq!(
            fs::read_dir(store.tmp_dir()).unwrap().count(),
            0,
            "the old tree is deleted"
        );
        // The fallback for systems without an atomic exchange.
        let third = store.staging(&lock).unwrap();
        finished(&third, "newer");
        swap_by_renames(&third, &store.versions_dir().join(NAME)).unwrap();
        assert_eq!(installed_content(&store).as_deref(), Some("newer"));
        let old = third.dir.path().join(REPLACED).join("go/VERSION");
        assert_eq!(fs::read_to_string(old).unwrap(), "new");
    }

    #[test]
    fn an_interrupted_swap_is_finished_or_undone() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path());
        let dest = store.versions_dir().join(NAME);
        for new_is_complete in [true, false] {
            let lock = store.lock(NAME, || {}).unwrap();
            let old = store.staging(&lock).unwrap();
            finished(&old, "old");
            store.commit(old, &lock, false).unwrap();
            // What the two-rename swap leaves when killed between its renames.
            let staging = store.staging(&lock).unwrap();
            if new_is_complete {
                finished(&staging, "new");
            }
            fs::rename(&dest, staging.dir.path().join(REPLACED)).unwrap();
            let _ = staging.dir.keep();
            drop(lock);
            assert_eq!(installed_content(&store), None);

            let lock = store.lock(NAME, || {}).unwrap();
            store.clean_stale(Some(&lock));
            let want = if new_is_complete { "new" } else { "old" };
            assert_eq!(installed_content(&store).as_deref(), Some(want));
            assert_eq!(fs::read_dir(store.tmp_dir()).unwrap().count(), 0);
            fs::remove_dir_all(&dest).unwrap();
        }
    }

    #[test]
    fn an_interrupted_uninstall_is_not_undone() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path());
        let lock = store.lock(NAME, || {}).unwrap();
        let staging = store.staging(&lock).unwrap();
        finished(&staging, "old");
        fs::rename(staging.tree(), staging.dir.path().join(REMOVED)).unwrap();
        let _ = staging.dir.keep();
        store.clean_stale(Some(&lock));
        assert_eq!(installed_content(&store), None);
        assert_eq!(fs::read_dir(store.tmp_dir()).unwrap().count(), 0);
    }

    #[test]
    fn waiters_learn_a_failure_that_happened_while_they_waited() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path());
        let holder = store.lock(NAME, || {}).unwrap();
        holder.report_failure("https://x/a.tar.gz", "an earlier failure");
        let shared = &store;
        let waiter = std::thread::scope(|s| {
            let waiting = s.spawn(|| {
                let (tx, rx) = std::sync::mpsc::channel();
                let t = s.spawn(move || shared.lock(NAME, || tx.send(()).unwrap()).unwrap());
                rx.recv().unwrap();
                t
            });
            let t = waiting.join().unwrap();
            holder.report_failure("https://x/a.tar.gz", "the server stopped sending");
            drop(holder);
            t.join().unwrap()
        });
        assert_eq!(
            waiter
                .failure_while_waiting("https://x/a.tar.gz")
                .as_deref(),
            Some("the server stopped sending")
        );
        assert_eq!(waiter.failure_while_waiting("https://y/a.tar.gz"), None);
        // A later run that did not wait tries for itself.
        drop(waiter);
        let fresh = store.lock(NAME, || {}).unwrap();
        assert_eq!(fresh.failure_while_waiting("https://x/a.tar.gz"), None);
    }
}
