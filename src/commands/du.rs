//! `gopin du`: the space each installed version takes (its tree, and the tools in its GOBIN),
//! in all, and what `prune` would free (docs/store.md, "Space").

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::{Context, print_json};
use crate::cli::DuArgs;
use crate::platform::Platform;
use crate::ui::{self, tilde};
use crate::version::GoVersion;

#[derive(Serialize)]
struct Row {
    version: GoVersion,
    os: String,
    arch: String,
    /// Bytes on disk of the version's directory.
    bytes: u64,
    /// Bytes on disk of its own GOBIN (tools `go install` built).
    tools_bytes: u64,
    /// The system store it is in (not counted in the user's total).
    system_store: Option<PathBuf>,
    /// Whether `prune` would remove it.
    pruned: bool,
}

#[derive(Serialize)]
struct Report {
    versions: Vec<Row>,
    /// Bytes on disk of the user's store's versions, and of the tools of every version.
    total_bytes: u64,
    /// Bytes on disk of the system stores' versions (not the user's).
    system_bytes: u64,
    /// What `prune` would free.
    prune_frees_bytes: u64,
}

pub fn run(ctx: &Context, args: DuArgs) -> Result<ExitCode> {
    let host = Platform::host()?;
    let installed = ctx.store.list()?;
    let host_installed: Vec<_> = installed
        .iter()
        .filter(|i| i.platform == host)
        .cloned()
        .collect();
    let keep = super::outdated::keepers(ctx, &host, &host_installed, false);
    // A file linked from two places (a content-addressed store's sharing) counts once.
    let mut seen = HashSet::new();
    let versions: Vec<Row> = installed
        .iter()
        .map(|i| Row {
            bytes: disk_usage(&i.dir, &mut seen),
            tools_bytes: disk_usage(&i.gobin(), &mut seen),
            pruned: i.platform == host && i.system_store().is_none() && !keep.contains_key(&i.dir),
            system_store: i.system_store().map(Path::to_path_buf),
            version: i.version,
            os: i.platform.os.clone(),
            arch: i.platform.arch.clone(),
        })
        .collect();
    let mine = |r: &&Row| r.system_store.is_none();
    let report = Report {
        // A system store's version is not the user's, but the tools in its GOBIN are.
        total_bytes: versions.iter().filter(mine).map(|r| r.bytes).sum::<u64>()
            + versions.iter().map(|r| r.tools_bytes).sum::<u64>(),
        system_bytes: versions
            .iter()
            .filter(|r| r.system_store.is_some())
            .map(|r| r.bytes)
            .sum(),
        prune_frees_bytes: versions
            .iter()
            .filter(|r| r.pruned)
            .map(|r| r.bytes + r.tools_bytes)
            .sum(),
        versions,
    };
    if args.json {
        print_json(&report);
        return Ok(ExitCode::SUCCESS);
    }
    if report.versions.is_empty() {
        ui::note("no Go versions are installed: run `gopin install latest`");
        return Ok(ExitCode::SUCCESS);
    }
    for r in &report.versions {
        let mut line = format!(
            "{:>9}  {} {}/{}",
            ui::size(r.bytes),
            r.version,
            r.os,
            r.arch
        );
        if r.tools_bytes > 0 {
            line.push_str(&format!("  (+{} of tools)", ui::size(r.tools_bytes)));
        }
        if let Some(store) = &r.system_store {
            line.push_str(&format!("  (system store {})", tilde(store)));
        }
        if r.pruned {
            line.push_str("  (prune removes it)");
        }
        println!("{line}");
    }
    println!(
        "{:>9}  in all, in {}",
        ui::size(report.total_bytes),
        tilde(ctx.store.root())
    );
    if report.system_bytes > 0 {
        println!(
            "{:>9}  in system stores (not yours)",
            ui::size(report.system_bytes)
        );
    }
    println!(
        "{:>9}  freed by `gopin prune`",
        ui::size(report.prune_frees_bytes)
    );
    Ok(ExitCode::SUCCESS)
}

/// Bytes on disk under `path` (allocated blocks, as `du` counts), each file once.
fn disk_usage(path: &Path, seen: &mut HashSet<(u64, u64)>) -> u64 {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return 0;
    };
    if !seen.insert((meta.dev(), meta.ino())) {
        return 0;
    }
    let own = meta.blocks() * 512;
    if !meta.is_dir() {
        return own;
    }
    let Ok(entries) = fs::read_dir(path) else {
        return own;
    };
    own + entries
        .filter_map(Result::ok)
        .map(|e| disk_usage(&e.path(), seen))
        .sum::<u64>()
}
