//! gopin: a per-directory Go version manager.

mod activate;
mod cli;
mod commands;
mod config;
mod doctor;
mod fetch;
mod goenv;
mod goproxy;
mod hook;
mod index;
mod install;
mod platform;
mod record;
mod remote;
mod selection;
mod shell;
mod store;
mod sumdb;
mod ui;
mod userfile;
mod version;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    ui::set_level(match (cli.quiet, cli.verbose) {
        (true, _) => -1,
        (_, true) => 1,
        _ => 0,
    });
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{} {}", ui::paint("gopin: error:", "31"), describe(&e));
            ExitCode::FAILURE
        }
    }
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
