use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::{Context, print_json};
use crate::cli::LsArgs;
use crate::platform::Platform;
use crate::record::InstallRecord;
use crate::resolve;
use crate::ui::{shown_bytes, tilde};
use crate::version::GoVersion;

#[derive(Serialize)]
struct Row {
    version: GoVersion,
    os: String,
    arch: String,
    goroot: PathBuf,
    /// Whether the current directory selects this one.
    active: bool,
    /// The file that picked it (or whose go line chose it), when active.
    source: Option<PathBuf>,
    /// The go.mod or go.work whose go line constrained the choice, when active.
    constrained_by: Option<PathBuf>,
    /// Why nothing verified this install, if it was installed unverified (`allow_unverified`,
    /// or imported without a release checksum).
    unverified: Option<String>,
    /// Where `gopin import` took it from, and whether the checksum database proved it.
    imported: Option<String>,
    /// The system store it lives in (`None`: the user's own store).
    system_store: Option<PathBuf>,
    /// The remembered pin files that selected it, most recent first (see `projects`).
    projects: Vec<ProjectRow>,
    /// When a remembered pin file last selected it (seconds since the Unix epoch).
    last_used: Option<u64>,
    /// Bytes of its GOROOT's files, and of those it shares with other versions through the
    /// object store (docs/store.md).
    size: u64,
    shared: u64,
}

#[derive(Serialize)]
struct ProjectRow {
    file: PathBuf,
    last_used: u64,
}

/// The remembered projects of a version (they are the host's).
fn projects_of(
    remembered: &[crate::projects::Project],
    version: &GoVersion,
    platform: &Platform,
) -> Vec<ProjectRow> {
    if Platform::host().ok().as_ref() != Some(platform) {
        return Vec::new();
    }
    remembered
        .iter()
        .filter(|p| p.version == *version)
        .cloned()
        .map(|p| ProjectRow {
            file: p.file,
            last_used: p.last_used,
        })
        .collect()
}

/// `ls -v`: under a version, when it was last used and by which projects.
fn print_projects(row: &Row) {
    let Some(last) = row.last_used else {
        return;
    };
    println!("    last used {}", crate::projects::date(last));
    for p in &row.projects {
        println!(
            "    {} ({})",
            tilde(&p.file),
            crate::projects::date(p.last_used)
        );
    }
}

pub fn run(ctx: &Context, args: LsArgs) -> Result<ExitCode> {
    // What a killed install left behind goes here too (one directory read).
    ctx.store.clean_stale(None);
    // A broken version file must not stop `ls`: it just marks nothing.
    let here = Platform::host()
        .ok()
        .and_then(|host| resolve::for_cwd(&ctx.store, &host).ok());
    for problem in crate::stores::problems(&ctx.store) {
        crate::ui::warn(&problem);
    }
    let remembered = crate::projects::load(&crate::projects::file(&crate::config::state_dir(
        &ctx.config.home,
    )));
    let rows: Vec<Row> = ctx
        .store
        .list()?
        .into_iter()
        .map(|i| {
            let active = here
                .as_ref()
                .filter(|r| r.installed.as_ref().is_some_and(|a| a.dir == i.dir));
            let provenance = InstallRecord::provenance(&i.record_path());
            let (size, shared) = crate::objects::tree_usage(&i.goroot());
            Row {
                size,
                shared,
                imported: provenance
                    .as_ref()
                    .and_then(|p| p.import_summary().map(str::to_string)),
                unverified: provenance.and_then(|p| p.unverified),
                system_store: i.system_store().map(PathBuf::from),
                projects: projects_of(&remembered, &i.version, &i.platform),
                last_used: None,
                goroot: i.goroot(),
                version: i.version,
                os: i.platform.os,
                arch: i.platform.arch,
                active: active.is_some(),
                source: active.and_then(|r| r.source()).map(PathBuf::from),
                constrained_by: active
                    .and_then(|r| r.constrained_by())
                    .map(|m| m.source.clone()),
            }
        })
        .collect();
    let mut rows = rows;
    for row in &mut rows {
        row.last_used = row.projects.iter().map(|p| p.last_used).max();
    }
    if args.json {
        print_json(&rows);
    } else if rows.is_empty() {
        crate::ui::note("no Go versions are installed: run `gopin install latest`");
    } else {
        for row in &rows {
            let mark = if row.active { "*" } else { " " };
            let mut line = format!("{mark} {}  {}/{}", row.version, row.os, row.arch);
            if row.size > 0 {
                line.push_str(&format!("  {}", crate::objects::human_bytes(row.size)));
                if row.shared > 0 {
                    line.push_str(&format!(
                        ", {} shared",
                        crate::objects::human_bytes(row.shared)
                    ));
                }
            }
            if let Some(source) = &row.source {
                line.push_str(&format!("  (selected by {}", tilde(source)));
                match &row.constrained_by {
                    Some(c) if c != source => {
                        line.push_str(&format!("; at least {}'s go line)", tilde(c)))
                    }
                    _ => line.push(')'),
                }
            }
            if let Some(store) = &row.system_store {
                line.push_str(&format!("  (system store {})", tilde(store)));
            }
            if let Some(summary) = &row.imported {
                line.push_str(&format!("  ({})", shown_bytes(summary.as_bytes())));
            } else if let Some(reason) = &row.unverified {
                line.push_str(&format!(
                    "  (unverified: {})",
                    shown_bytes(reason.as_bytes())
                ));
            }
            println!("{line}");
            if crate::ui::is_verbose() {
                print_projects(row);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
