//! One module per subcommand. Each is a thin layer: parse its arguments into the types of the
//! core modules, call them, and print.

mod install;
mod ls;
mod ls_remote;
mod uninstall;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Command, PlatformArgs};
use crate::config::Config;
use crate::platform::Platform;
use crate::store::Store;

/// What every command needs: settings and the store.
pub struct Context {
    pub config: Config,
    pub store: Store,
}

impl Context {
    pub fn load() -> Result<Context> {
        let config = Config::load()?;
        let store = Store::new(&config.home);
        Ok(Context { config, store })
    }
}

pub fn run(command: Command) -> Result<ExitCode> {
    let ctx = Context::load()?;
    match command {
        Command::Install(args) => install::run(&ctx, args),
        Command::Uninstall(args) => uninstall::run(&ctx, args),
        Command::Ls(args) => ls::run(&ctx, args),
        Command::LsRemote(args) => ls_remote::run(&ctx, args),
    }
}

impl PlatformArgs {
    /// The platform asked for, each part defaulting to the host's.
    pub fn resolve(&self) -> Result<Platform> {
        let host = Platform::host()?;
        Ok(Platform::new(
            self.os.as_deref().unwrap_or(&host.os),
            self.arch.as_deref().unwrap_or(&host.arch),
        )?)
    }
}

/// Prints a value as pretty JSON on stdout.
fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("values serialise")
    );
}
