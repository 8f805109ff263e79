use std::process::ExitCode;

use anyhow::Result;
use serde_json::json;

use super::{Context, print_json};
use crate::cli::CurrentArgs;
use crate::platform::Platform;
use crate::resolve::{self, Resolution};
use crate::selection::SourceKind;
use crate::ui::{self, tilde};
use crate::version::GoVersion;
use crate::vuln;

pub fn run(ctx: &Context, args: CurrentArgs) -> Result<ExitCode> {
    let r = resolve::for_cwd(&ctx.store, &Platform::host()?)?;
    // Status 1 when nothing is selected: no pick, and no installed Go meets the go line
    // (a go line alone does not pick, docs/selection.md), so `"version"` is null.
    let found = r.installed.is_some() || r.picked_by().is_some() || r.system().is_some();
    if args.json {
        let mut described = describe(&r);
        // The known vulnerabilities of the release it runs, from the database as last fetched:
        // scripts call `current` often, so it never fetches (docs/security.md, "Security status").
        if let Some(v) = version(&r).and_then(|v| v.parse::<GoVersion>().ok())
            && let Some(db) = vuln::db::load_cached(&ctx.config)
        {
            let status = db.status(&v);
            described["vulnerabilities"] = status.entries.len().into();
            described["vulnerabilities_fixed_in"] = json!(status.fixed_in);
        } else {
            described["vulnerabilities"] = serde_json::Value::Null;
        }
        print_json(&described);
    } else if let Some(file) = r.system() {
        // `system`: the Go already on PATH, nothing of gopin's (docs/selection.md).
        println!("system\t{}", tilde(file));
    } else if r.request.is_none() {
        eprintln!("gopin: {}", resolve::nothing_selected(&resolve::cwd()));
    } else {
        println!("{}", line(&r));
        for note in r.notes() {
            ui::note(&format!("note: {note}"));
        }
        if let Some(note) = r.override_note() {
            ui::note(&format!("note: {note}"));
        }
    }
    Ok(if found {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `go1.22.10  ~/p/.go-version  (at least go 1.21: ~/p/svc/go.mod)`, tab-separated.
fn line(r: &Resolution) -> String {
    let version = match (&r.installed, &r.request) {
        (Some(i), _) => i.version.to_string(),
        (None, Some(request)) => request.to_string(),
        (None, None) => String::new(),
    };
    let mut line = version;
    match r.picked_by() {
        Some(pick) if pick.kind == SourceKind::Shell => line.push_str("\tset by gopin shell"),
        Some(pick) => line.push_str(&format!("\t{}", tilde(&pick.source))),
        None => line.push_str("\t-"),
    }
    if let Some(m) = r.constrained_by() {
        line.push_str(&format!(
            "\t(at least go {}: {})",
            m.floor,
            tilde(&m.source)
        ));
    }
    if r.installed.is_none() {
        line.push_str("\t(not installed — run: gopin install)");
    }
    line
}

/// The release the directory runs, or would once installed (an exact pin).
fn version(r: &Resolution) -> Option<String> {
    r.installed
        .as_ref()
        .map(|i| i.version.to_string())
        .or_else(|| r.request.and_then(|q| q.exact()).map(|v| v.to_string()))
}

fn describe(r: &Resolution) -> serde_json::Value {
    if let Some(file) = r.system() {
        return json!({
            "version": "system",
            "system": true,
            "request": null,
            "source": file,
            "picked_by": {"file": file, "by": tilde(file), "spec": "system"},
            "constrained_by": r.constrained_by().map(|m| json!({"file": m.source, "minimum": m.floor.to_string()})),
            "overridden": null,
            "installed": false,
            "goroot": null,
        });
    }
    json!({
        "version": version(r),
        "request": r.request.map(|q| q.to_string()),
        "source": r.source(),
        "picked_by": r.picked_by().map(|p| json!({
            "file": (p.kind != SourceKind::Shell).then_some(&p.source),
            "by": p.label(),
            "spec": p.spec.to_string(),
        })),
        "constrained_by": r.constrained_by().map(|m| json!({"file": m.source, "minimum": m.floor.to_string()})),
        "overridden": r.overridden.as_ref().map(|p| json!({"file": p.source, "spec": p.spec.to_string()})),
        "installed": r.installed.is_some(),
        "goroot": r.installed.as_ref().map(|i| i.goroot()),
        "notes": r.notes(),
    })
}
