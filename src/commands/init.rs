use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use anyhow::{Context as _, Result};

use super::Context;
use crate::choose;
use crate::cli::{HookEnvArgs, InitArgs};
use crate::config;
use crate::hook::{self, Decision, HookState, Target};
use crate::platform::Platform;
use crate::request::Request;
use crate::resolve;
use crate::shell::{Script, Shell};
use crate::store::Store;
use crate::ui;

/// How long the hook may take to decide before it gives up, so the prompt always returns
/// (a file on a hung network mount, say). An `auto_install` download is not counted: it has
/// its own network timeouts.
const HOOK_DEADLINE: Duration = Duration::from_secs(5);

pub fn run(args: InitArgs) -> Result<ExitCode> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .context("cannot find the path of the gopin binary")?;
    let stamps = hook::stamp_dir();
    hook::prune_stamps(&stamps);
    std::io::stdout().write_all(&args.shell.init_script(&exe, &stamps))?;
    Ok(ExitCode::SUCCESS)
}

/// The hook's worker: print what changed for the shell to eval.
pub fn hook_env(args: HookEnvArgs) -> Result<ExitCode> {
    let cwd = resolve::cwd();
    let watchdog = Watchdog::arm(args.shell, cwd.clone());
    let env = |name: &str| std::env::var_os(name);
    let state = HookState::parse(env(hook::STATE_VAR).as_deref());
    let (store, mut decision) = match Context::load() {
        Ok(ctx) => {
            let decision = decide(&ctx, &cwd, &watchdog);
            (ctx.store, decision)
        }
        Err(e) => {
            // Where the store is, gopin steps aside behind the guard (docs/shell.md).
            let store = config::store_root().ok().map(Store::new);
            let decision = Decision::stepped_aside(e, store.as_ref(), &cwd, &env);
            (store.unwrap_or_else(|| Store::new("")), decision)
        }
    };
    if let Target::Active(a) = &decision.target
        && a.is_guard(&store)
        && let Err(e) = super::shims::guard(&store)
    {
        // Without its guard the shell keeps the user's own environment, as before.
        decision.messages.push(format!("{e:#}"));
        decision.target = Target::Inactive;
    }
    let script = hook::render(args.shell, &store, &state, &decision, &cwd, &env);
    if !watchdog.finish() {
        // The watchdog is answering the shell and ends the process.
        loop {
            std::thread::park();
        }
    }
    if decision.messages_digest() != args.shown.unwrap_or_default() {
        for message in &decision.messages {
            eprintln!("gopin: {}", crate::ui::redacted(message));
        }
    }
    std::io::stdout().write_all(&script.into_bytes())?;
    if let Some(stamp) = &args.stamp
        && let Err(e) = hook::touch_stamp(stamp)
    {
        ui::verbose(&format!("cannot write {}: {e}", ui::shown(stamp)));
    }
    Ok(ExitCode::SUCCESS)
}

fn decide(ctx: &Context, cwd: &Path, watchdog: &Watchdog) -> Decision {
    let platform = match Platform::host() {
        Ok(p) => p,
        Err(e) => {
            let env = |name: &str| std::env::var_os(name);
            return Decision::stepped_aside(e.into(), Some(&ctx.store), cwd, &env);
        }
    };
    let install_missing = |request: &Request, source: &Path| -> Result<()> {
        watchdog.pause();
        let outcome = choose::auto_install(
            &ctx.config,
            &ctx.store,
            request,
            &platform,
            &ui::tilde(source),
        );
        watchdog.resume();
        Ok(outcome?)
    };
    let env = |name: &str| std::env::var_os(name);
    hook::decide(
        &ctx.config,
        &ctx.store,
        &platform,
        cwd,
        &env,
        &install_missing,
    )
}

/// Answers the shell itself if deciding takes longer than [`HOOK_DEADLINE`]: one line on
/// stderr, and only the bookkeeping that keeps the hook from trying again before the
/// directory changes.
struct Watchdog {
    state: Arc<AtomicU8>,
}

const RUNNING: u8 = 0;
const PAUSED: u8 = 1;
const DONE: u8 = 2;
const FIRED: u8 = 3;

impl Watchdog {
    fn arm(shell: Shell, cwd: PathBuf) -> Watchdog {
        let state = Arc::new(AtomicU8::new(RUNNING));
        let watched = Arc::clone(&state);
        std::thread::spawn(move || {
            let step = Duration::from_millis(100);
            let mut waited = Duration::ZERO;
            loop {
                std::thread::sleep(step);
                match watched.load(Ordering::SeqCst) {
                    DONE => return,
                    PAUSED => continue,
                    _ => waited += step,
                }
                if waited >= HOOK_DEADLINE
                    && watched
                        .compare_exchange(RUNNING, FIRED, Ordering::SeqCst, Ordering::SeqCst)
                        .is_ok()
                {
                    give_up(shell, &cwd);
                }
            }
        });
        Watchdog { state }
    }

    fn pause(&self) {
        let _ = self
            .state
            .compare_exchange(RUNNING, PAUSED, Ordering::SeqCst, Ordering::SeqCst);
    }

    fn resume(&self) {
        let _ = self
            .state
            .compare_exchange(PAUSED, RUNNING, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Claims the answer for the main thread; false if the watchdog has given it already.
    fn finish(&self) -> bool {
        self.state.swap(DONE, Ordering::SeqCst) != FIRED
    }
}

fn give_up(shell: Shell, cwd: &Path) -> ! {
    eprintln!(
        "gopin: gave up after {} s deciding the Go for {} (a file it reads did not answer); the environment is unchanged",
        HOOK_DEADLINE.as_secs(),
        ui::shown(cwd)
    );
    let mut script = Script::new(shell);
    script.export("_GOPIN_PWD", cwd.as_os_str());
    script.set_shell_list("_GOPIN_FILES", std::iter::empty::<&OsStr>());
    script.set_shell_list("_GOPIN_DIRS", std::iter::empty::<&OsStr>());
    script.set_shell_list("_GOPIN_ABSENT", std::iter::empty::<&OsStr>());
    script.set_shell_list("_GOPIN_PRESENT", std::iter::empty::<&OsStr>());
    let _ = std::io::stdout().write_all(&script.into_bytes());
    let _ = std::io::stdout().flush();
    std::process::exit(0)
}
