//! `gopin audit` through the real binary, on ELF, Mach-O and PE files crafted with the build
//! info Go's linker writes (the end-to-end script audits binaries built by real Go).

use crate::support;

use std::path::PathBuf;

use support::*;

const MODINFO: &str = "path\texample.com/app\n\
    mod\texample.com/app\t(devel)\t\n\
    dep\tgolang.org/x/text\tv0.14.0\th1:abc=\n\
    build\t-buildmode=exe\n\
    build\t-compiler=gc\n\
    build\t-trimpath=true\n\
    build\tCGO_ENABLED=0\n\
    build\tGOARCH=arm64\n\
    build\tGOOS=linux\n\
    build\tvcs=git\n\
    build\tvcs.revision=0123456789abcdef0123456789abcdef01234567\n\
    build\tvcs.modified=true\n";

/// An environment with no mirror behind it: audit never needs the network.
fn offline() -> Env {
    Env::with_urls("http://127.0.0.1:9/index.json", "http://127.0.0.1:9/dl/")
}

fn pin(env: &Env, text: &str) {
    std::fs::write(env.work().join(".go-version"), text).unwrap();
}

/// Writes `bytes` as an executable named `name` in the work directory.
fn binary(env: &Env, name: &str, bytes: &[u8]) -> PathBuf {
    let path = env.work().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn elf(version: &str) -> Vec<u8> {
    let modinfo = go_modinfo(MODINFO);
    elf_exe(Some(".go.buildinfo"), |_| go_blob_inline(version, &modinfo))
}

fn audit(env: &Env, args: &[&str]) -> (i32, serde_json::Value, String) {
    let mut all = vec!["audit", "--json"];
    all.extend_from_slice(args);
    let out = env.gopin(&all).output().unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout_of(&out), stderr_of(&out)));
    (out.status.code().unwrap(), json, stderr_of(&out))
}

#[test]
fn every_object_format_and_both_blob_layouts() {
    let env = offline();
    pin(&env, "1.22.10\n");
    let modinfo = go_modinfo(MODINFO);
    let old_modinfo = go_modinfo("path\texample.com/old\nmod\texample.com/old\tv1.2.3\th1:x=\n");
    let files = [
        ("elf", elf("go1.22.10"), "pass", "same"),
        (
            "elf-no-sections",
            elf_exe(None, |_| go_blob_inline("go1.22.12", &modinfo)),
            "pass",
            "newer-patch",
        ),
        (
            "elf-go1.16",
            elf_exe(Some(".data"), |base| {
                go_blob_pointers(base, "go1.16.15", &old_modinfo)
            }),
            "fail",
            "older",
        ),
        (
            "app.exe",
            pe_exe(&go_blob_inline("go1.23.1", &modinfo)),
            "warn",
            "newer-minor",
        ),
        (
            "app-darwin",
            macho_with_blob(&go_blob_inline("go1.22.10", &modinfo)),
            "pass",
            "same",
        ),
    ];
    for (name, bytes, status, verdict) in &files {
        binary(&env, name, bytes);
        let (code, j, _) = audit(&env, &[name]);
        let b = &j["binaries"][0];
        assert_eq!(b["status"], *status, "{name}: {j}");
        assert_eq!(b["verdict"], *verdict, "{name}");
        assert_eq!(code, if *status == "pass" { 0 } else { 1 }, "{name}");
    }
    let (code, j, _) = audit(&env, &["elf", "elf-go1.16"]);
    assert_eq!(code, 1, "the worst binary decides");
    assert_eq!(j["status"], "fail");
    assert_eq!(j["expected"], "go1.22.10");
    assert!(j["source"].as_str().unwrap().ends_with("/.go-version"));

    let b = &audit(&env, &["elf"]).1["binaries"][0];
    assert_eq!(b["go_version"], "go1.22.10");
    assert_eq!(b["path"], "example.com/app");
    assert_eq!(b["main_module"]["path"], "example.com/app");
    assert_eq!(
        (b["goos"].as_str(), b["goarch"].as_str()),
        (Some("linux"), Some("arm64"))
    );
    assert_eq!(b["cgo_enabled"], false);
    assert_eq!(b["trimpath"], true);
    assert_eq!(
        b["vcs_revision"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(b["vcs_modified"], true);
    assert_eq!(b["settings"]["-buildmode"], "exe");
    let old = &audit(&env, &["elf-go1.16"]).1["binaries"][0];
    assert_eq!(old["main_module"]["version"], "v1.2.3");
    assert_eq!(
        old["trimpath"],
        serde_json::Value::Null,
        "Go 1.16 recorded no settings"
    );

    // The human report: one line per binary, then what it was built with.
    let out = env
        .gopin(&["audit", "elf", "elf-go1.16", "app.exe"])
        .output()
        .unwrap();
    let text = stdout_of(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("elf: ok: built with go1.22.10, the release pinned by ")
            && lines[0].ends_with(".go-version"),
        "{text}"
    );
    assert_eq!(
        lines[1],
        "    example.com/app  linux/arm64, CGO_ENABLED=0, -trimpath, vcs.revision=0123456789ab (modified)"
    );
    assert!(
        lines[2].starts_with("elf-go1.16: FAIL: built with go1.16.15, older than go1.22.10")
            && lines[2].ends_with(": rebuild it with go1.22.10"),
        "{text}"
    );
    assert!(
        lines[4].starts_with("app.exe: WARN: built with go1.23.1, a newer minor than go1.22.10"),
        "{text}"
    );
    assert!(lines[4].ends_with("or pass --allow-newer-minor"), "{text}");
}

#[test]
fn the_policy_and_its_flag() {
    let env = offline();
    pin(&env, "1.22.10\n");
    binary(&env, "newer-minor", &elf("go1.23.4"));
    binary(&env, "devel", &elf("devel go1.24-0123abcd Tue Jan 7 2025"));
    binary(&env, "fips", &elf("go1.22.10-fips X:boringcrypto"));
    let (code, j, _) = audit(&env, &["newer-minor", "--allow-newer-minor"]);
    assert_eq!((code, &j["binaries"][0]["status"]), (0, &"pass".into()));
    let (code, j, _) = audit(&env, &["devel"]);
    assert_eq!(code, 1);
    assert_eq!(j["binaries"][0]["verdict"], "not-a-release");
    assert!(
        j["binaries"][0]["message"]
            .as_str()
            .unwrap()
            .contains("is not a Go release")
    );
    let (code, j, _) = audit(&env, &["fips"]);
    assert_eq!(
        code, 0,
        "a vendor suffix names the release it builds on: {j}"
    );

    // --against replaces the pin: exact needs no store, and a newer patch passes.
    let (code, j, _) = audit(&env, &["fips", "--against", "1.22.3"]);
    assert_eq!(code, 0);
    assert_eq!(j["against"], "1.22.3");
    assert_eq!(j["source"], serde_json::Value::Null);
    assert_eq!(j["binaries"][0]["verdict"], "newer-patch");
    let (code, _, _) = audit(&env, &["fips", "--against", "1.22.11"]);
    assert_eq!(code, 1);
    let out = env
        .gopin(&["audit", "fips", "--against", "1.22;rm"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr_of(&out).contains("'1.22;rm' is not a Go version"));
}

#[test]
fn what_the_audit_is_judged_against() {
    let mirror = Mirror::start();
    publish(
        &mirror,
        &[Release::linux("go1.22.8"), Release::linux("go1.21.13")],
    );
    let env = Env::new(&mirror);
    binary(&env, "app", &elf("go1.22.8"));

    let out = env.gopin(&["audit", "app"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr_of(&out).contains("no Go version is selected"),
        "{}",
        stderr_of(&out)
    );

    // An exact pin needs nothing installed; a prefix means its newest installed match.
    pin(&env, "1.22.8\n");
    env.gopin(&["audit", "app"]).assert().code(0);
    pin(&env, "1.22\n");
    let out = env.gopin(&["audit", "app"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(
        err.contains("pinned by") && err.contains("gopin install"),
        "{err}"
    );
    let out = env
        .gopin(&["audit", "app", "--against", "stable"])
        .output()
        .unwrap();
    assert!(
        stderr_of(&out).contains("no installed Go matches stable"),
        "{}",
        stderr_of(&out)
    );

    env.gopin(&["install", "1.22.8", "1.21.13"])
        .assert()
        .success();
    let (code, j, _) = audit(&env, &["app"]);
    assert_eq!((code, &j["expected"]), (0, &"go1.22.8".into()));
    let (code, j, _) = audit(&env, &["app", "--against", "1.21"]);
    assert_eq!(
        (code, &j["binaries"][0]["verdict"]),
        (1, &"newer-minor".into())
    );
    let (code, j, _) = audit(&env, &["app", "--against", "stable"]);
    assert_eq!((code, &j["expected"]), (0, &"go1.22.8".into()));

    // A go.mod `go` line alone: the newest installed release of its minor.
    std::fs::remove_file(env.work().join(".go-version")).unwrap();
    std::fs::write(env.work().join("go.mod"), "module m\n\ngo 1.21\n").unwrap();
    let (code, j, _) = audit(&env, &["app"]);
    assert_eq!((code, &j["expected"]), (1, &"go1.21.13".into()));
}

#[test]
fn files_that_cannot_be_judged_exit_2_with_one_line_each() {
    let env = offline();
    pin(&env, "1.22.10\n");
    let good = elf("go1.22.10");
    binary(&env, "empty", b"");
    binary(&env, "script", b"#!/bin/sh\necho go1.22.10\n");
    binary(&env, "truncated", &good[..good.len() / 2]);
    let rust = std::fs::read(gopin_bin()).unwrap();
    binary(&env, "not-go", &rust);
    std::fs::create_dir(env.work().join("dir")).unwrap();
    let fifo = env.work().join("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let cases = [
        ("empty", "empty is empty (0 bytes), not a Go binary"),
        (
            "script",
            "script is not an executable in a format gopin reads (ELF, Mach-O or PE)",
        ),
        (
            "truncated",
            "truncated is a damaged or truncated ELF file (",
        ),
        (
            "not-go",
            "not-go is not a Go binary: this ELF file holds no Go build info",
        ),
        ("dir", "dir is a directory, not a binary"),
        ("missing", "missing does not exist"),
        ("fifo", "fifo is a FIFO (named pipe), not a regular file"),
    ];
    for (name, message) in cases {
        let out = env.gopin(&["audit", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = stderr_of(&out);
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(
            err.starts_with("gopin: error: ") && err.contains(message),
            "{name}: {err}"
        );
        assert!(stdout_of(&out).is_empty(), "{name}");
    }
    // Beside a failing binary, the unreadable one decides the exit status; JSON says why.
    binary(&env, "old", &elf("go1.21.13"));
    let (code, j, err) = audit(&env, &["old", "truncated"]);
    assert_eq!(code, 2);
    assert!(err.is_empty(), "--json keeps stderr clean: {err}");
    assert_eq!(j["binaries"][0]["status"], "fail");
    assert_eq!(j["binaries"][1]["status"], "error");
    assert!(
        j["binaries"][1]["message"]
            .as_str()
            .unwrap()
            .contains("truncated")
    );
}

#[test]
fn hostile_build_info_never_reaches_the_terminal_raw() {
    let env = offline();
    pin(&env, "1.22.10\n");
    let evil = go_modinfo("path\t\x1b]0;pwned\x07\nbuild\tGOOS=\x1b[2J\nbuild\tGOARCH=amd64\n");
    binary(
        &env,
        "evil",
        &elf_exe(Some(".go.buildinfo"), |_| {
            go_blob_inline("go1.22.10\x1b[31m", &evil)
        }),
    );
    let dir = env.work().join("odd\x1bname");
    std::fs::create_dir(&dir).unwrap();
    let out = env
        .gopin(&["audit", "evil", "odd\x1bname"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    for text in [stdout_of(&out), stderr_of(&out)] {
        assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    }
    assert!(
        stdout_of(&out).contains("built with 'go1.22.10\\u{1b}[31m', which is not a Go release")
    );
    assert!(stderr_of(&out).contains("odd\\u{1b}name is a directory"));
    let (_, j, _) = audit(&env, &["evil"]);
    assert_eq!(
        j["binaries"][0]["go_version"], "go1.22.10\x1b[31m",
        "JSON escapes it itself"
    );
}

#[test]
fn help_states_the_exit_codes() {
    let out = offline().gopin(&["audit", "--help"]).output().unwrap();
    let help = stdout_of(&out);
    assert!(
        help.contains("--allow-newer-minor") && help.contains("2 one is not a Go binary"),
        "{help}"
    );
}

#[test]
fn huge_files_are_judged_from_their_first_bytes_or_refused_by_size() {
    use std::os::unix::process::CommandExt;
    let env = offline();
    pin(&env, "1.22.10\n");
    // Sparse: a GiB of text and 3 GiB that begin like an ELF file, taking no disk space.
    let sized = |name: &str, head: &[u8], len: u64| {
        let path = binary(&env, name, head);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(len)
            .unwrap();
    };
    sized("log.txt", b"2024-01-01 started\n", 1 << 30);
    sized("huge-elf", &elf("go1.22.10")[..64], 3 << 30);
    for (name, message) in [
        (
            "log.txt",
            "log.txt is not an executable in a format gopin reads",
        ),
        ("huge-elf", "huge-elf is larger than 2147483648 bytes"),
    ] {
        let mut cmd = env.command(&["audit", name]);
        // Half a GiB of address space: reading the whole file would not fit.
        // SAFETY: setrlimit is async-signal-safe and affects only this child.
        unsafe {
            cmd.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: 512 << 20,
                    rlim_max: 512 << 20,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let out = cmd.output().unwrap();
        let err = stderr_of(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(message), "{name}: {err}");
    }
}
