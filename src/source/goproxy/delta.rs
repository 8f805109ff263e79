//! Upgrades that download only what changed (docs/store.md, "Delta downloads").
//!
//! A `golang.org/toolchain` zip ends with a central directory that gives each member's name,
//! size and CRC-32. When a release of the same platform is installed, gopin reads that
//! directory with HTTP Range requests, takes each member whose path, size, mode and CRC-32
//! match a file an installed release holds from the object store (reading that object once,
//! for its CRC-32 and its SHA-256), and fetches only the others, coalescing near members into
//! few requests. The fetched members are copied into a small zip of their own, which the
//! module zip's extractor checks and unpacks as usual; the whole central directory is checked
//! by the same rules first. The assembled tree's `h1:` is then computed from the SHA-256 of
//! every file as it is on disk, and the install goes on exactly as for a whole zip: the
//! checksum database's proof must match it, else the caller discards it and downloads the
//! whole zip.
//!
//! The CRC-32 is looked up, never stored: the candidates are few (the same path in each
//! installed release of the platform, of the same size and mode), and reading them is what
//! proves their content anyway. Nothing here needs a map kept in step with the store.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, DirBuilder, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::modzip::{self, Limits, Listed};
use super::toolchain::{self, MODULE};
use super::{Fetched, GoproxyError, ProxySource, dirhash};
use crate::archive::{Manifest, ManifestEntry};
use crate::fsio::hex;
use crate::objects::Objects;
use crate::platform::Platform;
use crate::record::InstallRecord;
use crate::source::SourceError;
use crate::store::{Staging, Store, StoreError, io_err};
use crate::ui;
use crate::version::GoVersion;

/// The end of a zip read first: the end-of-central-directory record (22 bytes) and the
/// longest comment it may have.
const TAIL: u64 = 22 + 0xFFFF;
/// Members closer than this are fetched in one request, the gap included.
const GAP: u64 = 16 * 1024;
/// A request grows by coalescing up to this size (a larger single member is one request).
const MAX_REQUEST: u64 = 8 << 20;
/// Above this share of the zip to fetch, the whole zip is downloaded instead.
const WORTH: f64 = 0.8;
/// The small zip of the fetched members, in the staging directory.
const DELTA_ZIP: &str = "delta.zip";

/// What [`fetch`] came to.
pub enum Delta {
    /// The tree is assembled in `dir/go`, with its `h1:`; it still has to be proved.
    Assembled(Box<Fetched>, Summary),
    /// No installed release to build on, or too little to gain: download the whole zip.
    NotWorth,
    /// The proxy answered a range request with the whole body (it ignores ranges).
    NoRanges,
}

/// What a delta install took from where, for the user and `docs/performance.md`.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub files: usize,
    pub reused: usize,
    pub downloaded: u64,
    pub requests: usize,
    pub zip_size: u64,
}

/// A member taken from the store.
struct Reused {
    rel: String,
    object: PathBuf,
    sha256: String,
    size: u64,
    mode: u32,
    /// The object's content hashed to its name: the link is the object, nothing to adopt.
    sound: bool,
}

/// A member's bytes in the zip: its local header, data and descriptor, up to the next one.
#[derive(Clone, Copy)]
struct Span {
    index: usize,
    start: u64,
    end: u64,
}

/// The central directory, and each entry's raw record (copied into the small zip).
struct Directory {
    listing: Vec<Listed>,
    records: Vec<Vec<u8>>,
    offset: u64,
}

/// Tries to assemble `version` for `platform` in `dir/go` (`dir` is a staging directory of
/// the store) from the installed releases of the platform and the members that changed.
pub fn fetch(
    source: &ProxySource,
    version: &GoVersion,
    platform: &Platform,
    dir: &Path,
) -> Result<Delta, GoproxyError> {
    let goroot = dir.join("go");
    let Some(objects) = Objects::for_staged(&goroot) else {
        return Ok(Delta::NotWorth);
    };
    let root = objects.dir().parent().expect("objects/ has a parent");
    let store = Store::new(root);
    let installed: Vec<Manifest> = store
        .list_for(platform)?
        .into_iter()
        .filter(|i| i.version != *version)
        .filter(|i| fs::symlink_metadata(i.goroot()).is_ok_and(|m| m.is_dir()))
        .filter_map(|i| InstallRecord::load(&i.record_path()).ok())
        .map(|r| r.files)
        .collect();
    if installed.is_empty() {
        return Ok(Delta::NotWorth);
    }
    let module_version = toolchain::module_version(version, platform);
    let path = format!("{MODULE}/@v/{module_version}.zip");
    let what = format!("{MODULE}@{module_version}");
    let (tail, proxy) = source.try_proxies(&what, &path, |url| {
        source
            .remote
            .get_range(url, &format!("bytes=-{TAIL}"), TAIL)
    })?;
    let url = format!("{proxy}/{path}");
    let Some(tail) = tail else {
        return Ok(Delta::NoRanges);
    };
    let corrupt = |why: &str| GoproxyError::Zip {
        url: url.clone(),
        source: modzip::ZipError::Corrupt(why.to_string()),
    };
    let Some(total) = tail.total else {
        return Ok(Delta::NotWorth);
    };
    if total > Limits::GO.zip_size {
        return Err(GoproxyError::Zip {
            url,
            source: modzip::ZipError::TooLarge {
                what: format!("the zip ({total} bytes)"),
                limit: Limits::GO.zip_size,
            },
        });
    }
    if tail.start + tail.bytes.len() as u64 != total {
        return Err(corrupt("the server sent another part than its end"));
    }
    let (cd_offset, cd_size, count) = end_of_directory(&tail.bytes).ok_or_else(|| {
        corrupt("no end of central directory record (or a zip64 one, which toolchains never need)")
    })?;
    if cd_offset.saturating_add(cd_size) > total {
        return Err(corrupt("its central directory lies outside it"));
    }
    let cd = if cd_offset >= tail.start {
        let from = (cd_offset - tail.start) as usize;
        tail.bytes[from..from + cd_size as usize].to_vec()
    } else {
        let range = format!("bytes={cd_offset}-{}", cd_offset + cd_size - 1);
        match source.remote.get_range(&url, &range, cd_size)? {
            Some(part) if part.start == cd_offset && part.bytes.len() as u64 == cd_size => {
                part.bytes
            }
            Some(_) => return Err(corrupt("the server sent another part than asked")),
            None => return Ok(Delta::NoRanges),
        }
    };
    let mut directory = parse_directory(&cd, count, cd_offset)
        .ok_or_else(|| corrupt("its central directory cannot be read"))?;
    let prefix = toolchain::zip_prefix(&module_version);
    let checked =
        modzip::check_listing(&directory.listing, &prefix, &Limits::GO).map_err(|source| {
            GoproxyError::Zip {
                url: url.clone(),
                source,
            }
        })?;

    drop(cd);
    let tail_len = tail.bytes.len() as u64;
    drop(tail);
    // The tree's directories are made on a thread of their own meanwhile: a `mkdir` waits
    // on the file system (on some, for long), the matching below on the CPU.
    let making = Making::start(&goroot, &checked.dirs);
    let (reused, needed) = matching(&installed, &checked, &directory, &objects);
    // The installed releases' manifests and what was read of their objects are done with
    // before the members are unpacked (the install's peak memory).
    drop(installed);

    // The byte spans of the needed members, coalesced into requests.
    let mut starts: Vec<u64> = directory.listing.iter().map(|e| e.offset).collect();
    starts.push(directory.offset);
    starts.sort_unstable();
    let end_of = |start: u64| {
        let i = starts.partition_point(|&s| s <= start);
        starts.get(i).copied().unwrap_or(directory.offset)
    };
    let mut spans: Vec<Span> = needed
        .iter()
        .map(|&index| {
            let start = directory.listing[index].offset;
            Span {
                index,
                start,
                end: end_of(start),
            }
        })
        .collect();
    spans.sort_by_key(|s| s.start);
    let fetch_bytes: u64 = spans.iter().map(|s| s.end - s.start).sum();
    if fetch_bytes as f64 > WORTH * total as f64 {
        return Ok(Delta::NotWorth);
    }
    let mut requests: Vec<(u64, u64, Vec<Span>)> = Vec::new();
    for span in spans {
        match requests.last_mut() {
            Some((_, end, members))
                if span.start <= *end + GAP && span.end - members[0].start <= MAX_REQUEST =>
            {
                *end = span.end;
                members.push(span);
            }
            _ => requests.push((span.start, span.end, vec![span])),
        }
    }

    // The fetched members, as a zip of their own.
    let zip_path = dir.join(DELTA_ZIP);
    let mut zip = io::BufWriter::new(File::create(&zip_path).map_err(io_err("create", &zip_path))?);
    let mut records = Vec::new();
    let mut position = 0u64;
    let mut downloaded = 0u64;
    for (start, end, members) in &requests {
        let range = format!("bytes={start}-{}", end - 1);
        // Each response is streamed: the members' spans go into the small zip as they come,
        // the gaps between them are dropped (one buffer, whatever the members' sizes).
        let mut at = *start;
        let mut failed: Option<io::Error> = None;
        let mut sink = |chunk: &[u8]| -> io::Result<()> {
            let (lo, hi) = (at, at + chunk.len() as u64);
            for member in members.iter().filter(|m| m.start < hi && m.end > lo) {
                let from = (member.start.max(lo) - lo) as usize;
                let to = (member.end.min(hi) - lo) as usize;
                if let Err(e) = zip.write_all(&chunk[from..to]) {
                    let kind = e.kind();
                    failed = Some(e);
                    return Err(io::Error::from(kind));
                }
            }
            at = hi;
            Ok(())
        };
        let copied = source
            .remote
            .copy_range(&url, &range, end - start, &mut sink);
        if let Some(e) = failed {
            return Err(io_err("write", &zip_path)(e).into());
        }
        match copied? {
            Some((first, count)) if first == *start && count == end - start => {}
            Some(_) => return Err(corrupt("the server sent another part than asked")),
            None => return Ok(Delta::NoRanges),
        }
        downloaded += end - start;
        for member in members {
            let mut record = directory.records[member.index].clone();
            record[42..46].copy_from_slice(&(position as u32).to_le_bytes());
            records.push(record);
            position += member.end - member.start;
        }
    }
    let cd_start = position;
    let mut cd_len = 0u64;
    for record in &records {
        zip.write_all(record).map_err(io_err("write", &zip_path))?;
        cd_len += record.len() as u64;
    }
    let mut end = Vec::with_capacity(22);
    end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    end.extend_from_slice(&[0, 0, 0, 0]);
    end.extend_from_slice(&(records.len() as u16).to_le_bytes());
    end.extend_from_slice(&(records.len() as u16).to_le_bytes());
    end.extend_from_slice(&(cd_len as u32).to_le_bytes());
    end.extend_from_slice(&(cd_start as u32).to_le_bytes());
    end.extend_from_slice(&[0, 0]);
    zip.write_all(&end).map_err(io_err("write", &zip_path))?;
    zip.into_inner()
        .map_err(|e| io_err("write", &zip_path)(e.into_error()))?;
    drop(records);
    drop(std::mem::take(&mut directory.records));

    // Unpacked and checked like any module zip, then the rest linked from the store.
    making.finish()?;
    let extracted = modzip::extract(
        &zip_path,
        &goroot,
        true,
        &prefix,
        &Limits::GO,
        source.options.threads,
    )
    .map_err(|source| GoproxyError::Zip {
        url: url.clone(),
        source,
    })?;
    fs::remove_file(&zip_path).map_err(io_err("remove", &zip_path))?;
    let mut files: BTreeMap<String, ManifestEntry> = extracted.files;
    // The members the store has, linked on a few threads (each link waits on the journal).
    let mut linked = BTreeSet::new();
    for part in crate::fsio::in_parallel(&reused, |part| link_reused(part, &goroot)) {
        for (rel, entry, is_link) in part? {
            if is_link {
                linked.insert(rel.clone());
            }
            files.insert(rel, entry);
        }
    }

    // The `h1:` over every member, by the SHA-256 of what is now on disk.
    let mut named = Vec::with_capacity(directory.listing.len());
    let empty = hex(&Sha256::digest([]));
    for entry in &directory.listing {
        let name = String::from_utf8_lossy(&entry.name).into_owned();
        let rel = name[prefix.len()..].to_string();
        let sha256 = if name.ends_with('/') {
            empty.clone()
        } else {
            match files.get(&rel) {
                Some(ManifestEntry::File { sha256, .. }) => sha256.clone(),
                _ => return Err(corrupt("a member was neither fetched nor in the store")),
            }
        };
        named.push((name, sha256));
    }
    let h1 = dirhash::hash1(named.iter().map(|(n, h)| (n.as_str(), h.as_str())))
        .map_err(|e| corrupt(&e.to_string()))?;
    let binary = platform.go_binary();
    if !files.contains_key(binary) {
        return Err(GoproxyError::NotAToolchain { url, binary });
    }
    let summary = Summary {
        files: checked.files.len(),
        reused: reused.len(),
        downloaded: downloaded + tail_len,
        requests: requests.len() + 1,
        zip_size: total,
    };
    Ok(Delta::Assembled(
        Box::new(Fetched {
            module_version,
            proxy,
            url,
            // The whole zip was never here: the `h1:` is what is proved (see InstallRecord).
            zip_sha256: String::new(),
            zip_size: total,
            h1,
            files,
            linked,
        }),
        summary,
    ))
}

/// The tree's root and directories, made on a thread of their own; whatever happens to the
/// attempt, the thread is done before it returns (the staging directory is then removed).
struct Making(Option<std::thread::JoinHandle<Result<(), StoreError>>>);

impl Making {
    fn start(goroot: &Path, dirs: &std::collections::BTreeSet<String>) -> Making {
        let goroot = goroot.to_path_buf();
        let dirs: Vec<PathBuf> = dirs.iter().map(|d| goroot.join(d)).collect();
        Making(Some(std::thread::spawn(move || {
            DirBuilder::new()
                .mode(0o755)
                .create(&goroot)
                .map_err(io_err("create", &goroot))?;
            let mut builder = DirBuilder::new();
            builder.recursive(true).mode(0o755);
            for path in dirs {
                builder.create(&path).map_err(io_err("create", &path))?;
            }
            Ok(())
        })))
    }

    fn finish(mut self) -> Result<(), StoreError> {
        let handle = self.0.take().expect("finished once");
        handle.join().expect("no panic making directories")
    }
}

impl Drop for Making {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            let _ = handle.join();
        }
    }
}

/// Which members the store has: same path, size, mode and CRC-32 in an installed release
/// (`installed`: their manifests). Returns those, with their objects, and the indexes of the
/// members to fetch.
fn matching(
    installed: &[Manifest],
    checked: &modzip::Checked,
    directory: &Directory,
    objects: &Objects,
) -> (Vec<Reused>, Vec<usize>) {
    let mut candidates: HashMap<&str, Vec<(&str, u32, u64)>> = HashMap::new();
    for manifest in installed {
        for (rel, entry) in manifest {
            if let ManifestEntry::File { sha256, mode, size } = entry {
                candidates
                    .entry(rel.as_str())
                    .or_default()
                    .push((sha256.as_str(), *mode, *size));
            }
        }
    }
    // Reading and hashing the objects is most of a delta's time: the members are shared out
    // among a few threads, each with one buffer.
    let parts = crate::fsio::in_parallel(&checked.files, |part| {
        let mut buf = vec![0u8; 128 * 1024];
        let mut read: HashMap<PathBuf, Option<(u32, String, u64)>> = HashMap::new();
        let mut reused = Vec::new();
        let mut needed = Vec::new();
        for (index, rel, mode) in part {
            let entry = &directory.listing[*index];
            let found = candidates.get(rel.as_str()).and_then(|list| {
                list.iter().find_map(|(sha256, old_mode, old_size)| {
                    // A file of another size (most of those that changed: the binaries) is
                    // not read at all.
                    if *old_mode != *mode || *old_size != entry.size {
                        return None;
                    }
                    let object = objects.path(sha256, *mode);
                    let held = read
                        .entry(object.clone())
                        .or_insert_with(|| crc_and_sha256(&object, &mut buf).ok())
                        .clone()?;
                    (held.0 == entry.crc32 && held.2 == entry.size)
                        .then(|| (object, held.1.clone(), held.1 == *sha256))
                })
            });
            match found {
                Some((object, sha256, sound)) => reused.push(Reused {
                    rel: rel.clone(),
                    object,
                    sha256,
                    size: entry.size,
                    mode: *mode,
                    sound,
                }),
                None => needed.push(*index),
            }
        }
        (reused, needed)
    });
    let mut reused = Vec::new();
    let mut needed = Vec::new();
    for (r, n) in parts {
        reused.extend(r);
        needed.extend(n);
    }
    (reused, needed)
}

/// Puts each of `reused` in the tree at `goroot` as a link to its object, and returns their
/// manifest entries.
/// Links each of `reused` into the tree at `goroot`: its path, and whether it is a link to
/// a sound object (a copy, or a link to an object whose name is not its content's, is left
/// for the install to adopt).
fn link_reused(
    reused: &[Reused],
    goroot: &Path,
) -> Result<Vec<(String, ManifestEntry, bool)>, GoproxyError> {
    let mut files = Vec::with_capacity(reused.len());
    for r in reused {
        let entry = ManifestEntry::File {
            size: r.size,
            sha256: r.sha256.clone(),
            mode: r.mode,
        };
        let mut place = vec![r.rel.clone()];
        // As the extractor restores a fetched one: each `_go.mod` also as `go.mod`.
        if let Some(dir) = r.rel.strip_suffix("_go.mod")
            && (dir.is_empty() || dir.ends_with('/'))
        {
            place.push(format!("{dir}go.mod"));
        }
        for rel in place {
            let path = goroot.join(&rel);
            let is_link = link_or_copy(&r.object, &path).map_err(io_err("write", &path))?;
            files.push((rel, entry.clone(), is_link && r.sound));
        }
    }
    Ok(files)
}

/// A hard link to the object (true), or a copy of it where links are impossible.
fn link_or_copy(object: &Path, dest: &Path) -> io::Result<bool> {
    match fs::hard_link(object, dest) {
        Ok(()) => Ok(true),
        Err(_) => {
            fs::copy(object, dest)?;
            Ok(false)
        }
    }
}

/// The CRC-32, SHA-256 and length of a file, read once.
fn crc_and_sha256(path: &Path, buf: &mut [u8]) -> io::Result<(u32, String, u64)> {
    let mut file = File::open(path)?;
    let mut crc = crc32fast::Hasher::new();
    let mut sha = Sha256::new();
    let mut len = 0u64;
    loop {
        let n = file.read(buf)?;
        if n == 0 {
            break;
        }
        crc.update(&buf[..n]);
        sha.update(&buf[..n]);
        len += n as u64;
    }
    Ok((crc.finalize(), hex(&sha.finalize()), len))
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The central directory's offset, size and entry count, from the last end-of-central-
/// directory record in `tail`. None for a zip64 zip (a toolchain is far below its limits).
fn end_of_directory(tail: &[u8]) -> Option<(u64, u64, usize)> {
    let at = (0..tail.len().checked_sub(21)?)
        .rev()
        .find(|&i| u32_at(tail, i) == Some(0x0605_4b50))?;
    let count = u16_at(tail, at + 10)?;
    let size = u32_at(tail, at + 12)?;
    let offset = u32_at(tail, at + 16)?;
    if count == u16::MAX || size == u32::MAX || offset == u32::MAX {
        return None;
    }
    Some((offset.into(), size.into(), count.into()))
}

/// Parses `count` central directory records. None when they do not fit or use zip64.
fn parse_directory(cd: &[u8], count: usize, offset: u64) -> Option<Directory> {
    let mut listing = Vec::with_capacity(count);
    let mut records = Vec::with_capacity(count);
    let mut at = 0usize;
    for _ in 0..count {
        if u32_at(cd, at)? != 0x0201_4b50 {
            return None;
        }
        let made_by = u16_at(cd, at + 4)?;
        let flags = u16_at(cd, at + 8)?;
        let method = u16_at(cd, at + 10)?;
        let crc32 = u32_at(cd, at + 16)?;
        let compressed = u32_at(cd, at + 20)?;
        let size = u32_at(cd, at + 24)?;
        let name_len = usize::from(u16_at(cd, at + 28)?);
        let extra_len = usize::from(u16_at(cd, at + 30)?);
        let comment_len = usize::from(u16_at(cd, at + 32)?);
        let external = u32_at(cd, at + 38)?;
        let local = u32_at(cd, at + 42)?;
        if [compressed, size, local].contains(&u32::MAX) {
            return None;
        }
        let end = at + 46 + name_len + extra_len + comment_len;
        let name = cd.get(at + 46..at + 46 + name_len)?.to_vec();
        // Unix permission bits live in the high half of the external attributes.
        let unix_mode = (made_by >> 8 == 3).then_some(external >> 16);
        listing.push(Listed {
            name,
            unix_mode,
            encrypted: flags & 1 != 0,
            method,
            size: size.into(),
            compressed: compressed.into(),
            crc32,
            offset: local.into(),
        });
        records.push(cd.get(at..end)?.to_vec());
        at = end;
    }
    Some(Directory {
        listing,
        records,
        offset,
    })
}

/// Tells the user what the delta install fetched.
/// The release's tree in a staging directory: assembled from the store and the changed
/// members where that works and `accept` takes it, else unpacked from the whole zip, which
/// `accept` must take (its error is the install's). `accept` is what vouches for the tree: the
/// checksum database's proof, or a lock's `h1:`. The flag says whether the tree was
/// assembled (its record says so: no whole zip was ever here).
pub fn fetch_tree<T, E>(
    client: &ProxySource,
    version: &GoVersion,
    platform: &Platform,
    stage: &mut dyn FnMut() -> Result<Staging, StoreError>,
    accept: &dyn Fn(&Fetched) -> Result<T, E>,
) -> Result<(Staging, Fetched, T, bool), SourceError>
where
    E: std::fmt::Display + Into<SourceError>,
{
    let mut staging = stage().map_err(GoproxyError::from)?;
    match fetch(client, version, platform, &staging.tree()) {
        Ok(Delta::Assembled(mut fetched, summary)) => match accept(&fetched) {
            Ok(taken) => {
                tell(&summary, version);
                staging.set_linked(std::mem::take(&mut fetched.linked));
                return Ok((staging, *fetched, taken, true));
            }
            Err(e) => ui::note(&format!(
                "the tree assembled from the store and the changed files is not the release vouched for ({e}); downloading the whole zip"
            )),
        },
        Ok(Delta::NotWorth) => {}
        Ok(Delta::NoRanges) => {
            ui::verbose("the proxy ignores range requests: downloading the whole zip");
        }
        Err(e) => ui::note(&format!(
            "downloading only the changed files failed ({e}); downloading the whole zip"
        )),
    }
    // Nothing of the attempt is kept.
    let staging = stage().map_err(GoproxyError::from)?;
    let fetched = client.fetch_into(version, platform, &staging.tree())?;
    let taken = accept(&fetched).map_err(Into::into)?;
    Ok((staging, fetched, taken, false))
}

pub fn tell(summary: &Summary, version: &GoVersion) {
    ui::note(&format!(
        "{version}: {} of {} files taken from the store; downloaded {} of the {} zip in {} requests",
        summary.reused,
        summary.files,
        crate::objects::human_bytes(summary.downloaded),
        crate::objects::human_bytes(summary.zip_size),
        summary.requests
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_record_and_the_directory_parse() {
        let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().unix_permissions(0o644);
        for (name, body) in [("p/a", &b"alpha"[..]), ("p/b/c", b"gamma gamma")] {
            zip.start_file(name, options).unwrap();
            zip.write_all(body).unwrap();
        }
        let bytes = zip.finish().unwrap().into_inner();
        let (offset, size, count) = end_of_directory(&bytes).unwrap();
        assert_eq!(count, 2);
        let cd = &bytes[offset as usize..(offset + size) as usize];
        let dir = parse_directory(cd, count, offset).unwrap();
        assert_eq!(dir.listing[1].name, b"p/b/c");
        assert_eq!(dir.listing[1].size, 11);
        assert_eq!(dir.listing[1].crc32, crc32fast::hash(b"gamma gamma"));
        assert_eq!(dir.listing[0].offset, 0);
        assert!(dir.listing[1].offset > 0);
        assert_eq!(
            dir.records.iter().map(Vec::len).sum::<usize>(),
            size as usize
        );
        // A truncated directory is no directory.
        assert!(parse_directory(&cd[..cd.len() - 1], count, offset).is_none());
        assert!(end_of_directory(&bytes[..10]).is_none());
    }
}
