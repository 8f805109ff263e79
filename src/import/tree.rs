//! A Go tree on this machine (`/usr/local/go`, `~/sdk/go1.22.10`): what release it is, whether
//! it is whole and safe to take in, and taking it in, copied or recorded in place.
//!
//! A tree is identified by its `VERSION` file and by the build information of its `bin/go`
//! ([`crate::buildinfo`]), which must agree; never by its folder's name. It is whole when it
//! has `bin/go`, `src/runtime` and `pkg/tool/<goos>_<goarch>`. It is safe when it obeys an
//! archive's rules: plain files, directories and symlinks that stay inside it, nothing else,
//! names that are UTF-8, within an archive's limits. All of that is checked before anything is
//! written.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::ImportError;
use crate::archive::{
    Limits, Manifest, ManifestEntry, UNSAFE_BITS, installed_mode, link_stays_inside,
    unsafe_bits_described,
};
use crate::buildinfo;
use crate::platform::Platform;
use crate::record::hash_file;
use crate::ui;
use crate::version::GoVersion;

/// Files other tools leave in a tree they manage, which are not Go's: golang.org/dl's marker
/// that an SDK was unpacked. They are not copied (a tree recorded in place keeps them) and
/// not counted against the release.
pub const TOOL_MARKERS: [&str; 1] = [".unpacked-success"];

/// What a tree is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub version: GoVersion,
    pub platform: Platform,
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.version, self.platform)
    }
}

/// Reads what release the tree at `root` is, from its VERSION file and its `go` binary, and
/// checks that it is whole.
pub fn identify(root: &Path) -> Result<Identity, ImportError> {
    let dir = root.to_path_buf();
    let version = version_file(root)?;
    let go = ["bin/go", "bin/go.exe"]
        .iter()
        .map(|b| root.join(b))
        .find(|p| fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
        .ok_or_else(|| ImportError::Incomplete {
            dir: dir.clone(),
            missing: "bin/go".into(),
        })?;
    let info = buildinfo::read(&go).map_err(|e| ImportError::NoBuildInfo {
        dir: dir.clone(),
        problem: e.to_string(),
    })?;
    let built_by = info.release().ok_or_else(|| ImportError::NoBuildInfo {
        dir: dir.clone(),
        problem: format!(
            "{} was built by '{}', which is not a Go release",
            ui::shown(&go),
            ui::shown_bytes(info.go_version.as_bytes())
        ),
    })?;
    if built_by != version {
        return Err(ImportError::VersionMismatch {
            dir,
            file: version,
            binary: built_by,
        });
    }
    let platform = platform_of(root, &info)?;
    let identity = Identity { version, platform };
    check_whole(root, &identity)?;
    Ok(identity)
}

/// The release the first line of `VERSION` names (`go1.22.10`; later lines such as
/// `time 2024-…` are Go's own).
fn version_file(root: &Path) -> Result<GoVersion, ImportError> {
    let path = root.join("VERSION");
    let missing = || ImportError::NoVersionFile {
        dir: root.to_path_buf(),
    };
    let meta = fs::symlink_metadata(&path).map_err(|_| missing())?;
    if !meta.is_file() || meta.len() > 4096 {
        return Err(missing());
    }
    let text = match crate::userfile::read(&path, 4096) {
        Ok(Some(text)) => text,
        Ok(None) | Err(crate::userfile::UserFileError::TooLarge { .. }) => return Err(missing()),
        Err(e) => return Err(e.into()),
    };
    let first = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(first).trim().to_string();
    line.parse().map_err(|_| ImportError::BadVersionFile {
        dir: root.to_path_buf(),
        line: ui::shown_bytes(line.as_bytes()),
    })
}

/// The platform `go` was built for: its `GOOS`/`GOARCH` build settings (Go 1.18 on), else
/// the one `pkg/tool/<goos>_<goarch>` directory.
fn platform_of(root: &Path, info: &buildinfo::BuildInfo) -> Result<Platform, ImportError> {
    let unknown = |why: String| ImportError::UnknownPlatform {
        dir: root.to_path_buf(),
        why,
    };
    if let (Some(os), Some(arch)) = (info.setting("GOOS"), info.setting("GOARCH")) {
        return Platform::new(os, arch).map_err(|e| unknown(e.to_string()));
    }
    let tools: Vec<String> = fs::read_dir(root.join("pkg/tool"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    match tools.as_slice() {
        [one] => {
            let (os, arch) = one
                .split_once('_')
                .ok_or_else(|| unknown(format!("pkg/tool/{one} is not named <goos>_<goarch>")))?;
            Platform::new(os, arch).map_err(|e| unknown(e.to_string()))
        }
        _ => Err(unknown(
            "its bin/go records no GOOS/GOARCH and pkg/tool does not name one platform".into(),
        )),
    }
}

/// Go's own spelling of a platform, as in `pkg/tool/linux_amd64` (32-bit ARM is `arm`:
/// [`Platform::goarch`]).
fn go_os_arch(identity: &Identity) -> String {
    let platform = &identity.platform;
    format!("{}_{}", platform.os, platform.goarch())
}

/// The tree has what every Go distribution has: the `go` command, the runtime's source and
/// the compiler's tools for its platform.
fn check_whole(root: &Path, identity: &Identity) -> Result<(), ImportError> {
    let needed = [
        (identity.platform.go_binary().to_string(), false),
        ("src/runtime".to_string(), true),
        (format!("pkg/tool/{}", go_os_arch(identity)), true),
    ];
    for (rel, is_dir) in needed {
        let there = fs::symlink_metadata(root.join(&rel))
            .is_ok_and(|m| if is_dir { m.is_dir() } else { m.is_file() });
        if !there {
            return Err(ImportError::Incomplete {
                dir: root.to_path_buf(),
                missing: rel,
            });
        }
    }
    Ok(())
}

/// One entry of a scanned tree.
#[derive(Debug, Clone)]
pub enum Scanned {
    Dir,
    File { size: u64, mode: u32 },
    Symlink { target: String },
}

/// Everything under a tree's root, by path relative to it, checked.
#[derive(Debug)]
pub struct Scan {
    pub root: PathBuf,
    pub entries: BTreeMap<String, Scanned>,
    /// The bytes of all files.
    pub bytes: u64,
}

impl Scan {
    /// A tree recorded in place keeps its modes, so it may not hold a file whose mode no
    /// file of a Go tree may have ([`UNSAFE_BITS`]): the first is named.
    pub fn check_modes_for_link(&self) -> Result<(), ImportError> {
        let found = self.entries.iter().find_map(|(rel, e)| match e {
            Scanned::File { mode, .. } if mode & UNSAFE_BITS != 0 => Some((rel, *mode)),
            _ => None,
        });
        match found {
            Some((rel, mode)) => Err(ImportError::UnsafeMode {
                dir: self.root.clone(),
                entry: self.root.join(rel),
                mode,
                what: unsafe_bits_described(mode),
            }),
            None => Ok(()),
        }
    }

    /// The files and symlinks (what a record lists).
    pub fn count(&self) -> usize {
        self.entries
            .values()
            .filter(|e| !matches!(e, Scanned::Dir))
            .count()
    }
}

/// Walks the tree at `root` without following any link, and checks every entry against the
/// rules an archive obeys (see the module documentation).
pub fn scan(root: &Path) -> Result<Scan, ImportError> {
    let mut scan = Scan {
        root: root.to_path_buf(),
        entries: BTreeMap::new(),
        bytes: 0,
    };
    let mut pending = vec![String::new()];
    while let Some(dir) = pending.pop() {
        let path = root.join(&dir);
        let read = fs::read_dir(&path).map_err(|source| ImportError::Read {
            path: path.clone(),
            source,
        })?;
        for entry in read {
            let entry = entry.map_err(|source| ImportError::Read {
                path: path.clone(),
                source,
            })?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(unsafe_entry(
                    root,
                    &entry.path(),
                    "has a name that is not UTF-8",
                ));
            };
            let rel = if dir.is_empty() {
                name.to_string()
            } else {
                format!("{dir}/{name}")
            };
            if rel.contains('\n') {
                return Err(unsafe_entry(
                    root,
                    &entry.path(),
                    "has a newline in its name",
                ));
            }
            let found = classify(root, &rel, &entry.path())?;
            match &found {
                Scanned::Dir => pending.push(rel.clone()),
                Scanned::File { size, .. } => scan.bytes += size,
                Scanned::Symlink { .. } => {}
            }
            scan.entries.insert(rel, found);
            if scan.entries.len() as u64 > Limits::MAX_ENTRIES || scan.bytes > Limits::MAX_BYTES {
                return Err(ImportError::TooLarge {
                    dir: root.to_path_buf(),
                    limit: format!(
                        "more than {} entries or {}",
                        Limits::MAX_ENTRIES,
                        ui::size(Limits::MAX_BYTES)
                    ),
                });
            }
        }
    }
    Ok(scan)
}

fn unsafe_entry(root: &Path, path: &Path, reason: &str) -> ImportError {
    ImportError::Unsafe {
        dir: root.to_path_buf(),
        entry: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

/// What one entry is, if the rules allow it.
fn classify(root: &Path, rel: &str, path: &Path) -> Result<Scanned, ImportError> {
    let meta = fs::symlink_metadata(path).map_err(|source| ImportError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let kind = meta.file_type();
    if kind.is_dir() {
        Ok(Scanned::Dir)
    } else if kind.is_file() {
        Ok(Scanned::File {
            size: meta.len(),
            mode: meta.mode() & 0o7777,
        })
    } else if kind.is_symlink() {
        let target = fs::read_link(path).map_err(|source| ImportError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let Some(target) = target.to_str() else {
            return Err(unsafe_entry(
                root,
                path,
                "is a symlink whose target is not UTF-8",
            ));
        };
        if !link_stays_inside(rel, target) {
            return Err(unsafe_entry(
                root,
                path,
                &format!(
                    "is a symlink to '{}', outside the tree",
                    ui::shown_bytes(target.as_bytes())
                ),
            ));
        }
        Ok(Scanned::Symlink {
            target: target.to_string(),
        })
    } else {
        Err(unsafe_entry(
            root,
            path,
            "is a device, FIFO, socket or other special file",
        ))
    }
}

/// Copies the scanned tree into `dest` (which must not exist), with the progress bar driven by
/// `fs_extra`'s callback, and returns the record's entries of the copy: each file hashed as it
/// now is in the store, with the modes every file gopin installs gets
/// ([`installed_mode`]: no write for the group or others, no setuid, setgid or sticky bits,
/// always owner-writable). A file that changed since the scan stops the copy.
///
/// Directories and symlinks are made here and only regular files are handed to `fs_extra`:
/// its directory copy follows symlinks, which would turn a link into a copy of what it names
/// (or loop forever on a link to a parent).
pub fn copy(scan: &Scan, dest: &Path) -> Result<Manifest, ImportError> {
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ImportError::Write { path, source }
    };
    fs::create_dir(dest).map_err(write_err(dest))?;
    let bar = progress("copying", &scan.root, scan.bytes);
    let options = fs_extra::file::CopyOptions {
        overwrite: false,
        skip_exist: false,
        buffer_size: 256 * 1024,
    };
    let mut done = 0u64;
    let mut files = Manifest::new();
    for (rel, entry) in &scan.entries {
        if TOOL_MARKERS.contains(&rel.as_str()) {
            continue; // the other tool's, not Go's
        }
        let (from, to) = (scan.root.join(rel), dest.join(rel));
        match entry {
            Scanned::Dir => fs::create_dir(&to).map_err(write_err(&to))?,
            Scanned::Symlink { target } => {
                std::os::unix::fs::symlink(target, &to).map_err(write_err(&to))?;
                files.insert(
                    rel.clone(),
                    ManifestEntry::Symlink {
                        target: target.clone(),
                    },
                );
            }
            Scanned::File { size, mode } => {
                still_the_same(&from, *size)?;
                let copied = fs_extra::file::copy_with_progress(&from, &to, &options, |p| {
                    bar.set_position(done + p.copied_bytes)
                })
                .map_err(|e| ImportError::Copy {
                    from: from.clone(),
                    message: e.to_string(),
                })?;
                done += size;
                let mode = installed_mode(*mode);
                fs::set_permissions(&to, fs::Permissions::from_mode(mode))
                    .map_err(write_err(&to))?;
                let sha256 = hash_file(&to).map_err(write_err(&to))?;
                if copied != *size || fs::metadata(&to).map(|m| m.len()).ok() != Some(*size) {
                    return Err(ImportError::Changed { path: from });
                }
                files.insert(
                    rel.clone(),
                    ManifestEntry::File {
                        size: *size,
                        sha256,
                        mode,
                    },
                );
            }
        }
    }
    bar.finish_and_clear();
    Ok(files)
}

/// The record's entries of a tree left where it is: every file hashed in place, with the mode
/// it has (which `doctor` then holds it to).
pub fn hash_in_place(scan: &Scan) -> Result<Manifest, ImportError> {
    let bar = progress("hashing", &scan.root, scan.bytes);
    let mut files = Manifest::new();
    for (rel, entry) in &scan.entries {
        let path = scan.root.join(rel);
        let recorded = match entry {
            Scanned::Dir => continue,
            Scanned::Symlink { target } => ManifestEntry::Symlink {
                target: target.clone(),
            },
            Scanned::File { size, mode } => {
                still_the_same(&path, *size)?;
                let sha256 = hash_file(&path).map_err(|source| ImportError::Read {
                    path: path.clone(),
                    source,
                })?;
                bar.inc(*size);
                ManifestEntry::File {
                    size: *size,
                    sha256,
                    mode: *mode,
                }
            }
        };
        files.insert(rel.clone(), recorded);
    }
    bar.finish_and_clear();
    Ok(files)
}

/// The file is still the regular file of `size` bytes the scan found (so neither a symlink
/// nor a FIFO has been put in its place since).
fn still_the_same(path: &Path, size: u64) -> Result<(), ImportError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_file() && m.len() == size => Ok(()),
        Ok(_) => Err(ImportError::Changed {
            path: path.to_path_buf(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(ImportError::Changed {
            path: path.to_path_buf(),
        }),
        Err(source) => Err(ImportError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The usual progress bar on a terminal, over `total` bytes; else one quiet line saying what
/// is `doing` to the tree.
fn progress(doing: &str, root: &Path, total: u64) -> indicatif::ProgressBar {
    let label = ui::tilde(root);
    if ui::stderr_is_tty() && !ui::is_quiet() {
        return ui::progress_bar(doing, &label, Some(total));
    }
    ui::note(&format!("{doing} {label} ({})", ui::size(total)));
    indicatif::ProgressBar::hidden()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_directories_are_named_as_go_names_platforms() {
        let id = |v: &str, p: &str| Identity {
            version: v.parse().unwrap(),
            platform: p.parse().unwrap(),
        };
        assert_eq!(go_os_arch(&id("go1.22.10", "linux/amd64")), "linux_amd64");
        assert_eq!(go_os_arch(&id("go1.22.10", "linux/armv6l")), "linux_arm");
        assert_eq!(go_os_arch(&id("go1.21rc2", "darwin/arm64")), "darwin_arm64");
    }
}
