use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use serde::Serialize;

use super::{Context, print_json};
use crate::cli::LsRemoteArgs;
use crate::platform::Platform;
use crate::request::Floor;
use crate::selection;
use crate::source::{self, Listed, Releases};
use crate::ui::{self, shown};
use crate::version::{GoVersion, VersionSpec};
use crate::vuln;

#[derive(Serialize)]
struct Row {
    version: GoVersion,
    stable: bool,
    installed: bool,
    /// With `--vuln`: how many entries of Go's vulnerability database affect it, and the
    /// release that fixes them (docs/security.md, "Security status").
    #[serde(skip_serializing_if = "Option::is_none")]
    vulnerabilities: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vulnerabilities_fixed_in: Option<GoVersion>,
}

pub fn run(ctx: &Context, args: LsRemoteArgs) -> Result<ExitCode> {
    let filter: Option<VersionSpec> = args.prefix.as_deref().map(str::parse).transpose()?;
    let host = Platform::host()?;
    let offered = source::open(&ctx.config, args.refresh)?.releases(&host)?;
    let since = args
        .since
        .as_deref()
        .map(|raw| since(raw, &offered))
        .transpose()?;
    let db = args
        .vuln
        .then(|| vuln::db::load_required(&ctx.config, args.refresh, "ls-remote --vuln"))
        .transpose()?;
    let installed: HashSet<GoVersion> = ctx
        .store
        .list_for(&host)?
        .into_iter()
        .map(|i| i.version)
        .collect();
    let releases: Vec<Listed> = match filter {
        // latest, stable and oldstable name one release, decided over the whole list.
        Some(spec) if spec.is_relative() => offered.resolve(&spec).into_iter().collect(),
        _ => offered
            .list
            .iter()
            .copied()
            .filter(|r| args.all || r.stable)
            // With --all a prefix lists the line's pre-releases too.
            .filter(|r| filter.is_none_or(|spec| spec.covers(&r.version)))
            .collect(),
    };
    let mut minors_seen = HashSet::new();
    let rows: Vec<Row> = releases
        .into_iter()
        .filter(|r| since.as_ref().is_none_or(|s| s.admits(&r.version)))
        // Newest first, so the first of each minor is its newest.
        .filter(|r| !args.latest_patch || minors_seen.insert((r.version.major, r.version.minor)))
        .map(|r| {
            let status = db.as_ref().map(|db| db.status(&r.version));
            Row {
                version: r.version,
                stable: r.stable,
                installed: installed.contains(&r.version),
                vulnerabilities: status.as_ref().map(|s| s.entries.len()),
                vulnerabilities_fixed_in: status.and_then(|s| s.fixed_in),
            }
        })
        .collect();
    if rows.is_empty() {
        explain_empty(&args, filter, &offered);
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
            // Asked for with --vuln, so said on a pipe too.
            if let Some(n) = row.vulnerabilities.filter(|&n| n > 0) {
                line.push_str(&format!("  {}", vuln::count(n)));
                if let Some(fix) = row.vulnerabilities_fixed_in {
                    line.push_str(&format!(", fixed in {fix}"));
                }
            }
            println!("{line}");
        }
        if let Some(db) = &db {
            ui::note(&vuln::source_note(db));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Says on stderr why nothing was listed (stdout stays empty for scripts).
fn explain_empty(args: &LsRemoteArgs, filter: Option<VersionSpec>, offered: &Releases) {
    let pre_releases = !args.all
        && offered
            .list
            .iter()
            .any(|r| !r.stable && filter.is_none_or(|spec| spec.covers(&r.version)));
    let what = args.prefix.as_deref().unwrap_or("the release list");
    if pre_releases {
        ui::note(&format!(
            "{what} has only pre-releases (betas, release candidates): use --all to list them"
        ));
    } else {
        ui::note(&format!(
            "no release matches {what} in {}: run `gopin ls-remote` to see them all",
            offered.origin
        ));
    }
}

/// Where `--since` starts the listing, as a `go` line's minimum: a version (`1.21`,
/// `1.21.3`, `oldstable`), else the path of a go.mod or go.work file whose `go` line says it.
fn since(raw: &OsStr, offered: &Releases) -> Result<Floor> {
    if let Some(spec) = raw.to_str().and_then(|s| s.parse::<VersionSpec>().ok()) {
        return Ok(match spec {
            VersionSpec::Exact(version) => Floor {
                version,
                language: false,
            },
            VersionSpec::Prefix { major, minor } => Floor {
                version: GoVersion::new(major, minor.unwrap_or(0), 0),
                language: true,
            },
            relative => {
                let release = offered.resolve(&relative).ok_or_else(|| {
                    anyhow!("--since {relative}: {} has no such release", offered.origin)
                })?;
                Floor {
                    version: GoVersion::new(release.version.major, release.version.minor, 0),
                    language: true,
                }
            }
        });
    }
    let path = Path::new(raw);
    let Some(directives) = selection::read_go_directives(path)? else {
        bail!(
            "--since {}: no such file; give a go.mod or go.work file, or a version such as 1.21",
            shown(path)
        );
    };
    directives.go.ok_or_else(|| {
        anyhow!(
            "{} has no `go` line to start from: add one (go 1.21), or pass --since a version",
            shown(path)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn since_of(raw: &str) -> Result<Floor> {
        since(OsStr::new(raw), &crate::source::godev::releases_2021())
    }

    #[test]
    fn since_versions_and_go_lines() {
        let v = |s: &str| s.parse::<GoVersion>().unwrap();
        let minor = |major, minor| Floor {
            version: GoVersion::new(major, minor, 0),
            language: true,
        };
        let exact = |s: &str| Floor {
            version: v(s),
            language: false,
        };
        assert_eq!(since_of("1.16").unwrap(), minor(1, 16));
        assert_eq!(since_of("go1.16.3").unwrap(), exact("1.16.3"));
        assert_eq!(since_of("oldstable").unwrap(), minor(1, 16));
        assert_eq!(since_of("1").unwrap(), minor(1, 0));
        assert!(minor(1, 16).admits(&v("1.16rc1")) && !minor(1, 16).admits(&v("1.15.15")));
        assert!(exact("1.16.3").admits(&v("1.17rc1")));
        assert!(!exact("1.16.3").admits(&v("1.16.2")));

        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path.to_string_lossy().into_owned()
        };
        let m = file(
            "go.mod",
            "// go 1.2\nmodule x\n\ngo 1.16 // minimum\ntoolchain go1.17.3\n",
        );
        assert_eq!(
            since_of(&m).unwrap(),
            minor(1, 16),
            "the go line, not the toolchain"
        );
        let w = file("go.work", "go 1.16.4\n\nuse ./a\n");
        assert_eq!(since_of(&w).unwrap(), exact("1.16.4"));
        for (text, needle) in [
            ("module x\n", "has no `go` line"),
            (
                "module x\ngo 1.16;rm\n",
                "line 2: 'go 1.16;rm' is not a Go version",
            ),
            ("module x\ngo\n", "line 2"),
        ] {
            let bad = file("bad.mod", text);
            let err = since_of(&bad).unwrap_err().to_string();
            assert!(err.contains(needle) && err.contains("bad.mod"), "{err}");
        }
        let missing = dir.path().join("nope/go.mod");
        let err = since_of(&missing.to_string_lossy())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no such file") && err.contains("nope/go.mod"),
            "{err}"
        );
    }
}
