use std::ffi::OsStr;
use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Context;
use crate::cli::ShellArgs;
use crate::install::install_request;
use crate::platform::Platform;
use crate::request::Request;
use crate::resolve::SHELL_VAR;
use crate::shell::Script;
use crate::ui;
use crate::version::VersionSpec;

/// `gopin shell SPEC`: prints `GOPIN_SHELL_VERSION=<exact release>` for the init script's
/// `gopin` function to eval; the hook then picks it over every file in this shell.
pub fn run(ctx: &Context, args: ShellArgs) -> Result<ExitCode> {
    let Some(shell) = args.eval else {
        let version = args.spec.as_deref().unwrap_or("1.22.10");
        let set = match crate::shell::Shell::calling() {
            crate::shell::Shell::Fish => format!("set -gx {SHELL_VAR} {version}"),
            _ => format!("export {SHELL_VAR}={version}"),
        };
        bail!(
            "`gopin shell` changes this shell's own environment, which a program cannot do: it needs the `gopin` function that the hook defines, and {}; or set it yourself: {set}",
            super::no_hook_advice()
        );
    };
    let mut script = Script::new(shell);
    match args.spec.as_deref().filter(|_| !args.unset) {
        None => {
            script.unset(SHELL_VAR);
            ui::note("gopin shell: back to what the directory's files select");
        }
        Some(raw) => {
            let spec: VersionSpec = raw.parse()?;
            let outcome = install_request(
                &ctx.config,
                &ctx.store,
                &Request::spec(spec),
                &Platform::host()?,
                false,
            )?;
            let version = outcome.installed().version;
            let text = crate::pinfile::pin_text(&version);
            script.export(SHELL_VAR, OsStr::new(&text));
            ui::note(&format!(
                "gopin shell: {version} in this shell, over every pin (`gopin shell --unset` goes back)"
            ));
        }
    }
    std::io::stdout().write_all(&script.into_bytes())?;
    Ok(ExitCode::SUCCESS)
}
