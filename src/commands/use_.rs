//! `gopin use`: installs the version asked for and pins it in the directory's pin file (or
//! the default). Which file, and how it is written, is the pin file module's
//! (docs/selection.md, "Editing pin files").

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Context;
use crate::cli::UseArgs;
use crate::install::{Outcome, install_request};
use crate::pinfile::{self, PinKind, Unset, pin_text, write_pin};
use crate::platform::Platform;
use crate::request::Request;
use crate::resolve;
use crate::ui::{self, shown, tilde};
use crate::version::VersionSpec;

pub fn run(ctx: &Context, args: UseArgs) -> Result<ExitCode> {
    let (file, kind) = target(ctx, &args)?;
    let Some(raw) = args.spec.as_deref().filter(|_| !args.unset) else {
        return unset(&file, kind);
    };
    if !args.global && !args.here {
        refuse_home_or_root(&file, raw)?;
    }
    let spec: VersionSpec = raw.parse()?;
    let platform = Platform::host()?;
    // What this directory ran before, whose tools the new version may want (README, "Tools").
    let before = resolve::for_cwd(&ctx.store, &platform)
        .ok()
        .and_then(|r| r.installed);
    let outcome = install_request(
        &ctx.config,
        &ctx.store,
        &Request::spec(spec),
        &platform,
        false,
    )?;
    if let Outcome::Installed(i) = &outcome {
        ui::note(&format!("installed {} ({})", i.version, i.platform));
    }
    let version = outcome.installed().version;
    // The exact release, so every checkout runs the same Go; --prefix keeps what was typed.
    let text = if args.prefix {
        let typed = spec.to_string();
        typed.strip_prefix("go").unwrap_or(&typed).to_string()
    } else {
        pin_text(&version)
    };
    write_pin(&file, kind, &text)?;
    ui::note(&format!("pinned {text} ({version}) in {}", tilde(&file)));
    super::tools::hint_after_switch(ctx, before.as_ref(), outcome.installed());
    if kind != PinKind::Default && file.is_absolute() {
        super::remember_project(ctx, &file, &version);
    }
    if let Ok(r) = resolve::for_cwd(&ctx.store, &platform) {
        if let Some(note) = r.override_note() {
            ui::warn(&note);
        } else if let Some(pick) = r.picked_by()
            && pick.source != file
        {
            ui::note(&format!(
                "note: this directory is pinned by {}, which takes precedence",
                pick.label()
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A pin in the home directory or in `/` covers every directory below that has none of its
/// own: almost always a default meant with `--global`, so it is written only with `--here`.
/// Directories are compared as files (device and inode), so a HOME reached through a symlink,
/// or one whose name is not UTF-8, is still recognised.
fn refuse_home_or_root(file: &Path, spec: &str) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Some(dir) = file.parent() else {
        return Ok(());
    };
    let same = |other: &Path| match (std::fs::metadata(dir), std::fs::metadata(other)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    };
    let what = if same(Path::new("/")) {
        "the root directory /, so a pin there would apply to every directory on this machine"
            .to_string()
    } else if crate::userdirs::home_dir().is_some_and(|home| same(&home)) {
        format!(
            "your home directory ({}), so a pin there would apply to every directory under it",
            shown(dir)
        )
    } else {
        return Ok(());
    };
    bail!(
        "this is {what} that has no pin of its own: for a default wherever nothing is pinned, run `gopin use --global {spec}`; to pin it here all the same, `gopin use --here {spec}`"
    )
}

/// The file `use` writes: the default with `--global`; the one `--file` names; else the
/// file that already pins Go in this directory (so there are never two conflicting pins made
/// by gopin), else a new `.go-version`.
fn target(ctx: &Context, args: &UseArgs) -> Result<(PathBuf, PinKind)> {
    if args.global {
        return Ok((ctx.store.default_file(), PinKind::Default));
    }
    let cwd = resolve::cwd();
    let (path, kind) = match &args.file {
        // One of the pin files, in this directory: any other path would write a file no
        // selection reads (or one that is not a pin file at all).
        Some(file) => match pinfile::PIN_FILES
            .iter()
            .find(|(name, _)| file.as_os_str() == *name)
        {
            Some(&(name, kind)) => (cwd.join(name), kind),
            None => bail!(
                "--file {} is not one of the pin files gopin reads ({}): name one of them, and run `gopin use` in the directory to pin",
                shown(file),
                pinfile::PIN_FILES.map(|(name, _)| name).join(", ")
            ),
        },
        None => pinfile::pinning_file(&cwd)?,
    };
    // Refused before anything is installed or written (docs/security.md).
    pinfile::pin_target(&path)?;
    Ok((path, kind))
}

/// `--unset`: removes the pin: the whole `.go-version` (or the default), or just the Go entry
/// of a `.tool-versions` or mise file.
fn unset(file: &Path, kind: PinKind) -> Result<ExitCode> {
    let message = match pinfile::unset(file, kind)? {
        Unset::EntryRemoved => format!("removed the Go entry from {}", tilde(file)),
        Unset::FileRemoved => format!("removed {}", tilde(file)),
        Unset::NothingThere => format!("{} does not exist: nothing to unset", tilde(file)),
    };
    ui::note(&message);
    Ok(ExitCode::SUCCESS)
}
