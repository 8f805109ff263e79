use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};

use super::Context;
use super::shim::TOOLS;
use crate::fsio::{IoError, symlink_atomic};
use crate::shell::Shell;
use crate::store::Store;
use crate::ui::{self, shown, shown_bytes};

/// Where the proxies live: `$GOPIN_HOME/bin`. It is the user's to keep on PATH, so the hook
/// never strips it (see `Store::owns_path_entry`).
pub fn dir(store: &Store) -> PathBuf {
    store.root().join("bin")
}

/// Links `go` and `gofmt` in the proxies' directory to this binary (again, if it moved), and
/// prints the directory.
pub fn run(ctx: &Context) -> Result<ExitCode> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .context("cannot find the path of the gopin binary")?;
    let dir = dir(&ctx.store);
    std::fs::create_dir_all(&dir).map_err(shims_err("create", &dir))?;
    let mut changed = Vec::new();
    for tool in TOOLS {
        if link(&dir.join(tool), &exe)? {
            changed.push(tool);
        }
    }
    let mut out = io::stdout();
    out.write_all(dir.as_os_str().as_encoded_bytes())?;
    out.write_all(b"\n")?;
    if changed.is_empty() {
        ui::note(&format!(
            "{} in {} already run {}",
            TOOLS.join(" and "),
            shown(&dir),
            shown(&exe)
        ));
    } else {
        ui::note(&format!(
            "linked {} in {} to {}",
            changed.join(" and "),
            shown(&dir),
            shown(&exe)
        ));
    }
    ui::note(&guidance(&dir));
    Ok(ExitCode::SUCCESS)
}

/// Makes the guard's `go` and `gofmt` (see [`Store::guard_dir`]) links to this binary, unless
/// they are already: the hook calls this only while it puts the guard on PATH.
pub fn guard(store: &Store) -> Result<PathBuf> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .context("cannot find the path of the gopin binary")?;
    let dir = store.guard_dir();
    std::fs::create_dir_all(&dir).map_err(shims_err("create", &dir))?;
    for tool in TOOLS {
        link(&dir.join(tool), &exe)?;
    }
    Ok(dir)
}

/// Makes `path` a link to `exe`; whether anything changed. A link to anything else (an older
/// gopin's path) is replaced in one rename; a file that is not a link is the user's and stays.
fn link(path: &Path, exe: &Path) -> Result<bool> {
    match std::fs::read_link(path) {
        Ok(target) if target == exe => return Ok(false),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => bail!(
            "{} exists and is not a link gopin made: move it away, then run `gopin shims` again",
            shown(path)
        ),
        Err(e) => return Err(shims_err("read", path)(e).into()),
    }
    symlink_atomic(exe, path).map_err(shims_err("replace", path))?;
    Ok(true)
}

/// A failed file operation on the shims or the guard, which live in gopin's home beside the
/// store but are not the store's.
fn shims_err(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> IoError {
    IoError::at(
        action,
        path,
        "gopin keeps these links in GOPIN_HOME: make it writable, or set GOPIN_HOME to a directory of your own",
    )
}

/// How to put `dir` on PATH, per shell and for IDEs.
fn guidance(dir: &Path) -> String {
    let quoted = |shell: Shell| shown_bytes(&shell.quote(dir.as_os_str()));
    format!(
        "Put it on PATH where no shell hook runs (in a shell with the hook, the hook's entries still come first):\n  \
         bash, zsh  ~/.profile, ~/.zprofile:  export PATH={}:\"$PATH\"\n  \
         fish       once:                     fish_add_path {}\n  \
         IDEs, make, git hooks, cron, systemd: see docs/ide.md; GoLand's GOROOT: gopin which --goroot",
        quoted(Shell::Bash),
        quoted(Shell::Fish)
    )
}
