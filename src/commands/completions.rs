use std::process::ExitCode;

use anyhow::Result;

use crate::cli::CompletionsArgs;
use crate::complete;

/// Prints the code that registers gopin's completions in the shell. It calls this binary by
/// its absolute path (as the init script does), or by name if that path is not UTF-8.
pub fn run(args: CompletionsArgs) -> Result<ExitCode> {
    let exe = std::env::current_exe().and_then(|p| p.canonicalize()).ok();
    let completer = exe
        .as_deref()
        .and_then(|p| p.to_str())
        .unwrap_or("gopin")
        .to_string();
    complete::write_registration(&args.shell.to_string(), &completer, &mut std::io::stdout())?;
    Ok(ExitCode::SUCCESS)
}
