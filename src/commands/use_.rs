use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::Context;
use crate::activate;
use crate::cli::UseArgs;
use crate::install::{Outcome, install_request};
use crate::platform::Platform;
use crate::selection::{self, Request};
use crate::ui;
use crate::ui::tilde;
use crate::version::VersionSpec;

pub fn run(ctx: &Context, args: UseArgs) -> Result<ExitCode> {
    let spec: VersionSpec = args.spec.parse()?;
    let platform = Platform::host()?;
    let outcome = install_request(
        &ctx.config,
        &ctx.store,
        &Request::Spec(spec),
        &platform,
        false,
    )?;
    if let Outcome::Installed(i) = &outcome {
        ui::note(&format!("installed {} ({})", i.version, i.platform));
    }
    let file = if args.global {
        activate::default_file(&ctx.store)
    } else {
        Context::cwd().join(".go-version")
    };
    // What the user typed, without a leading `go`/`v`: `1.22` stays a prefix.
    let text = spec.to_string();
    let text = text.strip_prefix("go").unwrap_or(&text);
    write_atomically(&file, &format!("{text}\n"))?;
    let version = outcome.installed().version;
    ui::note(&format!("pinned {text} ({version}) in {}", tilde(&file)));
    if args.global
        && let Ok(Some(pin)) = selection::select(&Context::cwd(), &file)
        && pin.source != file
    {
        ui::note(&format!(
            "note: this directory is pinned by {}, which takes precedence over the default",
            tilde(&pin.source)
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Replaces `path` whole or not at all, so a shell hook never reads half a file.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().expect("version files live in a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let fail = || format!("cannot write {}", path.display());
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(fail)?;
    tmp.write_all(text.as_bytes()).with_context(fail)?;
    tmp.persist(path).map_err(|e| e.error).with_context(fail)?;
    Ok(())
}
