use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Context;
use crate::cli::UninstallArgs;
use crate::resolve;
use crate::store::Installed;
use crate::ui::{self, tilde};
use crate::version::VersionSpec;

pub fn run(ctx: &Context, args: UninstallArgs) -> Result<ExitCode> {
    let platform = args.platform.resolve()?;
    // First: it may put back a version an interrupted `install --force` left out.
    ctx.store.clean_stale(None);
    let installed = ctx.store.list_for(&platform)?;
    // Check every spec before removing anything, so a typo in the second one removes nothing.
    let mut doomed: Vec<Installed> = Vec::new();
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
        // A system store's version is never touched: refused by name before anything goes.
        if let Some(i) = matching.iter().find(|i| i.system_store().is_some()) {
            let store = i.system_store().expect("found above").to_path_buf();
            return Err(crate::store::StoreError::SystemStore {
                name: i.name(),
                store,
            }
            .into());
        }
        for i in matching {
            if !doomed.iter().any(|d| d.dir == i.dir) {
                doomed.push(i.clone());
            }
        }
    }
    for i in doomed {
        warn_what_goes(ctx, &i);
        ctx.store.remove(&i)?;
        ui::note(&format!("removed {} ({})", i.version, i.platform));
    }
    Ok(ExitCode::SUCCESS)
}

/// Says so when the version is in use here, and what goes with it (the tools `go install`
/// put in its own GOBIN).
fn warn_what_goes(ctx: &Context, i: &Installed) {
    let active_here =
        std::env::var_os("GOROOT").is_some_and(|g| std::path::Path::new(&g) == i.goroot());
    if active_here {
        ui::warn(&format!(
            "{} is the active Go in this shell: the hook switches away at the next prompt",
            i.version
        ));
    }
    if let Ok(r) = resolve::for_cwd(&ctx.store, &i.platform)
        && r.installed.as_ref().is_some_and(|a| a.dir == i.dir)
        && let Some(source) = r.source()
    {
        ui::warn(&format!(
            "{} is selected by {}: run `gopin install` there to get it back",
            i.version,
            tilde(source)
        ));
    }
    let tools = std::fs::read_dir(i.gobin())
        .map(|d| d.filter_map(Result::ok).count())
        .unwrap_or(0);
    // A system store's copy of the version keeps using them, so they stay (docs/store.md).
    let kept = ctx
        .store
        .system_stores()
        .iter()
        .any(|s| s.join("versions").join(i.name()).is_dir());
    if tools > 0 && !kept {
        ui::warn(&format!(
            "{tools} tool(s) that `go install` put in {} go with it",
            tilde(&i.gobin())
        ));
    }
}
