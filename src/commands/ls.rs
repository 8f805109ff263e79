use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::{Context, print_json};
use crate::cli::LsArgs;
use crate::version::GoVersion;

#[derive(Serialize)]
struct Row {
    version: GoVersion,
    os: String,
    arch: String,
    goroot: PathBuf,
}

pub fn run(ctx: &Context, args: LsArgs) -> Result<ExitCode> {
    let rows: Vec<Row> = ctx
        .store
        .list()?
        .into_iter()
        .map(|i| Row {
            goroot: i.goroot(),
            version: i.version,
            os: i.platform.os,
            arch: i.platform.arch,
        })
        .collect();
    if args.json {
        print_json(&rows);
    } else if rows.is_empty() {
        crate::ui::note("no Go versions are installed: run `gopin install latest`");
    } else {
        for row in &rows {
            println!("{}  {}/{}", row.version, row.os, row.arch);
        }
    }
    Ok(ExitCode::SUCCESS)
}
