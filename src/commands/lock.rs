//! `gopin lock`: writes gopin.lock for the release this directory selects, or checks it
//! (`--check`). The work is the lock module's (docs/lock.md).

use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};

use super::Context;
use crate::cli::LockArgs;
use crate::fsio::{Durability, write_atomic};
use crate::install;
use crate::lock::{self, Found, LockError, check};
use crate::platform::Platform;
use crate::resolve;
use crate::ui::{self, shown};

pub fn run(ctx: &Context, args: LockArgs) -> Result<ExitCode> {
    let host = Platform::host()?;
    let cwd = resolve::cwd();
    let env = |name: &str| std::env::var_os(name);
    let r = resolve::resolve(&ctx.store, &host, &cwd, &env)?;
    let platforms = lock::platforms(
        &args.platforms,
        ctx.config.settings.lock_platforms.as_deref(),
    )?;
    if args.check {
        return run_check(ctx, &args, &r, &cwd, platforms);
    }
    let path = lock::write_path(&r, &cwd)?;
    let request = r
        .request
        .ok_or_else(|| anyhow!(resolve::nothing_selected(&cwd)))?;
    // A lock that still fits the pin keeps its release: locking again adds platforms and
    // proofs, it does not move the release (docs/lock.md).
    let kept = match Found::read(&path) {
        Ok(found) => found
            .map(|f| f.lock.release)
            .filter(|v| lock::admits(&request, v)),
        // A newer gopin's lock is not overwritten with an older format.
        Err(e @ LockError::Newer { .. }) => return Err(e.into()),
        Err(e) => {
            ui::warn(&format!("{e}; it is written again"));
            None
        }
    };
    let index = lock::load_index(&ctx.config)?;
    let release = match kept.or_else(|| r.installed.as_ref().map(|i| i.version)) {
        Some(v) => v,
        None => {
            let releases = index.releases();
            match (request.spec, request.floor) {
                (Some(spec), None) => install::resolve(&releases, &spec)?.version,
                _ => request.choose(&releases.versions()).ok_or_else(|| {
                    anyhow!(
                        "no Go release matches {request} in {}: run `gopin ls-remote` to see what is available",
                        releases.origin
                    )
                })?,
            }
        }
    };
    let made = lock::make(&ctx.config, &index, release, &platforms)?;
    let bytes = made.lock.to_bytes();
    write_atomic(&path, &bytes, Durability::Flushed)
        .map_err(|e| anyhow!("cannot write the lock file {}: {e}", shown(&path)))?;
    for line in &made.missing_proofs {
        ui::warn(&format!(
            "{} holds no checksum database proof for {line}; it holds go.dev's SHA-256 only",
            shown(&path)
        ));
    }
    let names: Vec<String> = platforms.iter().map(|p| p.to_string()).collect();
    ui::note(&format!(
        "locked {release} for {} in {} ({})",
        names.join(", "),
        ui::tilde(&path),
        lock::digest(&bytes)
    ));
    Ok(ExitCode::SUCCESS)
}

fn run_check(
    ctx: &Context,
    args: &LockArgs,
    r: &resolve::Resolution,
    cwd: &std::path::Path,
    platforms: Vec<Platform>,
) -> Result<ExitCode> {
    let Some(path) = lock::find(r, cwd) else {
        // Where `gopin lock` would write it, for the message.
        let want = lock::write_path(r, cwd)?;
        bail!(
            "there is no lock here ({} does not exist): run `gopin lock`, and commit the file",
            shown(&want)
        );
    };
    let found = Found::read(&path)?
        .ok_or_else(|| anyhow!("the lock file {} vanished while it was read", shown(&path)))?;
    let request = r
        .request
        .ok_or_else(|| anyhow!(resolve::nothing_selected(cwd)))?;
    let opts = check::Options {
        offline: args.offline,
        require_proof: args.require_proof,
        platforms,
    };
    let report = check::check(&ctx.config, &found, &request, &r.source_label(), &opts)?;
    for w in &report.warnings {
        ui::warn(&format!("{}: {w}", found.label()));
    }
    if !report.problems.is_empty() {
        bail!(
            "{} does not match: {}",
            found.label(),
            report.problems.join("; ")
        );
    }
    ui::note(&format!(
        "{} matches: {} on {} platforms{}",
        found.label(),
        found.lock.release,
        found.lock.platforms.len(),
        if args.offline {
            ", by its recorded proofs alone"
        } else {
            ""
        }
    ));
    Ok(ExitCode::SUCCESS)
}
