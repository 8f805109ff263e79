//! Moving the per-version GOBINs out of the version directories (docs/store.md, "Writable
//! state outside version trees"). Stores made by earlier gopins kept each version's tools in
//! `versions/<name>/gobin/`; they now live in `gobins/<name>/`, so that a version's directory
//! is never written after its install. The first run that finds an old one moves it, tools
//! kept, and then leaves a marker so later runs cost one `stat`.
//!
//! Each move is a rename when both are on one file system (atomic: the tools are in one place
//! or the other); else a copy into a temporary directory beside the new place, renamed into
//! it, and only then the old one deleted. A run killed at any point leaves the tools in the
//! old place, the new place, or both; the next run finishes the move (where both hold a tool,
//! the new place's copy is kept). Nothing here can fail a command or the hook: what cannot be
//! moved now is left for the next run, and said with `--verbose`.

use std::fs;
use std::io;
use std::path::Path;

use crate::fsio::{Durability, sync_dir, write_atomic};
use crate::store::{Store, parse_entry_name};
use crate::ui::{shown, verbose};

/// The marker, in `gobins/`, of a store with no GOBIN left inside a version.
const MIGRATED: &str = ".migrated";

/// The old place of a version's GOBIN, inside its directory.
const OLD_GOBIN: &str = "gobin";

/// Moves every GOBIN still inside a version of the user's store to its new place. One `stat`
/// once done; a store with no `versions/` yet needs nothing (and gets no marker).
pub fn migrate(store: &Store) {
    let gobins = store.gobins_dir();
    let marker = gobins.join(MIGRATED);
    if fs::symlink_metadata(&marker).is_ok() {
        return;
    }
    let Ok(entries) = fs::read_dir(store.versions_dir()) else {
        return;
    };
    let mut all_moved = true;
    for entry in entries.filter_map(Result::ok) {
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if parse_entry_name(&name).is_none() {
            continue;
        }
        let old = entry.path().join(OLD_GOBIN);
        match fs::symlink_metadata(&old) {
            Ok(m) if m.is_dir() => {}
            // Nothing gopin made: not its to move.
            Ok(_) => continue,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => {
                verbose(&format!("cannot read {}: {e}", shown(&old)));
                all_moved = false;
                continue;
            }
        }
        let new = gobins.join(&name);
        match move_dir(&old, &new) {
            Ok(()) => verbose(&format!(
                "moved the tools of {name} from {} to {}",
                shown(&old),
                shown(&new)
            )),
            Err(e) => {
                verbose(&format!(
                    "cannot move {} to {} yet: {e}",
                    shown(&old),
                    shown(&new)
                ));
                all_moved = false;
            }
        }
    }
    if all_moved {
        mark_migrated(store);
    }
}

/// Records that no GOBIN is left inside a version of `store`: at the end of a migration, and
/// when a store's first version is installed (so the hook of a new store never writes it
/// later, changing the store's directory under the hook's watch).
pub fn mark_migrated(store: &Store) {
    let marker = store.gobins_dir().join(MIGRATED);
    let written = fs::create_dir_all(store.gobins_dir())
        .and_then(|()| write_atomic(&marker, b"", Durability::Replaced));
    if let Err(e) = written {
        verbose(&format!("cannot write {}: {e}", shown(&marker)));
    }
}

/// Moves the directory `old` to `new`: a rename, else a merge into an existing `new`, else (on
/// another file system) a copy.
fn move_dir(old: &Path, new: &Path) -> io::Result<()> {
    let parent = new.parent().expect("gobins/<name> has a parent");
    fs::create_dir_all(parent)?;
    match fs::rename(old, new) {
        Ok(()) => {
            sync_dir(parent);
            return Ok(());
        }
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
            let staged = tempfile::Builder::new()
                .prefix(".moving-")
                .tempdir_in(parent)?;
            let copy = staged.path().join("gobin");
            copy_tree(old, &copy)?;
            match fs::rename(&copy, new) {
                Ok(()) => {}
                Err(_) if new.is_dir() => merge(&copy, new)?,
                Err(e) => return Err(e),
            }
            sync_dir(parent);
            fs::remove_dir_all(old)?;
        }
        Err(_) if new.is_dir() => merge(old, new)?,
        Err(e) => return Err(e),
    }
    Ok(())
}

/// Moves each entry of `old` that `new` lacks into `new`; one that `new` already has was
/// moved or copied there before (or built there since), so the old one goes. Then `old` goes.
fn merge(old: &Path, new: &Path) -> io::Result<()> {
    for entry in fs::read_dir(old)? {
        let entry = entry?;
        let dest = new.join(entry.file_name());
        if fs::symlink_metadata(&dest).is_ok() {
            if entry.file_type()?.is_dir() {
                fs::remove_dir_all(entry.path())?;
            } else {
                fs::remove_file(entry.path())?;
            }
        } else {
            match fs::rename(entry.path(), &dest) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
                    copy_tree(&entry.path(), &dest)?;
                }
                Err(e) => return Err(e),
            }
        }
    }
    sync_dir(new);
    fs::remove_dir_all(old)
}

/// Copies a tree of files, directories and symlinks, keeping modes.
fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(from)?;
    if meta.is_symlink() {
        std::os::unix::fs::symlink(fs::read_link(from)?, to)
    } else if meta.is_dir() {
        fs::create_dir(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        fs::set_permissions(to, meta.permissions())
    } else {
        fs::copy(from, to)?;
        fs::File::open(to)?.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "go1.22.10.linux-amd64";

    fn old_store() -> (tempfile::TempDir, Store) {
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path());
        let old = store.versions_dir().join(NAME).join(OLD_GOBIN);
        fs::create_dir_all(&old).unwrap();
        fs::create_dir_all(store.versions_dir().join(NAME).join("go")).unwrap();
        fs::write(old.join("stringer"), "tool").unwrap();
        (root, store)
    }

    #[test]
    fn old_gobins_move_out_with_their_tools_once() {
        let (_root, store) = old_store();
        migrate(&store);
        let new = store.gobins_dir().join(NAME);
        assert_eq!(fs::read_to_string(new.join("stringer")).unwrap(), "tool");
        assert!(!store.versions_dir().join(NAME).join(OLD_GOBIN).exists());
        assert!(store.gobins_dir().join(MIGRATED).exists());
        // Done: an old GOBIN appearing now (an older gopin) is left for the user.
        let late = store.versions_dir().join(NAME).join(OLD_GOBIN);
        fs::create_dir_all(&late).unwrap();
        migrate(&store);
        assert!(late.exists());
    }

    #[test]
    fn a_move_that_was_interrupted_is_finished_keeping_the_newer_tools() {
        let (_root, store) = old_store();
        let old = store.versions_dir().join(NAME).join(OLD_GOBIN);
        fs::write(old.join("gopls"), "old gopls").unwrap();
        // A copy that reached the new place, and a tool built there since.
        let new = store.gobins_dir().join(NAME);
        fs::create_dir_all(&new).unwrap();
        fs::write(new.join("gopls"), "new gopls").unwrap();
        migrate(&store);
        assert_eq!(fs::read_to_string(new.join("gopls")).unwrap(), "new gopls");
        assert_eq!(fs::read_to_string(new.join("stringer")).unwrap(), "tool");
        assert!(!old.exists());
    }

    #[test]
    fn a_copy_keeps_modes_and_links() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("from");
        fs::create_dir_all(from.join("sub")).unwrap();
        fs::write(from.join("tool"), "x").unwrap();
        fs::set_permissions(from.join("tool"), fs::Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink("tool", from.join("alias")).unwrap();
        copy_tree(&from, &dir.path().join("to")).unwrap();
        let to = dir.path().join("to");
        let mode = fs::metadata(to.join("tool")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o755);
        assert_eq!(fs::read_link(to.join("alias")).unwrap(), Path::new("tool"));
        assert!(to.join("sub").is_dir());
    }

    #[test]
    fn a_store_without_versions_gets_nothing() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path().join("store"));
        migrate(&store);
        assert!(!root.path().join("store").exists());
    }
}
