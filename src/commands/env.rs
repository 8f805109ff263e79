use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};

use super::{Context, print_json};
use crate::activate::{self, Activation};
use crate::cli::EnvArgs;
use crate::hook::{self, HookState};
use crate::platform::Platform;
use crate::shell::{Script, Shell};

/// The activation and the PATH it gives, starting from this process's environment.
pub fn environment(
    ctx: &Context,
    installed: &crate::store::Installed,
    source: Option<&Path>,
) -> (Activation, String) {
    let activation = Activation::new(&ctx.config, &ctx.store, installed, source);
    let path = std::env::var("PATH").unwrap_or_default();
    let state = HookState::parse(std::env::var(hook::STATE_VAR).ok().as_deref());
    let ours = activate::gopin_path_entries(&path, &ctx.store, &state.added);
    let new_path = activation.path_with(&path, &ours);
    (activation, new_path)
}

pub fn run(ctx: &Context, args: EnvArgs) -> Result<ExitCode> {
    let platform = args.platform.resolve()?;
    if !args.json && Platform::host().is_ok_and(|h| h != platform) {
        bail!(
            "{platform} cannot run on this host, so its environment can only be described: use --json"
        );
    }
    let (installed, source) = ctx.choose(args.spec.as_deref(), &platform, false)?;
    let (activation, path) = environment(ctx, &installed, source.as_deref());
    if args.json {
        let mut map: BTreeMap<&str, Option<String>> = activation.vars.into_iter().collect();
        map.insert("PATH", Some(path));
        print_json(&map);
    } else if args.github {
        write_github(&activation)?;
    } else {
        let shell = args.shell.unwrap_or_else(shell_from_env);
        let mut script = Script::new(shell);
        for (name, value) in &activation.vars {
            script.set_or_unset(name, value.as_deref());
        }
        let entries: Vec<String> = path.split(':').map(str::to_string).collect();
        script.export_path(&entries);
        print!("{}", script.into_string());
    }
    Ok(ExitCode::SUCCESS)
}

/// The user's shell, from `$SHELL`; bash when it is none of the three.
fn shell_from_env() -> Shell {
    let shell = std::env::var("SHELL").unwrap_or_default();
    match Path::new(&shell).file_name().and_then(|n| n.to_str()) {
        Some("zsh") => Shell::Zsh,
        Some("fish") => Shell::Fish,
        _ => Shell::Bash,
    }
}

/// Appends to the files GitHub Actions reads between steps: `NAME=value` lines (heredoc form
/// for values with newlines) to `$GITHUB_ENV`, directories to `$GITHUB_PATH`.
fn write_github(activation: &Activation) -> Result<()> {
    let file = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                anyhow!("--github needs ${var}, which GitHub Actions sets in each step; outside Actions use --shell or --json")
            })
    };
    let (env_file, path_file) = (file("GITHUB_ENV")?, file("GITHUB_PATH")?);
    let mut env_text = String::new();
    for (name, value) in &activation.vars {
        let Some(value) = value else { continue };
        if value.contains('\n') {
            let delimiter = "GOPIN_EOF_7f3a9c";
            env_text.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
        } else {
            env_text.push_str(&format!("{name}={value}\n"));
        }
    }
    // The runner puts each later line in front of the earlier ones: write the last first.
    let path_text: String = activation
        .path_front
        .iter()
        .rev()
        .map(|p| format!("{}\n", p.display()))
        .collect();
    for (target, text) in [(env_file, env_text), (path_file, path_text)] {
        OpenOptions::new()
            .append(true)
            .create(true)
            .open(&target)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .with_context(|| format!("cannot append to {}", Path::new(&target).display()))?;
    }
    Ok(())
}
