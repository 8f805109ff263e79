use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::ValueEnum;

use super::{Context, print_json};
use crate::activate::Activation;
use crate::choose::{self, Chosen, Missing};
use crate::cli::EnvArgs;
use crate::platform::Platform;
use crate::resolve::SHELL_VAR;
use crate::shell::{Script, Shell};
use crate::ui::{shown, shown_bytes};

pub fn run(ctx: &Context, args: EnvArgs) -> Result<ExitCode> {
    let platform = args.platform.resolve()?;
    if !args.json && Platform::host().is_ok_and(|h| h != platform) {
        bail!(
            "{platform} cannot run on this host, so its environment can only be described: use --json"
        );
    }
    let (activation, path, version) = match choose::choose_or_system(
        &ctx.config,
        &ctx.store,
        args.spec.as_deref(),
        &platform,
        Missing::Fail,
    )? {
        Chosen::Go(installed, source) => {
            let (activation, path) =
                choose::environment(&ctx.config, &ctx.store, &installed, source.as_deref());
            (activation, path, Some(installed.version))
        }
        Chosen::System(_) => {
            let (activation, path) = choose::system_environment(&ctx.store);
            (activation, path, None)
        }
    };
    if args.json {
        let mut map: BTreeMap<&str, Option<String>> = BTreeMap::new();
        for (name, value) in activation.vars.iter().chain([("PATH", Some(path))].iter()) {
            let text = value
                .as_ref()
                .map(|v| {
                    v.to_str().map(str::to_string).ok_or_else(|| {
                        anyhow!(
                            "{name} holds bytes that are not UTF-8 ({}), which JSON cannot carry: use --shell instead",
                            shown_bytes(v.as_encoded_bytes())
                        )
                    })
                })
                .transpose()?;
            map.insert(name, text);
        }
        print_json(&map);
    } else if args.github {
        write_github(&activation)?;
    } else {
        // The shell whose hook is loaded is the one that evals this; else the login shell.
        let shell = args.shell.unwrap_or_else(|| {
            std::env::var("_GOPIN_HOOK")
                .ok()
                .and_then(|h| Shell::from_str(&h, true).ok())
                .unwrap_or_else(|| Shell::from_login_shell(std::env::var_os("SHELL").as_deref()))
        });
        let mut script = Script::new(shell);
        for (name, value) in &activation.vars {
            script.set_or_unset(name, value.as_deref());
        }
        script.export_path(&path);
        // In a shell with the hook, a version named here would be undone at the next prompt
        // (the hook applies the directory's): it holds as `gopin shell`'s does, until
        // `gopin shell --unset`.
        if let Some(version) = version.filter(|_| args.spec.is_some())
            && std::env::var_os("_GOPIN_HOOK").is_some()
        {
            let text = crate::pinfile::pin_text(&version);
            script.export(SHELL_VAR, std::ffi::OsStr::new(&text));
            crate::ui::note(&format!(
                "gopin env: {} in this shell, over every pin, as with `gopin shell {text}` (`gopin shell --unset` goes back)",
                version
            ));
        }
        std::io::stdout().write_all(&script.into_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
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
    let mut env_text = Vec::new();
    for (name, value) in &activation.vars {
        // A variable this environment unsets (GOPIN_SOURCE for a version named on the
        // command line) is cleared: a job's environment file cannot unset, and an earlier
        // call's value must not stay.
        let value = value.as_deref().unwrap_or_default().as_encoded_bytes();
        if value.contains(&b'\n') {
            let delimiter = "GOPIN_EOF_7f3a9c";
            env_text.extend_from_slice(format!("{name}<<{delimiter}\n").as_bytes());
            env_text.extend_from_slice(value);
            env_text.extend_from_slice(format!("\n{delimiter}\n").as_bytes());
        } else {
            env_text.extend_from_slice(format!("{name}=").as_bytes());
            env_text.extend_from_slice(value);
            env_text.push(b'\n');
        }
    }
    // The runner puts each later line in front of the earlier ones: write the last first.
    let mut path_text = Vec::new();
    for p in activation.path_front.iter().rev() {
        path_text.extend_from_slice(p.as_os_str().as_encoded_bytes());
        path_text.push(b'\n');
    }
    for (target, text) in [(env_file, env_text), (path_file, path_text)] {
        OpenOptions::new()
            .append(true)
            .create(true)
            .open(&target)
            .and_then(|mut f| f.write_all(&text))
            .with_context(|| format!("cannot append to {}", shown(Path::new(&target))))?;
    }
    Ok(())
}
