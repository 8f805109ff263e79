//! gopin: a per-directory Go version manager.

mod activate;
mod buildinfo;
mod cli;
mod commands;
mod complete;
mod config;
mod doctor;
mod fetch;
mod goenv;
mod goproxy;
mod hook;
mod import;
mod index;
mod install;
mod platform;
mod record;
mod remote;
mod request;
mod resolve;
mod selection;
mod shell;
mod snapshot;
mod source;
mod store;
mod sumdb;
mod ui;
mod userfile;
mod version;

use std::process::ExitCode;

use clap::Parser as _;

/// Exit status for a usage error (a bad flag, a malformed version spec), as clap uses.
const USAGE: u8 = 2;

fn main() -> ExitCode {
    // Like any Unix filter: `gopin ls-remote | head` ends quietly when the reader goes away,
    // rather than report a broken pipe (Rust ignores SIGPIPE by default).
    // SAFETY: setting a signal's disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Started as `go` or `gofmt` (a link from `gopin shims`): be that tool, before any
    // argument parsing, since the arguments are the tool's.
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_default();
    if let Some(tool) = commands::proxy::invoked_as(&arg0) {
        let e = commands::proxy::run(&arg0, tool, args);
        eprintln!("{} {}", ui::paint("gopin: error:", "31"), describe(&e));
        return ExitCode::FAILURE;
    }
    // A shell asking for completions (see `gopin completions`): answer and exit.
    clap_complete::CompleteEnv::with_factory(<cli::Cli as clap::CommandFactory>::command)
        .var(complete::ENV_VAR)
        .complete();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    ui::set_level(match (cli.quiet, cli.verbose) {
        (true, _) => -1,
        (_, true) => 1,
        _ => 0,
    });
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{} {}", ui::paint("gopin: error:", "31"), describe(&e));
            // A version spec the user typed that is not one is a usage error.
            if e.downcast_ref::<version::ParseVersionError>().is_some() {
                ExitCode::from(USAGE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// clap's own report, with one hint it cannot give: `gopin exec go version` needs `--`.
fn usage_error(e: clap::Error) -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let is_exec =
        args.iter().find(|a| !a.to_string_lossy().starts_with('-')) == Some(&"exec".into());
    let has_dashes = args.iter().any(|a| a == "--");
    if is_exec && !has_dashes && e.kind() != clap::error::ErrorKind::DisplayHelp {
        eprintln!(
            "gopin: error: put `--` before the command to run: gopin exec [SPEC] -- CMD [ARGS...] (for example: gopin exec -- go version)"
        );
        return ExitCode::from(USAGE);
    }
    e.exit()
}

/// The error as one line: the outermost message, then causes that add information.
fn describe(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !msg.contains(&cause) {
            msg = format!("{msg}: {cause}");
        }
    }
    msg
}
