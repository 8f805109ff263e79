//! Security status through the real binary (docs/security.md, "Security status"): the real
//! entries of Go's vulnerability database in tests/fixtures/vulndb, served from loopback and
//! read from a `file://` copy. The fixture's README lists which entries affect go1.21.13 and
//! go1.22.10: the oracle below.

use crate::support;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;
use support::*;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vulndb");

/// The entries that affect go1.22.10 (18 stdlib, 4 toolchain), and go1.21.13 as well.
const AFFECT_BOTH: [&str; 22] = [
    "GO-2025-3373",
    "GO-2025-3420",
    "GO-2025-3447",
    "GO-2025-3503",
    "GO-2025-3563",
    "GO-2025-3750",
    "GO-2025-3751",
    "GO-2025-3828",
    "GO-2025-3849",
    "GO-2025-3956",
    "GO-2025-4006",
    "GO-2025-4007",
    "GO-2025-4008",
    "GO-2025-4010",
    "GO-2025-4155",
    "GO-2026-4337",
    "GO-2026-4339",
    "GO-2026-4403",
    "GO-2026-4433",
    "GO-2026-4603",
    "GO-2026-4871",
    "GO-2026-5026",
];
/// Fixed in 1.22.7: go1.21.13 has them, go1.22.10 does not (though the index's `fixed`,
/// 1.23.1, would let them through).
const ONLY_1_21_13: [&str; 3] = ["GO-2024-3105", "GO-2024-3106", "GO-2024-3107"];
/// Fixed before either (1.21.10 and 1.21.12).
const NEITHER: [&str; 2] = ["GO-2024-2825", "GO-2024-2963"];

fn affecting_1_21_13() -> Vec<String> {
    let mut all: Vec<String> = AFFECT_BOTH
        .iter()
        .chain(&ONLY_1_21_13)
        .map(|s| s.to_string())
        .collect();
    all.sort();
    all
}

fn affecting_1_22_10() -> Vec<String> {
    AFFECT_BOTH.iter().map(|s| s.to_string()).collect()
}

/// Every file under `dir`, as paths relative to it.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if path.is_dir() {
            out.extend(files(&path).into_iter().map(|f| format!("{name}/{f}")));
        } else {
            out.push(name);
        }
    }
    out
}

/// Serves the fixture (both `.json` and `.json.gz` of every file) under `/vulndb/`.
fn serve_vulndb(mirror: &Mirror) {
    for rel in files(Path::new(FIXTURE)) {
        let bytes = std::fs::read(Path::new(FIXTURE).join(&rel)).unwrap();
        mirror.set(&format!("/vulndb/{rel}"), Reply::Body(bytes));
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Releases of five minors' worth (the newest two: 1.26 and 1.25) and three of them
/// installed; the database on the loopback mirror.
fn world() -> (Mirror, Env) {
    let (mirror, env) = world_with(
        &[
            "go1.26.6",
            "go1.25.13",
            "go1.22.12",
            "go1.22.10",
            "go1.21.13",
        ],
        &["1.21.13", "1.22.10", "1.25.13"],
    );
    serve_vulndb(&mirror);
    let url = mirror.url("/vulndb");
    (mirror, env.with_var("GOPIN_VULNDB", &url))
}

fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout_of(out), stderr_of(out)))
}

/// `outdated --json` (with `extra` arguments), and its stderr.
fn outdated(env: &Env, extra: &[&str]) -> (Vec<Value>, String) {
    let mut args = vec!["outdated", "--json"];
    args.extend_from_slice(extra);
    let out = env.gopin(&args).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    (json_of(&out).as_array().unwrap().clone(), stderr_of(&out))
}

fn row<'a>(rows: &'a [Value], version: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["version"] == version)
        .unwrap_or_else(|| panic!("{version}: {rows:?}"))
}

fn ids(vulns: &Value) -> Vec<String> {
    let mut ids: Vec<String> = vulns
        .as_array()
        .unwrap_or_else(|| panic!("no vulnerabilities: {vulns}"))
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn entry<'a>(vulns: &'a Value, id: &str) -> &'a Value {
    vulns
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in {vulns}"))
}

/// The checks on go1.21.13, go1.22.10 and go1.25.13 that hold however the database is read.
fn assert_the_oracle(rows: &[Value]) {
    let old = row(rows, "go1.21.13");
    let newer = row(rows, "go1.22.10");
    assert_eq!(ids(&old["vulnerabilities"]), affecting_1_21_13());
    assert_eq!(ids(&newer["vulnerabilities"]), affecting_1_22_10());
    for id in NEITHER {
        assert!(
            !ids(&old["vulnerabilities"]).contains(&id.to_string()),
            "{id}"
        );
    }
    // Neither minor has a fix for them all: the lowest newer release that has.
    assert_eq!(old["vulnerabilities_fixed_in"], "go1.25.13");
    assert_eq!(newer["vulnerabilities_fixed_in"], "go1.25.13");
    // Each entry's own fix, for the version in question.
    assert_eq!(
        entry(&newer["vulnerabilities"], "GO-2025-3373")["fixed"],
        "go1.22.11"
    );
    assert_eq!(
        entry(&old["vulnerabilities"], "GO-2024-3105")["fixed"],
        "go1.22.7"
    );
    assert_eq!(
        entry(&newer["vulnerabilities"], "GO-2025-3503")["fixed"],
        "go1.23.7"
    );
    let e = entry(&newer["vulnerabilities"], "GO-2025-3503");
    assert_eq!(
        e["aliases"],
        serde_json::json!(["CVE-2025-22870", "GHSA-qxp5-gwg8-xv66"])
    );
    assert_eq!(e["packages"], serde_json::json!(["net/http"]));
    assert_eq!(e["modules"], serde_json::json!(["stdlib"]));
    let toolchain = entry(&newer["vulnerabilities"], "GO-2025-3828");
    assert_eq!(toolchain["modules"], serde_json::json!(["toolchain"]));
    // A duplicate alias in the entry is said once.
    assert_eq!(toolchain["aliases"], serde_json::json!(["CVE-2025-4674"]));
    let current = row(rows, "go1.25.13");
    assert_eq!(current["vulnerabilities"], serde_json::json!([]));
    assert_eq!(current["vulnerabilities_fixed_in"], Value::Null);
    // The index's newest minors are 1.26 and 1.25.
    assert_eq!(old["supported"], false);
    assert_eq!(newer["supported"], false);
    assert_eq!(current["supported"], true);
}

#[test]
fn outdated_over_loopback_gives_the_exact_entries_and_reuses_its_cache() {
    let (mirror, env) = world();
    let (rows, _) = outdated(&env, &[]);
    assert_the_oracle(&rows);
    // Over http, each file is asked for as .json.gz, once.
    assert_eq!(mirror.hits("/vulndb/index/db.json.gz"), 1);
    assert_eq!(mirror.hits("/vulndb/index/modules.json.gz"), 1);
    assert_eq!(mirror.hits("/vulndb/ID/GO-2025-3373.json.gz"), 1);
    assert_eq!(mirror.hits("/vulndb/ID/GO-2025-3373.json"), 0);
    assert_eq!(mirror.hits("/vulndb/index/db.json"), 0);

    // Within a day the cache answers without the network.
    let out = env.gopin(&["outdated"]).output().unwrap();
    assert!(out.status.success());
    let text = stdout_of(&out);
    assert!(
        text.contains("go1.22.10  go1.22.12 is out; 22 known vulnerabilities (18 in the standard library, 4 in the toolchain), fixed in go1.25.13; 1.22 is unsupported (Go supports only 1.26 and 1.25)"),
        "{text}"
    );
    assert!(
        text.contains("go1.21.13  up to date; 25 known vulnerabilities (21 in the standard library, 4 in the toolchain), fixed in go1.25.13; 1.21 is unsupported"),
        "{text}"
    );
    assert!(
        text.contains("go1.25.13  up to date; no known vulnerabilities\n"),
        "{text}"
    );
    let err = stderr_of(&out);
    assert!(
        err.contains("govulncheck") && err.contains("matched by release"),
        "{err}"
    );
    // From the cache, it says how old the copy is.
    assert!(
        err.contains(", checked ") && err.contains(" s ago)"),
        "{err}"
    );
    assert_eq!(mirror.hits("/vulndb/index/db.json.gz"), 1);
    assert_eq!(mirror.hits("/vulndb/ID/GO-2025-3373.json.gz"), 1);

    // --refresh asks; unchanged (db.json's `modified` the same), nothing else is fetched.
    outdated(&env, &["--refresh"]);
    assert_eq!(mirror.hits("/vulndb/index/db.json.gz"), 2);
    assert_eq!(mirror.hits("/vulndb/index/modules.json.gz"), 1);

    // The database unreachable: the cache answers, saying how old it is.
    mirror.set("/vulndb/index/db.json.gz", Reply::Status(503));
    let (rows, err) = outdated(&env, &["--refresh"]);
    assert_the_oracle(&rows);
    assert!(
        err.contains("cannot update the vulnerability database")
            && err.contains("503")
            && err.contains("using the copy checked")
            && err.contains("ago (newest entry 2026-08-21T20:38:00Z)"),
        "{err}"
    );

    // A day after the last check, it asks again (the check's time is in state.json).
    mirror.set(
        "/vulndb/index/db.json.gz",
        Reply::Body(std::fs::read(Path::new(FIXTURE).join("index/db.json.gz")).unwrap()),
    );
    let asked = mirror.hits("/vulndb/index/db.json.gz");
    let cache = env.dir.path().join("cache");
    let dir = list_dir(&cache)
        .into_iter()
        .find(|n| n.starts_with("vulndb-"))
        .unwrap();
    let state_file = cache.join(dir).join("state.json");
    let mut state: Value = serde_json::from_slice(&std::fs::read(&state_file).unwrap()).unwrap();
    state["checked"] = (state["checked"].as_u64().unwrap() - 25 * 3600).into();
    std::fs::write(&state_file, serde_json::to_vec(&state).unwrap()).unwrap();
    outdated(&env, &[]);
    assert_eq!(mirror.hits("/vulndb/index/db.json.gz"), asked + 1);
    outdated(&env, &[]);
    assert_eq!(mirror.hits("/vulndb/index/db.json.gz"), asked + 1);
}

#[test]
fn a_changed_entry_is_fetched_again_and_no_other() {
    let (mirror, env) = world();
    outdated(&env, &[]);
    // A newer database where one entry changed.
    let db = br#"{"modified":"2026-09-01T00:00:00Z"}"#;
    mirror.set("/vulndb/index/db.json.gz", Reply::Body(gzip(db)));
    let modules = std::fs::read_to_string(Path::new(FIXTURE).join("index/modules.json")).unwrap();
    let modules = modules.replacen(
        r#"{"id":"GO-2025-3373","modified":"2025-01-30T18:58:58Z""#,
        r#"{"id":"GO-2025-3373","modified":"2026-09-01T00:00:00Z""#,
        1,
    );
    assert!(modules.contains("2026-09-01"), "the fixture changed");
    mirror.set(
        "/vulndb/index/modules.json.gz",
        Reply::Body(gzip(modules.as_bytes())),
    );
    let (rows, _) = outdated(&env, &["--refresh"]);
    assert_the_oracle(&rows);
    assert_eq!(mirror.hits("/vulndb/ID/GO-2025-3373.json.gz"), 2);
    assert_eq!(mirror.hits("/vulndb/ID/GO-2025-3420.json.gz"), 1);
}

#[test]
fn a_file_copy_gives_the_same_answers_and_is_not_cached() {
    let (_mirror, env) = world();
    let env = env.with_var("GOPIN_VULNDB", &file_url(Path::new(FIXTURE)));
    let (rows, _) = outdated(&env, &[]);
    assert_the_oracle(&rows);
    let cached: Vec<String> = list_dir(&env.dir.path().join("cache"))
        .into_iter()
        .filter(|n| n.starts_with("vulndb"))
        .collect();
    assert!(cached.is_empty(), "{cached:?}");
    // A plain path is a copy too.
    let env = env.with_var("GOPIN_VULNDB", FIXTURE);
    let (rows, _) = outdated(&env, &[]);
    assert_the_oracle(&rows);
}

#[test]
fn malformed_and_hostile_entries_are_skipped_with_a_warning() {
    let (mirror, env) = world();
    let text = std::fs::read(Path::new(FIXTURE).join("ID/GO-2025-3373.json")).unwrap();
    // Truncated: valid gzip of half an entry.
    mirror.set(
        "/vulndb/ID/GO-2025-3373.json.gz",
        Reply::Body(gzip(&text[..text.len() / 2])),
    );
    // A few KiB that inflate to 5 MiB.
    mirror.set(
        "/vulndb/ID/GO-2025-3420.json.gz",
        Reply::Body(gzip(&vec![b' '; 5 << 20])),
    );
    // An id that would climb out of the cache, and one the server does not have.
    let modules = std::fs::read_to_string(Path::new(FIXTURE).join("index/modules.json")).unwrap();
    let modules = modules.replacen(
        r#"{"path":"stdlib","vulns":["#,
        r#"{"path":"stdlib","vulns":[{"id":"../../../escaped","modified":"2026-01-01T00:00:00Z"},{"id":"GO-2099-0001","modified":"2026-01-01T00:00:00Z"},"#,
        1,
    );
    assert!(modules.contains("escaped"), "the fixture changed");
    mirror.set(
        "/vulndb/index/modules.json.gz",
        Reply::Body(gzip(modules.as_bytes())),
    );

    for run in ["first", "from the cache"] {
        let (rows, err) = outdated(&env, &[]);
        for (id, why) in [
            ("GO-2025-3373", "not OSV JSON"),
            ("GO-2025-3420", "inflates to more than"),
            ("../../../escaped", "not a database id"),
            ("GO-2099-0001", "404"),
        ] {
            assert!(
                err.contains(&format!("skipping the vulnerability entry '{id}'"))
                    && err.contains(why),
                "{run}: {id}: {err}"
            );
        }
        let got = ids(&row(&rows, "go1.22.10")["vulnerabilities"]);
        let want: Vec<String> = affecting_1_22_10()
            .into_iter()
            .filter(|id| id != "GO-2025-3373" && id != "GO-2025-3420")
            .collect();
        assert_eq!(got, want, "{run}");
    }
    assert!(!env.dir.path().join("escaped").exists());
    assert!(!env.dir.path().join("escaped.json").exists());

    // The same in a local copy: a truncated entry and one that names another.
    let copy = tempfile::tempdir().unwrap();
    for rel in files(Path::new(FIXTURE)) {
        let dest = copy.path().join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(Path::new(FIXTURE).join(&rel), dest).unwrap();
    }
    std::fs::write(copy.path().join("ID/GO-2025-3373.json"), &text[..100]).unwrap();
    let other = std::fs::read(copy.path().join("ID/GO-2025-3447.json")).unwrap();
    std::fs::write(copy.path().join("ID/GO-2025-3420.json"), other).unwrap();
    // Twelve entries listed that the copy does not have: ten warnings name one each (the
    // two above first), one counts the rest.
    let missing: Vec<String> = (100..112)
        .map(|n| format!(r#"{{"id":"GO-2099-0{n}","modified":"2026-01-01T00:00:00Z"}}"#))
        .collect();
    let modules = std::fs::read_to_string(Path::new(FIXTURE).join("index/modules.json"))
        .unwrap()
        .replacen(
            r#"{"path":"stdlib","vulns":["#,
            &format!(r#"{{"path":"stdlib","vulns":[{},"#, missing.join(",")),
            1,
        );
    std::fs::write(copy.path().join("index/modules.json"), modules).unwrap();
    let env = env.with_var("GOPIN_VULNDB", &file_url(copy.path()));
    let (rows, err) = outdated(&env, &[]);
    assert!(
        err.contains("skipping the vulnerability entry 'GO-2025-3373'"),
        "{err}"
    );
    assert!(
        err.contains("skipping the vulnerability entry 'GO-2025-3420'")
            && err.contains("it names itself 'GO-2025-3447'"),
        "{err}"
    );
    assert_eq!(ids(&row(&rows, "go1.22.10")["vulnerabilities"]).len(), 20);
    assert_eq!(
        err.matches("skipping the vulnerability entry").count(),
        10,
        "{err}"
    );
    assert!(
        err.contains("skipping 4 more entries of the vulnerability database"),
        "{err}"
    );
}

#[test]
fn without_the_database_outdated_goes_on_and_audit_vuln_stops() {
    let (_mirror, env) = world();
    let env = env.with_var("GOPIN_VULNDB", "http://127.0.0.1:9/vulndb");
    let (rows, err) = outdated(&env, &[]);
    assert!(
        err.contains("no security status") && err.contains("there is no cached copy"),
        "{err}"
    );
    assert_eq!(row(&rows, "go1.22.10")["vulnerabilities"], Value::Null);
    // What the release index says still holds.
    assert_eq!(row(&rows, "go1.22.10")["supported"], false);
    let bin = env.work().join("app");
    std::fs::write(&bin, go_binary_with_buildinfo("go1.22.10", "linux/amd64")).unwrap();
    let out = env.gopin(&["audit", "--vuln", "app"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        one_error_line(&out).contains("no cached copy"),
        "{}",
        stderr_of(&out)
    );
    let off = env.with_var("GOPIN_VULNDB", "off");
    let out = off.gopin(&["audit", "--vuln", "app"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        one_error_line(&out).contains("vulndb is off"),
        "{}",
        stderr_of(&out)
    );
    let bad = off.with_var("GOPIN_VULNDB", "ftp://example.com/vulndb");
    let out = bad.gopin(&["audit", "--vuln", "app"]).output().unwrap();
    assert!(!out.status.success());
    let err = one_error_line(&out);
    assert!(
        err.contains("vulndb (GOPIN_VULNDB)") && err.contains("ftp://example.com/vulndb"),
        "{err}"
    );
}

/// An environment with no mirror: the database is a `file://` copy.
fn offline() -> Env {
    Env::with_urls("http://127.0.0.1:9/index.json", "http://127.0.0.1:9/dl/")
        .with_var("GOPIN_VULNDB", &file_url(Path::new(FIXTURE)))
}

fn binary(env: &Env, name: &str, version: &str) -> PathBuf {
    let path = env.work().join(name);
    std::fs::write(&path, go_binary_with_buildinfo(version, "linux/amd64")).unwrap();
    path
}

#[test]
fn audit_vuln_fails_a_binary_built_by_go1_22_10() {
    let env = offline();
    binary(&env, "app", "go1.22.10");
    binary(&env, "new", "go1.26.6");
    // Without --vuln, the release it was asked to be is all that counts.
    env.gopin(&["audit", "app", "--against", "1.22.10"])
        .assert()
        .code(0);
    let out = env
        .gopin(&["audit", "--json", "--vuln", "app", "--against", "1.22.10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let json = json_of(&out);
    assert_eq!(json["status"], "fail");
    let app = &json["binaries"][0];
    assert_eq!(app["status"], "fail");
    assert_eq!(app["verdict"], "same");
    assert_eq!(ids(&app["vulnerabilities"]), affecting_1_22_10());
    assert_eq!(app["vulnerabilities_fixed_in"], "go1.25.13");
    assert_eq!(
        entry(&app["vulnerabilities"], "GO-2025-3373")["summary"],
        "Usage of IPv6 zone IDs can bypass URI name constraints in crypto/x509"
    );

    // Nothing selected here: --vuln alone judges; a release with none passes.
    let out = env
        .gopin(&["audit", "--vuln", "app", "new"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(
        text.contains("app: FAIL: built with go1.22.10; go1.22.10 has 22 known vulnerabilities (18 in the standard library, 4 in the toolchain), fixed in go1.25.13"),
        "{text}"
    );
    assert!(
        text.contains("    GO-2025-3373 (CVE-2024-45341) crypto/x509: Usage of IPv6 zone IDs"),
        "{text}"
    );
    assert!(
        text.contains("new: ok: built with go1.26.6; go1.26.6 has no known vulnerabilities"),
        "{text}"
    );
    assert!(!text.contains("GO-2024-3105"), "{text}");
    assert!(stderr_of(&out).contains("govulncheck"));
    env.gopin(&["audit", "--vuln", "new"]).assert().code(0);
}

#[test]
fn ls_remote_current_and_doctor_say_it() {
    let (mirror, env) = world();
    std::fs::write(env.work().join(".go-version"), "1.22.10\n").unwrap();
    // current never fetches: nothing cached yet, no count.
    let out = env.gopin(&["current", "--json"]).output().unwrap();
    assert_eq!(json_of(&out)["vulnerabilities"], Value::Null);
    assert_eq!(mirror.hits("/vulndb/index/db.json.gz"), 0);

    let out = env.gopin(&["ls-remote", "--vuln"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = stdout_of(&out);
    assert!(
        text.contains("go1.22.10  22 known vulnerabilities, fixed in go1.25.13\n"),
        "{text}"
    );
    assert!(
        text.contains("go1.21.13  25 known vulnerabilities, fixed in go1.25.13\n"),
        "{text}"
    );
    assert!(text.contains("go1.26.6\n"), "{text}");
    let out = env
        .gopin(&["ls-remote", "--vuln", "--json", "1.22"])
        .output()
        .unwrap();
    let json = json_of(&out);
    assert_eq!(json[0]["version"], "go1.22.12");
    assert_eq!(json[1]["vulnerabilities"], 22);
    // Without --vuln, nothing is said of them.
    let out = env
        .gopin(&["ls-remote", "--json", "1.22"])
        .output()
        .unwrap();
    assert_eq!(json_of(&out)[1].get("vulnerabilities"), None);

    let out = env.gopin(&["current", "--json"]).output().unwrap();
    let json = json_of(&out);
    assert_eq!(json["vulnerabilities"], 22);
    assert_eq!(json["vulnerabilities_fixed_in"], "go1.25.13");

    let out = env.gopin(&["doctor"]).output().unwrap();
    let text = stdout_of(&out);
    assert!(
        text.contains("warning security: go1.22.10 (selected here) has 22 known vulnerabilities")
            && text.contains("1.22 is unsupported (Go supports only 1.26 and 1.25)")
            && text.contains("advice: pin go1.25.13 or newer"),
        "{text}"
    );
    let out = env.gopin(&["doctor", "--json"]).output().unwrap();
    let checks = json_of(&out);
    let security = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "security")
        .unwrap();
    assert_eq!(security["warning"], true);
    assert_eq!(security["ok"], true);
}
