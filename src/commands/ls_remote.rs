use std::collections::HashSet;
use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::{Context, print_json};
use crate::cli::LsRemoteArgs;
use crate::index::{self, LoadOptions};
use crate::platform::Platform;
use crate::ui;
use crate::version::{GoVersion, VersionSpec};

#[derive(Serialize)]
struct Row {
    version: GoVersion,
    stable: bool,
    installed: bool,
}

pub fn run(ctx: &Context, args: LsRemoteArgs) -> Result<ExitCode> {
    let filter: Option<VersionSpec> = args.prefix.as_deref().map(str::parse).transpose()?;
    let index = index::load(
        &ctx.config,
        LoadOptions {
            refresh: args.refresh,
        },
    )?;
    let host = Platform::host()?;
    let installed: HashSet<GoVersion> = ctx
        .store
        .list_for(&host)?
        .into_iter()
        .map(|i| i.version)
        .collect();
    let mut rows: Vec<Row> = index
        .releases
        .iter()
        .filter(|r| args.all || r.stable)
        // With --all a prefix lists the line's pre-releases too.
        .filter(|r| filter.is_none_or(|spec| spec.covers(&r.version)))
        .map(|r| Row {
            version: r.version,
            stable: r.stable,
            installed: installed.contains(&r.version),
        })
        .collect();
    if filter == Some(VersionSpec::Latest) {
        rows.truncate(1);
    }
    if rows.is_empty() {
        let pre_releases = !args.all
            && index
                .releases
                .iter()
                .any(|r| !r.stable && filter.is_none_or(|spec| spec.covers(&r.version)));
        let what = args.prefix.as_deref().unwrap_or("the index");
        if pre_releases {
            ui::note(&format!(
                "{what} has only pre-releases (betas, release candidates): use --all to list them"
            ));
        } else {
            ui::note(&format!(
                "no release matches {what} in {}: run `gopin ls-remote` to see them all",
                index.url
            ));
        }
    }
    if args.json {
        print_json(&rows);
    } else {
        // Annotations are for people; a pipe gets bare versions, one a line.
        let annotate = std::io::stdout().is_terminal();
        for row in &rows {
            let mut line = row.version.to_string();
            if annotate && !row.stable {
                line.push_str("  (pre-release)");
            }
            if annotate && row.installed {
                line.push_str("  (installed)");
            }
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
