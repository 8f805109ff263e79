use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use serde::Serialize;

use super::{Context, print_json};
use crate::cli::LsRemoteArgs;
use crate::index::{self, Index, LoadOptions, Release};
use crate::platform::Platform;
use crate::ui::shown;
use crate::userfile;
use crate::version::{GoVersion, VersionSpec};

/// go.mod and go.work files larger than this are refused (as selection refuses them).
const MANIFEST_LIMIT: u64 = 1024 * 1024;

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
    let since = args
        .since
        .as_deref()
        .map(|raw| Since::parse(raw, &index))
        .transpose()?;
    let host = Platform::host()?;
    let installed: HashSet<GoVersion> = ctx
        .store
        .list_for(&host)?
        .into_iter()
        .map(|i| i.version)
        .collect();
    let releases: Vec<&Release> = match filter {
        // latest, stable and oldstable name one release, decided over the whole index.
        Some(spec) if spec.is_relative() => index.resolve(&spec).into_iter().collect(),
        _ => index
            .releases
            .iter()
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
        .map(|r| Row {
            version: r.version,
            stable: r.stable,
            installed: installed.contains(&r.version),
        })
        .collect();
    if args.json {
        print_json(&rows);
    } else {
        for row in &rows {
            let mut line = row.version.to_string();
            if !row.stable {
                line.push_str("  (pre-release)");
            }
            if row.installed {
                line.push_str("  (installed)");
            }
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where `--since` starts the listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Since {
    /// Every release of this minor (pre-releases too, with `--all`) and newer: `go 1.21`.
    Minor { major: u32, minor: u32 },
    /// This release and newer: `go 1.21.3`.
    Version(GoVersion),
}

impl Since {
    /// A version (`1.21`, `1.21.3`, `oldstable`), else the path of a go.mod or go.work file
    /// whose `go` line says where to start.
    fn parse(raw: &OsStr, index: &Index) -> Result<Since> {
        if let Some(spec) = raw.to_str().and_then(|s| s.parse::<VersionSpec>().ok()) {
            return Ok(match spec {
                VersionSpec::Exact(v) => Since::Version(v),
                VersionSpec::Prefix { major, minor } => Since::Minor {
                    major,
                    minor: minor.unwrap_or(0),
                },
                relative => {
                    let release = index.resolve(&relative).ok_or_else(|| {
                        anyhow!(
                            "--since {relative}: the index at {} has no such release",
                            index.url
                        )
                    })?;
                    Since::Minor {
                        major: release.version.major,
                        minor: release.version.minor,
                    }
                }
            });
        }
        go_line(Path::new(raw))
    }

    fn admits(&self, v: &GoVersion) -> bool {
        match *self {
            Since::Minor { major, minor } => (v.major, v.minor) >= (major, minor),
            Since::Version(min) => *v >= min,
        }
    }
}

/// The `go` line of a go.mod or go.work file, as the start of a listing.
fn go_line(path: &Path) -> Result<Since> {
    let Some(bytes) = userfile::read(path, MANIFEST_LIMIT)? else {
        bail!(
            "--since {}: no such file; give a go.mod or go.work file, or a version such as 1.21",
            shown(path)
        );
    };
    let text = String::from_utf8_lossy(&bytes);
    for (n, line) in text.lines().enumerate() {
        let line = line.split("//").next().unwrap_or("").trim();
        let mut tokens = line.split_whitespace();
        if tokens.next() != Some("go") {
            continue;
        }
        let value = tokens.next().unwrap_or("");
        return match value.parse::<VersionSpec>() {
            Ok(VersionSpec::Exact(v)) => Ok(Since::Version(v)),
            Ok(VersionSpec::Prefix {
                major,
                minor: Some(minor),
            }) => Ok(Since::Minor { major, minor }),
            _ => Err(anyhow!(
                "{} line {}: 'go {}' is not a Go version such as 1.21 or 1.21.3; fix the file",
                shown(path),
                n + 1,
                value.escape_debug()
            )),
        };
    }
    bail!(
        "{} has no `go` line to start from: add one (go 1.21), or pass --since a version",
        shown(path)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX_2021: &str = include_str!("../../tests/fixtures/go-dl-index-2021-11.json");

    fn since(raw: &str) -> Result<Since> {
        let index = Index::parse(INDEX_2021.as_bytes(), "2021").unwrap();
        Since::parse(OsStr::new(raw), &index)
    }

    #[test]
    fn since_versions_and_go_lines() {
        let v = |s: &str| s.parse::<GoVersion>().unwrap();
        let minor = |major, minor| Since::Minor { major, minor };
        assert_eq!(since("1.16").unwrap(), minor(1, 16));
        assert_eq!(since("go1.16.3").unwrap(), Since::Version(v("1.16.3")));
        assert_eq!(since("oldstable").unwrap(), minor(1, 16));
        assert_eq!(since("1").unwrap(), minor(1, 0));
        assert!(minor(1, 16).admits(&v("1.16rc1")) && !minor(1, 16).admits(&v("1.15.15")));
        assert!(Since::Version(v("1.16.3")).admits(&v("1.17rc1")));
        assert!(!Since::Version(v("1.16.3")).admits(&v("1.16.2")));

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
            since(&m).unwrap(),
            minor(1, 16),
            "the go line, not the toolchain"
        );
        let w = file("go.work", "go 1.16.4\n\nuse ./a\n");
        assert_eq!(since(&w).unwrap(), Since::Version(v("1.16.4")));
        for (text, needle) in [
            ("module x\n", "has no `go` line"),
            (
                "module x\ngo 1.16;rm\n",
                "line 2: 'go 1.16;rm' is not a Go version",
            ),
            ("module x\ngo\n", "line 2"),
        ] {
            let bad = file("bad.mod", text);
            let err = since(&bad).unwrap_err().to_string();
            assert!(err.contains(needle) && err.contains("bad.mod"), "{err}");
        }
        let missing = dir.path().join("nope/go.mod");
        let err = since(&missing.to_string_lossy()).unwrap_err().to_string();
        assert!(
            err.contains("no such file") && err.contains("nope/go.mod"),
            "{err}"
        );
    }
}
