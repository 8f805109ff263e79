use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};

use super::Context;
use crate::cli::ExportArgs;
use crate::output::{self, Output, OutputError};
use crate::request::Request;
use crate::snapshot::{self, SnapshotError};
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
    let path = args.output.unwrap_or_else(|| PathBuf::from(default_name));
    // Before the long checks: an unwritable or refused target fails at once.
    let target = output::open(&path).map_err(|e| match e {
        OutputError::Write { path, source } => anyhow!(SnapshotError::Write {
            target: path,
            source
        }),
        e => anyhow!(e),
    })?;
    let (written, shown_as) = match target {
        Output::Replace(file) => {
            let _lock = lock(ctx, &installed)?;
            let checked = snapshot::check(&installed)?;
            let written = checked.write(&args.prefix, file.file(), &path)?;
            file.commit()?;
            (written, ui::tilde(&path))
        }
        Output::Stream { file, name } => {
            let shown_as = ui::shown(&name);
            if file.is_terminal() {
                bail!(
                    "{shown_as} is a terminal, and a snapshot is binary: redirect it (> go.tar.gz), pipe it, or write a file with -o FILE"
                );
            }
            // Nothing is written unless the tree matched its record.
            let _lock = lock(ctx, &installed)?;
            let checked = snapshot::check(&installed)?;
            (checked.write(&args.prefix, &file, &name)?, shown_as)
        }
    };
    ui::note(&format!(
        "exported {} ({}): {} files and links under {}/ in {shown_as}, {}, sha256 {}",
        installed.version,
        installed.platform,
        written.entries,
        args.prefix,
        ui::size(written.size),
        written.sha256
    ));
    Ok(ExitCode::SUCCESS)
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
