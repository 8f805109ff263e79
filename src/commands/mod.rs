//! One module per subcommand. Each is a thin layer: parse its arguments into the types of the
//! core modules, call them, and print.

mod audit;
mod current;
mod doctor;
mod env;
mod exec;
mod init;
mod install;
mod ls;
mod ls_remote;
mod uninstall;
mod use_;
mod which;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, anyhow};

use crate::activate::{self, Activation, Resolved};
use crate::cli::{Command, PlatformArgs};
use crate::config::Config;
use crate::hook::{self, HookState};
use crate::install::install_request;
use crate::platform::Platform;
use crate::selection::Request;
use crate::store::{Installed, Store};
use crate::version::VersionSpec;

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

    /// The working directory; when it has been deleted under the shell, `$PWD` as a string.
    pub fn cwd() -> PathBuf {
        std::env::current_dir()
            .or_else(|_| std::env::var("PWD").map(PathBuf::from))
            .unwrap_or_else(|_| PathBuf::from("/"))
    }

    /// What `env` and `exec` apply: the activation for `installed`, and the PATH it gives
    /// this process, with gopin's earlier entries (the hook's record, anything inside the
    /// store) taken out first.
    pub fn environment(
        &self,
        installed: &Installed,
        source: Option<&Path>,
    ) -> (Activation, String) {
        let activation = Activation::new(&self.config, &self.store, installed, source);
        let path = std::env::var("PATH").unwrap_or_default();
        let state = HookState::parse(std::env::var(hook::STATE_VAR).ok().as_deref());
        let ours = activate::gopin_path_entries(&path, &self.store, &state.added);
        let new_path = activation.path_with(&path, &ours);
        (activation, new_path)
    }

    /// The installed version a command acts on: `spec` if given, else the directory's
    /// selection. With `install`, a missing version is installed first.
    pub fn choose(
        &self,
        spec: Option<&str>,
        platform: &Platform,
        install: bool,
    ) -> Result<(Installed, Option<PathBuf>)> {
        let (request, source) = match spec {
            Some(raw) => (Request::Spec(raw.parse::<VersionSpec>()?), None),
            None => {
                let cwd = Self::cwd();
                match activate::resolve_dir(&self.store, platform, &cwd)? {
                    Resolved::Ready(pin, installed) => return Ok((installed, Some(pin.source))),
                    Resolved::Nothing => {
                        return Err(anyhow!(
                            "no Go version is selected for {}: pin one with `gopin use 1.22`, or name one",
                            cwd.display()
                        ));
                    }
                    Resolved::Missing(pin) if !install => {
                        return Err(anyhow!(
                            "{} (or pass --install)",
                            activate::missing_hint(&pin)
                        ));
                    }
                    Resolved::Missing(pin) => (pin.request, Some(pin.source)),
                }
            }
        };
        if install {
            let outcome = install_request(&self.config, &self.store, &request, platform, false)?;
            return Ok((outcome.installed().clone(), source));
        }
        match activate::find_installed(&self.store, platform, &request)? {
            Some(found) => Ok((found, source)),
            None => Err(anyhow!(
                "no installed Go matches {request} for {platform}: run `gopin install {request}`, or pass --install"
            )),
        }
    }
}

pub fn run(command: Command) -> Result<ExitCode> {
    let ctx = Context::load()?;
    match command {
        Command::Install(args) => install::run(&ctx, args),
        Command::Uninstall(args) => uninstall::run(&ctx, args),
        Command::Ls(args) => ls::run(&ctx, args),
        Command::LsRemote(args) => ls_remote::run(&ctx, args),
        Command::Use(args) => use_::run(&ctx, args),
        Command::Current(args) => current::run(&ctx, args),
        Command::Which(args) => which::run(&ctx, args),
        Command::Env(args) => env::run(&ctx, args),
        Command::Exec(args) => exec::run(&ctx, args),
        Command::Doctor(args) => doctor::run(&ctx, args),
        Command::Init(args) => init::run(&ctx, args),
        Command::Audit(args) => audit::run(&ctx, args),
        Command::HookEnv(args) => init::hook_env(&ctx, args),
        Command::Completions(args) => {
            let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut cmd, "gopin", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
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
