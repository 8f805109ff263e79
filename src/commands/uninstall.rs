use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Context;
use crate::cli::UninstallArgs;
use crate::ui;
use crate::version::VersionSpec;

pub fn run(ctx: &Context, args: UninstallArgs) -> Result<ExitCode> {
    let platform = args.platform.resolve()?;
    // First: it may put back a version an interrupted `install --force` left out.
    ctx.store.clean_stale(None);
    let installed = ctx.store.list_for(&platform)?;
    // Check every spec before removing anything, so a typo in the second one removes nothing.
    let mut doomed = Vec::new();
    for raw in &args.specs {
        let spec: VersionSpec = raw.parse()?;
        let matching: Vec<_> = installed
            .iter()
            // Uninstall may remove pre-releases by prefix too: it only touches the store.
            .filter(|i| spec.covers(&i.version))
            .collect();
        match matching.len() {
            0 => bail!("{raw} is not installed for {platform}: run `gopin ls` to see what is"),
            1 => {}
            _ if args.all => {}
            _ => {
                let names: Vec<String> = matching.iter().map(|i| i.version.to_string()).collect();
                bail!(
                    "'{raw}' matches {} installed versions ({}): name one exactly, or pass --all to remove them all",
                    matching.len(),
                    names.join(", ")
                );
            }
        }
        doomed.extend(matching.into_iter().cloned());
    }
    doomed.dedup_by(|a, b| a.dir == b.dir);
    for i in doomed {
        ctx.store.remove(&i)?;
        ui::note(&format!("removed {} ({})", i.version, i.platform));
    }
    Ok(ExitCode::SUCCESS)
}
