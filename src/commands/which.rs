use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Context;
use crate::activate::Activation;
use crate::cli::WhichArgs;
use crate::platform::Platform;

pub fn run(ctx: &Context, args: WhichArgs) -> Result<ExitCode> {
    let tool = &args.tool;
    if tool.is_empty() || tool.contains('/') || tool == "." || tool == ".." {
        bail!(
            "'{}' is not a tool name: give a name such as go or gofmt",
            crate::ui::shown_bytes(tool.as_bytes())
        );
    }
    let (installed, source) = ctx.choose(None, &Platform::host()?, false)?;
    // The directories the hook puts on PATH, in the same order.
    let activation = Activation::new(&ctx.config, &ctx.store, &installed, source.as_deref());
    for dir in &activation.path_front {
        let path = dir.join(tool);
        if path.is_file() {
            let mut out = std::io::stdout();
            out.write_all(path.as_os_str().as_encoded_bytes())?;
            out.write_all(b"\n")?;
            return Ok(ExitCode::SUCCESS);
        }
    }
    bail!(
        "{tool} is not in {}'s bin directory or its GOBIN: install it with `go install`",
        installed.version
    )
}
