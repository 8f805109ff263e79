use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::Context;
use crate::cli::{HookEnvArgs, InitArgs};
use crate::hook::{self, HookState};
use crate::install::install_request;
use crate::platform::Platform;
use crate::selection::Pin;
use crate::ui;

/// Where each shell's stamp file lives: the per-login runtime dir when there is one (memory,
/// cleaned at logout), else the cache.
fn stamp_dir(ctx: &Context) -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|d| !d.is_empty())
        .map(|d| PathBuf::from(d).join("gopin"))
        .unwrap_or_else(|| ctx.config.cache_dir.join("stamps"))
}

pub fn run(ctx: &Context, args: InitArgs) -> Result<ExitCode> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .context("cannot find the path of the gopin binary")?;
    let stamps = stamp_dir(ctx);
    hook::prune_stamps(&stamps);
    print!("{}", args.shell.init_script(&exe, &stamps));
    Ok(ExitCode::SUCCESS)
}

pub fn hook_env(ctx: &Context, args: HookEnvArgs) -> Result<ExitCode> {
    let cwd = Context::cwd();
    let env = |name: &str| std::env::var(name).ok();
    let state = HookState::parse(env(hook::STATE_VAR).as_deref());
    let install_missing = |pin: &Pin, platform: &Platform| -> Result<()> {
        ui::note(&format!(
            "gopin: installing Go {} (pinned by {}; auto_install is on)",
            pin.request,
            pin.source.display()
        ));
        install_request(&ctx.config, &ctx.store, &pin.request, platform, false)?;
        Ok(())
    };
    let decision = hook::decide(&ctx.config, &ctx.store, &cwd, &install_missing);
    if decision.key != state.key
        && let Some(message) = &decision.message
    {
        eprintln!("gopin: {message}");
    }
    let script = hook::render(args.shell, &state, &decision, &cwd, &env);
    print!("{}", script.into_string());
    if let Some(stamp) = &args.stamp
        && let Err(e) = hook::touch_stamp(stamp)
    {
        ui::verbose(&format!("cannot write {}: {e}", stamp.display()));
    }
    Ok(ExitCode::SUCCESS)
}
