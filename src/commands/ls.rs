use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::{Context, print_json};
use crate::activate::{self, Resolved};
use crate::cli::LsArgs;
use crate::platform::Platform;
use crate::ui::tilde;
use crate::version::GoVersion;

#[derive(Serialize)]
struct Row {
    version: GoVersion,
    os: String,
    arch: String,
    goroot: PathBuf,
    /// Whether the current directory selects this one.
    active: bool,
    /// The file that selected it, when active.
    source: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: LsArgs) -> Result<ExitCode> {
    // A broken version file must not stop `ls`: it just marks nothing.
    let active = Platform::host().ok().and_then(|host| {
        match activate::resolve_dir(&ctx.store, &host, &Context::cwd()) {
            Ok(Resolved::Ready(pin, installed)) => Some((installed.dir, pin.source)),
            _ => None,
        }
    });
    let rows: Vec<Row> = ctx
        .store
        .list()?
        .into_iter()
        .map(|i| {
            let source = active
                .as_ref()
                .filter(|(dir, _)| *dir == i.dir)
                .map(|(_, source)| source.clone());
            Row {
                goroot: i.goroot(),
                version: i.version,
                os: i.platform.os,
                arch: i.platform.arch,
                active: source.is_some(),
                source,
            }
        })
        .collect();
    if args.json {
        print_json(&rows);
    } else if rows.is_empty() {
        crate::ui::note("no Go versions are installed: run `gopin install latest`");
    } else {
        for row in &rows {
            let mark = if row.active { "*" } else { " " };
            let mut line = format!("{mark} {}  {}/{}", row.version, row.os, row.arch);
            if let Some(source) = &row.source {
                line.push_str(&format!("  (selected by {})", tilde(source)));
            }
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
