//! The projects gopin has seen (docs/store.md, "Projects gopin has seen"): each pin file that
//! selected a version, with that version and when it last did, so that `prune` keeps what
//! any project still selects and `ls -v` can say who uses what.
//!
//! One small file, `projects` in the state directory, one line per pin file:
//! `<seconds since the epoch> <version> <path>`, the path's bytes kept as they are but for
//! `%`, control characters, spaces and bytes above 0x7e, written `%XX` (a path need not be
//! UTF-8). It is bounded ([`MAX_PROJECTS`] lines, the newest kept; [`READ_LIMIT`] bytes read),
//! replaced whole by a rename (never half-written), and changed under a lock beside it so that
//! concurrent writers add to each other's lines; a line that cannot be read is dropped.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::fsio::{Durability, write_atomic};
use crate::platform::Platform;
use crate::resolve::Resolution;
use crate::selection::SourceKind;
use crate::store::{Installed, Store};
use crate::version::GoVersion;

/// How many pin files are remembered; the least recently used go first.
pub const MAX_PROJECTS: usize = 2000;
/// The most of the file that is read (2000 lines of long paths fit).
const READ_LIMIT: u64 = 4 << 20;
/// A pin file seen again with the same version is written again only this much later, so
/// `ls -v` knows roughly when each was last used without a write per directory change.
const REFRESH_SECS: u64 = 3600;

/// One remembered pin file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The pin file (`.go-version`, `go.mod`, …), absolute.
    pub file: PathBuf,
    /// The version it selected.
    pub version: GoVersion,
    /// When it last selected it, in seconds since the Unix epoch.
    pub last_used: u64,
}

/// The file of remembered projects in `state_dir`.
pub fn file(state_dir: &Path) -> PathBuf {
    state_dir.join("projects")
}

/// Every remembered project, most recently used first. A missing, unreadable or damaged file
/// is as good as an empty one (it is only a memory).
pub fn load(path: &Path) -> Vec<Project> {
    let mut bytes = Vec::new();
    if File::open(path)
        .and_then(|f| f.take(READ_LIMIT).read_to_end(&mut bytes))
        .is_err()
    {
        return Vec::new();
    }
    // A date in the future (a damaged line, a clock set back) counts as now: it would
    // otherwise sort first forever and never make room for another project.
    let now = now();
    let mut projects: Vec<Project> = bytes
        .split(|b| *b == b'\n')
        .filter_map(parse_line)
        .map(|p| Project {
            last_used: p.last_used.min(now),
            ..p
        })
        .collect();
    projects.sort_by_key(|p| std::cmp::Reverse(p.last_used));
    let mut seen = std::collections::HashSet::new();
    projects.retain(|p| seen.insert(p.file.clone()));
    projects
}

/// Remembers that `file` selected `version` now. `wait`: wait for another writer rather than
/// skip this (the hook never waits: the next change of directory remembers it).
pub fn remember(path: &Path, file: &Path, version: &GoVersion, wait: bool) -> io::Result<()> {
    let now = now();
    // Cheap check first, without the lock: already known, recently.
    if load(path).iter().any(|p| {
        p.file == file && p.version == *version && now.saturating_sub(p.last_used) < REFRESH_SECS
    }) {
        return Ok(());
    }
    update(path, wait, |projects| {
        projects.retain(|p| p.file != file);
        projects.insert(
            0,
            Project {
                file: file.to_path_buf(),
                version: *version,
                last_used: now,
            },
        );
    })
}

/// Rewrites the file with `change` applied, under its lock. Without `wait`, a lock held by
/// another writer means nothing is done.
pub fn update(path: &Path, wait: bool, change: impl FnOnce(&mut Vec<Project>)) -> io::Result<()> {
    let dir = path.parent().expect("the projects file is in a directory");
    fs::create_dir_all(dir)?;
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path.with_extension("lock"))?;
    if wait {
        lock.lock()?;
    } else {
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Ok(()),
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
    }
    let mut projects = load(path);
    let before = projects.clone();
    change(&mut projects);
    if projects == before {
        return Ok(());
    }
    projects.sort_by_key(|p| std::cmp::Reverse(p.last_used));
    projects.truncate(MAX_PROJECTS);
    let mut text = Vec::new();
    for p in &projects {
        text.extend_from_slice(format!("{} {} ", p.last_used, p.version).as_bytes());
        text.extend_from_slice(&escape(p.file.as_os_str().as_encoded_bytes()));
        text.push(b'\n');
    }
    // Durability: a rename only. It is a memory: losing the last change to a power cut
    // costs at most one project's protection from `prune` until it is visited again.
    write_atomic(path, &text, Durability::Replaced)
}

/// What a resolution says to remember: the pin file that selected an installed version, if a
/// file did (not `gopin shell`, not the user default, which `prune` keeps anyway).
pub fn selected(r: &Resolution) -> Option<(PathBuf, GoVersion)> {
    let installed = r.installed.as_ref()?;
    if r.picked_by()
        .is_some_and(|p| matches!(p.kind, SourceKind::Shell | SourceKind::Default))
    {
        return None;
    }
    let file = r.source()?;
    file.is_absolute()
        .then(|| (file.to_path_buf(), installed.version))
}

/// Remembers what `r` selected, if a pin file did; never fails (said with `--verbose`).
pub fn remember_resolution(state_dir: &Path, r: &Resolution, wait: bool) {
    let Some((file, version)) = selected(r) else {
        return;
    };
    let path = self::file(state_dir);
    if let Err(e) = remember(&path, &file, &version, wait) {
        crate::ui::verbose(&format!(
            "cannot remember {} in {}: {e}",
            crate::ui::shown(&file),
            crate::ui::shown(&path)
        ));
    }
}

/// The remembered pin files that still select an installed Go for `platform` (the file still
/// exists and, resolved from its directory, is what selects), each with that Go. With
/// `forget`, pin files that are gone are forgotten, and one that now selects another version
/// is remembered with it.
pub fn still_selecting(
    store: &Store,
    platform: &Platform,
    state_dir: &Path,
    forget: bool,
) -> Vec<(Project, Installed)> {
    let path = file(state_dir);
    // Each project as its own directory resolves it: not this shell's `gopin shell` pick, nor
    // its GOWORK.
    let env = |name: &str| match name {
        crate::resolve::SHELL_VAR | "GOWORK" => None,
        _ => std::env::var_os(name),
    };
    let mut kept = Vec::new();
    let mut gone = Vec::new();
    let mut moved = Vec::new();
    for p in load(&path) {
        match fs::symlink_metadata(&p.file) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                gone.push(p.file.clone());
                continue;
            }
            Err(_) => continue,
            Ok(_) => {}
        }
        let Some(dir) = p.file.parent() else {
            continue;
        };
        let Ok(r) = crate::resolve::resolve(store, platform, dir, &env) else {
            continue;
        };
        if r.source() != Some(p.file.as_path()) {
            continue;
        }
        let Some(installed) = r.installed else {
            continue;
        };
        if installed.version != p.version {
            moved.push((p.file.clone(), installed.version));
        }
        kept.push((p, installed));
    }
    if forget && (!gone.is_empty() || !moved.is_empty()) {
        let changed = update(&path, true, |projects| {
            projects.retain(|p| !gone.contains(&p.file));
            for p in projects.iter_mut() {
                if let Some((_, v)) = moved.iter().find(|(f, _)| *f == p.file) {
                    p.version = *v;
                }
            }
        });
        if let Err(e) = changed {
            crate::ui::verbose(&format!("cannot write {}: {e}", crate::ui::shown(&path)));
        }
    }
    kept
}

/// `secs` since the epoch as a UTC date, `2024-06-01`.
pub fn date(secs: u64) -> String {
    // Days to a civil date (Howard Hinnant's algorithm).
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

fn parse_line(line: &[u8]) -> Option<Project> {
    let mut parts = line.splitn(3, |b| *b == b' ');
    let last_used = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    let version = std::str::from_utf8(parts.next()?).ok()?.parse().ok()?;
    let file = PathBuf::from(unescape(parts.next()?)?);
    file.is_absolute().then_some(Project {
        file,
        version,
        last_used,
    })
}

fn escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        if b == b'%' || b <= b' ' || b > b'~' {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        } else {
            out.push(b);
        }
    }
    out
}

fn unescape(bytes: &[u8]) -> Option<std::ffi::OsString> {
    use std::os::unix::ffi::OsStringExt;
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b if b <= b' ' || b > b'~' => return None,
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    (!out.is_empty() && !out.contains(&0)).then(|| std::ffi::OsString::from_vec(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    fn v(s: &str) -> GoVersion {
        s.parse().unwrap()
    }

    #[test]
    fn remembered_files_round_trip_whatever_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path());
        let odd = PathBuf::from(std::ffi::OsStr::from_bytes(
            b"/home/u/caf\xe9 100%/new\nline/.go-version",
        ));
        remember(&path, &odd, &v("1.22.10"), true).unwrap();
        remember(&path, Path::new("/p/go.mod"), &v("1.21.13"), true).unwrap();
        let got = load(&path);
        assert_eq!(got.len(), 2);
        assert!(
            got.iter()
                .any(|p| p.file == odd && p.version == v("1.22.10"))
        );
        // One line per project, nothing that is not printable ASCII in it.
        let text = fs::read(&path).unwrap();
        assert_eq!(text.iter().filter(|b| **b == b'\n').count(), 2);
        assert!(
            text.iter()
                .all(|b| *b == b'\n' || (b' '..=b'~').contains(b))
        );
        // The same file selecting another version replaces its line.
        remember(&path, &odd, &v("1.23.4"), true).unwrap();
        let got = load(&path);
        assert_eq!(got.len(), 2);
        assert_eq!(
            got.iter().find(|p| p.file == odd).unwrap().version,
            v("1.23.4")
        );
    }

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(951_782_400), "2000-02-29");
        assert_eq!(date(1_733_011_199), "2024-11-30");
        assert_eq!(date(1_733_011_200), "2024-12-01");
    }

    #[test]
    fn damaged_lines_are_dropped_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path());
        fs::write(
            &path,
            b"garbage\n17 go1.22.10 /ok/.go-version\n18 notaversion /x\n19 go1.21.0 relative\n\xff\xfe\n20 go1.21.0 /bad%zz\n",
        )
        .unwrap();
        let got = load(&path);
        assert_eq!(
            got,
            [Project {
                file: "/ok/.go-version".into(),
                version: v("1.22.10"),
                last_used: 17
            }]
        );
        remember(&path, Path::new("/q/.go-version"), &v("1.21.13"), true).unwrap();
        assert_eq!(load(&path).len(), 2);
    }

    #[test]
    fn a_date_in_the_future_counts_as_now() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("projects");
        fs::write(&path, b"18446744073709551615 go1.22.11 /far/.go-version\n").unwrap();
        let got = load(&path);
        assert_eq!(got.len(), 1);
        assert!(got[0].last_used <= now(), "{}", got[0].last_used);
    }

    #[test]
    fn the_file_is_bounded_keeping_the_most_recent() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path());
        update(&path, true, |projects| {
            for n in 0..(MAX_PROJECTS as u64 + 50) {
                projects.push(Project {
                    file: PathBuf::from(format!("/p/{n}/.go-version")),
                    version: v("1.22.10"),
                    last_used: n + 1,
                });
            }
        })
        .unwrap();
        let got = load(&path);
        assert_eq!(got.len(), MAX_PROJECTS);
        assert_eq!(got[0].last_used, MAX_PROJECTS as u64 + 50);
        assert!(got.iter().all(|p| p.last_used > 50));
    }

    #[test]
    fn concurrent_writers_keep_each_others_projects() {
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path());
        std::thread::scope(|s| {
            for t in 0..4 {
                let path = &path;
                s.spawn(move || {
                    for n in 0..10 {
                        let f = PathBuf::from(format!("/t{t}/{n}/.go-version"));
                        remember(path, &f, &v("1.22.10"), true).unwrap();
                    }
                });
            }
        });
        assert_eq!(load(&path).len(), 40);
    }
}
