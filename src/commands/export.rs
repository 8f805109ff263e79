use std::fs::File;
use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};

use super::Context;
use crate::cli::ExportArgs;
use crate::request::Request;
use crate::snapshot::{self, AtomicFile, Written};
use crate::store::{Installed, Lock, StoreError};
use crate::ui;
use crate::version::VersionSpec;

pub fn run(ctx: &Context, args: ExportArgs) -> Result<ExitCode> {
    let platform = args.platform.resolve()?;
    let spec: VersionSpec = args.version.parse()?;
    // First: it may put back a version an interrupted `install --force` left out.
    ctx.store.clean_stale(None);
    let Some(installed) = ctx.store.find(&platform, &Request::spec(spec))? else {
        let install = snapshot::install_command(&spec, &platform, false);
        bail!(
            "no installed Go matches {spec} for {platform}, so there is nothing to export: run `{install}` first (`gopin ls` lists what is installed)"
        );
    };
    let default_name = format!("{}.snapshot.tar.gz", installed.name());
    let output = args.output.unwrap_or_else(|| PathBuf::from(default_name));
    let written = if output.as_os_str() == "-" {
        to_stdout(ctx, &installed, &args.prefix)?
    } else {
        to_file(ctx, &installed, &args.prefix, &output)?
    };
    ui::note(&format!(
        "exported {} ({}): {} files and links under {}/ in {}, {}, sha256 {}",
        installed.version,
        installed.platform,
        written.entries,
        args.prefix,
        if output.as_os_str() == "-" {
            "stdout".to_string()
        } else {
            ui::tilde(&output)
        },
        ui::size(written.size),
        written.sha256
    ));
    Ok(ExitCode::SUCCESS)
}

/// The snapshot into `path`, which appears only once it is complete.
fn to_file(
    ctx: &Context,
    installed: &Installed,
    prefix: &snapshot::Prefix,
    path: &Path,
) -> Result<Written> {
    // Before the long checks: an unwritable target fails at once.
    let file = AtomicFile::create(path)?;
    let _lock = lock(ctx, installed)?;
    let checked = snapshot::check(installed)?;
    let written = checked.write(prefix, file.file(), path)?;
    file.commit()?;
    Ok(written)
}

/// The snapshot on stdout, for a pipe: nothing is written unless the tree matched its record.
fn to_stdout(ctx: &Context, installed: &Installed, prefix: &snapshot::Prefix) -> Result<Written> {
    let stdout = std::io::stdout();
    if stdout.is_terminal() {
        bail!(
            "stdout is a terminal, and a snapshot is binary: redirect it (> go.tar.gz), pipe it, or write a file with -o FILE"
        );
    }
    // Straight to the descriptor: Rust's stdout would look for line ends in the archive.
    let out = File::from(
        stdout
            .as_fd()
            .try_clone_to_owned()
            .map_err(|e| anyhow!("cannot write the snapshot to stdout: {e}"))?,
    );
    let _lock = lock(ctx, installed)?;
    let checked = snapshot::check(installed)?;
    Ok(checked.write(prefix, &out, Path::new("stdout"))?)
}

/// The version's lock, so no install or uninstall changes the tree under the export. A store
/// the user may not write (a read-only mount) cannot change either: the export goes on
/// without it, and the files are checked against the record as they are read in any case.
fn lock(ctx: &Context, installed: &Installed) -> Result<Option<Lock>> {
    let name = installed.name();
    match ctx.store.lock(&name, || {
        ui::note(&format!(
            "waiting for another gopin that is changing {name}…"
        ))
    }) {
        Ok(lock) => Ok(Some(lock)),
        Err(StoreError::Io { source, .. })
            if matches!(
                source.kind(),
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            ui::verbose(&format!("exporting {name} without its lock: {source}"));
            Ok(None)
        }
        Err(e) => Err(anyhow!(e)),
    }
}
