//! Unpacks a Go archive's `go/` tree, refusing anything that could write outside it.
//!
//! Every entry must live under `go/`, with no absolute path and no `..`; symlinks must point
//! inside the tree and are never written through; hard links must name a file already
//! extracted; device files, FIFOs and other special entries abort the install. What an
//! archive may unpack to is bounded ([`Limits`]), so a small download cannot fill the disk.
//! Files are created with their final mode and hashed as they are written, for the install
//! record.

use std::collections::{BTreeSet, HashSet};
use std::fs::{self, DirBuilder, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use sha2::{Digest, Sha256};
use tar::EntryType;

use super::{Limits, Manifest, ManifestEntry, installed_mode, link_stays_inside};
use crate::fsio::hex;

#[derive(Debug)]
pub enum ExtractError {
    /// The archive stream could not be read or decoded.
    Read(io::Error),
    /// An entry would escape the tree or is not a plain file, directory or link.
    Unsafe { entry: String, reason: String },
    /// The store could not be written.
    Write { path: PathBuf, source: io::Error },
    /// The inflated stream passed [`Limits::bytes`].
    TooLarge(u64),
    /// The archive has more than [`Limits::entries`] entries.
    TooMany(u64),
}

/// Passes at most `left` bytes through, and fails (setting `exceeded`) when there are more.
struct Bounded<R> {
    inner: R,
    left: u64,
    exceeded: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            // At the bound: only the end of the stream may follow.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.exceeded = true;
            return Err(io::Error::other("the archive unpacks to more than allowed"));
        }
        let max = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

fn unsafe_entry(entry: &str, reason: &str) -> ExtractError {
    ExtractError::Unsafe {
        entry: entry.to_string(),
        reason: reason.to_string(),
    }
}

/// Turns an archive path (`go/bin/go`) into a path relative to the GOROOT (`bin/go`), or
/// `None` for `go/` itself.
#[cfg(test)]
fn tree_path(raw: &str) -> Result<Option<String>, String> {
    tree_path_under(raw, &["go"])
}

/// The same for a tree under `prefix` (its parts: `["usr", "local", "go"]` for a snapshot
/// made with `--prefix usr/local/go`).
fn tree_path_under<S: AsRef<str>>(raw: &str, prefix: &[S]) -> Result<Option<String>, String> {
    if raw.starts_with('/') {
        return Err("is an absolute path".into());
    }
    let mut parts = raw.split('/').filter(|p| !p.is_empty() && *p != ".");
    if !prefix
        .iter()
        .all(|want| parts.next() == Some(want.as_ref()))
    {
        let dir: Vec<&str> = prefix.iter().map(AsRef::as_ref).collect();
        return Err(format!("is outside the {}/ directory", dir.join("/")));
    }
    let rest: Vec<&str> = parts.collect();
    if rest.contains(&"..") {
        return Err("contains '..'".into());
    }
    Ok((!rest.is_empty()).then(|| rest.join("/")))
}

/// Files up to this size are read into memory and written by a worker thread; larger ones
/// (a few big binaries) are streamed to disk by the reading thread itself.
const SMALL_FILE: u64 = 512 * 1024;
/// Jobs waiting for a worker: with [`SMALL_FILE`] this bounds the memory in flight to 8 MiB.
const QUEUE: usize = 16;

/// How many threads write files: `GOPIN_EXTRACT_WORKERS` (for tuning), else one per core, at
/// least two and at most four.
fn writer_threads() -> usize {
    crate::config::extract_workers(|cores| cores.clamp(2, 4))
}

/// A small file for a worker to write.
struct Job {
    rel: String,
    path: PathBuf,
    mode: u32,
    data: Vec<u8>,
}

/// A finished job: the file's entry, and whether it was made a link to a new object as it
/// was written (see [`extract_adopting`]).
type Done = Result<(String, ManifestEntry, bool), ExtractError>;

/// Extracts the tar stream `src` into `root` (which must not exist yet), within `limits`, and
/// reads `src` to its end (for a gzip stream, that checks its CRC).
///
/// The calling thread reads and inflates the archive and checks every entry; writing the
/// many small files (open, write, close: system-call bound) and hashing them is spread over
/// worker threads, so inflating and writing overlap.
#[cfg(test)]
pub fn extract<R: Read>(src: R, root: &Path, limits: Limits) -> Result<Manifest, ExtractError> {
    extract_adopting(src, root, &["go".to_string()], limits).map(|(manifest, _)| manifest)
}

/// [`extract`] for an archive whose tree sits under `prefix` (its path's parts) rather than
/// `go/` (a snapshot made with `gopin export --prefix usr/local/go`), and the files already
/// made links to their objects: into a store that
/// holds no object yet (a first install), the workers make each small file a new object as
/// soon as it is written, which overlaps that work with the inflating instead of following
/// it ([`Objects::ingest`] then skips them). The content is stored before the archive's own
/// checksum is known: an object is named by its own content's SHA-256, so nothing can link
/// to one that does not hold what its name says, and a failed install's objects are collected.
///
/// [`Objects::ingest`]: crate::objects::Objects::ingest
pub fn extract_adopting<R: Read>(
    src: R,
    root: &Path,
    prefix: &[String],
    limits: Limits,
) -> Result<(Manifest, BTreeSet<String>), ExtractError> {
    let mut dirs = DirBuilder::new();
    dirs.recursive(true).mode(0o755);
    dirs.create(root).map_err(|source| ExtractError::Write {
        path: root.to_path_buf(),
        source,
    })?;
    let workers = writer_threads();
    // Content already in the object store is linked, not written (see docs/store.md); an
    // empty one is not looked in, and its files are adopted as they are written, under the
    // lock installs hold while they link.
    let store = crate::objects::Objects::for_staged(root);
    let (objects, adopt) = match store {
        Some(o) if o.holds_any() => (Some(o), None),
        Some(o) => (None, o.shared_lock().map(|lock| (o, lock))),
        None => (None, None),
    };
    let objects = objects.as_ref();
    let adopting = adopt.as_ref().map(|(o, _)| o);
    std::thread::scope(|scope| {
        let (job_tx, job_rx) = mpsc::sync_channel::<Job>(QUEUE);
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        for _ in 0..workers {
            let (job_rx, done_tx) = (Arc::clone(&job_rx), done_tx.clone());
            scope.spawn(move || {
                loop {
                    // The lock is held only while waiting for the next job.
                    let Ok(job) = job_rx.lock().expect("no worker panics").recv() else {
                        break;
                    };
                    let result = write_small(&job, objects, adopting)
                        .map(|(entry, adopted)| (job.rel, entry, adopted));
                    if done_tx.send(result).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        // Large files of installed releases, by path: each is compared with the stream as it
        // comes, and linked instead of written when every byte matches.
        let stored = objects
            .map(|o| o.large_files(SMALL_FILE))
            .unwrap_or_default();
        let mut ex = Extractor {
            stored,
            root,
            prefix,
            max_entries: limits.entries,
            dirs,
            known_dirs: HashSet::new(),
            manifest: Manifest::new(),
            symlinks: HashSet::new(),
            files: HashSet::new(),
            adopted: BTreeSet::new(),
            jobs: Some(job_tx),
            done: done_rx,
            pending: 0,
        };
        let mut src = Bounded {
            inner: src,
            left: limits.bytes,
            exceeded: false,
        };
        let result = ex.run(&mut src).and_then(|()| ex.flush()).and_then(|()| {
            // Anything after the tar's end counts too.
            io::copy(&mut src, &mut io::sink())
                .map(drop)
                .map_err(ExtractError::Read)
        });
        // Closing the queue lets the workers finish; the scope waits for them.
        ex.jobs = None;
        match result {
            Err(ExtractError::Read(_)) if src.exceeded => Err(ExtractError::TooLarge(limits.bytes)),
            other => other.map(|()| (ex.manifest, ex.adopted)),
        }
    })
}

struct Extractor<'a> {
    /// Large files of installed releases: (path, size, mode) to their object.
    stored: std::collections::HashMap<(String, u64, u32), PathBuf>,
    root: &'a Path,
    /// The directory the tree sits in inside the archive, by parts (`go`).
    prefix: &'a [String],
    max_entries: u64,
    dirs: DirBuilder,
    /// Directories known to exist, to skip needless `mkdir` calls.
    known_dirs: HashSet<PathBuf>,
    manifest: Manifest,
    symlinks: HashSet<String>,
    /// Regular files written so far (or queued), to notice an archive listing one twice.
    files: HashSet<String>,
    /// Files already made links to their objects as they were written.
    adopted: BTreeSet<String>,
    jobs: Option<mpsc::SyncSender<Job>>,
    done: mpsc::Receiver<Done>,
    pending: usize,
}

impl Extractor<'_> {
    fn run<R: Read>(&mut self, src: R) -> Result<(), ExtractError> {
        let mut archive = tar::Archive::new(src);
        let mut buf = vec![0u8; 128 * 1024];
        for (count, entry) in (1..).zip(archive.entries().map_err(ExtractError::Read)?) {
            let mut entry = entry.map_err(ExtractError::Read)?;
            if count > self.max_entries {
                return Err(ExtractError::TooMany(self.max_entries));
            }
            self.collect(false)?;
            let raw_bytes = entry.path_bytes();
            let Ok(raw) = std::str::from_utf8(&raw_bytes).map(str::to_string) else {
                return Err(unsafe_entry(
                    &String::from_utf8_lossy(&raw_bytes),
                    "is not a UTF-8 path",
                ));
            };
            let kind = entry.header().entry_type();
            if matches!(
                kind,
                EntryType::XGlobalHeader
                    | EntryType::XHeader
                    | EntryType::GNULongName
                    | EntryType::GNULongLink
            ) {
                continue; // metadata the tar crate applies to the next entry
            }
            let Some(rel) =
                tree_path_under(&raw, self.prefix).map_err(|r| unsafe_entry(&raw, &r))?
            else {
                continue; // go/ itself
            };
            // Never write through a symlink the archive made earlier.
            let mut ancestor = rel.as_str();
            while let Some((parent, _)) = ancestor.rsplit_once('/') {
                if self.symlinks.contains(parent) {
                    return Err(unsafe_entry(&raw, "is inside a symlinked directory"));
                }
                ancestor = parent;
            }
            let path = self.root.join(&rel);
            match kind {
                EntryType::Directory => {
                    if self.symlinks.contains(&rel) {
                        return Err(unsafe_entry(&raw, "replaces a symlink"));
                    }
                    self.make_dir(&path)?;
                }
                EntryType::Regular | EntryType::Continuous => {
                    let mode = installed_mode(entry.header().mode().map_err(ExtractError::Read)?);
                    self.make_parent(&path)?;
                    if !self.files.insert(rel.clone()) {
                        // Listed twice: the later copy wins, as with `tar x`.
                        self.flush()?;
                        self.adopted.remove(&rel);
                        remove_existing(&path, &self.symlinks, &rel, &raw)?;
                    } else if self.symlinks.contains(&rel) {
                        return Err(unsafe_entry(&raw, "replaces a symlink"));
                    }
                    let size = entry.header().size().map_err(ExtractError::Read)?;
                    if size <= SMALL_FILE {
                        let mut data = Vec::with_capacity(size as usize);
                        entry.read_to_end(&mut data).map_err(ExtractError::Read)?;
                        self.queue(Job {
                            rel,
                            path,
                            mode,
                            data,
                        })?;
                    } else {
                        let known = self.stored.get(&(rel.clone(), size, mode));
                        let (size, sha256) = match known {
                            Some(object) => {
                                write_large_or_link(&mut entry, &path, mode, &mut buf, object)?
                            }
                            None => write_large(&mut entry, &path, mode, &mut buf)?,
                        };
                        self.manifest
                            .insert(rel, ManifestEntry::File { size, sha256, mode });
                    }
                }
                EntryType::Symlink => {
                    let target = link_target(&entry, &raw)?;
                    if !link_stays_inside(&rel, &target) {
                        return Err(unsafe_entry(
                            &raw,
                            &format!("is a symlink to '{target}', outside the go/ tree"),
                        ));
                    }
                    self.make_parent(&path)?;
                    self.flush()?;
                    remove_existing(&path, &self.symlinks, &rel, &raw)?;
                    std::os::unix::fs::symlink(&target, &path).map_err(write_err(&path))?;
                    self.files.remove(&rel);
                    self.symlinks.insert(rel.clone());
                    self.manifest.insert(rel, ManifestEntry::Symlink { target });
                }
                EntryType::Link => {
                    let target = link_target(&entry, &raw)?;
                    // The target must be on disk, and in the manifest, first.
                    self.flush()?;
                    let linked = tree_path_under(&target, self.prefix)
                        .ok()
                        .flatten()
                        .and_then(|t| self.manifest.get(&t).cloned().map(|e| (t, e)));
                    let Some((target_rel, file @ ManifestEntry::File { .. })) = linked else {
                        return Err(unsafe_entry(
                            &raw,
                            &format!(
                                "is a hard link to '{target}', which is not a file extracted earlier"
                            ),
                        ));
                    };
                    self.make_parent(&path)?;
                    remove_existing(&path, &self.symlinks, &rel, &raw)?;
                    fs::hard_link(self.root.join(&target_rel), &path).map_err(write_err(&path))?;
                    self.files.insert(rel.clone());
                    self.manifest.insert(rel, file);
                }
                _ => {
                    return Err(unsafe_entry(
                        &raw,
                        "is a device, FIFO or other special file",
                    ));
                }
            }
        }
        Ok(())
    }

    fn queue(&mut self, job: Job) -> Result<(), ExtractError> {
        let jobs = self.jobs.as_ref().expect("the queue is open while running");
        if jobs.send(job).is_err() {
            // Every worker has stopped, which only happens after an error they reported.
            return self.flush();
        }
        self.pending += 1;
        Ok(())
    }

    /// Takes in finished jobs; with `wait`, until none is pending. The first error wins.
    fn collect(&mut self, wait: bool) -> Result<(), ExtractError> {
        while self.pending > 0 {
            let done = if wait {
                self.done.recv().ok()
            } else {
                self.done.try_recv().ok()
            };
            let Some(done) = done else {
                break;
            };
            self.pending -= 1;
            let (rel, entry, adopted) = done?;
            if adopted {
                self.adopted.insert(rel.clone());
            }
            self.manifest.insert(rel, entry);
        }
        Ok(())
    }

    /// Waits until every queued file is on disk.
    fn flush(&mut self) -> Result<(), ExtractError> {
        self.collect(true)
    }

    fn make_dir(&mut self, path: &Path) -> Result<(), ExtractError> {
        if !self.known_dirs.contains(path) {
            self.dirs.create(path).map_err(write_err(path))?;
            // Its ancestors exist now too.
            for dir in path.ancestors() {
                if !self.known_dirs.insert(dir.to_path_buf()) {
                    break;
                }
            }
        }
        Ok(())
    }

    fn make_parent(&mut self, path: &Path) -> Result<(), ExtractError> {
        self.make_dir(path.parent().expect("entries live below the root"))
    }
}

fn write_err(path: &Path) -> impl FnOnce(io::Error) -> ExtractError + '_ {
    move |source| ExtractError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// A new file, created with its final mode (no chmod afterwards).
fn create(path: &Path, mode: u32) -> Result<fs::File, ExtractError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(write_err(path))
}

/// A worker's job: hash a small file, and link it to its object if the store has it, else
/// write it (and, into an empty store, `adopt` it: make it a new object at once). True when
/// it was adopted.
fn write_small(
    job: &Job,
    objects: Option<&crate::objects::Objects>,
    adopt: Option<&crate::objects::Objects>,
) -> Result<(ManifestEntry, bool), ExtractError> {
    let size = job.data.len() as u64;
    let sha256 = hex(&Sha256::digest(&job.data));
    let mut adopted = false;
    if !objects.is_some_and(|o| o.link_to(&sha256, job.mode, &job.data, &job.path)) {
        let mut file = create(&job.path, job.mode)?;
        file.write_all(&job.data).map_err(write_err(&job.path))?;
        drop(file);
        if let Some(o) = adopt {
            // What cannot be adopted here (another file system) is left to the ingest.
            adopted = o
                .adopt(&job.path, &sha256, job.mode, size, true)
                .is_ok_and(|linked| !matches!(linked, crate::objects::Linked::Copied));
        }
    }
    let entry = ManifestEntry::File {
        size,
        sha256,
        mode: job.mode,
    };
    Ok((entry, adopted))
}

/// Streams a large entry to disk, hashing it on the way.
fn write_large<R: Read>(
    entry: &mut R,
    path: &Path,
    mode: u32,
    buf: &mut [u8],
) -> Result<(u64, String), ExtractError> {
    let mut file = create(path, mode)?;
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
        file.write_all(&buf[..n]).map_err(write_err(path))?;
        size += n as u64;
    }
    Ok((size, hex(&hasher.finalize())))
}

/// [`write_large`] for an entry an installed release holds at the same path, size and mode:
/// the stream is compared with that object as it is read, and nothing is written while they
/// agree. At the end, a full match is linked to the object (every byte compared, and hashed
/// from the stream); at the first difference the file is created, the agreed part copied from
/// the object, and the rest of the stream written as usual.
fn write_large_or_link<R: Read>(
    entry: &mut R,
    path: &Path,
    mode: u32,
    buf: &mut [u8],
    object: &Path,
) -> Result<(u64, String), ExtractError> {
    let Ok(mut known) = fs::File::open(object) else {
        return write_large(entry, path, mode, buf);
    };
    let mut theirs = vec![0u8; buf.len()];
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut file: Option<fs::File> = None;
    loop {
        let n = match entry.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ExtractError::Read(e)),
        };
        hasher.update(&buf[..n]);
        if file.is_none() {
            let same = known.read_exact(&mut theirs[..n]).is_ok() && theirs[..n] == buf[..n];
            if !same {
                // The agreed prefix, from the object, then this chunk.
                let mut out = create(path, mode)?;
                let mut prefix = fs::File::open(object).map_err(write_err(path))?.take(size);
                io::copy(&mut prefix, &mut out).map_err(write_err(path))?;
                file = Some(out);
            }
        }
        if let Some(out) = file.as_mut() {
            out.write_all(&buf[..n]).map_err(write_err(path))?;
        }
        size += n as u64;
    }
    if file.is_none() {
        // Every byte matched (and the object has no more: its size was the entry's).
        let mut extra = [0u8; 1];
        let longer = known.read(&mut extra).is_ok_and(|n| n > 0);
        if longer || fs::hard_link(object, path).is_err() {
            let mut out = create(path, mode)?;
            let mut all = fs::File::open(object).map_err(write_err(path))?.take(size);
            io::copy(&mut all, &mut out).map_err(write_err(path))?;
        }
    }
    Ok((size, hex(&hasher.finalize())))
}

fn link_target<R: Read>(entry: &tar::Entry<'_, R>, raw: &str) -> Result<String, ExtractError> {
    let target = entry
        .link_name_bytes()
        .ok_or_else(|| unsafe_entry(raw, "is a link with no target"))?;
    std::str::from_utf8(&target)
        .map(str::to_string)
        .map_err(|_| unsafe_entry(raw, "is a link whose target is not UTF-8"))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar of `go/f0` … `go/f{n-1}`, each `size` bytes.
    fn tar_of(n: usize, size: usize) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for i in 0..n {
            let mut header = tar::Header::new_gnu();
            header.set_mode(0o644);
            header.set_size(size as u64);
            builder
                .append_data(&mut header, format!("go/f{i}"), &vec![b'x'; size][..])
                .unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn extract_with(data: &[u8], limits: Limits) -> Result<Manifest, ExtractError> {
        let dir = tempfile::tempdir().unwrap();
        extract(data, &dir.path().join("go"), limits)
    }

    #[test]
    fn limits_bound_entries_bytes_and_what_follows_the_tar() {
        let roomy = Limits {
            bytes: 1 << 20,
            entries: 4,
        };
        assert_eq!(extract_with(&tar_of(4, 10), roomy).unwrap().len(), 4);
        assert!(matches!(
            extract_with(&tar_of(5, 10), roomy),
            Err(ExtractError::TooMany(4))
        ));
        let tar = tar_of(1, 4096);
        let exact = Limits {
            bytes: tar.len() as u64,
            entries: 4,
        };
        assert!(
            extract_with(&tar, exact).is_ok(),
            "the bound itself is allowed"
        );
        let tight = Limits {
            bytes: 2048,
            entries: 4,
        };
        assert!(matches!(
            extract_with(&tar, tight),
            Err(ExtractError::TooLarge(2048))
        ));
        let mut trailing = tar.clone();
        trailing.extend(std::iter::repeat_n(0u8, 8192));
        assert!(matches!(
            extract_with(&trailing, exact),
            Err(ExtractError::TooLarge(_))
        ));
    }

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
}
