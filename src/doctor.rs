//! `gopin doctor`: checks the whole chain from the shell to the Go that runs (README, "Troubleshooting") and
//! says how to fix each problem. It judges outcomes (which `go` this PATH runs, which GOROOT
//! it uses, whether both agree with the directory's selection), not mechanisms, and names
//! the tool or startup-file line responsible where it can tell.

mod culprits;
mod security;
mod tools;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Serialize;

use crate::activate;
use crate::config::{Config, ToolchainMode};
use crate::goenv::GoEnv;
use crate::platform::Platform;
use crate::record::InstallRecord;
use crate::resolve::{self, Resolution};
use crate::shell::Shell;
use crate::store::{Installed, Store};
use crate::ui::{shown, shown_bytes, tilde};

/// One check's result.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
    /// How to fix it (problems only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Worth knowing, but no problem: doctor does not fail for it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub warning: bool,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            ok: true,
            detail: detail.into(),
            fix: None,
            warning: false,
        }
    }

    fn warning(name: &'static str, detail: impl Into<String>, advice: impl Into<String>) -> Check {
        Check {
            name,
            ok: true,
            detail: detail.into(),
            fix: Some(advice.into()),
            warning: true,
        }
    }

    fn problem(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            ok: false,
            detail: detail.into(),
            fix: Some(fix.into()),
            warning: false,
        }
    }
}

/// What the checks read from the outside world, so tests can stage it.
pub struct Inputs<'a> {
    pub cwd: &'a Path,
    pub env: &'a dyn Fn(&str) -> Option<OsString>,
}

impl Inputs<'_> {
    /// The shell to give advice for: the one whose hook is loaded, else the login shell.
    fn shell(&self) -> Shell {
        match (self.env)("_GOPIN_HOOK")
            .as_deref()
            .and_then(|s| s.to_str())
        {
            Some("zsh") => Shell::Zsh,
            Some("fish") => Shell::Fish,
            Some(_) => Shell::Bash,
            None => Shell::from_login_shell((self.env)("SHELL").as_deref()),
        }
    }

    fn rc_file(&self) -> String {
        self.shell().rc_file(self.env)
    }
}

/// The roots https is verified against, and every place that should give some and cannot
/// be read (docs/security.md, "What is trusted for https").
fn trust_checks(config: &Config, inputs: &Inputs) -> Vec<Check> {
    match crate::net::trust::load(config.settings.ca_file.as_deref(), inputs.env) {
        Err(e) => vec![Check::problem(
            "trust",
            e.to_string(),
            "point ca_file (GOPIN_CA_FILE) at a readable PEM file of CA certificates, or unset it",
        )],
        Ok(roots) => {
            let mut checks = vec![Check::ok("trust", roots.describe())];
            checks.extend(roots.problems.iter().map(|problem| {
                Check::problem(
                    "trust",
                    format!("cannot use {problem}"),
                    "fix the file or directory it names, or unset the variable (SSL_CERT_FILE, SSL_CERT_DIR)",
                )
            }));
            checks
        }
    }
}

/// Runs every check.
pub fn run(config: &Config, store: &Store, inputs: &Inputs) -> Vec<Check> {
    let config_state = if config.config_file.exists() {
        "loaded"
    } else {
        "not present; defaults apply"
    };
    let mut checks = vec![Check::ok(
        "config",
        format!("{} ({config_state})", tilde(&config.config_file)),
    )];
    checks.extend(trust_checks(config, inputs));
    let (use_proxy, why) = crate::source::choose(config, &GoEnv::new(inputs.env));
    let source = if use_proxy {
        "the module proxy in GOPROXY"
    } else {
        "go.dev's index and archives"
    };
    checks.push(Check::ok("source", format!("{source}, as {why}")));
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
    match resolve::resolve(store, &platform, inputs.cwd, inputs.env) {
        Err(e) => {
            checks.push(hook_check(store, inputs, None));
            checks.push(Check::problem(
                "selection",
                e.to_string(),
                "fix or remove the file it names",
            ));
        }
        Ok(r) => {
            checks.push(hook_check(store, inputs, r.installed.as_ref()));
            checks.extend(selection_checks(&r, inputs.cwd));
            if let Some(installed) = &r.installed {
                match installed.link_problem() {
                    // What runs is the guard, by design: the tree is what needs fixing.
                    Some(problem) => {
                        let (detail, fix) = problem
                            .split_once("; ")
                            .unwrap_or((problem.as_str(), "import it again"));
                        checks.push(Check::problem("linked tree", detail, fix));
                    }
                    None => {
                        checks.extend(outcome_checks(config, store, installed, inputs));
                        checks.extend(tools::stale_tools(config, store, installed, inputs));
                    }
                }
                checks.push(security::check(config, &platform, &installed.version));
            }
        }
    }
    checks.push(go_env_file_check(config, inputs.env));
    checks.extend(store_checks(store));
    checks
}

/// Is the hook loaded, and did it run for this directory? Where `gopin env`/`exec` applied
/// the environment (CI, scripts, containers), no hook is needed.
fn hook_check(store: &Store, inputs: &Inputs, selected: Option<&Installed>) -> Check {
    let env = inputs.env;
    let Some(shell) = env("_GOPIN_HOOK") else {
        // GOPIN_VERSION, and GOROOT that version's tree in the store: the selected one, or
        // (where nothing is selected: `gopin env --github 1.22` in CI) the one it names.
        let applied = env("GOPIN_VERSION").is_some_and(|version| {
            env("GOROOT").is_some_and(|g| {
                let g = Path::new(&g);
                match selected {
                    Some(i) => g == i.goroot(),
                    None => {
                        let name = g
                            .parent()
                            .and_then(Path::file_name)
                            .map(|n| n.as_encoded_bytes());
                        let mut prefix = version.as_encoded_bytes().to_vec();
                        prefix.push(b'.');
                        store.owns_path_entry(g)
                            && g.file_name() == Some(std::ffi::OsStr::new("go"))
                            && name.is_some_and(|n| n.starts_with(&prefix))
                    }
                }
            })
        });
        if applied {
            return Check::ok(
                "hook",
                "no hook here; the environment was applied by `gopin env` or `gopin exec`",
            );
        }
        let line = inputs.shell().init_line();
        return Check::problem(
            "hook",
            "the gopin hook is not loaded in this shell",
            format!(
                "add `{line}` to {}, then open a new shell (scripts and IDE tasks: use `gopin exec -- …`)",
                inputs.rc_file()
            ),
        );
    };
    let shell = shell.to_string_lossy();
    let ran_here = env("_GOPIN_PWD").is_some_and(|p| Path::new(&p) == inputs.cwd);
    if ran_here {
        return Check::ok(
            "hook",
            format!("the {shell} hook is loaded and ran for this directory"),
        );
    }
    Check::problem(
        "hook",
        format!(
            "the {shell} hook is loaded but has not run for {}: something replaced it after gopin's line (a later `PROMPT_COMMAND=…` assignment, say), or this shell shows no prompt (`{shell} -c`, scripts, IDE tasks)",
            tilde(inputs.cwd)
        ),
        format!(
            "keep gopin's line last in {} and add to PROMPT_COMMAND rather than assign it (PROMPT_COMMAND+=…); for scripts use `gopin exec -- …`",
            inputs.rc_file()
        ),
    )
}

/// The executables called `name` on `path`, in order.
fn find_on_path(path: Option<&std::ffi::OsStr>, name: &str) -> Vec<PathBuf> {
    activate::split_path(path)
        .into_iter()
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| d.join(name))
        .filter(|p| crate::fsio::is_executable(p))
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

/// What actually runs here, judged against the selection: the first `go` on PATH, GOROOT,
/// what that `go` says of itself, GOTOOLCHAIN, and the tree.
fn outcome_checks(
    config: &Config,
    store: &Store,
    installed: &Installed,
    inputs: &Inputs,
) -> Vec<Check> {
    let env = inputs.env;
    let goroot = installed.goroot();
    let on_path = find_on_path(env("PATH").as_deref(), "go");
    let mut checks = vec![go_on_path_check(store, installed, on_path.first(), inputs)];
    checks.push(goroot_check(store, installed, inputs));
    // Ask the go that actually runs (without letting it fetch anything).
    if let Some(go) = on_path.first() {
        let ours = same_file(go, &goroot.join("bin/go"));
        let reinstall = format!("reinstall: gopin install --force {}", installed.version);
        let fix_for = |ours: bool| {
            if ours {
                reinstall.clone()
            } else {
                "make the selected go first on PATH (see above)".to_string()
            }
        };
        checks.push(match run_go(go, &["env", "GOROOT"]) {
            Ok(reported) if Path::new(&reported) == goroot => {
                Check::ok("go env GOROOT", format!("`go env GOROOT` is {reported}"))
            }
            Ok(reported) => Check::problem(
                "go env GOROOT",
                format!(
                    "`{} env GOROOT` says {reported}, not {}",
                    shown(go),
                    shown(&goroot)
                ),
                if ours {
                    "unset GOROOT in your startup files and let the gopin hook set it".to_string()
                } else {
                    fix_for(false)
                },
            ),
            Err(e) => Check::problem("go env GOROOT", e, fix_for(ours)),
        });
        checks.push(match run_go(go, &["version"]) {
            Ok(v) if v.contains(&format!("{} ", installed.version)) => Check::ok("go version", v),
            Ok(v) => Check::problem(
                "go version",
                format!("`go version` says {v:?}, expected {}", installed.version),
                fix_for(ours),
            ),
            Err(e) => Check::problem("go version", e, fix_for(ours)),
        });
    }
    if config.settings.toolchain == ToolchainMode::Local {
        checks.push(toolchain_check(inputs));
    }
    let runtime = goroot.join("src/runtime");
    checks.push(if runtime.is_dir() {
        Check::ok("GOROOT tree", format!("{} exists", shown(&runtime)))
    } else {
        Check::problem(
            "GOROOT tree",
            format!("{} is missing", shown(&runtime)),
            format!("reinstall: gopin install --force {}", installed.version),
        )
    });
    checks
}

/// The first `go` on PATH must be the selected one; anything before it is named, with who
/// put it there.
fn go_on_path_check(
    store: &Store,
    installed: &Installed,
    first: Option<&PathBuf>,
    inputs: &Inputs,
) -> Check {
    let expected = installed.goroot().join("bin/go");
    match first {
        Some(go) if same_file(go, &expected) => Check::ok(
            "go on PATH",
            format!("{} is first on PATH", shown(&expected)),
        ),
        Some(other) => {
            let dir = other.parent().unwrap_or(other);
            let stale = store.owns_path_entry(dir);
            // gopin's own earlier version, consistently: the hook has not run since the
            // selection changed (a replaced PROMPT_COMMAND, a shell that shows no prompt).
            let not_rerun =
                stale && (inputs.env)("GOROOT").is_some_and(|g| dir.starts_with(Path::new(&g)));
            if not_rerun {
                return Check::problem(
                    "go on PATH",
                    format!(
                        "{} is still the Go gopin activated before, not the selected {}: the hook has not run since the selection changed",
                        shown(other),
                        installed.version
                    ),
                    format!(
                        "press Enter at a prompt; if nothing changes, something replaced the hook (a later `PROMPT_COMMAND=…` in {}): add to PROMPT_COMMAND instead, or load gopin's line last",
                        inputs.rc_file()
                    ),
                );
            }
            let who = culprits::responsible(inputs.shell(), inputs.env, &culprits::needle(dir));
            let detail = if stale {
                format!(
                    "{} (an old gopin entry) comes before {} on PATH{who}: something put back a PATH from before the switch",
                    shown(other),
                    shown(&expected)
                )
            } else {
                format!(
                    "{} comes before {} on PATH{who}, so it runs instead of the selected {}",
                    shown(other),
                    shown(&expected),
                    installed.version
                )
            };
            Check::problem(
                "go on PATH",
                detail,
                format!(
                    "the hook puts it right at the next prompt; if it comes back, remove that directory from PATH where it is set, or load gopin's line after that tool's in {}",
                    inputs.rc_file()
                ),
            )
        }
        None => Check::problem(
            "go on PATH",
            format!("no go is on PATH; the selected one is {}", shown(&expected)),
            "load the gopin hook in this shell, or use `gopin exec -- go …`",
        ),
    }
}

/// GOROOT must be the selected version's.
fn goroot_check(store: &Store, installed: &Installed, inputs: &Inputs) -> Check {
    let goroot = installed.goroot();
    let store_owned = |g: &std::ffi::OsStr| store.owns_path_entry(Path::new(g));
    match (inputs.env)("GOROOT") {
        Some(g) if Path::new(&g) == goroot => {
            Check::ok("GOROOT", format!("GOROOT is {}", shown(&goroot)))
        }
        // An earlier version's GOROOT: the hook has not switched (see "go on PATH").
        Some(g) if store_owned(&g) => Check::problem(
            "GOROOT",
            format!(
                "GOROOT is still {}, from the version gopin activated before, not the selected {}'s",
                shown(Path::new(&g)),
                installed.version
            ),
            "press Enter at a prompt so the hook switches; see the hook check above",
        ),
        Some(g) => {
            let who = culprits::responsible(inputs.shell(), inputs.env, "GOROOT=");
            Check::problem(
                "GOROOT",
                format!(
                    "GOROOT is {}{who}, not the selected {}'s {}",
                    shown(Path::new(&g)),
                    installed.version,
                    shown(&goroot)
                ),
                "remove that `export GOROOT=…`; the gopin hook sets GOROOT (and puts it right at the next prompt)",
            )
        }
        None => Check::problem(
            "GOROOT",
            "GOROOT is not set",
            "load the gopin hook in this shell",
        ),
    }
}

/// The user's own GOTOOLCHAIN (not what `go` would say under the doctor's probes): anything
/// but `local` lets `go` fetch another toolchain behind the pin.
fn toolchain_check(inputs: &Inputs) -> Check {
    match (inputs.env)("GOTOOLCHAIN") {
        Some(v) if v == "local" => Check::ok(
            "GOTOOLCHAIN",
            "GOTOOLCHAIN is local: go never fetches another toolchain",
        ),
        Some(v) => {
            let who = culprits::responsible(inputs.shell(), inputs.env, "GOTOOLCHAIN=");
            Check::problem(
                "GOTOOLCHAIN",
                format!(
                    "GOTOOLCHAIN={} is set in this shell{who}, so go may download and run another toolchain",
                    shown(Path::new(&v))
                ),
                "unset GOTOOLCHAIN and remove its export from your startup files; the hook exports GOTOOLCHAIN=local",
            )
        }
        None => Check::problem(
            "GOTOOLCHAIN",
            "GOTOOLCHAIN is not set, so go uses its default (auto) and may fetch another toolchain",
            "load the gopin hook (it exports GOTOOLCHAIN=local), or use `gopin exec -- go …`",
        ),
    }
}

/// What the directory selects, and whether the pick meets the module's (or workspace's)
/// minimum: a pin older than the go line is named together with the go.mod that overrules it.
fn selection_checks(r: &Resolution, cwd: &Path) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.push(match (&r.request, &r.installed) {
        _ if r.system().is_some() => Check::ok(
            "selection",
            format!(
                "{} pins system: the Go already on PATH runs here, and gopin applies nothing",
                r.system().map(tilde).unwrap_or_default()
            ),
        ),
        (None, _) => Check::ok(
            "selection",
            format!(
                "nothing is pinned for {} and there is no default, so gopin leaves Go alone here",
                tilde(cwd)
            ),
        ),
        (Some(_), None) => Check::problem(
            "selection",
            r.missing_hint().unwrap_or_default(),
            "gopin install",
        ),
        (Some(_), Some(installed)) => Check::ok(
            "selection",
            format!(
                "{} selected by {}",
                installed.version,
                r.source().map(tilde).unwrap_or_default()
            ),
        ),
    });
    if let Some(minimum) = r.constrained_by() {
        checks.push(match (&r.overridden, r.override_note()) {
            (Some(pick), Some(note)) => Check::problem(
                "go line",
                note,
                format!(
                    "pin a version that meets go {} in {} (gopin use {}), or remove the pin",
                    minimum.floor,
                    tilde(&pick.source),
                    minimum.floor
                ),
            ),
            _ => Check::ok(
                "go line",
                match &r.installed {
                    Some(i) => format!(
                        "{} meets go {} in {}",
                        i.version,
                        minimum.floor,
                        tilde(&minimum.source)
                    ),
                    None => format!("go {} in {}", minimum.floor, tilde(&minimum.source)),
                },
            ),
        });
    }
    checks
}

/// A `GOTOOLCHAIN` written with `go env -w` applies wherever the variable is not exported
/// (IDEs, cron, scripts), and would fetch another toolchain behind the pin.
fn go_env_file_check(config: &Config, env: &dyn Fn(&str) -> Option<OsString>) -> Check {
    if config.settings.toolchain != ToolchainMode::Local {
        return Check::ok(
            "go env file",
            "toolchain = \"inherit\": GOTOOLCHAIN is yours to set",
        );
    }
    let go_env = GoEnv::new(env);
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
    let mut checks: Vec<Check> = crate::stores::problems(store)
        .into_iter()
        .map(|p| {
            Check::problem(
                "system store",
                p,
                "fix or mount the store, or take it out of system_stores and GOPIN_SYSTEM_STORE",
            )
        })
        .collect();
    checks.extend(installed.iter().map(tree_check));
    checks.extend(object_checks(store));
    checks
}

/// The object store the trees link into (docs/store.md).
fn object_checks(store: &Store) -> Vec<Check> {
    match crate::objects::check(store) {
        Ok(found) => found
            .problems
            .into_iter()
            .map(|(detail, fix)| Check::problem("objects", detail, fix))
            .chain(found.facts.into_iter().map(|f| Check::ok("objects", f)))
            .collect(),
        Err(e) => vec![Check::problem("objects", e.to_string(), "check GOPIN_HOME")],
    }
}

/// One installed version against its record.
fn tree_check(i: &Installed) -> Check {
    let label = match i.system_store() {
        Some(store) => format!(
            "{} ({}, system store {})",
            i.version,
            i.platform,
            tilde(store)
        ),
        None => format!("{} ({})", i.version, i.platform),
    };
    let platform_flags = if Platform::host().is_ok_and(|h| h == i.platform) {
        String::new()
    } else {
        format!(" --os {} --arch {}", i.platform.os, i.platform.arch)
    };
    let reinstall = match i.system_store() {
        // Never written by this user's gopin: its provider reinstalls it, or the user
        // installs a copy of their own, which is found first.
        Some(store) => format!(
            "it is in the system store {}: reinstall it there (GOPIN_HOME={} gopin install --force {v}{platform_flags}), or install your own copy: gopin install --force {v}{platform_flags}",
            tilde(store),
            crate::ui::shown(store),
            v = i.version
        ),
        None => format!(
            "reinstall: gopin install --force {}{platform_flags}",
            i.version
        ),
    };
    // A tree recorded in place is not gopin's to replace (see `snapshot::repair`).
    let repair = if std::fs::symlink_metadata(i.goroot()).is_ok_and(|m| m.is_symlink()) {
        crate::snapshot::repair(i)
    } else {
        reinstall.clone()
    };
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
        // Allowed by the user, so not a problem; but never silent.
        let unverified = match (&record.source.import_summary(), &record.source.unverified) {
            (Some(summary), _) => format!("; {}", shown_bytes(summary.as_bytes())),
            (None, Some(reason)) => format!(
                "; it is UNVERIFIED ({}): nothing proved it is the release Go published",
                shown_bytes(reason.as_bytes())
            ),
            (None, None) => String::new(),
        };
        return Check::ok(
            "store",
            format!(
                "{label}: {} files match the install record, and nothing was added{unverified}",
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
        repair,
    )
}
