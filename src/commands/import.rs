use std::process::ExitCode;

use anyhow::Result;

use super::Context;
use crate::cli::ImportArgs;
use crate::import::{self, Candidate, Found, ImportError};
use crate::install::Outcome;
use crate::platform::Platform;
use crate::ui;

pub fn run(ctx: &Context, args: ImportArgs) -> Result<ExitCode> {
    // First: it may put back a version an interrupted `install --force` left out.
    ctx.store.clean_stale(None);
    let Some(tool) = args.from else {
        let path = args
            .path
            .as_deref()
            .expect("clap requires a path without --from");
        let candidate = import::examine(&ctx.config, path, args.link, args.sha256.as_deref())?;
        take(ctx, &candidate, args.dry_run)?;
        return Ok(ExitCode::SUCCESS);
    };
    let found: Vec<Found> = import::from_tool(tool, args.link)?;
    let mut failed = 0;
    for (dir, candidate) in found {
        let done = candidate.and_then(|c| take(ctx, &c, args.dry_run));
        if let Err(e) = done {
            failed += 1;
            ui::warn(&format!("{} is not imported: {e}", ui::tilde(&dir)));
        }
    }
    if failed > 0 {
        ui::note(&format!(
            "{failed} of {tool}'s trees could not be imported (see above)"
        ));
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Imports one candidate, or with `dry_run` says what it would do.
fn take(ctx: &Context, candidate: &Candidate, dry_run: bool) -> Result<(), ImportError> {
    let id = &candidate.identity;
    let installed = ctx.store.get(&id.version, &id.platform);
    if dry_run {
        match installed {
            Some(i) => println!(
                "already installed: {} (in {})",
                candidate.describe(),
                ui::tilde(&i.goroot())
            ),
            None => println!("would import {}", candidate.describe()),
        }
        return Ok(());
    }
    match import::import(&ctx.config, &ctx.store, candidate)? {
        Outcome::Installed(i) => {
            ui::note(&format!(
                "imported {} into {}",
                candidate.describe(),
                ui::tilde(&i.goroot())
            ));
            if Platform::host().is_ok_and(|host| host != i.platform) {
                ui::note(&format!(
                    "note: {} is not this host's platform; it is kept beside the host's versions and never activated here",
                    i.platform
                ));
            }
        }
        Outcome::AlreadyInstalled(i) => ui::note(&format!(
            "{id} is already installed in {}; nothing was imported from {} (`gopin uninstall {}` first to replace it)",
            ui::tilde(&i.goroot()),
            ui::tilde(&candidate.path),
            id.version
        )),
    }
    Ok(())
}
