//! One module per subcommand. Each is a thin layer: parse its arguments into the types of the
//! core modules, call them, and print.

mod audit;
mod completions;
mod current;
mod doctor;
mod du;
mod env;
mod exec;
mod export;
mod import;
mod init;
mod install;
mod lock;
mod ls;
mod ls_remote;
pub(crate) mod man;
mod outdated;
mod shell_override;
pub mod shim;
mod shims;
mod tools;
mod uninstall;
mod use_;
mod which;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Command, PlatformArgs};
use crate::config::Config;
use crate::platform::Platform;
use crate::store::Store;
use crate::ui;

/// What every command needs: settings and the store.
pub struct Context {
    pub config: Config,
    pub store: Store,
}

impl Context {
    pub fn load() -> Result<Context> {
        let config = Config::load()?;
        // Every https client this process makes trusts these roots too (docs/security.md,
        // "What is trusted for https"); the settings stay below the network code that uses them.
        crate::net::trust::configure(config.settings.ca_file.clone());
        let store =
            Store::new(&config.home).with_system_stores(config.settings.system_stores.clone());
        // Tools of a store from an earlier gopin move out of the version directories (one
        // `stat` once done).
        crate::gobins::migrate(&store);
        Ok(Context { config, store })
    }
}

/// Remembers that the pin file `file` selects `version` (see `projects`), so `prune` keeps it;
/// a failure only costs that, and is said with `--verbose`.
fn remember_project(ctx: &Context, file: &std::path::Path, version: &crate::version::GoVersion) {
    let path = crate::projects::file(&crate::config::state_dir(&ctx.config.home));
    if file.is_absolute()
        && let Err(e) = crate::projects::remember(&path, file, version, true)
    {
        ui::verbose(&format!("cannot write {}: {e}", ui::shown(&path)));
    }
}

/// After `use` and `install` typed at a terminal in a shell without the hook (`_GOPIN_HOOK`
/// unset): the one line to add and where, since `go` there follows no pin.
fn note_when_no_hook() {
    if std::env::var_os("_GOPIN_HOOK").is_some() || !ui::stderr_is_tty() {
        return;
    }
    ui::note(&format!("note: {}", no_hook_advice()));
}

/// "this shell has no gopin hook …: add `LINE` to RC_FILE …", for the calling shell.
fn no_hook_advice() -> String {
    let shell = crate::shell::Shell::calling();
    format!(
        "this shell has no gopin hook, so `go` here follows no pin: add `{}` to {} and open a new shell (or run that line now); scripts and IDEs: `gopin exec -- go …` or `gopin shims`",
        shell.init_line(),
        shell.rc_file(&|name: &str| std::env::var_os(name))
    )
}

pub fn run(command: Command) -> Result<ExitCode> {
    // These two run in every shell at start-up and before prompts: a broken config must not
    // stop them (the hook reports it once instead).
    match command {
        Command::Init(args) => return init::run(args),
        Command::HookEnv(args) => return init::hook_env(args),
        Command::Completions(args) => return completions::run(args),
        Command::Man => return man::run(),
        _ => {}
    }
    let ctx = Context::load()?;
    match command {
        Command::Install(args) => install::run(&ctx, args).inspect(|_| note_when_no_hook()),
        Command::Uninstall(args) => uninstall::run(&ctx, args),
        Command::Ls(args) => ls::run(&ctx, args),
        Command::LsRemote(args) => ls_remote::run(&ctx, args),
        Command::Use(args) => use_::run(&ctx, args).inspect(|_| note_when_no_hook()),
        Command::ShellOverride(args) => shell_override::run(&ctx, args),
        Command::Current(args) => current::run(&ctx, args),
        Command::Which(args) => which::run(&ctx, args),
        Command::Env(args) => env::run(&ctx, args),
        Command::Exec(args) => exec::run(&ctx, args),
        Command::Export(args) => export::run(&ctx, args),
        Command::Import(args) => import::run(&ctx, args),
        Command::Doctor(args) => doctor::run(&ctx, args),
        Command::Audit(args) => audit::run(&ctx, args),
        Command::Lock(args) => lock::run(&ctx, args),
        Command::Outdated(args) => outdated::outdated(&ctx, args),
        Command::Upgrade(args) => outdated::upgrade(&ctx, args),
        Command::Prune(args) => outdated::prune(&ctx, args),
        Command::Tools(args) => tools::run(&ctx, args),
        Command::Du(args) => du::run(&ctx, args),
        Command::Shims => shims::run(&ctx),
        Command::Init(_) | Command::HookEnv(_) | Command::Completions(_) | Command::Man => {
            unreachable!("handled above")
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
