//! Where a directory's `gopin.lock` is, and what it does to the selection: it narrows the
//! pick to the release it locks while the pick accepts it (docs/lock.md, docs/selection.md).
//! Only the selection's own types here: the resolver asks this file.

use std::path::{Path, PathBuf};

use super::format::Found;
use crate::request::Request;
use crate::selection::{Selection, SourceKind};
use crate::version::GoVersion;

/// The lock file's name.
pub const FILE_NAME: &str = "gopin.lock";

/// The lock that governs `cwd`, if one exists: beside the file that picks (not the global
/// default, not `gopin shell`); where only a `go` line constrains, the nearest from `cwd` up to
/// that file's directory. `overridden`: the pick is older than the `go` line and not used;
/// `asks`: a version is asked for at all.
pub fn find(selection: &Selection, overridden: bool, asks: bool, cwd: &Path) -> Option<PathBuf> {
    if selection.system.is_some() || !asks {
        return None;
    }
    // Anything but a directory (a FIFO too) is the lock, and reading it says what is wrong.
    let exists = |p: &PathBuf| std::fs::symlink_metadata(p).is_ok_and(|m| !m.is_dir());
    match selection.pick.as_ref().filter(|_| !overridden) {
        Some(pick) if matches!(pick.kind, SourceKind::Shell | SourceKind::Default) => None,
        Some(pick) => pick
            .source
            .parent()
            .map(|d| d.join(FILE_NAME))
            .filter(exists),
        None => {
            let top = selection.minimum.as_ref()?.source.parent()?.to_path_buf();
            cwd.ancestors()
                .take_while(|d| d.starts_with(&top))
                .map(|d| d.join(FILE_NAME))
                .find(exists)
        }
    }
}

/// The release the lock at `path` holds, when it reads and `request` accepts it; `None`
/// otherwise (an unreadable lock is reported by the install that would use it).
pub fn locked_release(request: &Request, path: &Path) -> Option<GoVersion> {
    let found = Found::read(path).ok()??;
    admits(request, &found.lock.release).then_some(found.lock.release)
}

/// Whether `request` accepts `version`: what a pin that has not moved since the lock says.
pub fn admits(request: &Request, version: &GoVersion) -> bool {
    request.choose([version]) == Some(*version)
}
