//! `gopin export` through the real binary: reproducible bytes (across stores, umasks, mtimes
//! and install times), an archive that lists the tree exactly with its record first, refusal
//! of a damaged tree, `--prefix` and `-o -`, and one-line errors.

use crate::support;

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use support::*;

const NAME: &str = "go1.22.10.linux-amd64";
/// A path longer than a tar header's 100 bytes, and a symlink target longer than that too.
const LONG: &str = "go/src/cmd/vendor/golang.org/x/tools/internal/analysisinternal/a_file_whose_path_is_longer_than_one_hundred_bytes.go";
const LONG_TARGET: &str = "../src/cmd/vendor/golang.org/x/tools/internal/analysisinternal/a_file_whose_path_is_longer_than_one_hundred_bytes.go";

/// A Go-like tree with what a snapshot must normalise or carry: a group-writable tool, a
/// file only its owner may read, symlinks, and long names.
fn tree() -> Vec<Entry> {
    let mut t = go_tree("go1.22.10", "linux/amd64");
    t.extend([
        Entry::Dir("go/pkg/tool/linux_amd64/"),
        Entry::File(
            "go/pkg/tool/linux_amd64/compile".into(),
            0o775,
            b"#!/bin/sh\necho compile\n".to_vec(),
        ),
        Entry::File(
            "go/src/runtime/private.go".into(),
            0o600,
            b"package runtime\n\n// private\n".to_vec(),
        ),
        Entry::File(LONG.into(), 0o644, b"package analysisinternal\n".to_vec()),
        Entry::Symlink("go/src/runtime/alias.go", "runtime.go"),
        Entry::Dir("go/misc/"),
        Entry::Symlink("go/misc/long", LONG_TARGET),
        Entry::File("go/misc/big.bin".into(), 0o644, noise(300_000, 7)),
    ]);
    t
}

fn world() -> (Mirror, Env) {
    mirror_with(&[Release::with_archive("go1.22.10", tar_gz(&tree()))])
}

/// A world with go1.22.10 installed.
fn installed() -> (Mirror, Env) {
    let (mirror, env) = world();
    env.gopin(&["install", "1.22.10"]).assert().success();
    (mirror, env)
}

/// Exports go1.22.10 with `args` to `name` in the work directory, and returns its path.
fn export_file(env: &Env, name: &str, args: &[&str]) -> PathBuf {
    let path = env.work().join(name);
    export(
        env,
        &[&["1.22.10", "-o", path.to_str().unwrap()], args].concat(),
    );
    path
}

/// `gopin export ARGS` in `env`, expecting success.
fn export(env: &Env, args: &[&str]) -> Output {
    let out = env.gopin(&[&["export"], args].concat()).output().unwrap();
    assert!(out.status.success(), "export {args:?}: {}", stderr_of(&out));
    out
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap()
}

/// A file's SHA-256, which compares (and fails) more readably than its bytes.
fn digest(path: &Path) -> String {
    sha256_hex(&read(path))
}

/// `gopin install ARGS` under `umask`.
fn install_with_umask(env: &Env, umask: libc::mode_t, args: &[&str]) {
    let mut cmd = env.command(&[&["install"], args].concat());
    // SAFETY: umask is async-signal-safe and touches nothing but this child.
    unsafe {
        cmd.pre_exec(move || {
            libc::umask(umask);
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
}

/// Sets every file's mtime under `dir` (as `touch -d` would).
fn touch_all(dir: &Path, secs: u64) {
    let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            touch_all(&entry.path(), secs);
        } else if kind.is_file() {
            let f = std::fs::File::options()
                .write(true)
                .open(entry.path())
                .unwrap();
            f.set_modified(when).unwrap();
        }
    }
}

#[test]
fn the_same_install_gives_the_same_bytes_from_any_store_at_any_time() {
    let (_mirror, first) = installed();
    let a = export_file(&first, "a.tar.gz", &[]);
    let b = export_file(&first, "b.tar.gz", &[]);
    assert_eq!(digest(&a), digest(&b), "twice from one store");

    // Another store, installed from another mirror under another umask, at another time by
    // another gopin, with every file touched: the same release, so the same bytes.
    let (_other_mirror, second) = world();
    assert_ne!(second.download_url, first.download_url);
    install_with_umask(&second, 0o077, &["1.22.10"]);
    let goroot = second.goroot(NAME);
    let compile = goroot.join("pkg/tool/linux_amd64/compile");
    assert_eq!(
        std::fs::metadata(&compile).unwrap().permissions().mode() & 0o777,
        0o500,
        "the umask narrowed the modes on disk (and objects have no write bit)"
    );
    touch_all(&goroot, 1_234_567_890);
    let record_path = goroot.parent().unwrap().join("install.json");
    let mut record: serde_json::Value = serde_json::from_slice(&read(&record_path)).unwrap();
    record["installed_at"] = 1_000_000_000.into();
    record["gopin_version"] = "0.0.1".into();
    std::fs::write(&record_path, serde_json::to_vec(&record).unwrap()).unwrap();
    let c = export_file(&second, "c.tar.gz", &[]);
    assert_eq!(digest(&a), digest(&c), "from another store");

    // The reported digest is the file's.
    let out = export(&second, &["1.22.10", "-o", c.to_str().unwrap()]);
    let said = stderr_of(&out);
    assert!(said.contains(&digest(&c)), "{said}");
    assert!(said.contains("exported go1.22.10 (linux/amd64)"), "{said}");
}

/// One archive entry, as a reader sees it.
#[derive(Debug)]
struct Listed {
    name: String,
    kind: tar::EntryType,
    mode: u32,
    link: Option<String>,
    data: Vec<u8>,
}

/// Every entry of a snapshot, in order, checking the fixed metadata of each.
fn list(snapshot: &[u8]) -> Vec<Listed> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(snapshot));
    let mut listed = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let h = entry.header();
        let name = entry.path().unwrap().to_str().unwrap().to_string();
        assert_eq!(h.mtime().unwrap(), 946_684_800, "{name}'s mtime");
        assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0), "{name}");
        assert_eq!(h.username().unwrap(), Some("root"), "{name}");
        assert_eq!(h.groupname().unwrap(), Some("root"), "{name}");
        let (kind, mode) = (h.entry_type(), h.mode().unwrap());
        let link = entry
            .link_name()
            .unwrap()
            .map(|l| l.to_str().unwrap().to_string());
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        listed.push(Listed {
            name,
            kind,
            mode,
            link,
            data,
        });
    }
    listed
}

#[test]
fn the_archive_holds_the_record_first_then_exactly_the_tree() {
    let (_m, env) = installed();
    let bytes = read(&export_file(&env, "go.tar.gz", &[]));
    // gzip: no flags (so no name), mtime 0, no level hint (level 6), OS byte 255.
    assert_eq!(bytes[..10], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    let listed = list(&bytes);

    let names: Vec<&str> = listed.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names[..3], ["go/", "go/.gopin/", "go/.gopin/install.json"]);
    let rest = &names[3..];
    let mut sorted = rest.to_vec();
    sorted.sort();
    assert_eq!(rest, sorted, "sorted by path");

    // The record inside is the store's, minus the facts of one machine's install.
    let inside: serde_json::Value = serde_json::from_slice(&listed[2].data).unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&read(
        &env.goroot(NAME).parent().unwrap().join("install.json"),
    ))
    .unwrap();
    assert_eq!(inside["installed_at"], 0);
    for key in ["version", "os", "arch", "sha256", "archive_size"] {
        assert_eq!(inside[key], stored[key], "{key}");
    }
    assert_eq!(inside["url"], "go1.22.10.linux-amd64.tar.gz");
    let recorded = inside["files"].as_object().unwrap();
    assert_eq!(
        recorded.keys().collect::<Vec<_>>(),
        stored["files"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>()
    );

    // Every entry after the record: exactly the recorded files and symlinks, each as
    // recorded, plus the directories they lie in.
    let mut seen = BTreeMap::new();
    for l in &listed[3..] {
        let rel = l.name.strip_prefix("go/").unwrap();
        match l.kind {
            tar::EntryType::Directory => {
                assert_eq!(l.mode, 0o755, "{}", l.name);
                let dir = rel.trim_end_matches('/');
                assert!(
                    recorded.keys().any(|k| k.starts_with(&format!("{dir}/"))),
                    "{dir} holds something recorded"
                );
            }
            tar::EntryType::Regular => {
                let r = &recorded[rel];
                assert_eq!(r["type"], "file");
                assert_eq!(r["sha256"], sha256_hex(&l.data), "{rel}");
                assert_eq!(r["size"], l.data.len(), "{rel}");
                assert_eq!(
                    r["mode"], l.mode,
                    "{rel}: the record says what the archive holds"
                );
                seen.insert(rel.to_string(), l.mode);
            }
            tar::EntryType::Symlink => {
                assert_eq!(recorded[rel]["target"], l.link.as_deref().unwrap());
                assert_eq!(l.mode, 0o777);
                seen.insert(rel.to_string(), l.mode);
            }
            other => panic!("{} is a {other:?}", l.name),
        }
    }
    assert_eq!(seen.len(), recorded.len(), "every recorded entry, once");
    assert_eq!(seen["bin/go"], 0o755);
    assert_eq!(
        seen["pkg/tool/linux_amd64/compile"], 0o755,
        "0775 is normalised"
    );
    assert_eq!(seen["src/runtime/private.go"], 0o644, "0600 is normalised");
    assert_eq!(seen["VERSION"], 0o644);
    let long = LONG.strip_prefix("go/").unwrap();
    assert!(seen.contains_key(long));
    let misc_long = listed.iter().find(|l| l.name == "go/misc/long").unwrap();
    assert_eq!(misc_long.link.as_deref(), Some(LONG_TARGET));
    assert_eq!(
        listed
            .iter()
            .find(|l| l.name == "go/src/runtime/alias.go")
            .unwrap()
            .link
            .as_deref(),
        Some("runtime.go")
    );
}

#[test]
fn gnu_tar_unpacks_a_working_tree_without_a_word() {
    let (_m, env) = installed();
    let snap = export_file(&env, "go.tar.gz", &[]);
    let dest = env.dir.path().join("unpacked");
    std::fs::create_dir(&dest).unwrap();
    let out = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&snap)
        .arg("-C")
        .arg(&dest)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(stderr_of(&out), "", "no warnings");
    let go = std::process::Command::new(dest.join("go/bin/go"))
        .arg("version")
        .output()
        .unwrap();
    assert_eq!(stdout_of(&go), "go version go1.22.10 linux/amd64\n");
    assert_eq!(
        std::fs::read_link(dest.join("go/src/runtime/alias.go")).unwrap(),
        PathBuf::from("runtime.go")
    );
    assert_eq!(
        std::fs::read(dest.join(LONG)).unwrap(),
        b"package analysisinternal\n"
    );
    assert!(dest.join("go/.gopin/install.json").is_file());
}

#[test]
fn a_damaged_tree_is_refused_naming_the_files_and_nothing_is_written() {
    let (_m, env) = installed();
    let goroot = env.goroot(NAME);
    let target = env.work().join("go.tar.gz");
    std::fs::write(&target, "an earlier snapshot").unwrap();
    std::fs::write(
        goroot.join("src/runtime/runtime.go"),
        "package runtime // changed\n",
    )
    .unwrap();
    std::fs::remove_file(goroot.join("bin/gofmt")).unwrap();
    std::fs::write(goroot.join("go.env"), "GOTOOLCHAIN=auto\n").unwrap();

    let out = env
        .gopin(&["export", "1.22.10", "-o", target.to_str().unwrap()])
        .output()
        .unwrap();
    let err = one_error_line(&out);
    assert_eq!(out.status.code(), Some(1));
    for named in [
        "go1.22.10 (linux/amd64) cannot be exported",
        "src/runtime/runtime.go was modified",
        "bin/gofmt is missing",
        "go.env was added",
        "gopin install --force go1.22.10",
    ] {
        assert!(err.contains(named), "{named}: {err}");
    }
    assert_eq!(
        read(&target),
        b"an earlier snapshot",
        "the target is untouched"
    );
    assert_eq!(
        list_dir(&env.work()),
        ["go.tar.gz"],
        "no temporary file is left"
    );

    // To stdout: nothing at all.
    let out = env
        .gopin(&["export", "1.22.10", "-o", "-"])
        .output()
        .unwrap();
    one_error_line(&out);
    assert!(out.stdout.is_empty());

    // A record that is gone, or that describes another version, is no ground to export on.
    env.gopin(&["install", "--force", "1.22.10"])
        .assert()
        .success();
    let record = goroot.parent().unwrap().join("install.json");
    let mut json: serde_json::Value = serde_json::from_slice(&read(&record)).unwrap();
    json["version"] = "go1.22.9".into();
    std::fs::write(&record, serde_json::to_vec(&json).unwrap()).unwrap();
    let out = env
        .gopin(&["export", "1.22.10", "-o", "-"])
        .output()
        .unwrap();
    let err = one_error_line(&out);
    assert!(
        err.contains("cannot be trusted") && err.contains("go1.22.9"),
        "{err}"
    );
    std::fs::remove_file(&record).unwrap();
    let out = env
        .gopin(&["export", "1.22.10", "-o", "-"])
        .output()
        .unwrap();
    let err = one_error_line(&out);
    assert!(err.contains("install.json"), "{err}");
}

#[test]
fn prefix_and_stdout() {
    let (_m, env) = installed();
    let file = export_file(&env, "usr.tar.gz", &["--prefix", "usr/local/go/"]);
    let piped = export(&env, &["1.22.10", "--prefix", "./usr/local/go", "-o", "-"]);
    assert_eq!(
        sha256_hex(&piped.stdout),
        digest(&file),
        "stdout carries the same bytes"
    );
    let listed = list(&piped.stdout);
    assert_eq!(listed[0].name, "usr/local/go/");
    assert_eq!(listed[2].name, "usr/local/go/.gopin/install.json");
    assert!(listed.iter().all(|l| l.name.starts_with("usr/local/go/")));
    assert!(listed.iter().any(|l| l.name == "usr/local/go/bin/go"));

    // The default: a file named after the version, in this directory.
    export(&env, &["go1.22.10"]);
    assert!(
        env.work()
            .join("go1.22.10.linux-amd64.snapshot.tar.gz")
            .is_file()
    );

    for bad in ["/usr/local/go", "../go", "", "go/\u{1b}[31m"] {
        let out = env
            .gopin(&["export", "1.22.10", "--prefix", bad, "-o", "-"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}: a usage error");
        assert!(out.stdout.is_empty());
        assert!(
            !stderr_of(&out).contains('\u{1b}'),
            "escapes are shown, not sent"
        );
    }
}

#[test]
fn what_cannot_be_exported_or_written_is_one_line() {
    let (_m, env) = world();
    let out = env.gopin(&["export", "1.22.10"]).output().unwrap();
    let err = one_error_line(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("gopin install go1.22.10"), "{err}");
    let out = env
        .gopin(&["export", "1.22.10", "--os", "linux", "--arch", "arm64"])
        .output()
        .unwrap();
    let err = one_error_line(&out);
    assert!(
        err.contains("gopin install go1.22.10 --os linux --arch arm64"),
        "{err}"
    );

    env.gopin(&["install", "1.22.10"]).assert().success();
    let missing_dir = env.work().join("no/such/dir/go.tar.gz");
    for (target, says) in [
        (missing_dir.to_str().unwrap(), "no/such/dir/go.tar.gz"),
        (env.work().to_str().unwrap(), "is a directory"),
        ("/sys/go.tar.gz", "/sys/go.tar.gz"),
    ] {
        let out = env
            .gopin(&["export", "1.22.10", "-o", target])
            .output()
            .unwrap();
        let err = one_error_line(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains(says), "{says}: {err}");
    }
    assert!(list_dir(&env.work()).is_empty());
    // A prefix picks the newest installed match; a malformed version is a usage error.
    let out = export(&env, &["1.22", "-o", "-"]);
    assert!(!out.stdout.is_empty());
    env.gopin(&["export", "1.22;x"]).assert().code(2);
}

/// `cmd` as a user who may read the store but not write it: nobody when this is root (who
/// may write anywhere), else this user with the lock file and its directory made read-only.
fn without_write_access(env: &Env, cmd: &mut std::process::Command) {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let mode = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(env.dir.path(), mode).unwrap();
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(65534) != 0
                    || libc::setuid(65534) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    } else {
        let locks = env.store().join("locks");
        let read_only = |p: &Path, mode| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        read_only(&locks.join(format!("{NAME}.lock")), 0o444);
        read_only(&locks, 0o555);
    }
}

#[test]
fn a_store_this_user_cannot_write_is_exported_without_its_lock() {
    // A tree whose files all may be read by others (nobody cannot read a 0600 file).
    let (_m, env) = mirror_with(&[Release::linux("go1.22.10")]);
    env.gopin(&["install", "1.22.10"]).assert().success();
    let expected = sha256_hex(&export(&env, &["1.22.10", "-o", "-"]).stdout);
    let mut cmd = env.command(&["-v", "export", "1.22.10", "-o", "-"]);
    without_write_access(&env, &mut cmd);
    let out = cmd.output().unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("without its lock"), "{err}");
    assert_eq!(sha256_hex(&out.stdout), expected);
}

#[test]
fn a_file_this_user_cannot_read_is_named_as_such() {
    let (_m, env) = installed();
    let private = env.goroot(NAME).join("src/runtime/private.go");
    let mut cmd = env.command(&["export", "1.22.10", "-o", "-"]);
    without_write_access(&env, &mut cmd);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let out = cmd.output().unwrap();
    let err = one_error_line(&out);
    assert!(
        err.contains("cannot read") && err.contains("src/runtime/private.go"),
        "{err}"
    );
    assert!(!err.contains("modified"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_killed_export_leaves_the_target_as_it_was_or_whole() {
    // Incompressible megabytes, so an export takes long enough to be killed in the middle.
    let mut big = tree();
    big.push(Entry::File(
        "go/misc/noise.bin".into(),
        0o644,
        noise(3 << 20, 3),
    ));
    let (_m, env) = mirror_with(&[Release::with_archive("go1.22.10", tar_gz(&big))]);
    env.gopin(&["install", "1.22.10"]).assert().success();
    let target = env.work().join("go.tar.gz");
    let args = ["export", "1.22.10", "-o", target.to_str().unwrap()];
    let whole = digest(&{
        env.gopin(&args).assert().success();
        target.clone()
    });
    let mut outcomes = Vec::new();
    for delay_ms in [0, 50, 200, 500, 1000] {
        std::fs::write(&target, "before").unwrap();
        let mut child = env.command(&args).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let found = read(&target);
        let outcome = if found == b"before" {
            "untouched"
        } else {
            assert_eq!(sha256_hex(&found), whole, "killed after {delay_ms} ms");
            "whole"
        };
        // What the kill left beside it: only the hidden temporary file, which may be deleted.
        let mut left = Vec::new();
        for name in list_dir(&env.work()) {
            if name != "go.tar.gz" {
                assert!(
                    name.starts_with(".go.tar.gz.") && name.ends_with(".part"),
                    "{name}"
                );
                let part = env.work().join(&name);
                left.push(std::fs::metadata(&part).unwrap().len());
                std::fs::remove_file(part).unwrap();
            }
        }
        outcomes.push(format!(
            "{delay_ms} ms: {outcome}, .part left: {left:?} ({status})"
        ));
    }
    // Where each kill landed, for --nocapture.
    println!("{}", outcomes.join("\n"));
}

/// The file type at `path`, not following a symlink there.
fn kind(path: &Path) -> std::fs::FileType {
    std::fs::symlink_metadata(path).unwrap().file_type()
}

#[test]
fn outputs_are_written_into_unless_they_are_files_and_files_keep_their_mode() {
    use std::os::unix::fs::FileTypeExt;
    use std::process::{Command, Stdio};
    let (_m, env) = installed();
    let expected = sha256_hex(&export(&env, &["1.22.10", "-o", "-"]).stdout);
    let work = env.work();
    let export_to = |target: &Path| {
        output_within(
            env.command(&["export", "1.22.10", "-o", target.to_str().unwrap()]),
            60,
        )
    };

    // A FIFO with a reader: the reader gets the snapshot, and the FIFO stays a FIFO.
    let fifo = work.join("pipe");
    mkfifo(&fifo);
    let received = work.join("received");
    let mut reader = Command::new("cat")
        .arg(&fifo)
        .stdout(Stdio::from(std::fs::File::create(&received).unwrap()))
        .spawn()
        .unwrap();
    let out = export_to(&fifo);
    let still_a_fifo = kind(&fifo).is_fifo();
    if !still_a_fifo {
        reader.kill().unwrap(); // it still waits for a writer that never came
    }
    reader.wait().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(still_a_fifo, "the FIFO was replaced by a file");
    assert_eq!(digest(&received), expected);
    std::fs::remove_file(&received).unwrap();

    // A character device, through a symlink and (where this may make one) itself.
    let null = work.join("null");
    std::os::unix::fs::symlink("/dev/null", &null).unwrap();
    let out = export_to(&null);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(
        kind(&null).is_symlink(),
        "the link to /dev/null was replaced"
    );
    let device = work.join("full");
    let c = std::ffi::CString::new(device.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path; mknod fails harmlessly when not allowed.
    let made = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 7)) } == 0;
    if made {
        // A copy of /dev/full: the write fails, and the device is still a device.
        let out = export_to(&device);
        let err = one_error_line(&out);
        assert!(err.contains("No space left on device"), "{err}");
        assert!(kind(&device).is_char_device(), "the device was replaced");
    }

    // Standard output by another name, and a pipe from bash's process substitution.
    let out = export(&env, &["1.22.10", "-o", "/proc/self/fd/1"]);
    assert_eq!(sha256_hex(&out.stdout), expected);
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        // (Not as root: were it ever replaced again, /dev/stdout would be gone for everyone.)
        let out = export(&env, &["1.22.10", "-o", "/dev/stdout"]);
        assert_eq!(sha256_hex(&out.stdout), expected);
    }
    let mut bash = Command::new("bash");
    bash.arg("-c")
        .arg(format!(
            "exec '{}' export 1.22.10 -o >(cat)",
            gopin_bin().display()
        ))
        .current_dir(&work)
        .env_clear();
    for (k, v) in env.vars() {
        bash.env(k, v);
    }
    let out = output_within(bash, 60);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(sha256_hex(&out.stdout), expected, "{}", stderr_of(&out));

    // A file of the owner's only stays so, and holds the snapshot.
    let private = work.join("private.tar.gz");
    std::fs::write(&private, "before").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = export_to(&private);
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_eq!(digest(&private), expected);
    let mode = std::fs::metadata(&private).unwrap().permissions().mode();
    assert_eq!(mode & 0o7777, 0o600, "{mode:o}");

    // A symlink to a file, or to nothing: refused, naming both, and nothing changes.
    let victim = work.join("victim");
    std::fs::write(&victim, "keep me").unwrap();
    let link = work.join("link.tar.gz");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let out = export_to(&link);
    let err = one_error_line(&out);
    assert!(
        err.contains("link.tar.gz is a symlink to the file") && err.contains("victim"),
        "{err}"
    );
    assert!(kind(&link).is_symlink());
    assert_eq!(read(&victim), b"keep me");
    let dangling = work.join("dangling.tar.gz");
    std::os::unix::fs::symlink(work.join("nowhere/x"), &dangling).unwrap();
    let err = one_error_line(&export_to(&dangling));
    assert!(err.contains("which does not exist"), "{err}");
    assert!(kind(&dangling).is_symlink());
}
