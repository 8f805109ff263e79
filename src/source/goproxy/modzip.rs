//! Unpacks a toolchain module zip into a GOROOT, refusing anything that could escape it, and
//! computes the zip's `h1:` on the way.
//!
//! The rules are the tar path's (no absolute names, no `..`, no links, no special files) and
//! Go's own for module zips (`golang.org/x/mod/zip`): every name under the module prefix,
//! every path element made of the characters Go allows, no two names that differ only in
//! case, nothing that is both a file and a directory, no `go.mod` below the root, sizes
//! within Go's limits, local headers that agree with the central directory and entries that
//! do not overlap. Every check happens before the first byte is written.
//!
//! Zip members are compressed one by one, so they are inflated on all cores at once: each
//! worker reads the zip through its own positioned reads. Each file is created with its final
//! mode and hashed as it is written; the hashes give both the install record's manifest and
//! the `h1:` over exactly the zip's entries. Afterwards every `_go.mod` is copied to `go.mod`
//! beside it, as `go` does after unzipping a toolchain (the zip cannot hold nested go.mod
//! files, and `go list std` needs them).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sha2::{Digest, Sha256};
use thiserror::Error;
use zip::{CompressionMethod, System, ZipArchive};

use super::dirhash;
use super::patterns::path_match;
use crate::archive::{ManifestEntry, installed_mode};
use crate::fsio::hex;
use crate::net::remote::{CopyError, copy_hashing};
use crate::ui::shown;

/// Bounds on what a zip may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The zip file itself.
    pub zip_size: u64,
    /// All files, uncompressed.
    pub total_size: u64,
    /// Entries in the central directory.
    pub entries: usize,
}

impl Limits {
    /// Go's own limits (`zip.MaxZipFile` for the file and its contents: no toolchain `go`
    /// can use is larger), and far more entries than a Go release has (~13,000).
    pub const GO: Limits = Limits {
        zip_size: 500 << 20,
        total_size: 500 << 20,
        entries: 100_000,
    };
}

#[derive(Debug, Error)]
pub enum ZipError {
    #[error("it is not a valid zip ({0})")]
    Corrupt(String),
    #[error("its entry '{entry}' {reason}")]
    Unsafe { entry: String, reason: String },
    #[error("{what} exceeds the limit of {limit} bytes")]
    TooLarge { what: String, limit: u64 },
    #[error("it has more than {0} entries")]
    TooManyEntries(usize),
    #[error("cannot write {}: {source}", shown(path))]
    Write { path: PathBuf, source: io::Error },
}

fn unsafe_entry(entry: &str, reason: impl Into<String>) -> ZipError {
    ZipError::Unsafe {
        entry: entry.to_string(),
        reason: reason.into(),
    }
}

fn write_err(path: &Path) -> impl Fn(io::Error) -> ZipError + '_ {
    move |source| ZipError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// What was unpacked: the zip's `h1:` and every file written, by path below the root.
#[derive(Debug)]
pub struct Extracted {
    pub h1: String,
    pub files: BTreeMap<String, ManifestEntry>,
}

/// Two workers per core (at most 16): a worker waits in the kernel while it creates each
/// file, and another can inflate meanwhile (docs/performance.md).
pub fn default_threads() -> usize {
    crate::config::extract_workers(|cores| (2 * cores).clamp(2, 16))
}

/// Unpacks the zip at `zip` into `root`, which must not exist yet (its parent must); or, if
/// `made`, which the caller has just made with every directory the zip needs. Every name
/// must start with `prefix` (`golang.org/toolchain@v0.0.1-…/`), which is dropped.
pub fn extract(
    zip: &Path,
    root: &Path,
    made: bool,
    prefix: &str,
    limits: &Limits,
    threads: usize,
) -> Result<Extracted, ZipError> {
    let mut archive = open(zip, limits)?;
    let plan = Plan::make(&mut archive, prefix, limits)?;
    if !made {
        create_dirs(root, &plan.dirs)?;
    }
    let hashes = inflate_all(&archive, root, &plan.files, threads)?;
    let mut files = BTreeMap::new();
    let mut named: Vec<(String, String)> = plan.dir_entries;
    for (item, digest) in plan.files.iter().zip(hashes) {
        let sha256 = hex(&digest);
        named.push((format!("{prefix}{}", item.rel), sha256.clone()));
        let entry = ManifestEntry::File {
            size: item.size,
            sha256,
            mode: item.mode,
        };
        files.insert(item.rel.clone(), entry);
    }
    restore_go_mods(root, &mut files)?;
    let h1 = dirhash::hash1(named.iter().map(|(n, h)| (n.as_str(), h.as_str())))
        .map_err(|e| ZipError::Corrupt(e.to_string()))?;
    Ok(Extracted { h1, files })
}

/// What a checked central directory holds: each file (its place in the listing, its path
/// below the root, the mode it gets) and every directory to create.
pub struct Checked {
    pub files: Vec<(usize, String, u32)>,
    pub dirs: BTreeSet<String>,
}

/// Checks a whole central directory by the rules [`extract`] applies to a zip (names, kinds,
/// case collisions, nested go.mod, sizes), without the zip: for a download of only some of
/// its members.
pub fn check_listing(
    listing: &[Listed],
    prefix: &str,
    limits: &Limits,
) -> Result<Checked, ZipError> {
    if listing.len() > limits.entries {
        return Err(ZipError::TooManyEntries(limits.entries));
    }
    let plan = Plan::of_listing(listing, prefix, limits)?;
    Ok(Checked {
        files: plan
            .files
            .into_iter()
            .map(|f| (f.index, f.rel, f.mode))
            .collect(),
        dirs: plan.dirs,
    })
}

/// Opens the zip and checks it as a whole: its size, its number of entries, no name twice,
/// local headers that agree with the central directory, no overlapping or hidden entries.
fn open(zip: &Path, limits: &Limits) -> Result<ZipArchive<SharedFile>, ZipError> {
    let corrupt = |e: &dyn std::fmt::Display| ZipError::Corrupt(e.to_string());
    let file = File::open(zip).map_err(|e| corrupt(&e))?;
    let len = file.metadata().map_err(|e| corrupt(&e))?.len();
    if len > limits.zip_size {
        return Err(ZipError::TooLarge {
            what: format!("the zip ({len} bytes)"),
            limit: limits.zip_size,
        });
    }
    let reader = SharedFile {
        file: Arc::new(file),
        pos: 0,
        len,
    };
    let mut archive = ZipArchive::new(reader).map_err(|e| corrupt(&e))?;
    if archive.len() > limits.entries {
        return Err(ZipError::TooManyEntries(limits.entries));
    }
    if archive.has_duplicate_names() {
        return Err(ZipError::Corrupt("it lists a name twice".into()));
    }
    archive
        .validate_header_consistency()
        .map_err(|e| corrupt(&e))?;
    Ok(archive)
}

/// Creates `root` (which must be new) and the directories below it.
fn create_dirs(root: &Path, dirs: &BTreeSet<String>) -> Result<(), ZipError> {
    DirBuilder::new()
        .mode(0o755)
        .create(root)
        .map_err(write_err(root))?;
    for dir in dirs {
        let path = root.join(dir);
        DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(&path)
            .map_err(write_err(&path))?;
    }
    Ok(())
}

/// A file to inflate.
struct Planned {
    index: usize,
    rel: String,
    size: u64,
    compressed: u64,
    mode: u32,
}

/// Every entry checked, before anything is written.
#[derive(Default)]
struct Plan {
    files: Vec<Planned>,
    /// Directories to create, parents first.
    dirs: BTreeSet<String>,
    /// Directory entries (name, hash of no content), which count in the `h1:` as in Go.
    dir_entries: Vec<(String, String)>,
}

/// One entry of a zip's central directory, as much as the checks need: what the zip crate
/// reads for a whole zip, and `delta` parses itself from the few bytes it fetches.
#[derive(Debug, Clone)]
pub struct Listed {
    pub name: Vec<u8>,
    pub unix_mode: Option<u32>,
    pub encrypted: bool,
    /// 0 stored, 8 deflated.
    pub method: u16,
    pub size: u64,
    pub compressed: u64,
    pub crc32: u32,
    /// Where its local header starts.
    pub offset: u64,
}

impl Plan {
    fn make(
        archive: &mut ZipArchive<SharedFile>,
        prefix: &str,
        limits: &Limits,
    ) -> Result<Plan, ZipError> {
        let mut listing = Vec::with_capacity(archive.len());
        for index in 0..archive.len() {
            let entry = archive
                .by_index_raw(index)
                .map_err(|e| ZipError::Corrupt(e.to_string()))?;
            // The method's code, as the central directory holds it.
            #[allow(deprecated)]
            let method = entry.compression().to_u16();
            listing.push(Listed {
                name: entry.name_raw().to_vec(),
                unix_mode: (entry.system() == System::Unix)
                    .then(|| entry.unix_mode())
                    .flatten(),
                encrypted: entry.encrypted(),
                method,
                size: entry.size(),
                compressed: entry.compressed_size(),
                crc32: entry.crc32(),
                offset: entry.header_start(),
            });
        }
        Plan::of_listing(&listing, prefix, limits)
    }

    /// Every check of a zip's names, kinds and sizes, over its central directory alone.
    fn of_listing(listing: &[Listed], prefix: &str, limits: &Limits) -> Result<Plan, ZipError> {
        let mut plan = Plan::default();
        let mut names = Collisions::default();
        let mut total = 0u64;
        for (index, entry) in listing.iter().enumerate() {
            let name = checked_name(entry, prefix)?;
            let refuse = |reason: String| unsafe_entry(name, reason);
            let is_dir = name.ends_with('/');
            let rel = &name[prefix.len()..];
            let path = rel.strip_suffix('/').unwrap_or(rel);
            check_kind(name, entry.unix_mode, is_dir)?;
            if !path.is_empty() {
                check_file_path(path).map_err(refuse)?;
                names.check(path, is_dir).map_err(refuse)?;
            }
            if is_dir {
                if entry.size != 0 {
                    return Err(refuse("is a directory with content".into()));
                }
                if !path.is_empty() {
                    plan.dirs.insert(path.to_string());
                }
                plan.dir_entries
                    .push((name.to_string(), hex(&Sha256::digest([]))));
                continue;
            }
            check_go_mod(path).map_err(refuse)?;
            total = total.saturating_add(entry.size);
            if total > limits.total_size {
                return Err(ZipError::TooLarge {
                    what: "the zip's uncompressed content".into(),
                    limit: limits.total_size,
                });
            }
            if let Some((parent, _)) = path.rsplit_once('/') {
                plan.dirs.insert(parent.to_string());
            }
            plan.files.push(Planned {
                index,
                rel: path.to_string(),
                size: entry.size,
                compressed: entry.compressed,
                mode: file_mode(path),
            });
        }
        plan.check_go_mod_copies()?;
        Ok(plan)
    }

    /// No `_go.mod` may be restored over a `go.mod` the zip holds itself.
    fn check_go_mod_copies(&self) -> Result<(), ZipError> {
        let planned: BTreeSet<&str> = self.files.iter().map(|f| f.rel.as_str()).collect();
        for rel in &planned {
            let dir = rel
                .strip_suffix("_go.mod")
                .filter(|d| d.is_empty() || d.ends_with('/'));
            if let Some(dir) = dir
                && planned.contains(format!("{dir}go.mod").as_str())
            {
                return Err(unsafe_entry(
                    rel,
                    "would be restored over the go.mod beside it",
                ));
            }
        }
        Ok(())
    }
}

/// The entry's name: UTF-8, under `prefix`, stored or deflated, not encrypted.
fn checked_name<'a>(entry: &'a Listed, prefix: &str) -> Result<&'a str, ZipError> {
    let raw = &entry.name;
    let name = std::str::from_utf8(raw)
        .map_err(|_| unsafe_entry(&String::from_utf8_lossy(raw), "is not a UTF-8 name"))?;
    if !name.starts_with(prefix) {
        return Err(unsafe_entry(name, format!("is outside {prefix}")));
    }
    if entry.encrypted {
        return Err(unsafe_entry(name, "is encrypted"));
    }
    if !matches!(entry.method, 0 | 8) {
        // Named as the zip crate names it (`Bzip2`), by its code.
        #[allow(deprecated)]
        let method = CompressionMethod::from_u16(entry.method);
        return Err(unsafe_entry(
            name,
            format!("uses compression {method}, never used in module zips"),
        ));
    }
    Ok(name)
}

/// Only files and directories: a symlink, device, FIFO or socket in the zip is refused (Go's
/// module zips never hold one; `go` would write a link as a plain file).
fn check_kind(name: &str, unix_mode: Option<u32>, is_dir: bool) -> Result<(), ZipError> {
    const TYPE: u32 = 0o170000;
    let kind = unix_mode.map_or(0, |m| m & TYPE);
    let ok = kind == 0 || kind == if is_dir { 0o040000 } else { 0o100000 };
    match kind {
        _ if ok => Ok(()),
        0o120000 => Err(unsafe_entry(name, "is a symlink")),
        0o040000 => Err(unsafe_entry(name, "is a directory with a file's name")),
        0o100000 => Err(unsafe_entry(name, "is a file with a directory's name")),
        _ => Err(unsafe_entry(
            name,
            "is a device, FIFO or other special file",
        )),
    }
}

/// Go's rules for a file path in a module (`module.CheckFilePath`): clean, relative, each
/// element non-empty, not all dots, not ending in a dot, not a name Windows reserves, and
/// made of letters, digits and `!#$%&()+,-.=@[]^_{}~ ` only.
fn check_file_path(path: &str) -> Result<(), String> {
    for elem in path.split('/') {
        if elem.is_empty() {
            return Err("has an empty path element (an absolute or unclean name)".into());
        }
        if elem.bytes().all(|b| b == b'.') {
            return Err(format!("has the path element '{elem}'"));
        }
        if elem.ends_with('.') {
            return Err("has a path element that ends in '.'".into());
        }
        if let Some(c) = elem.chars().find(|&c| !file_name_char(c)) {
            return Err(format!(
                "holds the character {c:?}, which Go does not allow in module file names"
            ));
        }
        let short = elem.split('.').next().unwrap_or(elem);
        if is_windows_reserved(short) {
            return Err(format!(
                "has the path element '{elem}', reserved on Windows"
            ));
        }
    }
    Ok(())
}

fn file_name_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || "!#$%&()+,-.=@[]^_{}~ ".contains(c)
    } else {
        c.is_alphabetic()
    }
}

fn is_windows_reserved(short: &str) -> bool {
    let upper = short.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (upper.len() == 4
            && (upper.starts_with("COM") || upper.starts_with("LPT"))
            && matches!(upper.as_bytes()[3], b'1'..=b'9'))
}

/// A module zip may hold `go.mod` only at its root, spelled so (a toolchain holds nested ones
/// as `_go.mod`).
fn check_go_mod(path: &str) -> Result<(), String> {
    let base = path.rsplit('/').next().unwrap_or(path);
    if !base.eq_ignore_ascii_case("go.mod") {
        return Ok(());
    }
    if base != path {
        return Err("is a go.mod below the module root".into());
    }
    if path != "go.mod" {
        return Err("is go.mod spelled in another case".into());
    }
    Ok(())
}

/// The mode a file gets: 0755 where Go's release makes files executable, else 0644. The
/// zip's own modes are ignored: the `h1:` covers names and contents only, so a proxy could
/// change them at will (a zip with `bin/go` at 0777 keeps its `h1:`). `go` ignores them too:
/// it writes every file of a module read-only and, for a toolchain, adds the execute bits to
/// everything in `bin/` and `pkg/tool/` itself. The rule below gives those the same bits, and
/// the scripts `cmd/distpack` marks executable in the release archives, so a tree from the
/// proxy has the modes of the same release unpacked from go.dev.
fn file_mode(path: &str) -> u32 {
    installed_mode(if executable_in_go(path) { 0o755 } else { 0o644 })
}

/// Files a Go distribution ships executable (`cmd/distpack`'s rule).
fn executable_in_go(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    path.starts_with("bin/")
        || path.starts_with("pkg/tool/")
        || [".bash", ".sh", ".pl", ".rc"]
            .iter()
            .any(|s| base.ends_with(s))
        || path_match("go_?*_?*_exec", base).unwrap_or(false)
}

/// Names seen so far by their case-folded form, as Go's collision check keeps them: two
/// names may not differ only in case, and no name is both a file and a directory.
#[derive(Default)]
struct Collisions {
    seen: HashMap<String, (String, bool)>,
}

impl Collisions {
    fn check(&mut self, path: &str, is_dir: bool) -> Result<(), String> {
        let folded = fold(path);
        if let Some((other, other_dir)) = self.seen.get(&folded) {
            if other != path {
                return Err(format!("differs only in case from '{other}'"));
            }
            if *other_dir != is_dir {
                return Err("is both a file and a directory".into());
            }
            if !is_dir {
                return Err("is listed twice".into());
            }
            return Ok(()); // a directory seen before, and so were its parents
        }
        self.seen.insert(folded, (path.to_string(), is_dir));
        match path.rsplit_once('/') {
            Some((parent, _)) => self.check(parent, true),
            None => Ok(()),
        }
    }
}

/// A case-insensitive key: each character's single-character case fold where it has one.
fn fold(s: &str) -> String {
    s.chars()
        .map(|c| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => {
                    let mut low = u.to_lowercase();
                    match (low.next(), low.next()) {
                        (Some(l), None) => l,
                        _ => c,
                    }
                }
                _ => c,
            }
        })
        .collect()
}

/// A file's place in the plan and its SHA-256.
type Hashed = (usize, [u8; 32]);

/// Inflates every planned file on `threads` workers, largest first; returns each file's
/// SHA-256 in plan order. A worker keeps nothing on the heap from one file to the next (its
/// results go into a vector sized up front), so each file's inflate state reuses the last
/// one's memory instead of fragmenting the worker's heap (docs/performance.md).
fn inflate_all(
    archive: &ZipArchive<SharedFile>,
    root: &Path,
    files: &[Planned],
    threads: usize,
) -> Result<Vec<[u8; 32]>, ZipError> {
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(files[i].compressed));
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let workers = threads.clamp(1, files.len().max(1));
    let results: Vec<Result<Vec<Hashed>, ZipError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let mut archive = archive.clone();
                let (order, next, failed) = (&order, &next, &failed);
                scope.spawn(move || {
                    let mut done = Vec::with_capacity(order.len());
                    let mut buf = vec![0u8; 128 * 1024];
                    while !failed.load(Ordering::Relaxed) {
                        let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) else {
                            break;
                        };
                        match inflate_one(&mut archive, root, &files[i], &mut buf) {
                            Ok(sha256) => done.push((i, sha256)),
                            Err(e) => {
                                failed.store(true, Ordering::Relaxed);
                                return Err(e);
                            }
                        }
                    }
                    Ok(done)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("inflating never panics"))
            .collect()
    });
    let mut hashes = vec![[0u8; 32]; files.len()];
    for result in results {
        for (i, digest) in result? {
            hashes[i] = digest;
        }
    }
    Ok(hashes)
}

/// Inflates one file into place with its mode, checking its size (and, through the zip
/// reader, its CRC); returns its SHA-256.
fn inflate_one(
    archive: &mut ZipArchive<SharedFile>,
    root: &Path,
    item: &Planned,
    buf: &mut [u8],
) -> Result<[u8; 32], ZipError> {
    let corrupt = |e: &dyn std::fmt::Display| unsafe_entry(&item.rel, format!("is corrupt ({e})"));
    let mut entry = archive.by_index(item.index).map_err(|e| corrupt(&e))?;
    let path = root.join(&item.rel);
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(item.mode)
        .open(&path)
        .map_err(write_err(&path))?;
    let more = || {
        unsafe_entry(
            &item.rel,
            format!("inflates to more than the {} bytes it declares", item.size),
        )
    };
    let (size, sha256) =
        copy_hashing(&mut entry, &mut out, item.size, buf).map_err(|e| match e {
            CopyError::Read(e) => corrupt(&e),
            CopyError::Write(e) => write_err(&path)(e),
            CopyError::TooLarge => more(),
        })?;
    if size != item.size {
        return Err(unsafe_entry(
            &item.rel,
            format!(
                "inflates to {size} bytes, not the {} it declares",
                item.size
            ),
        ));
    }
    Ok(sha256)
}

/// Copies every `_go.mod` to `go.mod` beside it (the plan made sure none is there), recording
/// the copies.
fn restore_go_mods(
    root: &Path,
    files: &mut BTreeMap<String, ManifestEntry>,
) -> Result<(), ZipError> {
    let sources: Vec<(String, ManifestEntry)> = files
        .iter()
        .filter(|(rel, _)| rel.rsplit('/').next() == Some("_go.mod"))
        .map(|(rel, entry)| (rel.clone(), entry.clone()))
        .collect();
    for (rel, entry) in sources {
        let target = format!("{}go.mod", &rel[..rel.len() - "_go.mod".len()]);
        let ManifestEntry::File { mode, .. } = entry else {
            unreachable!("the manifest holds only files")
        };
        let (from, to) = (root.join(&rel), root.join(&target));
        let data = fs::read(&from).map_err(write_err(&from))?;
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&to)
            .and_then(|mut f| f.write_all(&data))
            .map_err(write_err(&to))?;
        files.insert(target, entry);
    }
    Ok(())
}

/// A zip file that each worker reads at its own position (positioned reads on one shared
/// descriptor), so the archive can be cloned across threads.
#[derive(Clone)]
struct SharedFile {
    file: Arc<File>,
    pos: u64,
    len: u64,
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let target = match pos {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the zip",
            )
        })?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests;
