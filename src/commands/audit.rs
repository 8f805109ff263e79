//! `gopin audit`: which Go built each binary, judged against the version the directory pins
//! (or `--against`). Reading the binary is `buildinfo`'s job; this file is the policy and the
//! report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use serde::Serialize;

use super::{Context, print_json};
use crate::buildinfo::{self, BuildInfo};
use crate::cli::AuditArgs;
use crate::platform::Platform;
use crate::request::Request;
use crate::resolve;
use crate::ui::{self, shown, shown_bytes, tilde};
use crate::version::{GoVersion, VersionSpec};
use crate::vuln;

/// The release a binary is judged against, and who asked for it.
struct Expected {
    version: GoVersion,
    origin: Origin,
}

enum Origin {
    /// The file that pins it.
    Pin(PathBuf),
    /// `--against`, as typed (it parsed as a spec, so it is safe to print).
    Against(String),
    /// `--against-lock`: the lock file; only its very release passes (docs/lock.md).
    Lock(PathBuf),
}

impl Origin {
    /// "pinned by ~/p/.go-version", "asked for by --against 1.22".
    fn phrase(&self) -> String {
        match self {
            Origin::Pin(source) => format!("pinned by {}", tilde(source)),
            Origin::Against(raw) => format!("asked for by --against {raw}"),
            Origin::Lock(path) => format!("locked by {}", tilde(path)),
        }
    }
}

/// How the release that built a binary compares with the expected one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Verdict {
    Same,
    NewerPatch,
    NewerMinor,
    Older,
    /// A development build or a name that is no release: nothing to compare.
    NotARelease,
}

fn judge(built: Option<GoVersion>, expected: GoVersion) -> Verdict {
    let Some(built) = built else {
        return Verdict::NotARelease;
    };
    if built == expected {
        Verdict::Same
    } else if built < expected {
        Verdict::Older
    } else if (built.major, built.minor) == (expected.major, expected.minor) {
        Verdict::NewerPatch
    } else {
        Verdict::NewerMinor
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Pass,
    Warn,
    Fail,
    Error,
}

impl Status {
    fn exit_code(self) -> u8 {
        match self {
            Status::Pass => 0,
            Status::Warn | Status::Fail => 1,
            Status::Error => 2,
        }
    }
}

/// One binary's line in the report (and its object in `--json`).
#[derive(Serialize)]
struct Report<'a> {
    #[serde(skip)]
    path: PathBuf,
    /// The path as JSON can carry it (bytes that are not UTF-8 become U+FFFD).
    file: String,
    status: Status,
    message: String,
    #[serde(flatten)]
    details: Option<Details>,
    /// With `--vuln`: the known vulnerabilities of the release that built it (docs/audit.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    vulnerabilities: Option<Vec<vuln::osv::Summary<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vulnerabilities_fixed_in: Option<GoVersion>,
    #[serde(skip)]
    vuln_lines: Vec<String>,
}

/// What the binary says about its build, for `--json`.
#[derive(Serialize)]
struct Details {
    go_version: String,
    release: Option<GoVersion>,
    /// `null` where nothing was asked of the release (`--vuln` where nothing is selected).
    verdict: Option<Verdict>,
    path: Option<String>,
    main_module: Option<MainModule>,
    goos: Option<String>,
    goarch: Option<String>,
    cgo_enabled: Option<bool>,
    /// `None` for binaries from before Go 1.18, which recorded no build settings.
    trimpath: Option<bool>,
    vcs_revision: Option<String>,
    vcs_modified: Option<bool>,
    settings: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct MainModule {
    path: String,
    version: String,
}

impl Details {
    fn new(info: &BuildInfo, verdict: Option<Verdict>) -> Details {
        let text = |key: &str| info.setting(key).map(str::to_string);
        let flag = |key: &str| info.setting(key).map(|v| matches!(v, "1" | "true"));
        Details {
            go_version: info.go_version.clone(),
            release: info.release(),
            verdict,
            path: info.path.clone(),
            main_module: info
                .main
                .clone()
                .map(|(path, version)| MainModule { path, version }),
            goos: text("GOOS"),
            goarch: text("GOARCH"),
            cgo_enabled: flag("CGO_ENABLED"),
            trimpath: (!info.settings.is_empty()).then(|| flag("-trimpath") == Some(true)),
            vcs_revision: text("vcs.revision"),
            vcs_modified: flag("vcs.modified"),
            settings: info
                .settings
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect(),
        }
    }

    /// The build facts worth a glance: `example.com/app linux/arm64, CGO_ENABLED=0,
    /// -trimpath, vcs.revision=0123456789ab (modified)`. Escaped for the terminal.
    fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let (Some(os), Some(arch)) = (&self.goos, &self.goarch) {
            parts.push(format!("{os}/{arch}"));
        }
        if let Some(cgo) = self.cgo_enabled {
            parts.push(format!("CGO_ENABLED={}", u8::from(cgo)));
        }
        if self.trimpath == Some(true) {
            parts.push("-trimpath".to_string());
        }
        if let Some(rev) = &self.vcs_revision {
            let short: String = rev.chars().take(12).collect();
            let dirty = if self.vcs_modified == Some(true) {
                " (modified)"
            } else {
                ""
            };
            parts.push(format!("vcs.revision={short}{dirty}"));
        }
        let mut line = parts.join(", ");
        if let Some(path) = &self.path {
            line = format!("{path}  {line}");
        }
        shown_bytes(line.trim_end().as_bytes())
    }
}

pub fn run(ctx: &Context, args: AuditArgs) -> Result<ExitCode> {
    let db = args
        .vuln
        .then(|| vuln::db::load_required(&ctx.config, args.refresh, "audit --vuln"))
        .transpose()?;
    // With --vuln alone, where nothing is selected, only the vulnerabilities are judged.
    let expected = if args.against_lock {
        Some(against_lock(ctx)?)
    } else if db.is_some() && args.against.is_none() && nothing_selected(ctx)? {
        None
    } else {
        Some(expected(ctx, args.against.as_deref())?)
    };
    let reports: Vec<Report> = args
        .binaries
        .iter()
        .map(|path| audit(path, expected.as_ref(), args.allow_newer_minor, db.as_ref()))
        .collect();
    let worst = reports
        .iter()
        .map(|r| r.status)
        .max()
        .unwrap_or(Status::Pass);
    if args.json {
        let (source, against) = match expected.as_ref().map(|e| &e.origin) {
            Some(Origin::Pin(source)) => (Some(source.to_string_lossy().into_owned()), None),
            Some(Origin::Against(raw)) => (None, Some(raw.clone())),
            Some(Origin::Lock(path)) => (Some(path.to_string_lossy().into_owned()), None),
            None => (None, None),
        };
        print_json(&serde_json::json!({
            "expected": expected.as_ref().map(|e| e.version),
            "source": source,
            "against": against,
            "allow_newer_minor": args.allow_newer_minor,
            "status": worst,
            "vulndb": db.as_ref().map(|db| serde_json::json!({"url": db.url, "modified": db.modified})),
            "binaries": reports,
        }));
    } else {
        reports.iter().for_each(print_report);
        if let Some(db) = &db {
            ui::note(&vuln::source_note(db));
        }
    }
    Ok(ExitCode::from(worst.exit_code()))
}

/// The release to judge against: `--against` if given, else what the current directory
/// selects. An exact version is taken as it is, installed or not (a CI gate needs no Go); a
/// prefix, `latest`/`stable`/`oldstable` or a `go` line means its newest installed match,
/// the version the hook would activate. The one place audit asks the resolver.
fn expected(ctx: &Context, against: Option<&str>) -> Result<Expected> {
    let platform = Platform::host()?;
    let installed = |request: &Request| -> Result<Option<GoVersion>> {
        if let Some(v) = request.exact() {
            return Ok(Some(v));
        }
        Ok(ctx.store.find(&platform, request)?.map(|i| i.version))
    };
    if let Some(raw) = against {
        let spec: VersionSpec = raw.parse()?;
        let Some(version) = installed(&Request::spec(spec))? else {
            bail!(
                "no installed Go matches {spec}: run `gopin install {spec}`, or pass --against an exact version such as 1.22.10"
            );
        };
        return Ok(Expected {
            version,
            origin: Origin::Against(raw.to_string()),
        });
    }
    let r = resolve::for_cwd(&ctx.store, &platform)?;
    let Some(request) = r.request else {
        bail!(resolve::nothing_selected(&resolve::cwd()));
    };
    let version = match (&r.installed, request.exact()) {
        (Some(i), _) => i.version,
        (None, Some(v)) => v,
        (None, None) => bail!(
            "{} (or pass --against an exact version)",
            r.missing_hint().unwrap_or_default()
        ),
    };
    Ok(Expected {
        version,
        origin: Origin::Pin(r.source().map(Path::to_path_buf).unwrap_or_default()),
    })
}

/// `--against-lock`: the release the lock that governs this directory holds.
fn against_lock(ctx: &Context) -> Result<Expected> {
    let platform = Platform::host()?;
    let Some(found) = crate::lock::for_cwd(&ctx.store, &platform)? else {
        bail!(
            "--against-lock needs a gopin.lock, and none governs {}: run `gopin lock`, or pass --against",
            shown(&resolve::cwd())
        );
    };
    Ok(Expected {
        version: found.lock.release,
        origin: Origin::Lock(found.path),
    })
}

/// Whether the current directory selects nothing at all.
fn nothing_selected(ctx: &Context) -> Result<bool> {
    Ok(resolve::for_cwd(&ctx.store, &Platform::host()?)?
        .request
        .is_none())
}

/// Reads one binary and judges it: against the expected release, and with `db` by the known
/// vulnerabilities of the release that built it (release-level, docs/audit.md).
fn audit<'a>(
    path: &Path,
    expected: Option<&Expected>,
    allow_newer_minor: bool,
    db: Option<&'a vuln::Database>,
) -> Report<'a> {
    let file = path.to_string_lossy().into_owned();
    let info = match buildinfo::read(path) {
        Ok(info) => info,
        Err(e) => {
            return Report {
                path: path.to_path_buf(),
                file,
                status: Status::Error,
                message: e.to_string(),
                details: None,
                vulnerabilities: None,
                vulnerabilities_fixed_in: None,
                vuln_lines: Vec::new(),
            };
        }
    };
    let verdict = expected.map(|e| judge(info.release(), e.version));
    let (mut status, mut message) = match (verdict, expected) {
        (Some(verdict), Some(expected)) => {
            verdict_message(&info, verdict, expected, allow_newer_minor)
        }
        _ => (
            Status::Pass,
            format!("built with {}", shown_bytes(info.go_version.as_bytes())),
        ),
    };
    let mut report = Report {
        path: path.to_path_buf(),
        file,
        status,
        message: String::new(),
        details: Some(Details::new(&info, verdict)),
        vulnerabilities: None,
        vulnerabilities_fixed_in: None,
        vuln_lines: Vec::new(),
    };
    if let Some(db) = db {
        match info.release() {
            Some(release) => {
                let found = db.status(&release);
                if !found.entries.is_empty() {
                    status = status.max(Status::Fail);
                }
                message.push_str(&format!("; {release} has {}", found.phrase()));
                report.vuln_lines = found.lines();
                report.vulnerabilities_fixed_in = found.fixed_in;
                report.vulnerabilities = Some(found.summaries());
            }
            None => {
                status = status.max(Status::Fail);
                message
                    .push_str("; it is no Go release, so its known vulnerabilities cannot be told");
            }
        }
    }
    report.status = status;
    report.message = message;
    report
}

/// The status and the sentence for one verdict.
fn verdict_message(
    info: &BuildInfo,
    verdict: Verdict,
    expected: &Expected,
    allow_newer_minor: bool,
) -> (Status, String) {
    let built = shown_bytes(info.go_version.as_bytes());
    let (want, origin) = (expected.version, expected.origin.phrase());
    if let (Origin::Lock(_), Verdict::NewerPatch | Verdict::NewerMinor) =
        (&expected.origin, verdict)
    {
        return (
            Status::Fail,
            format!("built with {built}, not {want} {origin}: rebuild it with {want}"),
        );
    }
    match verdict {
        Verdict::Same => (
            Status::Pass,
            format!("built with {built}, the release {origin}"),
        ),
        Verdict::NewerPatch => (
            Status::Pass,
            format!("built with {built}, a newer patch of {want} {origin}"),
        ),
        Verdict::NewerMinor if allow_newer_minor => (
            Status::Pass,
            format!(
                "built with {built}, a newer minor than {want} {origin} (allowed by --allow-newer-minor)"
            ),
        ),
        Verdict::NewerMinor => (
            Status::Warn,
            format!(
                "built with {built}, a newer minor than {want} {origin}: rebuild it with {want}, or pass --allow-newer-minor"
            ),
        ),
        Verdict::Older => (
            Status::Fail,
            format!("built with {built}, older than {want} {origin}: rebuild it with {want}"),
        ),
        Verdict::NotARelease => (
            Status::Fail,
            format!(
                "built with '{built}', which is not a Go release: rebuild it with {want} {origin}"
            ),
        ),
    }
}

fn print_report(report: &Report) {
    let file = shown(&report.path);
    let (label, colour) = match report.status {
        Status::Pass => ("ok", "32"),
        Status::Warn => ("WARN", "33"),
        Status::Fail => ("FAIL", "31"),
        Status::Error => {
            eprintln!(
                "{} {}",
                ui::paint("gopin: error:", "31"),
                ui::redacted(&report.message)
            );
            return;
        }
    };
    println!(
        "{file}: {}: {}",
        ui::paint_out(label, colour),
        ui::redacted(&report.message)
    );
    if let Some(summary) = report.details.as_ref().map(Details::summary)
        && !summary.is_empty()
    {
        println!("    {summary}");
    }
    for line in &report.vuln_lines {
        println!("    {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> GoVersion {
        s.parse().unwrap()
    }

    #[test]
    fn the_policy() {
        let want = v("1.22.10");
        assert_eq!(judge(Some(v("1.22.10")), want), Verdict::Same);
        assert_eq!(judge(Some(v("1.22.12")), want), Verdict::NewerPatch);
        assert_eq!(judge(Some(v("1.22.9")), want), Verdict::Older);
        assert_eq!(judge(Some(v("1.21.13")), want), Verdict::Older);
        assert_eq!(judge(Some(v("1.23.0")), want), Verdict::NewerMinor);
        assert_eq!(judge(Some(v("1.23rc1")), want), Verdict::NewerMinor);
        assert_eq!(judge(Some(v("2.0.0")), want), Verdict::NewerMinor);
        assert_eq!(judge(None, want), Verdict::NotARelease);
        // Against a pre-release, its own release is a newer patch of the same minor.
        assert_eq!(judge(Some(v("1.23.0")), v("1.23rc2")), Verdict::NewerPatch);
        assert_eq!(judge(Some(v("1.23rc1")), v("1.23rc2")), Verdict::Older);
        // Numbers, never strings: 1.22.9 is older than 1.22.10.
        assert_eq!(judge(Some(v("1.22.9")), v("1.22.10")), Verdict::Older);
    }

    #[test]
    fn statuses_and_exit_codes() {
        let info = BuildInfo {
            go_version: "go1.23.1".into(),
            path: None,
            main: None,
            settings: vec![],
            replaces: vec![],
        };
        let expected = Expected {
            version: v("1.22.10"),
            origin: Origin::Pin(PathBuf::from("/p/.go-version")),
        };
        let (status, msg) = verdict_message(&info, Verdict::NewerMinor, &expected, false);
        assert_eq!(status, Status::Warn);
        assert_eq!(status.exit_code(), 1);
        assert!(
            msg.contains("/p/.go-version") && msg.contains("--allow-newer-minor"),
            "{msg}"
        );
        let (status, _) = verdict_message(&info, Verdict::NewerMinor, &expected, true);
        assert_eq!(status.exit_code(), 0);
        assert!(Status::Error > Status::Fail && Status::Fail > Status::Warn);
        assert_eq!(Status::Error.exit_code(), 2);
    }
}
