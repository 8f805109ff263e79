//! The store under kill -9, and doctor against a tampered store: a version in `versions/` is
//! always complete, the next run repairs and cleans what a killed one left, and every change
//! to an installed tree or its record is found (docs/security.md).

use crate::support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use support::*;

const NAME: &str = "go1.22.10.linux-amd64";
const ARCHIVE: &str = "/dl/go1.22.10.linux-amd64.tar.gz";

/// go1.22.10 with 600 more files, so that extracting, swapping and deleting take a while
/// and a kill can land in each; served in slow chunks, so one can land in the download too.
fn big_mirror() -> (Mirror, Env) {
    let mut tree = go_tree("go1.22.10", "linux/amd64");
    tree.push(Entry::Dir("go/src/big/"));
    for i in 0..600 {
        tree.push(Entry::File(
            format!("go/src/big/f{i}.go"),
            0o644,
            noise(1500, i),
        ));
    }
    let release = Release::with_archive("go1.22.10", tar_gz(&tree));
    let body = release.archives[0].2.clone();
    let (mirror, env) = mirror_with(&[release]);
    mirror.set(
        ARCHIVE,
        Reply::Slow {
            body,
            pause: Duration::from_millis(15),
        },
    );
    (mirror, env)
}

/// A small xorshift generator: kill points differ from run to run, and the seed is printed
/// with any failure to replay it.
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Rng(nanos as u64 | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// doctor's verdict on every installed tree: the details of its store checks that failed.
fn store_problems(env: &Env) -> Vec<String> {
    doctor_store_checks(env)
        .into_iter()
        .filter(|(ok, _)| !ok)
        .map(|(_, detail)| detail)
        .collect()
}

/// How long `args` takes to run to the end, to spread the kills over.
fn duration_of(env: &Env, args: &[&str]) -> Duration {
    let start = Instant::now();
    env.gopin(args).assert().success();
    start.elapsed()
}

/// Runs `args`, kills it with SIGKILL after a random part of `span`, and checks what a user
/// could see: the version is absent (or, with `must_stay`, present) or complete and
/// verifying, and the next install succeeds and leaves `tmp/` empty.
fn kill_trials(env: &Env, args: &[&str], span: Duration, trials: usize, setup: impl Fn()) {
    let mut rng = Rng::seeded();
    let seed = rng.0;
    let must_stay = args.contains(&"--force");
    for trial in 0..trials {
        setup();
        let delay = Duration::from_millis(rng.below(span.as_millis() as u64 * 11 / 10));
        let mut child = env.command(args).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(delay);
        child.kill().unwrap();
        child.wait().unwrap();
        let what = format!("{args:?} killed after {delay:?} (trial {trial}, seed {seed})");
        let installed = env.store().join("versions").join(NAME).exists();
        // Where the kill landed, for `--nocapture`.
        eprintln!(
            "{what}: version {}, {} in tmp/",
            if installed { "present" } else { "absent" },
            env.store_entries("tmp").len()
        );
        assert!(installed || !must_stay, "{what}: the version vanished");
        let problems = store_problems(env);
        assert!(problems.is_empty(), "{what}: {problems:?}");

        env.gopin(&["install", "1.22.10"]).assert().success();
        assert_eq!(env.store_entries("tmp"), Vec::<String>::new(), "{what}");
        assert_eq!(store_problems(env), Vec::<String>::new(), "{what}");
    }
}

#[test]
fn a_killed_install_never_leaves_a_partial_version() {
    let (_m, env) = big_mirror();
    let span = duration_of(&env, &["install", "1.22.10"]);
    let uninstall = || {
        if env.store().join("versions").join(NAME).exists() {
            env.gopin(&["uninstall", "1.22.10"]).assert().success();
        }
    };
    kill_trials(&env, &["install", "1.22.10"], span, 8, uninstall);
}

#[test]
fn a_killed_forced_install_keeps_the_old_or_the_new_tree() {
    let (_m, env) = big_mirror();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let span = duration_of(&env, &["install", "--force", "1.22.10"]);
    kill_trials(&env, &["install", "--force", "1.22.10"], span, 8, || {});
}

#[test]
fn a_killed_uninstall_leaves_the_version_whole_or_gone() {
    let (_m, env) = big_mirror();
    env.gopin(&["install", "1.22.10"]).assert().success();
    let span = duration_of(&env, &["uninstall", "1.22.10"]);
    let install = || {
        env.gopin(&["install", "1.22.10"]).assert().success();
    };
    kill_trials(&env, &["uninstall", "1.22.10"], span, 8, install);
}

/// Kills an install of go1.22.10 once its download has begun, leaving its staging directory.
fn kill_mid_download(env: &Env, args: &[&str]) {
    let mut child = env.command(args).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while env.store_entries("tmp").is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        env.store_entries("tmp").len(),
        1,
        "the kill left a leftover"
    );
}

#[test]
fn leftovers_of_the_same_version_are_removed_by_its_next_install_and_uninstall() {
    let (_m, env) = big_mirror();
    kill_mid_download(&env, &["install", "1.22.10"]);
    // The run that takes this version's lock itself used to skip its own leftovers.
    env.gopin(&["install", "1.22.10"]).assert().success();
    assert!(env.store_entries("tmp").is_empty());

    kill_mid_download(&env, &["install", "--force", "1.22.10"]);
    env.gopin(&["uninstall", "1.22.10"]).assert().success();
    assert!(env.store_entries("tmp").is_empty());
    assert!(env.store_entries("versions").is_empty());
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn doctor_finds_added_files_wider_modes_and_untrustworthy_records() {
    let (_m, env) = mirror_with(&[Release::linux("go1.22.10"), Release::linux("go1.21.13")]);
    env.gopin(&["install", "1.22.10", "1.21.13"])
        .assert()
        .success();
    assert_eq!(store_problems(&env), Vec::<String>::new());
    let goroot = env.goroot(NAME);

    // Code every build would run, a stray binary, settings for every go command.
    std::fs::create_dir_all(goroot.join("src/fmt")).unwrap();
    std::fs::write(
        goroot.join("src/fmt/zz_injected.go"),
        "package fmt\n\nfunc init() { println(\"pwned\") }\n",
    )
    .unwrap();
    std::fs::write(goroot.join("bin/evil-extra"), "#!/bin/sh\n").unwrap();
    std::fs::write(goroot.join("go.env"), "GOTOOLCHAIN=auto\n").unwrap();
    chmod(&goroot.join("bin/go"), 0o775);
    chmod(&goroot.join("VERSION"), 0o654);
    let problems = store_problems(&env);
    assert_eq!(problems.len(), 1, "{problems:?}");
    for want in [
        "go1.22.10 (linux/amd64) no longer matches what was installed",
        "bin/go has mode 0775 (group-writable), which no file of a Go tree may have",
        "VERSION's permissions were changed to 654",
        "bin/evil-extra was added",
        "go.env was added",
        "src/fmt/zz_injected.go was added",
    ] {
        assert!(problems[0].contains(want), "{want:?} in {problems:?}");
    }
    // The fix doctor names repairs it.
    env.gopin(&["install", "--force", "1.22.10"])
        .assert()
        .success();
    assert_eq!(store_problems(&env), Vec::<String>::new());

    // What a power loss without a flush could leave: a file of the right name, emptied.
    std::fs::write(goroot.join("VERSION"), "").unwrap();
    assert!(store_problems(&env)[0].contains("VERSION was modified"));
    env.gopin(&["install", "--force", "1.22.10"])
        .assert()
        .success();

    // The record itself: its file list emptied, or another version's record put in its place.
    let record_path = goroot.parent().unwrap().join("install.json");
    let original = std::fs::read(&record_path).unwrap();
    let mut record: serde_json::Value = serde_json::from_slice(&original).unwrap();
    record["files"] = serde_json::json!({});
    std::fs::write(&record_path, record.to_string()).unwrap();
    let problems = store_problems(&env);
    assert!(
        problems[0].contains("cannot be trusted: its file list is empty"),
        "{problems:?}"
    );
    let other = env.goroot("go1.21.13.linux-amd64");
    std::fs::copy(other.parent().unwrap().join("install.json"), &record_path).unwrap();
    let problems = store_problems(&env);
    assert!(
        problems[0].contains(
            "it describes go1.21.13 (linux/amd64), not this directory's go1.22.10 (linux/amd64)"
        ),
        "{problems:?}"
    );
    std::fs::write(&record_path, original).unwrap();
    assert_eq!(store_problems(&env), Vec::<String>::new());
}

#[test]
fn doctor_never_lets_go_fetch_a_toolchain() {
    // A go that notes the toolchain settings each probe ran with.
    let log = tempfile::NamedTempFile::new().unwrap();
    let script = String::from_utf8(fake_go_script("go1.22.10", "linux/amd64")).unwrap();
    let logging = script.replacen(
        "#!/bin/sh\n",
        "#!/bin/sh\necho \"GOTOOLCHAIN=$GOTOOLCHAIN GOPROXY=$GOPROXY\" >> \"$PROBE_LOG\"\n",
        1,
    );
    let tree: Vec<Entry> = go_tree("go1.22.10", "linux/amd64")
        .into_iter()
        .map(|e| match e {
            Entry::File(path, mode, _) if path == "go/bin/go" => {
                Entry::File(path, mode, logging.clone().into_bytes())
            }
            other => other,
        })
        .collect();
    let (_m, env) = mirror_with(&[Release::with_archive("go1.22.10", tar_gz(&tree))]);
    env.gopin(&["install", "1.22.10"]).assert().success();
    std::fs::write(env.work().join(".go-version"), "1.22.10\n").unwrap();
    let goroot = env.goroot(NAME);
    env.gopin(&["doctor"])
        .env("PROBE_LOG", log.path())
        .env("_GOPIN_HOOK", "bash")
        .env("GOROOT", &goroot)
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", goroot.join("bin").display()),
        )
        // What the user has: both would let go download another toolchain.
        .env("GOTOOLCHAIN", "go1.99.0+auto")
        .env("GOPROXY", "https://proxy.invalid")
        .output()
        .unwrap();
    let probes = std::fs::read_to_string(log.path()).unwrap();
    assert!(probes.lines().count() >= 2, "doctor ran go: {probes}");
    for line in probes.lines() {
        assert_eq!(line, "GOTOOLCHAIN=local GOPROXY=off");
    }
}
