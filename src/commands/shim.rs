//! `go` and `gofmt` where no shell hook runs (IDEs, Makefiles, git hooks, cron): gopin started
//! under one of those names (a link that `gopin shims` makes) resolves the current directory
//! exactly as the hook does, applies the environment the hook would export, and replaces
//! itself with the real tool, so its exit status and signals are the tool's own.
//!
//! It runs on every `go` call an IDE makes, so it does only what the answer needs: no clap,
//! no network, no listing of the store for an exact pin (see `Store::find`). A selection that
//! is missing or broken is one line on stderr and exit status 1, never another `go`.

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use anyhow::{Result, anyhow};

use super::Context;
use crate::activate::Activation;
use crate::choose;
use crate::platform::Platform;
use crate::resolve;
use crate::ui;
use crate::version::GoVersion;

/// The tools `gopin shims` links to gopin, and the names gopin answers to as a proxy.
pub const TOOLS: [&str; 2] = ["go", "gofmt"];

/// The pid of the proxy that last exec'd a tool, handed on to it: a proxy started again in the
/// same process has been exec'd back by its own target.
const PROXY_PID: &str = "_GOPIN_PROXY_PID";

/// How many proxies run below one another in this process tree, handed on to each tool a
/// proxy starts: a target that runs the proxy again as a child (a wrapper without `exec`)
/// would otherwise start it again for ever, a new process each time, which the pid check
/// cannot see. A tool may start the proxy once more (a `go generate` step running `go` by
/// the proxy's path); the proxy a second re-entry would start refuses.
const PROXY_DEPTH: &str = "_GOPIN_PROXY_DEPTH";
/// Proxies allowed below one another: the first, and one re-entry.
const MAX_DEPTH: u32 = 2;

/// The tool gopin was started as, when the file name of `argv[0]` is one of [`TOOLS`].
pub fn invoked_as(arg0: &OsStr) -> Option<&'static str> {
    let name = Path::new(arg0).file_name()?;
    TOOLS.into_iter().find(|tool| name == OsStr::new(tool))
}

/// Runs `tool` (started as `arg0`) with `args` for the current directory. Returns only when
/// the tool cannot be started, with the reason.
pub fn run(arg0: &OsStr, tool: &str, args: impl Iterator<Item = OsString>) -> anyhow::Error {
    match command(arg0, tool) {
        Ok((mut cmd, version)) => {
            let target = ui::shown(Path::new(cmd.get_program()));
            let err = cmd.args(args).exec();
            if err.raw_os_error() == Some(libc::E2BIG) {
                return anyhow!(
                    "the arguments and environment are too long to start {target} ({err}): pass fewer or shorter arguments"
                );
            }
            let what = match err.kind() {
                io::ErrorKind::NotFound => format!("{target} is missing"),
                io::ErrorKind::PermissionDenied => format!("{target} is not executable"),
                _ => format!("{target} cannot run ({err})"),
            };
            anyhow!(
                "{what}, so {version} has no working {tool}: reinstall it with `gopin install --force {version}`"
            )
        }
        Err(e) => e,
    }
}

/// The real `tool` of the directory's selection, with the hook's environment, and the
/// version it belongs to.
fn command(arg0: &OsStr, tool: &str) -> Result<(Command, GoVersion)> {
    let ctx = Context::load()?;
    let platform = Platform::host()?;
    let mut r = resolve::for_cwd(&ctx.store, &platform)?;
    if let Some(file) = r.system() {
        return Err(anyhow!(
            "{} pins system, so gopin has no {tool} to run here: put the system Go's bin directory before gopin's shims on PATH, or pin a version with `gopin use 1.22`",
            ui::tilde(file)
        ));
    }
    // Run as the hook's guard (its directory leads PATH: the shell's hook put it there for
    // this directory), `auto_install` applies as it does to the hook; the proxies an IDE runs
    // never download (docs/ide.md).
    if let (Some(request), None) = (&r.request, &r.installed)
        && ctx.config.settings.auto_install
        && started_by_guard(&ctx)
    {
        choose::auto_install(
            &ctx.config,
            &ctx.store,
            request,
            &platform,
            &r.source_label(),
        )
        .map_err(|e| anyhow!("{e:#}"))?;
        r = resolve::for_cwd(&ctx.store, &platform)?;
    }
    let Some(installed) = &r.installed else {
        return Err(anyhow!(
            r.missing_hint()
                .unwrap_or_else(|| resolve::nothing_selected(&resolve::cwd()))
        ));
    };
    let version = installed.version;
    if let Some(problem) = installed.link_problem() {
        return Err(anyhow!(problem));
    }
    let target = installed.goroot().join("bin").join(tool);
    // exec gives argv[0] the target's path: seeing it here means the target is this binary
    // (a link to a proxy, or a copy of gopin), which would run itself forever.
    if Path::new(arg0) == target {
        return Err(anyhow!(
            "{} is gopin itself, not {version}'s {tool}: reinstall {version} with `gopin install --force {version}`",
            ui::shown(&target),
        ));
    }
    // The same check for a target that execs the proxy again without starting a new process
    // (a wrapper script in the store): the pid the proxy handed on is still this one.
    let pid = std::process::id().to_string();
    if std::env::var_os(PROXY_PID).is_some_and(|p| p == *pid) {
        return Err(anyhow!(
            "{} started the {tool} proxy again instead of running Go, so it is not {version}'s real {tool}: reinstall {version} with `gopin install --force {version}`",
            ui::shown(&target),
        ));
    }
    // And for one that runs the proxy again as a child: count the proxies above this one.
    let depth = std::env::var(PROXY_DEPTH)
        .ok()
        .and_then(|d| d.parse::<u32>().ok())
        .unwrap_or(0);
    if depth >= MAX_DEPTH {
        return Err(anyhow!(
            "the {tool} proxy was started again by the {tool} it ran, {depth} deep ({PROXY_DEPTH}={depth}): {} runs the proxy instead of being Go (a wrapper that calls `{tool}` without exec?), so it is not {version}'s real {tool}: reinstall {version} with `gopin install --force {version}`",
            ui::shown(&target),
        ));
    }
    let (activation, path) = choose::environment(&ctx.config, &ctx.store, installed, r.source());
    let mut cmd = command_with(target.as_os_str(), &activation, &path);
    cmd.env(PROXY_PID, pid);
    cmd.env(PROXY_DEPTH, (depth + 1).to_string());
    Ok((cmd, version))
}

/// Whether the guard's directory leads PATH, as the hook leaves it while it guards.
fn started_by_guard(ctx: &Context) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let first = path.as_encoded_bytes().split(|&b| b == b':').next();
    first == Some(ctx.store.guard_dir().as_os_str().as_encoded_bytes())
}

/// A command for `program` with `activation`'s variables set (or removed) and `path` as
/// PATH, which is also where the program itself is looked up when it is a bare name.
pub(super) fn command_with(program: &OsStr, activation: &Activation, path: &OsStr) -> Command {
    let mut cmd = Command::new(program);
    for (name, value) in &activation.vars {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    cmd.env("PATH", path);
    cmd
}
