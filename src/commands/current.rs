use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use super::{Context, print_json};
use crate::activate::{self, Resolved};
use crate::cli::CurrentArgs;
use crate::platform::Platform;
use crate::ui::tilde;

pub fn run(ctx: &Context, args: CurrentArgs) -> Result<ExitCode> {
    let cwd = Context::cwd();
    let resolved = activate::resolve_dir(&ctx.store, &Platform::host()?, &cwd)?;
    let (json, line, found) = match &resolved {
        Resolved::Nothing => (
            json!({"version": null, "source": null, "installed": false}),
            format!(
                "no Go version is selected for {}: pin one with `gopin use 1.22`",
                cwd.display()
            ),
            false,
        ),
        Resolved::Missing(pin) => (
            json!({
                "version": pin.request.exact().map(|v| v.to_string()),
                "request": pin.request.to_string(),
                "source": pin.source,
                "installed": false,
            }),
            format!(
                "{}\t{} (not installed — run: gopin install)",
                pin.request,
                tilde(&pin.source)
            ),
            true,
        ),
        Resolved::Ready(pin, installed) => (
            json!({
                "version": installed.version.to_string(),
                "request": pin.request.to_string(),
                "source": pin.source,
                "installed": true,
                "goroot": installed.goroot(),
            }),
            format!("{}\t{}", installed.version, tilde(&pin.source)),
            true,
        ),
    };
    if args.json {
        print_json(&json);
    } else if found {
        println!("{line}");
    } else {
        eprintln!("gopin: {line}");
    }
    Ok(if found {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
