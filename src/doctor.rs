//! `gopin doctor`: checks the whole chain from the shell to the Go that runs (SPEC §6) and
//! says how to fix each problem.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::activate::{self, Resolved};
use crate::config::{Config, ToolchainMode};
use crate::goenv::GoEnv;
use crate::platform::Platform;
use crate::record::InstallRecord;
use crate::selection::{self, Request, SourceKind};
use crate::shell::Shell;
use crate::store::{Installed, Store};
use crate::ui::tilde;

/// One check's result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
    /// How to fix it (problems only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            ok: true,
            detail: detail.into(),
            fix: None,
        }
    }

    fn problem(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            ok: false,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// What the checks read from the outside world, so tests can stage it.
pub struct Inputs<'a> {
    pub cwd: &'a Path,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// Runs every check.
pub fn run(config: &Config, store: &Store, inputs: &Inputs) -> Vec<Check> {
    let env = inputs.env;
    let config_state = if config.config_file.exists() {
        "loaded"
    } else {
        "not present; defaults apply"
    };
    let mut checks = vec![
        Check::ok(
            "config",
            format!("{} ({config_state})", tilde(&config.config_file)),
        ),
        hook_check(env),
    ];
    let platform = match Platform::host() {
        Ok(p) => p,
        Err(e) => {
            checks.push(Check::problem(
                "platform",
                e.to_string(),
                "set GOPIN_OS/GOPIN_ARCH",
            ));
            return checks;
        }
    };
    match activate::resolve_dir(store, &platform, inputs.cwd) {
        Err(e) => checks.push(Check::problem(
            "selection",
            e.to_string(),
            "fix or remove the file it names",
        )),
        Ok(Resolved::Nothing) => checks.push(Check::ok(
            "selection",
            format!(
                "nothing is pinned for {} and there is no default, so gopin leaves Go alone here",
                inputs.cwd.display()
            ),
        )),
        Ok(Resolved::Missing(pin)) => checks.push(Check::problem(
            "selection",
            activate::missing_hint(&pin),
            "gopin install",
        )),
        Ok(Resolved::Ready(pin, installed)) => {
            checks.push(Check::ok(
                "selection",
                format!("{} selected by {}", installed.version, tilde(&pin.source)),
            ));
            checks.extend(active_checks(config, &installed, inputs));
            checks.push(go_mod_check(inputs.cwd, &installed));
        }
    }
    checks.push(go_env_file_check(config, env));
    checks.extend(store_checks(store));
    checks
}

fn hook_check(env: &dyn Fn(&str) -> Option<String>) -> Check {
    match env("_GOPIN_HOOK") {
        Some(shell) => Check::ok("hook", format!("the {shell} hook is loaded in this shell")),
        None => {
            let line = match Shell::from_login_shell(env("SHELL").as_deref()) {
                Shell::Zsh => "add `eval \"$(gopin init zsh)\"` to ~/.zshrc",
                Shell::Fish => "add `gopin init fish | source` to ~/.config/fish/config.fish",
                Shell::Bash => "add `eval \"$(gopin init bash)\"` to ~/.bashrc",
            };
            Check::problem(
                "hook",
                "the gopin hook is not loaded in this shell",
                format!("{line}, then open a new shell"),
            )
        }
    }
}

/// The first executable `name` on `path`.
fn find_on_path(path: &str, name: &str) -> Vec<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    path.split(':')
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(name))
        .filter(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
        .collect()
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Runs `go ARGS` and returns its trimmed stdout. The probe runs with `GOTOOLCHAIN=local`
/// and `GOPROXY=off`, so that a `go` line or a GOTOOLCHAIN setting can never make it
/// download and run another toolchain while doctor looks.
fn run_go(go: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(go)
        .args(args)
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", go.display()))?;
    if !out.status.success() {
        return Err(format!(
            "`{} {}` failed: {}",
            go.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Checks that need the active version: PATH, GOROOT, `go env`, the tree itself.
fn active_checks(config: &Config, installed: &Installed, inputs: &Inputs) -> Vec<Check> {
    let env = inputs.env;
    let goroot = installed.goroot();
    let expected_go = goroot.join("bin/go");
    let mut checks = Vec::new();

    let on_path = find_on_path(&env("PATH").unwrap_or_default(), "go");
    let path_ok = on_path.first().is_some_and(|g| same_file(g, &expected_go));
    checks.push(match on_path.first() {
        _ if path_ok => Check::ok(
            "go on PATH",
            format!("{} is first on PATH", expected_go.display()),
        ),
        Some(other) => Check::problem(
            "go on PATH",
            format!(
                "{} comes before {} on PATH, so it runs instead of the pinned {}",
                other.display(),
                expected_go.display(),
                installed.version
            ),
            "remove that directory from PATH in your rc file (or load the gopin hook after it)",
        ),
        None => Check::problem(
            "go on PATH",
            format!(
                "no go is on PATH; the pinned one is {}",
                expected_go.display()
            ),
            "load the gopin hook in this shell, or use `gopin exec -- go …`",
        ),
    });

    let env_goroot = env("GOROOT");
    checks.push(match &env_goroot {
        Some(g) if Path::new(g) == goroot => {
            Check::ok("GOROOT", format!("GOROOT is {}", goroot.display()))
        }
        Some(g) => Check::problem(
            "GOROOT",
            format!(
                "GOROOT is {g}, not the pinned {}'s {}",
                installed.version,
                goroot.display()
            ),
            "remove `export GOROOT=…` from your rc files; the gopin hook sets it",
        ),
        None => Check::problem(
            "GOROOT",
            "GOROOT is not set",
            "load the gopin hook in this shell",
        ),
    });

    // Ask the go that actually runs.
    if let Some(go) = on_path.first() {
        checks.push(match run_go(go, &["env", "GOROOT"]) {
            Ok(reported) if Path::new(&reported) == goroot => {
                Check::ok("go env GOROOT", format!("`go env GOROOT` is {reported}"))
            }
            Ok(reported) => Check::problem(
                "go env GOROOT",
                format!("`go env GOROOT` says {reported}, not {}", goroot.display()),
                "unset GOROOT in your rc files and let the gopin hook set it",
            ),
            Err(e) => Check::problem("go env GOROOT", e, "reinstall with `gopin install --force`"),
        });
        checks.push(match run_go(go, &["version"]) {
            Ok(v) if v.contains(&format!("{} ", installed.version)) => Check::ok("go version", v),
            Ok(v) => Check::problem(
                "go version",
                format!("`go version` says {v:?}, expected {}", installed.version),
                "make the pinned go first on PATH (see above)",
            ),
            Err(e) => Check::problem("go version", e, "reinstall with `gopin install --force`"),
        });
        if config.settings.toolchain == ToolchainMode::Local {
            checks.push(match run_go(go, &["env", "GOTOOLCHAIN"]) {
                Ok(v) if v == "local" => {
                    Check::ok("GOTOOLCHAIN", "GOTOOLCHAIN is local: go never fetches another toolchain")
                }
                Ok(v) => Check::problem(
                    "GOTOOLCHAIN",
                    format!("`go env GOTOOLCHAIN` is {v:?}, so go may download and run another toolchain"),
                    "load the gopin hook (it exports GOTOOLCHAIN=local) and run `go env -u GOTOOLCHAIN`",
                ),
                Err(e) => Check::problem("GOTOOLCHAIN", e, "reinstall with `gopin install --force`"),
            });
        }
    }

    let runtime = goroot.join("src/runtime");
    checks.push(if runtime.is_dir() {
        Check::ok("GOROOT tree", format!("{} exists", runtime.display()))
    } else {
        Check::problem(
            "GOROOT tree",
            format!("{} is missing", runtime.display()),
            format!("reinstall: gopin install --force {}", installed.version),
        )
    });
    checks
}

/// The pinned version must satisfy the nearest go.mod's `go` line.
fn go_mod_check(cwd: &Path, installed: &Installed) -> Check {
    let go_mod = cwd
        .ancestors()
        .map(|d| d.join("go.mod"))
        .find(|p| p.is_file());
    let Some(go_mod) = go_mod else {
        return Check::ok("go.mod", "no go.mod here");
    };
    match selection::read_pin(&go_mod, SourceKind::GoMod) {
        Ok(Some(Request::GoLine { min, major, minor })) => {
            let needed = min.unwrap_or(crate::version::GoVersion::new(major, minor, 0));
            if installed.version >= needed {
                Check::ok(
                    "go.mod",
                    format!(
                        "{} meets go {major}.{minor} in {}",
                        installed.version,
                        tilde(&go_mod)
                    ),
                )
            } else {
                Check::problem(
                    "go.mod",
                    format!(
                        "{} requires {} or newer, but {} is pinned",
                        tilde(&go_mod),
                        needed,
                        installed.version
                    ),
                    format!("pin a newer version: gopin use {major}.{minor}"),
                )
            }
        }
        Ok(_) => Check::ok(
            "go.mod",
            format!("{} names a toolchain or no go line", tilde(&go_mod)),
        ),
        Err(e) => Check::problem("go.mod", e.to_string(), "fix the go.mod line it names"),
    }
}

/// A `GOTOOLCHAIN` written with `go env -w` applies wherever the variable is not exported
/// (IDEs, cron, scripts), and would fetch another toolchain behind the pin.
fn go_env_file_check(config: &Config, env: &dyn Fn(&str) -> Option<String>) -> Check {
    if config.settings.toolchain != ToolchainMode::Local {
        return Check::ok(
            "go env file",
            "toolchain = \"inherit\": GOTOOLCHAIN is yours to set",
        );
    }
    let os_env = |name: &str| env(name).map(std::ffi::OsString::from);
    let go_env = GoEnv::new(&os_env);
    let Some(file) = go_env.file() else {
        return Check::ok("go env file", "no go env file");
    };
    let setting = go_env
        .in_file("GOTOOLCHAIN")
        .map(|v| v.to_string_lossy().trim().to_string());
    match setting {
        Some(v) if !v.is_empty() && v != "local" => Check::problem(
            "go env file",
            format!(
                "{} sets GOTOOLCHAIN={v} (from `go env -w`), which overrides the pin wherever the hook's GOTOOLCHAIN=local is not exported",
                tilde(&file)
            ),
            "run `go env -u GOTOOLCHAIN`",
        ),
        _ => Check::ok("go env file", "no GOTOOLCHAIN override from `go env -w`"),
    }
}

/// Every installed tree still matches its install record, both ways, and each record is
/// consistent with the directory it sits in.
fn store_checks(store: &Store) -> Vec<Check> {
    let installed = match store.list() {
        Ok(list) => list,
        Err(e) => return vec![Check::problem("store", e.to_string(), "check GOPIN_HOME")],
    };
    installed.iter().map(tree_check).collect()
}

/// One installed version against its record.
fn tree_check(i: &Installed) -> Check {
    let label = format!("{} ({})", i.version, i.platform);
    let platform_flags = if Platform::host().is_ok_and(|h| h == i.platform) {
        String::new()
    } else {
        format!(" --os {} --arch {}", i.platform.os, i.platform.arch)
    };
    let reinstall = format!(
        "reinstall: gopin install --force {}{platform_flags}",
        i.version
    );
    let record = match InstallRecord::load(&i.record_path()) {
        Ok(record) => record,
        Err(e) => return Check::problem("store", format!("{label}: {e}"), reinstall),
    };
    if let Err(e) = record.check(&i.version, &i.platform) {
        return Check::problem(
            "store",
            format!(
                "{label}: the install record {} cannot be trusted: {e}",
                tilde(&i.record_path())
            ),
            reinstall,
        );
    }
    let drift = record.verify(&i.goroot());
    if drift.is_empty() {
        return Check::ok(
            "store",
            format!(
                "{label}: {} files match the install record, and nothing was added",
                record.files.len()
            ),
        );
    }
    let shown: Vec<String> = drift.iter().take(5).map(|d| d.to_string()).collect();
    let more = match drift.len().saturating_sub(5) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    Check::problem(
        "store",
        format!(
            "{label} no longer matches what was installed: {}{more}",
            shown.join(", ")
        ),
        reinstall,
    )
}
