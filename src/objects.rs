//! The object store: every regular file of every installed GOROOT, kept once by its content
//! and mode, and hard-linked into each version's `go/` tree (see docs/store.md).
//!
//! ```text
//! $GOPIN_HOME/objects/ab/cdef…(62 more hex digits).444
//! ```
//! An object's name is the SHA-256 of its bytes, split after two hex digits, then a dot and
//! its permission bits in octal: the file's installed mode ([`crate::archive::installed_mode`],
//! narrowed by the umask as when the install creates it) without its write bits, so `444`
//! for most files and `555` for executables. The mode is part of the key because a hard link
//! shares its inode, and so its permission bits, with every other link: the same bytes
//! installed once as 0644 and once as 0755 are two objects. No object has a write bit: a
//! write through one link would change every version that holds it.
//!
//! An object is made by linking a file that is already complete under `tmp/` (never written
//! in place), so an object either exists with all of its bytes or does not exist. An object
//! whose only link is its own name belongs to no tree: [`Objects::collect_garbage`] deletes
//! those, one `unlink` each, so an interrupted collection leaves only objects that a later one
//! deletes. Installs link under a shared lock (`locks/objects.lock`) and the collection runs
//! under the exclusive one, taken without waiting: when an install is running, the garbage
//! waits for the next collection.
//!
//! Where a hard link is impossible (`versions/` or `tmp/` on another file system than
//! `objects/`), the tree keeps its own copy and `gopin doctor` says so.

use std::collections::{BTreeSet, HashMap};
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::archive::{Manifest, ManifestEntry};
use crate::store::{Store, StoreError, io_err};

/// The mode a file installed with `mode` has on disk: narrowed by the umask, as when the
/// install creates it. That mode without its write bits is the object's key, so a store
/// used under `umask 077` keeps private objects of its own.
fn effective(mode: u32) -> u32 {
    mode & 0o777 & !umask()
}

/// The process's umask, read once: from `/proc/self/status` where there is one (reading it
/// through `umask(2)` means setting it, which would race with threads creating files).
fn umask() -> u32 {
    static UMASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        let from_proc = fs::read_to_string("/proc/self/status").ok().and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("Umask:"))?;
            u32::from_str_radix(line["Umask:".len()..].trim(), 8).ok()
        });
        from_proc.unwrap_or_else(|| {
            // SAFETY: umask cannot fail; the old value is put back at once.
            unsafe {
                let old = libc::umask(0o022);
                libc::umask(old);
                old as u32
            }
        })
    })
}

/// The suffix of the temporary links in `tmp/`.
const LINK_SUFFIX: &str = ".gopin-link";

/// The write bits an object never has.
const WRITE_BITS: u32 = 0o222;

/// The object store of one gopin store.
#[derive(Debug, Clone)]
pub struct Objects {
    dir: PathBuf,
    lock: PathBuf,
    /// `tmp/`, where a link is made before it is renamed over a file or an object.
    tmp: PathBuf,
}

/// What linking one file into the object store did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linked {
    /// The content was already an object: the file is now a link to it.
    Shared,
    /// The file became a new object.
    Stored,
    /// A hard link is impossible here (another file system): the file stays a copy.
    Copied,
}

/// What [`Objects::ingest`] did to one tree.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Ingested {
    /// Files the unpacking had already made links to objects (a delta's taken from the
    /// store, a first install's adopted as they were written).
    pub linked: u64,
    pub shared: u64,
    pub stored: u64,
    pub copied: u64,
    /// Bytes of the files that were already objects.
    pub shared_bytes: u64,
}

/// What [`Objects::collect_garbage`] deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Collected {
    pub objects: u64,
    pub bytes: u64,
}

/// Holds `locks/objects.lock` until dropped.
#[derive(Debug)]
pub struct ObjectsLock {
    _file: File,
}

impl Objects {
    pub fn of(store: &Store) -> Objects {
        Objects::at(store.root())
    }

    /// The object store of the gopin store at `root`.
    pub fn at(root: &Path) -> Objects {
        Objects {
            dir: root.join("objects"),
            lock: root.join("locks").join("objects.lock"),
            tmp: root.join("tmp"),
        }
    }

    /// The object store of the gopin store a staged GOROOT is being built in
    /// (`<root>/tmp/<name>.XXXXXX/tree/go`), if `goroot` is one. Unpackers use it to link
    /// what is already stored instead of writing it.
    pub fn for_staged(goroot: &Path) -> Option<Objects> {
        let staging = goroot.parent()?.parent()?;
        let tmp = staging.parent()?;
        (tmp.file_name()? == "tmp" && goroot.file_name()? == "go")
            .then(|| Objects::at(tmp.parent().expect("tmp has a parent")))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the store holds any object yet. A first install into an empty one has
    /// nothing to look up: it skips a `stat` of an object per file (see docs/performance.md).
    pub fn holds_any(&self) -> bool {
        fs::read_dir(&self.dir).is_ok_and(|mut entries| entries.next().is_some())
    }

    /// Where the object for `sha256` with permission bits `mode` lives (its write bits are
    /// not part of the name: an object never has them).
    pub fn path(&self, sha256: &str, mode: u32) -> PathBuf {
        let (head, tail) = sha256.split_at(2.min(sha256.len()));
        self.dir
            .join(head)
            .join(format!("{tail}.{:03o}", mode & 0o777 & !WRITE_BITS))
    }

    /// Parses an object's path back into its SHA-256 and mode.
    fn key_of(path: &Path) -> Option<(String, u32)> {
        let head = path.parent()?.file_name()?.to_str()?;
        let name = path.file_name()?.to_str()?;
        let (tail, mode) = name.rsplit_once('.')?;
        let sha256 = format!("{head}{tail}");
        let ok =
            head.len() == 2 && sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then_some(())?;
        Some((sha256, u32::from_str_radix(mode, 8).ok()?))
    }

    /// The lock installs hold while they link, for an unpacker that links as it writes;
    /// `None` if it cannot be taken (it then leaves the linking to [`Objects::ingest`]).
    pub fn shared_lock(&self) -> Option<ObjectsLock> {
        self.take_lock(false).ok().flatten()
    }

    /// Takes the lock installs hold while they link (shared) or the collection holds
    /// (exclusive). The exclusive one is only tried: `None` when someone holds it.
    fn take_lock(&self, exclusive: bool) -> Result<Option<ObjectsLock>, StoreError> {
        let dir = self.lock.parent().expect("locks/");
        fs::create_dir_all(dir).map_err(io_err("create", dir))?;
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock)
            .map_err(io_err("open", &self.lock))?;
        if exclusive {
            match file.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => return Ok(None),
                Err(fs::TryLockError::Error(e)) => return Err(io_err("lock", &self.lock)(e)),
            }
        } else {
            file.lock_shared().map_err(io_err("lock", &self.lock))?;
        }
        Ok(Some(ObjectsLock { _file: file }))
    }

    /// The files above `min` bytes of every installed release, by (path, size, installed
    /// mode), to their objects: what an unpacker compares a large entry with as it streams
    /// (the object store of a staged tree's store; its records are read once).
    pub fn large_files(&self, min: u64) -> HashMap<(String, u64, u32), PathBuf> {
        let mut found = HashMap::new();
        let Some(root) = self.dir.parent() else {
            return found;
        };
        let Ok(installed) = Store::new(root).list() else {
            return found;
        };
        for i in installed {
            let Ok(record) = crate::record::InstallRecord::load(&i.record_path()) else {
                continue;
            };
            for (rel, entry) in record.files {
                if let ManifestEntry::File { size, sha256, mode } = entry
                    && size > min
                {
                    let object = self.path(&sha256, effective(mode));
                    found.entry((rel, size, mode)).or_insert(object);
                }
            }
        }
        found
    }

    /// Whether the object at `object` looks like what its name says: a regular file of
    /// `size` bytes with the mode `mode` gets as an object. Its bytes are compared by callers
    /// that can (see docs/security.md).
    fn looks_right(meta: &fs::Metadata, mode: u32, size: u64) -> bool {
        meta.is_file()
            && meta.len() == size
            && meta.permissions().mode() & 0o7777 == mode & !WRITE_BITS
    }

    /// Links `dest` (which must not exist) to the object for `data` installed with `mode`,
    /// if there is one that holds exactly these bytes. False when there is none or it cannot
    /// be linked: the caller writes the file itself.
    pub fn link_to(&self, sha256: &str, mode: u32, data: &[u8], dest: &Path) -> bool {
        let mode = effective(mode);
        let object = self.path(sha256, mode);
        let right = fs::symlink_metadata(&object)
            .is_ok_and(|m| Objects::looks_right(&m, mode, data.len() as u64))
            && fs::read(&object).is_ok_and(|held| held == data);
        right && fs::hard_link(&object, dest).is_ok()
    }

    /// Makes the complete file at `file` (installed with `mode`, holding `size` bytes that
    /// hash to `sha256`) a link to its object: to the existing one, or as a new object. The
    /// existing object is hashed first: one that is not what its name says (another size,
    /// mode or content) is replaced by this file, which the install has just verified, and
    /// the trees that linked the bad one keep it until they are reinstalled. `first`: the
    /// store held no object when the install began, so the file is made read-only and linked
    /// as its object straight away, and only if one turns out to be there (stored meanwhile,
    /// or a duplicate within the tree) is it looked at: two calls a file instead of three.
    pub fn adopt(
        &self,
        file: &Path,
        sha256: &str,
        mode: u32,
        size: u64,
        first: bool,
    ) -> io::Result<Linked> {
        let mode = effective(mode);
        let object = self.path(sha256, mode);
        if first {
            fs::set_permissions(file, fs::Permissions::from_mode(mode & !WRITE_BITS))?;
            match self.store_as(file, &object) {
                Ok(()) => return Ok(Linked::Stored),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) if is_cross_device(&e) => {
                    fs::set_permissions(file, fs::Permissions::from_mode(mode))?;
                    return Ok(Linked::Copied);
                }
                Err(e) => return Err(e),
            }
        }
        // The file's own identity is looked up only when an object by that name exists: an
        // install whose objects are all new costs an lstat, a chmod and a link per file
        // (a first install, above, a chmod and a link).
        let same_file = |o: &fs::Metadata| {
            fs::symlink_metadata(file).map(|meta| o.ino() == meta.ino() && o.dev() == meta.dev())
        };
        for _ in 0..3 {
            match fs::symlink_metadata(&object) {
                Ok(o) if same_file(&o)? => {
                    return Ok(Linked::Shared);
                }
                Ok(o)
                    if Objects::looks_right(&o, mode, size)
                        && crate::record::hash_file(&object).ok().as_deref() == Some(sha256) =>
                {
                    // Link beside, then rename over: the tree never lacks the file.
                    let beside = self.beside()?;
                    match fs::hard_link(&object, &beside) {
                        Ok(()) => {
                            fs::rename(&beside, file)?;
                            return Ok(Linked::Shared);
                        }
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        Err(e) if is_cross_device(&e) => return Ok(Linked::Copied),
                        Err(e) => return Err(e),
                    }
                }
                Ok(_) => {
                    // A damaged object: this file takes its place (link beside, rename over).
                    fs::set_permissions(file, fs::Permissions::from_mode(mode & !WRITE_BITS))?;
                    let beside = self.beside()?;
                    match fs::hard_link(file, &beside) {
                        Ok(()) => {
                            fs::rename(&beside, &object)?;
                            return Ok(Linked::Stored);
                        }
                        Err(e) if is_cross_device(&e) => {
                            fs::set_permissions(file, fs::Permissions::from_mode(mode))?;
                            return Ok(Linked::Copied);
                        }
                        Err(e) => return Err(e),
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    fs::set_permissions(file, fs::Permissions::from_mode(mode & !WRITE_BITS))?;
                    match self.store_as(file, &object) {
                        Ok(()) => return Ok(Linked::Stored),
                        // Another install stored the same content meanwhile.
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                        Err(e) if is_cross_device(&e) => {
                            fs::set_permissions(file, fs::Permissions::from_mode(mode))?;
                            return Ok(Linked::Copied);
                        }
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Linked::Copied)
    }

    /// Links `file` (already read-only) as `object`, making its two-hex-digit directory the
    /// first time.
    fn store_as(&self, file: &Path, object: &Path) -> io::Result<()> {
        match fs::hard_link(file, object) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(object.parent().expect("objects live in a directory"))?;
                fs::hard_link(file, object)
            }
            linked => linked,
        }
    }

    /// Links every regular file of the tree at `goroot`, described by `manifest`, into the
    /// object store (see [`Objects::adopt`]), but those in `linked`, which are already (a
    /// delta's files taken from the store). A `goroot` that is a symlink (a tree imported
    /// with `--link`) is not gopin's and is left alone.
    pub fn ingest(
        &self,
        goroot: &Path,
        manifest: &Manifest,
        linked: &BTreeSet<String>,
    ) -> Result<Ingested, StoreError> {
        let mut done = Ingested::default();
        if !fs::symlink_metadata(goroot).is_ok_and(|m| m.is_dir()) {
            return Ok(done);
        }
        let _lock = self.take_lock(false)?;
        let first = !self.holds_any();
        // Hard links to the same inode inside one tree (an archive's own hard links) are
        // one file: whichever is adopted first stores it, the rest find it there. The files
        // are shared out among a few threads: on a slow disk each link waits on the journal.
        let mut files: Vec<(&String, u64, &str, u32)> = Vec::new();
        for (rel, entry) in manifest {
            if let ManifestEntry::File { size, sha256, mode } = entry {
                if linked.contains(rel) {
                    done.linked += 1;
                } else {
                    files.push((rel, *size, sha256.as_str(), *mode));
                }
            }
        }
        let results = crate::fsio::in_parallel(&files, |part| -> Result<Ingested, StoreError> {
            let mut done = Ingested::default();
            for &(rel, size, sha256, mode) in part {
                let path = goroot.join(rel);
                match self
                    .adopt(&path, sha256, mode, size, first)
                    .map_err(io_err("link into the object store", &path))?
                {
                    Linked::Shared => {
                        done.shared += 1;
                        done.shared_bytes += size;
                    }
                    Linked::Stored => done.stored += 1,
                    Linked::Copied => done.copied += 1,
                }
            }
            Ok(done)
        });
        for part in results {
            let part = part?;
            done.shared += part.shared;
            done.stored += part.stored;
            done.copied += part.copied;
            done.shared_bytes += part.shared_bytes;
        }
        Ok(done)
    }

    /// A fresh name in `tmp/` for a link about to be renamed into place
    /// (`<pid>.<n>.gopin-link`); what a killed process leaves there is deleted by the next
    /// collection.
    fn beside(&self) -> io::Result<PathBuf> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        fs::create_dir_all(&self.tmp)?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = self
            .tmp
            .join(format!("{}.{n}{LINK_SUFFIX}", std::process::id()));
        let _ = fs::remove_file(&path);
        Ok(path)
    }

    /// Every object file, with its metadata.
    fn walk(&self) -> Result<Vec<(PathBuf, fs::Metadata)>, StoreError> {
        let mut found = Vec::new();
        let heads = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(found),
            Err(e) => return Err(io_err("read", &self.dir)(e)),
        };
        for head in heads.filter_map(Result::ok) {
            let Ok(entries) = fs::read_dir(head.path()) else {
                continue;
            };
            for entry in entries.filter_map(Result::ok) {
                let path = entry.path();
                if let Ok(meta) = fs::symlink_metadata(&path) {
                    found.push((path, meta));
                }
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(found)
    }

    /// Deletes every object that no tree links any more (a link count of one). Runs only
    /// when no install is linking; returns `None` then (the garbage stays for the next).
    pub fn collect_garbage(&self) -> Result<Option<Collected>, StoreError> {
        if !self.dir.exists() {
            return Ok(Some(Collected::default()));
        }
        let Some(_lock) = self.take_lock(true)? else {
            return Ok(None);
        };
        let mut collected = Collected::default();
        // Links a killed install made and never renamed into place (none is in flight while
        // this lock is held).
        if let Ok(entries) = fs::read_dir(&self.tmp) {
            for entry in entries.filter_map(Result::ok) {
                if entry.file_name().to_string_lossy().ends_with(LINK_SUFFIX) {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        for (path, meta) in self.walk()? {
            if meta.is_file() && meta.nlink() == 1 {
                match fs::remove_file(&path) {
                    Ok(()) => {
                        collected.objects += 1;
                        collected.bytes += meta.len();
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err("delete", &path)(e)),
                }
            }
        }
        Ok(Some(collected))
    }

    /// Collects garbage after a tree was deleted, telling the user only when it fails.
    pub fn collect_quietly(&self) {
        if let Err(e) = self.collect_garbage() {
            crate::ui::verbose(&format!("objects were not collected: {e}"));
        }
    }

    /// Checks every object: its bytes against its name, its mode against its name and
    /// against the rule of no write bit. `owners` maps an inode to the versions that link
    /// it, to name them.
    pub fn verify(
        &self,
        owners: &HashMap<(u64, u64), BTreeSet<String>>,
    ) -> Result<ObjectReport, StoreError> {
        let mut report = ObjectReport::default();
        for (path, meta) in self.walk()? {
            report.objects += 1;
            let versions = owners
                .get(&(meta.dev(), meta.ino()))
                .map(|v| v.iter().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            let Some((sha256, mode)) = Objects::key_of(&path).filter(|_| meta.is_file()) else {
                report.strays.push(path);
                continue;
            };
            if meta.nlink() == 1 {
                report.garbage += 1;
                report.garbage_bytes += meta.len();
            }
            let actual = meta.permissions().mode() & 0o7777;
            if actual != mode & !WRITE_BITS {
                report
                    .bad_modes
                    .push((path.clone(), actual, versions.clone()));
            }
            if crate::record::hash_file(&path).ok().as_deref() != Some(sha256.as_str()) {
                report.modified.push((path, versions));
            }
        }
        Ok(report)
    }

    /// Gives objects with a write bit (or another mode than their name's) the mode their
    /// name says, without the write bits. Returns how many were changed.
    pub fn fix_modes(&self, report: &ObjectReport) -> Result<usize, StoreError> {
        for (path, _, _) in &report.bad_modes {
            if let Some((_, mode)) = Objects::key_of(path) {
                fs::set_permissions(path, fs::Permissions::from_mode(mode & !WRITE_BITS))
                    .map_err(io_err("change the mode of", path))?;
            }
        }
        Ok(report.bad_modes.len())
    }

    /// Whether `versions` and the object store are on the same file system (so installs
    /// can link), judged by their directories; true when either does not exist yet.
    pub fn same_file_system(&self, versions: &Path) -> bool {
        let dev = |p: &Path| fs::metadata(p).ok().map(|m| m.dev());
        match (dev(&self.dir), dev(versions)) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        }
    }
}

/// What [`Objects::verify`] found.
#[derive(Debug, Default)]
pub struct ObjectReport {
    pub objects: u64,
    /// Objects whose bytes no longer hash to their name, with the versions that link them.
    pub modified: Vec<(PathBuf, Vec<String>)>,
    /// Objects with a write bit or another mode than their name's: path, mode, versions.
    pub bad_modes: Vec<(PathBuf, u32, Vec<String>)>,
    /// Files in `objects/` that are not objects gopin made.
    pub strays: Vec<PathBuf>,
    /// Objects no tree links (collected at the next uninstall or `doctor --fix`).
    pub garbage: u64,
    pub garbage_bytes: u64,
}

/// How a version's tree sits in the object store: the sum of its files' sizes, the part of
/// it that another version links too, and what is not linked to its object.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sharing {
    pub files: u64,
    pub bytes: u64,
    /// Bytes of files another version links too (a link count above two: the object's
    /// name, this tree, another).
    pub shared_bytes: u64,
    /// Bytes of files that are not linked to an object (a copy, or not yet converted).
    pub unlinked_bytes: u64,
    /// Files not linked to their object.
    pub unlinked: u64,
}

/// Measures `goroot` against `manifest` (one `lstat` per file, no reading).
pub fn sharing(objects: &Objects, goroot: &Path, manifest: &Manifest) -> Sharing {
    let mut s = Sharing::default();
    if !fs::symlink_metadata(goroot).is_ok_and(|m| m.is_dir()) {
        return s;
    }
    // Hard links inside one tree count once.
    let mut seen = BTreeSet::new();
    for (rel, entry) in manifest {
        let ManifestEntry::File { sha256, .. } = entry else {
            continue;
        };
        let Ok(meta) = fs::symlink_metadata(goroot.join(rel)) else {
            continue;
        };
        if !seen.insert(meta.ino()) {
            continue;
        }
        s.files += 1;
        s.bytes += meta.len();
        // The object is found by the file's own mode: a doctor run under another umask than
        // the install looks for the same name.
        let key = meta.permissions().mode();
        let linked = fs::symlink_metadata(objects.path(sha256, key))
            .is_ok_and(|o| o.ino() == meta.ino() && o.dev() == meta.dev());
        if !linked {
            s.unlinked += 1;
            s.unlinked_bytes += meta.len();
        } else if meta.nlink() > 2 {
            s.shared_bytes += meta.len();
        }
    }
    s
}

/// The inodes of every installed tree's files, with the versions that hold each, to name
/// the versions a bad object belongs to.
pub fn owners(trees: &[(String, PathBuf, Manifest)]) -> HashMap<(u64, u64), BTreeSet<String>> {
    let mut map: HashMap<(u64, u64), BTreeSet<String>> = HashMap::new();
    for (name, goroot, manifest) in trees {
        if !fs::symlink_metadata(goroot).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        for (rel, entry) in manifest {
            if matches!(entry, ManifestEntry::File { .. })
                && let Ok(meta) = fs::symlink_metadata(goroot.join(rel))
            {
                map.entry((meta.dev(), meta.ino()))
                    .or_default()
                    .insert(name.clone());
            }
        }
    }
    map
}

fn is_cross_device(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::EXDEV)
        || e.kind() == io::ErrorKind::CrossesDevices
        || e.raw_os_error() == Some(libc::EPERM)
}

/// A tree's disk use from its files alone (one `lstat` each, no record): the bytes of its
/// regular files (a file linked at several paths of the tree counted once), and of those
/// another version links too: more links than this tree's paths to it and the object's name.
pub fn tree_usage(goroot: &Path) -> (u64, u64) {
    if !fs::symlink_metadata(goroot).is_ok_and(|m| m.is_dir()) {
        return (0, 0);
    }
    // Per inode: paths in this tree, link count, size.
    let mut inodes: HashMap<u64, (u64, u64, u64)> = HashMap::new();
    let mut pending = vec![goroot.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.is_dir() {
                pending.push(entry.path());
            } else if meta.is_file() {
                inodes
                    .entry(meta.ino())
                    .or_insert((0, meta.nlink(), meta.len()))
                    .0 += 1;
            }
        }
    }
    let bytes = inodes.values().map(|(_, _, len)| len).sum();
    let shared = inodes
        .values()
        .filter(|(paths, links, _)| *links > paths + 1)
        .map(|(_, _, len)| len)
        .sum();
    (bytes, shared)
}

/// A size for people: `214.9 MB`, `12.3 kB`, `612 B`.
pub fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.1} kB", b as f64 / 1e3),
        b => format!("{b} B"),
    }
}

/// What `gopin doctor` reports about the object store: each line a problem (with its fix) or
/// a fact. See docs/store.md.
pub struct Findings {
    pub problems: Vec<(String, String)>,
    pub facts: Vec<String>,
}

/// Checks the object store against every installed tree: modified objects (named with the
/// versions that hold them), objects with a write bit, trees whose files are not linked to
/// their objects, and whether `versions/` can link at all.
pub fn check(store: &Store) -> Result<Findings, StoreError> {
    let objects = Objects::of(store);
    let mut findings = Findings {
        problems: Vec::new(),
        facts: Vec::new(),
    };
    let trees = recorded_trees(store)?;
    let owners = owners(&trees);
    let report = objects.verify(&owners)?;
    let name = |p: &Path| crate::ui::shown(p);
    let held_by = |v: &[String]| {
        if v.is_empty() {
            "no installed version".to_string()
        } else {
            v.join(", ")
        }
    };
    for (path, versions) in &report.modified {
        findings.problems.push((
            format!(
                "the object {} no longer holds the bytes its name says: it is linked into {}",
                name(path),
                held_by(versions)
            ),
            format!(
                "reinstall each version it names with `gopin install --force VERSION` (the object is then replaced): {}",
                held_by(versions)
            ),
        ));
    }
    for (path, mode, versions) in &report.bad_modes {
        findings.problems.push((
            format!(
                "the object {} has mode {mode:04o}: objects have no write bit, as a write through one link changes every version that holds it ({})",
                name(path),
                held_by(versions)
            ),
            "gopin doctor --fix".to_string(),
        ));
    }
    for path in &report.strays {
        findings.problems.push((
            format!(
                "{} is in the object store but is not an object gopin made",
                name(path)
            ),
            format!("remove it: rm -r {}", name(path)),
        ));
    }
    let versions_dir = store.versions_dir();
    let same_fs = objects.same_file_system(&versions_dir);
    let mut unlinked = Vec::new();
    for (tree, goroot, manifest) in &trees {
        let s = sharing(&objects, goroot, manifest);
        if s.unlinked > 0 {
            unlinked.push(format!("{tree} ({} files)", s.unlinked));
        }
    }
    if !unlinked.is_empty() && same_fs {
        findings.problems.push((
            format!(
                "files not linked to the object store (installed before it, or linked to a wrong object): {}",
                unlinked.join(", ")
            ),
            "gopin doctor --fix (links each intact file to its object; nothing is downloaded)"
                .to_string(),
        ));
    }
    if !same_fs {
        findings.facts.push(format!(
            "{} is on another file system than {}: hard links are impossible, so each version keeps its own copy of every file",
            name(&versions_dir),
            name(objects.dir())
        ));
    }
    findings.facts.push(format!(
        "{} objects checked against their names{}",
        report.objects,
        if report.garbage > 0 {
            format!(
                "; {} no longer linked by any version ({}), deleted at the next uninstall or by `gopin doctor --fix`",
                report.garbage,
                human_bytes(report.garbage_bytes)
            )
        } else {
            String::new()
        }
    ));
    Ok(findings)
}

/// Every tree of the user's store with a readable record: its name, GOROOT and manifest. A
/// system store's trees are not linked to this object store, and never written
/// (docs/store.md, "System stores").
fn recorded_trees(store: &Store) -> Result<Vec<(String, PathBuf, Manifest)>, StoreError> {
    Ok(store
        .list()?
        .into_iter()
        .filter(|i| i.system_store().is_none())
        .filter_map(|i| {
            let record = crate::record::InstallRecord::load(&i.record_path()).ok()?;
            Some((i.name(), i.goroot(), record.files))
        })
        .collect())
}

/// `gopin doctor --fix` for the object store: converts trees not linked to it
/// ([`migrate`]), gives objects their modes back, and collects garbage. Returns what it did,
/// in words.
pub fn fix(store: &Store) -> Result<Vec<String>, StoreError> {
    let objects = Objects::of(store);
    // What killed installs and uninstalls left in tmp/ first: their links keep objects.
    store.clean_stale(None);
    let mut done = migrate(store, true)?;
    let report = objects.verify(&HashMap::new())?;
    let modes = objects.fix_modes(&report)?;
    if modes > 0 {
        done.push(format!("{modes} objects given back their read-only mode"));
    }
    match objects.collect_garbage()? {
        Some(c) if c.objects > 0 => done.push(format!(
            "{} objects no version linked deleted ({})",
            c.objects,
            human_bytes(c.bytes)
        )),
        Some(_) => {}
        None => done.push("objects not collected: an install is running".to_string()),
    }
    Ok(done)
}

/// Converts installed trees whose files are not linked to their objects (a store from before
/// the object store): each file that still hashes to what its record says is linked. With
/// `wait` (`doctor --fix`), every tree is looked at, each under its version's lock; an
/// install runs it without waiting (after its own commit, never in the hook), only for trees
/// not converted at all, and a tree that goes away meanwhile is simply skipped.
pub fn migrate(store: &Store, wait: bool) -> Result<Vec<String>, StoreError> {
    let objects = Objects::of(store);
    let mut done = Vec::new();
    if !objects.same_file_system(&store.versions_dir()) {
        return Ok(done);
    }
    // Only the user's own trees: a system store's are never written (docs/store.md).
    for installed in store
        .list()?
        .into_iter()
        .filter(|i| i.system_store().is_none())
    {
        // An install only looks at trees whose VERSION file has no other link, so that it
        // costs one `lstat` per version once the store is converted.
        let version_file = installed.goroot().join("VERSION");
        if !wait && fs::symlink_metadata(&version_file).is_ok_and(|m| m.nlink() > 1) {
            continue;
        }
        let Ok(record) = crate::record::InstallRecord::load(&installed.record_path()) else {
            continue;
        };
        let (tree, goroot, manifest) = (installed.name(), installed.goroot(), record.files);
        if sharing(&objects, &goroot, &manifest).unlinked == 0 {
            continue;
        }
        // Only files that still hold what the record says are linked.
        let intact: Manifest = manifest
            .into_iter()
            .filter(|(rel, entry)| match entry {
                ManifestEntry::File { sha256, .. } => {
                    crate::record::hash_file(&goroot.join(rel)).ok().as_ref() == Some(sha256)
                }
                ManifestEntry::Symlink { .. } => false,
            })
            .collect();
        let lock = wait.then(|| store.lock(&tree, || {})).transpose()?;
        let ingested = objects.ingest(&goroot, &intact, &BTreeSet::new())?;
        drop(lock);
        done.push(format!(
            "{tree}: {} files linked to existing objects, {} stored as new objects{}",
            ingested.shared,
            ingested.stored,
            if ingested.copied > 0 {
                format!(", {} kept as copies", ingested.copied)
            } else {
                String::new()
            }
        ));
    }
    Ok(done)
}
