//! One module per subcommand. Each is a thin layer: parse its arguments into the types of the
//! core modules, call them, and print.

mod audit;
mod completions;
mod current;
mod doctor;
mod env;
mod exec;
mod export;
mod import;
mod init;
mod install;
mod ls;
mod ls_remote;
pub(crate) mod man;
mod outdated;
mod shell_override;
pub mod shim;
mod shims;
mod uninstall;
mod use_;
mod which;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, anyhow};

use crate::activate::{self, Activation};
use crate::cli::{Command, PlatformArgs};
use crate::config::Config;
use crate::hook::{self, HookState};
use crate::install::install_request;
use crate::platform::Platform;
use crate::request::Request;
use crate::resolve::{self, Resolution};
use crate::store::{Installed, Store};
use crate::ui;
use crate::version::VersionSpec;

/// What a command acts on: an installed Go (and the file that selected it), or `system`
/// (and the file that pins it).
pub enum Chosen {
    Go(Installed, Option<PathBuf>),
    System(PathBuf),
}

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

    /// The working directory as `go` sees it: `$PWD` when it names this directory (the
    /// logical path, through symlinks: a go.work above a symlinked module counts, as it does
    /// for `go`), else the physical one; when it has been deleted under the shell, `$PWD`.
    pub fn cwd() -> PathBuf {
        use std::os::unix::fs::MetadataExt;
        let pwd = std::env::var_os("PWD")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute());
        let physical = std::env::current_dir().ok();
        let same = |p: &PathBuf| match (std::fs::metadata(p), std::fs::metadata(".")) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        };
        match (pwd, physical) {
            (Some(pwd), _) if same(&pwd) => pwd,
            (_, Some(physical)) => physical,
            (Some(pwd), None) => pwd,
            (None, None) => PathBuf::from("/"),
        }
    }

    /// Which Go the current directory selects for `platform` (see `resolve`).
    pub fn resolve_here(&self, platform: &Platform) -> Result<Resolution> {
        Ok(resolve::resolve(
            &self.store,
            platform,
            &Self::cwd(),
            &|name: &str| std::env::var_os(name),
        )?)
    }

    /// What `env` and `exec` apply: the activation for `installed`, and the PATH it gives
    /// this process, with gopin's earlier entries (the hook's record, anything inside the
    /// store) taken out first.
    pub fn environment(
        &self,
        installed: &Installed,
        source: Option<&Path>,
    ) -> (Activation, OsString) {
        let activation = Activation::new(&self.config, &self.store, installed, source);
        let path = std::env::var_os("PATH");
        let state = HookState::parse(std::env::var_os(hook::STATE_VAR).as_deref());
        let added: Vec<PathBuf> = state.added.iter().map(|v| PathBuf::from(&v.0)).collect();
        let ours = activate::gopin_path_entries(path.as_deref(), &self.store, &added);
        let new_path = activation.path_with(path.as_deref(), &ours);
        (activation, new_path)
    }

    /// What `env` and `exec` apply where a file pins `system`: nothing of gopin's, and
    /// PATH without gopin's entries.
    pub fn system_environment(&self) -> (Activation, OsString) {
        let env = |name: &str| std::env::var_os(name);
        let activation = Activation::system(&self.store, &env);
        let path = std::env::var_os("PATH");
        let state = HookState::parse(std::env::var_os(hook::STATE_VAR).as_deref());
        let added: Vec<PathBuf> = state.added.iter().map(|v| PathBuf::from(&v.0)).collect();
        let ours = activate::gopin_path_entries(path.as_deref(), &self.store, &added);
        let new_path = activation.path_with(path.as_deref(), &ours);
        (activation, new_path)
    }

    /// The installed version a command acts on: `spec` if given, else the directory's
    /// selection. With `install`, a missing version is installed first. A directory that
    /// pins `system` is an error here: see [`Context::choose_or_system`].
    pub fn choose(
        &self,
        spec: Option<&str>,
        platform: &Platform,
        install: bool,
    ) -> Result<(Installed, Option<PathBuf>)> {
        match self.choose_or_system(spec, platform, install)? {
            Chosen::Go(installed, source) => Ok((installed, source)),
            Chosen::System(file) => Err(anyhow!(
                "{} pins system (the Go already on PATH), which gopin does not manage: use `go env GOROOT`, or name a version",
                ui::tilde(&file)
            )),
        }
    }

    /// As [`Context::choose`], with `system` as an answer of its own.
    pub fn choose_or_system(
        &self,
        spec: Option<&str>,
        platform: &Platform,
        install: bool,
    ) -> Result<Chosen> {
        let (request, source) = match spec {
            Some(raw) => (Request::spec(raw.parse::<VersionSpec>()?), None),
            None => {
                let r = self.resolve_here(platform)?;
                if let Some(file) = r.system() {
                    return Ok(Chosen::System(file.to_path_buf()));
                }
                if let Some(note) = r.override_note() {
                    ui::note(&format!("gopin: {note}"));
                }
                let source = r.source().map(Path::to_path_buf);
                if let Some(installed) = r.installed.clone() {
                    return usable(installed, source);
                }
                let Some(request) = r.request else {
                    return Err(anyhow!(
                        "no Go version is selected for {}: pin one with `gopin use 1.22`, or name one",
                        ui::shown(&Self::cwd())
                    ));
                };
                if !install {
                    let hint = r.missing_hint().unwrap_or_default();
                    return Err(anyhow!("{hint} (or pass --install)"));
                }
                (request, source)
            }
        };
        let found = if install {
            install_request(&self.config, &self.store, &request, platform, false)?
                .installed()
                .clone()
        } else {
            self.store.find(platform, &request)?.ok_or_else(|| anyhow!(
                "no installed Go matches {request} for {platform}: run `gopin install {request}`, or pass --install"
            ))?
        };
        usable(found, source)
    }
}

/// `installed`, unless it is a linked tree that now holds another release.
fn usable(installed: Installed, source: Option<PathBuf>) -> Result<Chosen> {
    match installed.link_problem() {
        Some(problem) => Err(anyhow!(problem)),
        None => Ok(Chosen::Go(installed, source)),
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
        Command::Outdated(args) => outdated::outdated(&ctx, args),
        Command::Upgrade(args) => outdated::upgrade(&ctx, args),
        Command::Prune(args) => outdated::prune(&ctx, args),
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
