//! `gopin tools` and `gopin tools sync`: the tools in a version's GOBIN, and carrying them to
//! another Go (README, "Tools"). Reading and deciding is the `tools` module's job; this file
//! picks the versions, runs, and prints.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Result, anyhow, bail};
use serde::Serialize;

use super::{Context, print_json};
use crate::choose::{self, Missing};
use crate::cli::{ToolsArgs, ToolsCommand, ToolsSyncArgs};
use crate::config::{Config, GobinMode};
use crate::platform::Platform;
use crate::store::{Installed, Store};
use crate::tools::sync::{self, Action, GoCommand, Outcome};
use crate::tools::{self, Kind, Rebuild, Tool};
use crate::ui::{self, shown, shown_bytes, tilde};
use crate::version::GoVersion;

pub fn run(ctx: &Context, args: ToolsArgs) -> Result<ExitCode> {
    match args.command {
        Some(ToolsCommand::Sync(sync)) => run_sync(ctx, sync),
        None => list(ctx, args),
    }
}

/// [`tools::gobin`], or the error that says gopin sets none.
pub fn gobin_of(config: &Config, store: &Store, installed: &Installed) -> Result<PathBuf> {
    tools::gobin(config, store, installed).ok_or_else(|| {
        anyhow!(
            "gopin sets no GOBIN (gobin = \"off\" in {}), so `go install` puts tools in $GOPATH/bin, which every version shares: there is nothing of a version's to list or carry; set gobin = \"per-version\" or \"shared\" to use gopin tools",
            tilde(&config.config_file)
        )
    })
}

#[derive(Serialize)]
struct Listing {
    /// The version, or `None` for the shared GOBIN listed with --all.
    version: Option<GoVersion>,
    /// Paths as JSON can carry them (bytes that are not UTF-8 become U+FFFD).
    gobin: String,
    tools: Vec<ToolJson>,
}

#[derive(Serialize)]
struct ToolJson {
    name: String,
    file: String,
    go: bool,
    module: Option<String>,
    version: Option<String>,
    package: Option<String>,
    go_version: Option<String>,
    built_by: Option<GoVersion>,
    rebuildable: bool,
    /// Why it cannot be rebuilt (or, for a file that is no Go binary, why not).
    why: Option<String>,
    /// The command that builds it again.
    command: Option<String>,
}

impl ToolJson {
    fn new(tool: &Tool) -> ToolJson {
        let info = tool.info();
        let (why, command) = match &tool.kind {
            Kind::Other(problem) => (Some(format!("not a Go binary: it {problem}")), None),
            Kind::Go {
                rebuild: Err(w), ..
            } => (Some(w.to_string()), None),
            Kind::Go { rebuild: Ok(r), .. } => (None, Some(r.command_line())),
        };
        ToolJson {
            name: tool.name.to_string_lossy().into_owned(),
            file: tool.file.to_string_lossy().into_owned(),
            go: info.is_some(),
            module: info.and_then(|i| i.main.as_ref()).map(|m| m.0.clone()),
            version: info.and_then(|i| i.main.as_ref()).map(|m| m.1.clone()),
            package: info.and_then(|i| i.path.clone()),
            go_version: info.map(|i| i.go_version.clone()),
            built_by: tool.built_by(),
            rebuildable: tool.rebuild().is_some(),
            why,
            command,
        }
    }
}

fn list(ctx: &Context, args: ToolsArgs) -> Result<ExitCode> {
    let platform = Platform::host()?;
    let shared = ctx.config.settings.gobin == GobinMode::Shared;
    let mut listings = Vec::new();
    if args.all {
        if shared {
            listings.push((None, ctx.store.shared_gobin()));
        } else {
            for installed in ctx.store.list_for(&platform)? {
                let gobin = gobin_of(&ctx.config, &ctx.store, &installed)?;
                listings.push((Some(installed.version), gobin));
            }
        }
    } else {
        let (installed, _) = choose::choose(
            &ctx.config,
            &ctx.store,
            args.version.as_deref(),
            &platform,
            Missing::Fail,
        )?;
        let gobin = gobin_of(&ctx.config, &ctx.store, &installed)?;
        listings.push((Some(installed.version), gobin));
    }
    let mut read = Vec::new();
    for (version, gobin) in listings {
        let found = tools::list(&gobin, &platform)
            .map_err(|e| anyhow!("cannot read the GOBIN {}: {e}", shown(&gobin)))?;
        read.push((version, gobin, found));
    }
    if args.json {
        let out: Vec<Listing> = read
            .iter()
            .map(|(version, gobin, found)| Listing {
                version: *version,
                gobin: gobin.to_string_lossy().into_owned(),
                tools: found.iter().map(ToolJson::new).collect(),
            })
            .collect();
        if args.all {
            print_json(&out);
        } else {
            print_json(&out[0]);
        }
        return Ok(ExitCode::SUCCESS);
    }
    for (n, (version, gobin, found)) in read.iter().enumerate() {
        if n > 0 {
            println!();
        }
        let whose = match version {
            Some(v) if shared => format!("{v} (the shared GOBIN)"),
            Some(v) => v.to_string(),
            None => "the shared GOBIN".to_string(),
        };
        if found.is_empty() {
            println!("{whose}: no tools in {}", tilde(gobin));
            continue;
        }
        println!("{whose}: {}", tilde(gobin));
        print_table(found);
    }
    Ok(ExitCode::SUCCESS)
}

/// One line per tool (name, module@version, builder, package), and under a tool that cannot
/// be rebuilt, why.
fn print_table(found: &[Tool]) {
    let rows: Vec<[String; 4]> = found
        .iter()
        .map(|tool| {
            let name = shown(std::path::Path::new(&tool.name));
            match tool.info() {
                Some(info) => [
                    name,
                    info.main.as_ref().map_or_else(
                        || "(no module)".to_string(),
                        |(m, v)| shown_bytes(format!("{m}@{v}").as_bytes()),
                    ),
                    format!("built by {}", shown_bytes(info.go_version.as_bytes())),
                    info.path.as_ref().map_or_else(String::new, |p| {
                        format!("package {}", shown_bytes(p.as_bytes()))
                    }),
                ],
                None => [name, String::new(), String::new(), String::new()],
            }
        })
        .collect();
    let width = |col: usize| {
        rows.iter()
            .map(|r| r[col].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    for (tool, row) in found.iter().zip(&rows) {
        match &tool.kind {
            Kind::Other(problem) => println!("  {:w0$}  not a Go binary: it {problem}", row[0]),
            Kind::Go { rebuild, .. } => {
                let line = format!(
                    "  {:w0$}  {:w1$}  {:w2$}  {}",
                    row[0], row[1], row[2], row[3]
                );
                println!("{}", line.trim_end());
                if let Err(why) = rebuild {
                    println!("  {:w0$}  cannot be rebuilt: {why}", "");
                }
            }
        }
    }
}

fn run_sync(ctx: &Context, args: ToolsSyncArgs) -> Result<ExitCode> {
    let platform = Platform::host()?;
    let (to, _) = choose::choose(
        &ctx.config,
        &ctx.store,
        args.to.as_deref(),
        &platform,
        Missing::Fail,
    )?;
    let from = match args.from.as_deref() {
        Some(spec) => {
            choose::choose(
                &ctx.config,
                &ctx.store,
                Some(spec),
                &platform,
                Missing::Fail,
            )?
            .0
        }
        None if ctx.config.settings.gobin == GobinMode::Shared => to.clone(),
        None => bail!(
            "name the version whose tools to rebuild with {}: `gopin tools sync --from VERSION` (`gopin tools --all` lists each version's tools)",
            to.version
        ),
    };
    let summary = carry(ctx, &from, &to, args.dry_run)?;
    Ok(if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// How a sync went, counted.
#[derive(Debug, Default)]
pub struct Summary {
    pub rebuilt: usize,
    pub failed: usize,
}

/// Rebuilds the tools of `from`'s GOBIN with `to`'s Go into `to`'s GOBIN (the same directory
/// with gobin = "shared": rebuilt in place), a line per tool on stdout.
pub fn carry(ctx: &Context, from: &Installed, to: &Installed, dry_run: bool) -> Result<Summary> {
    let platform = to.platform.clone();
    let from_gobin = gobin_of(&ctx.config, &ctx.store, from)?;
    let to_gobin = gobin_of(&ctx.config, &ctx.store, to)?;
    let read = |dir: &PathBuf| {
        tools::list(dir, &platform)
            .map_err(|e| anyhow!("cannot read the GOBIN {}: {e}", shown(dir)))
    };
    let from_tools = read(&from_gobin)?;
    let whose = if from_gobin == to_gobin {
        format!("the GOBIN {}", tilde(&from_gobin))
    } else {
        format!("{}'s GOBIN ({})", from.version, tilde(&from_gobin))
    };
    if from_tools.is_empty() {
        ui::note(&format!("no tools in {whose}: nothing to rebuild"));
        return Ok(Summary::default());
    }
    let to_tools = read(&to_gobin)?;
    let actions = sync::plan(&from_tools, &to_tools, &to.version);
    let (activation, path) = choose::environment(&ctx.config, &ctx.store, to, None);
    let mut vars: Vec<(OsString, Option<OsString>)> = activation
        .vars
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| (OsString::from(k), Some(v))))
        .collect();
    vars.extend([
        ("PATH".into(), Some(path)),
        // The target's own Go builds them, never a toolchain a go.mod asks for.
        ("GOTOOLCHAIN".into(), Some("local".into())),
        ("GOBIN".into(), Some(to_gobin.clone().into_os_string())),
        // `go install pkg@version` ignores the current module; no workspace either.
        ("GOWORK".into(), Some("off".into())),
        // Built for this machine, whatever the shell sets for cross builds.
        ("GOOS".into(), None),
        ("GOARCH".into(), None),
    ]);
    let scratch = tempfile::tempdir()
        .map_err(|e| anyhow!("cannot make a temporary directory to run go in: {e}"))?;
    let go = GoCommand {
        go: to.goroot().join(platform.go_binary()),
        vars,
        dir: scratch.path().to_path_buf(),
        gobin: to_gobin.clone(),
        release: to.version,
    };
    let builds = actions
        .iter()
        .filter(|a| matches!(a, Action::Rebuild(_)))
        .count();
    if builds > 0 && !dry_run {
        ui::note(&format!(
            "rebuilding {builds} tool{} of {whose} with {}, into {}",
            if builds == 1 { "" } else { "s" },
            to.version,
            tilde(&to_gobin)
        ));
    }
    let started_count = AtomicUsize::new(0);
    let started = |tool: &Tool, rebuild: &Rebuild| {
        let n = started_count.fetch_add(1, Ordering::SeqCst) + 1;
        ui::note(&format!(
            "[{n}/{builds}] {}: {}",
            shown(std::path::Path::new(&tool.name)),
            shown_bytes(rebuild.command_line().as_bytes())
        ));
    };
    let outcomes = sync::run(
        &from_tools,
        &actions,
        &go,
        sync::default_jobs(),
        dry_run,
        &started,
    );
    let mut summary = Summary::default();
    let mut counts = [0usize; 4];
    for (tool, outcome) in from_tools.iter().zip(&outcomes) {
        let name = shown(std::path::Path::new(&tool.name));
        let at = tool
            .rebuild()
            .map(|r| shown_bytes(r.target().as_bytes()))
            .unwrap_or_default();
        match outcome {
            Outcome::Rebuilt => {
                summary.rebuilt += 1;
                counts[0] += 1;
                println!("{name}: rebuilt with {} ({at})", to.version);
            }
            Outcome::AlreadyThere => {
                counts[1] += 1;
                println!("{name}: already there ({at}, built by {})", to.version);
            }
            Outcome::Cannot(why) => {
                counts[2] += 1;
                println!("{name}: cannot be rebuilt: {why}");
            }
            Outcome::Failed(line) => {
                summary.failed += 1;
                counts[3] += 1;
                println!("{name}: failed: {}", shown_bytes(line.as_bytes()));
            }
            Outcome::WouldRun(command) => {
                counts[0] += 1;
                println!("{name}: would run {}", shown_bytes(command.as_bytes()));
            }
        }
    }
    let done = if dry_run { "to rebuild" } else { "rebuilt" };
    ui::note(&format!(
        "{} {done}, {} already there, {} cannot be rebuilt, {} failed",
        counts[0], counts[1], counts[2], counts[3]
    ));
    Ok(summary)
}

/// After `use` or `install` switched from `previous` to `now`: the one line that says how to
/// bring `previous`'s tools along, when its GOBIN has tools `now`'s lacks.
pub fn hint_after_switch(ctx: &Context, previous: Option<&Installed>, now: &Installed) {
    let Some(previous) = previous.filter(|p| p.dir != now.dir && p.platform == now.platform) else {
        return;
    };
    let (Ok(from), Ok(to)) = (
        gobin_of(&ctx.config, &ctx.store, previous),
        gobin_of(&ctx.config, &ctx.store, now),
    ) else {
        return;
    };
    if from == to {
        return;
    }
    let (Ok(from_tools), Ok(to_tools)) = (
        tools::list(&from, &now.platform),
        tools::list(&to, &now.platform),
    ) else {
        return;
    };
    let missing: Vec<String> = sync::plan(&from_tools, &to_tools, &now.version)
        .iter()
        .zip(&from_tools)
        .filter(|(a, _)| matches!(a, Action::Rebuild(_)))
        .map(|(_, t)| shown(std::path::Path::new(&t.name)))
        .collect();
    if missing.is_empty() {
        return;
    }
    ui::note(&format!(
        "note: {} has tools that {} lacks ({}): rebuild them with `gopin tools sync --from {} --to {}`",
        previous.version,
        now.version,
        missing.join(", "),
        previous.version,
        now.version
    ));
}
