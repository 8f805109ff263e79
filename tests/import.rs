//! `gopin import` through the real binary: archive files (against the index, a `.sha256`
//! beside them, `--sha256`, or refused), snapshots (intact, or changed by one byte),
//! directories (copied, recorded in place, or refused: incomplete, mixed up, symlinked, a link
//! out, a special file), other tools' trees (`--from`), `--dry-run`, the checksum database's
//! verdict, and what `ls` and `doctor` say of an imported version.

use crate::support;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use support::goproxy::GoProxy;
use support::*;

const V: &str = "go1.22.10";
const NAME: &str = "go1.22.10.linux-amd64";
const ARCHIVE: &str = "go1.22.10.linux-amd64.tar.gz";
const NOT_VERIFIED: &str = "not verified against a release checksum";

/// An environment that reaches no network: no release index, no module proxy, no checksum
/// database (`GOSUMDB=off`, so nothing is asked).
fn offline() -> Env {
    Env::with_urls("http://127.0.0.1:9/index.json", "http://127.0.0.1:9/dl/")
        .with_var("GOPROXY", "off")
        .with_var("GOSUMDB", "off")
}

/// `gopin import ARGS` in `env`: its output, whatever the outcome.
fn import(env: &Env, args: &[&str]) -> std::process::Output {
    env.gopin(&[&["import"], args].concat()).output().unwrap()
}

fn import_ok(env: &Env, args: &[&str]) -> String {
    let out = import(env, args);
    assert!(out.status.success(), "import {args:?}: {}", stderr_of(&out));
    stderr_of(&out)
}

/// The one error line of a refused import, after checking that nothing reached the store.
fn refused(env: &Env, args: &[&str]) -> String {
    let out = import(env, args);
    let line = one_error_line(&out);
    assert_eq!(
        env.store_entries("versions"),
        Vec::<String>::new(),
        "{line}"
    );
    assert_eq!(env.store_entries("tmp"), Vec::<String>::new(), "{line}");
    line
}

/// A Go tree in the work directory at `rel`, from `entries`.
fn tree_at(env: &Env, rel: &str, entries: &[Entry]) -> PathBuf {
    let dir = env.work().join(rel);
    write_tree(entries, &dir);
    dir
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Every file's SHA-256 under `root`, by relative path (symlinks as `-> target`).
fn hashes(root: &Path) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_symlink() {
                found.insert(
                    rel,
                    format!("-> {}", std::fs::read_link(&path).unwrap().display()),
                );
            } else if meta.is_dir() {
                pending.push(path);
            } else {
                found.insert(rel, sha256_hex(&std::fs::read(&path).unwrap()));
            }
        }
    }
    found
}

fn record(env: &Env) -> serde_json::Value {
    let path = env.store().join("versions").join(NAME).join("install.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn ls(env: &Env) -> String {
    stdout_of(&env.gopin(&["ls"]).output().unwrap())
}

#[test]
fn a_directory_is_copied_and_recorded_and_said_to_be_unverified() {
    let env = offline();
    let mut entries = importable_tree(V, "linux/amd64");
    entries.extend([
        Entry::Symlink("go/src/runtime/alias.go", "runtime.go"),
        Entry::File("go/src/runtime/suid".into(), 0o4755, b"x".to_vec()),
        // golang.org/dl's marker: the other tool's, not Go's.
        Entry::File("go/.unpacked-success".into(), 0o644, Vec::new()),
    ]);
    let dir = tree_at(&env, "usr/local/go", &entries);

    let listed = stdout_of(&import(&env, &[s(&dir), "--dry-run"]));
    assert!(
        listed.starts_with("would import go1.22.10 (linux/amd64) from "),
        "{listed}"
    );
    assert!(listed.contains("copied (10 files and links"), "{listed}");
    assert_eq!(env.store_entries("versions"), Vec::<String>::new());

    let said = import_ok(&env, &[s(&dir)]);
    assert!(said.contains(NOT_VERIFIED), "{said}");
    let goroot = env.goroot(NAME);
    let mut want = hashes(&dir);
    want.remove(".unpacked-success");
    assert_eq!(hashes(&goroot), want);
    let suid = std::fs::metadata(goroot.join("src/runtime/suid")).unwrap();
    assert_eq!(
        suid.permissions().mode() & 0o7777,
        0o555,
        "no setuid bit in the store (and, as an object, no write bit)"
    );
    let r = record(&env);
    assert_eq!(r["source"]["kind"], "directory");
    assert_eq!(r["files"].as_object().unwrap().len(), 9);
    assert!(ls(&env).contains(&format!("imported from {}, {NOT_VERIFIED}", dir.display())));
    let checks = doctor_store_checks(&env);
    assert!(
        checks[0].0 && checks[0].1.contains(NOT_VERIFIED),
        "{checks:?}"
    );

    let again = import_ok(&env, &[s(&dir)]);
    assert!(again.contains("is already installed"), "{again}");
    let listed = stdout_of(&import(&env, &[s(&dir), "--dry-run"]));
    assert!(listed.starts_with("already installed: "), "{listed}");
}

#[test]
fn link_records_the_tree_where_it_is_and_uninstall_leaves_it_there() {
    let env = offline();
    let dir = tree_at(&env, "sdk/go1.22.10", &importable_tree(V, "linux/amd64"));
    import_ok(&env, &[s(&dir), "--link"]);
    let goroot = env.goroot(NAME);
    assert_eq!(
        std::fs::read_link(&goroot).unwrap(),
        dir.canonicalize().unwrap()
    );
    assert_eq!(record(&env)["source"]["kind"], "link");
    assert!(ls(&env).contains("in place (linked, not copied)"));
    assert!(doctor_store_checks(&env)[0].0);
    // The tree is the other tool's: a change there is a change doctor sees.
    std::fs::write(dir.join("src/runtime/runtime.go"), "package runtime // x\n").unwrap();
    let checks = doctor_store_checks(&env);
    assert!(
        !checks[0].0 && checks[0].1.contains("src/runtime/runtime.go was modified"),
        "{checks:?}"
    );
    // The fix is not `install --force`, which would put a download in the link's place: it is
    // the linked tree's own, in the export's refusal and in doctor's advice alike.
    let canonical = dir.canonicalize().unwrap();
    let relink = format!(
        "`gopin uninstall go1.22.10` and then `gopin import {} --link`",
        canonical.display()
    );
    let out = env
        .gopin(&["export", "1.22.10", "-o", "-"])
        .output()
        .unwrap();
    let line = one_error_line(&out);
    assert!(
        line.contains("recorded in place with `gopin import --link`")
            && line.contains(&relink)
            && !line.contains("install --force"),
        "{line}"
    );
    let out = env.gopin(&["doctor", "--json"]).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let store = report
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "store")
        .unwrap();
    let fix = store["fix"].as_str().unwrap();
    assert!(
        fix.contains(&relink) && !fix.contains("install --force"),
        "{fix}"
    );
    env.gopin(&["uninstall", "1.22.10"]).assert().success();
    assert!(
        dir.join("bin/go").is_file(),
        "uninstall must not delete a linked tree"
    );
    assert_eq!(env.store_entries("versions"), Vec::<String>::new());
}

#[test]
fn directories_that_are_not_whole_safe_releases_are_refused() {
    let env = offline();
    let whole = importable_tree(V, "linux/amd64");
    let without = |path: &str| -> Vec<Entry> {
        importable_tree(V, "linux/amd64")
            .into_iter()
            .filter(|e| !matches!(e, Entry::File(p, _, _) if p == path))
            .collect()
    };

    let no_go = tree_at(&env, "no-go", &without("go/bin/go"));
    assert!(refused(&env, &[s(&no_go)]).contains("is not a whole Go tree: it has no bin/go"));
    let no_tools = tree_at(
        &env,
        "no-tools",
        &without("go/pkg/tool/linux_amd64/compile"),
    );
    assert!(refused(&env, &[s(&no_tools)]).contains("it has no pkg/tool/linux_amd64"));
    let no_version = tree_at(&env, "no-version", &without("go/VERSION"));
    assert!(refused(&env, &[s(&no_version)]).contains("has no VERSION file"));

    // VERSION and the binary disagree: a tree of two releases.
    let mixed = tree_at(&env, "mixed", &whole);
    std::fs::write(
        mixed.join("bin/go"),
        go_binary_with_buildinfo("go1.21.13", "linux/amd64"),
    )
    .unwrap();
    let line = refused(&env, &[s(&mixed)]);
    assert!(
        line.contains("VERSION says go1.22.10 but its bin/go was built as go1.21.13"),
        "{line}"
    );
    // A script is no Go binary: the release cannot be confirmed.
    let script = tree_at(&env, "script", &go_tree(V, "linux/amd64"));
    std::fs::create_dir_all(script.join("pkg/tool/linux_amd64")).unwrap();
    // Said once, plainly: the binary, what it is not, and the tree whose release is unknown.
    let line = refused(&env, &[s(&script)]);
    let script = script.canonicalize().unwrap();
    assert!(
        line.contains(&format!(
            "{}/bin/go is not an executable in a format gopin reads (ELF, Mach-O or PE), so not a Go binary: which release {} is cannot be confirmed",
            script.display(),
            script.display()
        )),
        "{line}"
    );

    // The folder's name says nothing: a tree named go1.21.13 is what it holds.
    let misnamed = tree_at(&env, "go1.21.13", &whole);
    let listed = stdout_of(&import(&env, &[s(&misnamed), "--dry-run"]));
    assert!(
        listed.starts_with("would import go1.22.10 (linux/amd64)"),
        "{listed}"
    );

    // A symlinked tree: the store would depend on a link that can be moved.
    let link = env.work().join("current");
    std::os::unix::fs::symlink(&misnamed, &link).unwrap();
    let line = refused(&env, &[s(&link)]);
    assert!(
        line.contains("is a symlink to") && line.contains("go1.21.13"),
        "{line}"
    );

    // A link out of the tree.
    let escape = tree_at(&env, "escape", &whole);
    std::os::unix::fs::symlink("../../../etc", escape.join("src/etc")).unwrap();
    let line = refused(&env, &[s(&escape)]);
    assert!(
        line.contains("src/etc is a symlink to '../../../etc', outside the tree"),
        "{line}"
    );
    let absolute = tree_at(&env, "absolute", &whole);
    std::os::unix::fs::symlink("/etc/passwd", absolute.join("passwd")).unwrap();
    assert!(refused(&env, &[s(&absolute), "--link"]).contains("outside the tree"));

    // A FIFO would hang a copy; a special file is never taken in.
    let fifo = tree_at(&env, "fifo", &whole);
    let c = std::ffi::CString::new(s(&fifo.join("src/pipe"))).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    assert!(refused(&env, &[s(&fifo)]).contains("is a device, FIFO, socket or other special file"));

    let missing = env.work().join("nowhere");
    assert!(refused(&env, &[s(&missing)]).contains("does not exist"));
}

/// The archive of the importable tree, written to the work directory, with its SHA-256.
fn archive(env: &Env, name: &str) -> (PathBuf, String) {
    let bytes = tar_gz(&importable_tree(V, "linux/amd64"));
    let path = env.work().join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, sha256_hex(&bytes))
}

#[test]
fn an_archive_file_is_checked_against_its_sha256_file_or_the_given_digest() {
    let env = offline();
    let (file, sum) = archive(&env, ARCHIVE);
    // Nothing to check it against: refused, saying how to give one.
    let line = refused(&env, &[s(&file)]);
    assert!(
        line.contains("there is no SHA-256 to check it against") && line.contains("--sha256"),
        "{line}"
    );
    // A wrong digest: refused, naming both.
    let wrong = "0".repeat(64);
    let line = refused(&env, &[s(&file), "--sha256", &wrong]);
    assert!(
        line.contains("checksum mismatch") && line.contains(&wrong) && line.contains(&sum),
        "{line}"
    );
    std::fs::write(
        env.work().join(format!("{ARCHIVE}.sha256")),
        format!("{wrong}  {ARCHIVE}\n"),
    )
    .unwrap();
    let line = refused(&env, &[s(&file)]);
    assert!(
        line.contains("checksum mismatch") && line.contains(".sha256 says"),
        "{line}"
    );
    // --sha256 that disagrees with the .sha256 beside the file.
    let line = refused(&env, &[s(&file), "--sha256", &sum]);
    assert!(line.contains("is not the SHA-256 that"), "{line}");
    let usage = import(&env, &[s(&file), "--sha256", "xyz"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(stderr_of(&usage).contains("64 hexadecimal digits"));

    // The right .sha256 beside it, in sha256sum's format.
    std::fs::write(
        env.work().join(format!("{ARCHIVE}.sha256")),
        format!("{sum}  {ARCHIVE}\n"),
    )
    .unwrap();
    import_ok(&env, &[s(&file)]);
    let r = record(&env);
    assert_eq!(r["source"]["kind"], "archive");
    assert_eq!(r["sha256"], sum.as_str());
    assert!(
        r["source"]["sha256_from"]
            .as_str()
            .unwrap()
            .ends_with(".sha256")
    );
    assert!(doctor_store_checks(&env)[0].0);
    assert!(
        !ls(&env).contains("unverified"),
        "an archive checked against its checksum is verified"
    );

    let env = offline();
    let (file, sum) = archive(&env, ARCHIVE);
    import_ok(&env, &[s(&file), "--sha256", &sum.to_uppercase()]);
    assert_eq!(
        record(&env)["source"]["sha256_from"],
        "the SHA-256 given with --sha256"
    );
}

#[test]
fn an_archive_file_is_checked_against_the_release_index_first() {
    let archive_bytes = tar_gz(&importable_tree(V, "linux/amd64"));
    let (_mirror, env) = mirror_with(&[Release::with_archive(V, archive_bytes.clone())]);
    let file = env.work().join(ARCHIVE);
    std::fs::write(&file, &archive_bytes).unwrap();
    // The index wins over a wrong .sha256 beside the file.
    std::fs::write(env.work().join(format!("{ARCHIVE}.sha256")), "0".repeat(64)).unwrap();
    import_ok(&env, &[s(&file)]);
    let from = record(&env)["source"]["sha256_from"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        from.starts_with("the release index at http://127.0.0.1:"),
        "{from}"
    );

    // An archive that is not the indexed one: refused, naming both hashes.
    let (_mirror, env) = mirror_with(&[Release::with_archive(V, archive_bytes.clone())]);
    let other = tar_gz(&importable_tree(V, "linux/amd64")[..9]);
    let file = env.work().join(ARCHIVE);
    std::fs::write(&file, &other).unwrap();
    let line = refused(&env, &[s(&file)]);
    assert!(
        line.contains(&sha256_hex(&other)) && line.contains(&sha256_hex(&archive_bytes)),
        "{line}"
    );
    assert!(line.contains("the release index at"), "{line}");
}

#[test]
fn archives_must_be_named_as_go_dev_names_them_and_hold_what_the_name_says() {
    let env = offline();
    let (file, sum) = archive(&env, "go.tar.gz");
    assert!(
        refused(&env, &[s(&file), "--sha256", &sum])
            .contains("neither a gopin snapshot nor an official Go archive")
    );
    // A go1.21.13 archive under go1.22.10's name, with the digest the user vouched for.
    let bytes = tar_gz(&importable_tree("go1.21.13", "linux/amd64"));
    let file = env.work().join(ARCHIVE);
    std::fs::write(&file, &bytes).unwrap();
    let line = refused(&env, &[s(&file), "--sha256", &sha256_hex(&bytes)]);
    assert!(
        line.contains(
            "is go1.22.10 (linux/amd64) by its name, but the tree inside is go1.21.13 (linux/amd64)"
        ),
        "{line}"
    );
    // Unsafe entries are refused by the install's own extractor.
    let mut evil = importable_tree(V, "linux/amd64");
    evil.push(Entry::Symlink("go/src/etc", "../../../etc"));
    let bytes = tar_gz(&evil);
    std::fs::write(&file, &bytes).unwrap();
    assert!(
        refused(&env, &[s(&file), "--sha256", &sha256_hex(&bytes)])
            .contains("outside the go/ tree")
    );
    assert!(refused(&env, &[s(&file), "--link"]).contains("--link records a directory"));
}

/// A store with go1.22.10 installed from a mirror, and its snapshot in the work directory.
fn snapshot(prefix: &str) -> (Mirror, Env, PathBuf) {
    let (mirror, env) = mirror_with(&[Release::with_archive(
        V,
        tar_gz(&importable_tree(V, "linux/amd64")),
    )]);
    env.gopin(&["install", "1.22.10"]).assert().success();
    let file = env.work().join("go.snapshot.tar.gz");
    env.gopin(&["export", "1.22.10", "--prefix", prefix, "-o", s(&file)])
        .assert()
        .success();
    (mirror, env, file)
}

#[test]
fn a_snapshot_reproduces_every_file_hash_of_its_record() {
    for prefix in ["go", "usr/local/go"] {
        let (_mirror, exported, file) = snapshot(prefix);
        let env = offline();
        let said = import_ok(&env, &[s(&file)]);
        assert!(said.contains("integrity only, not origin"), "{said}");
        let original = record(&exported);
        let imported = record(&env);
        assert_eq!(imported["files"], original["files"], "{prefix}");
        assert_eq!(imported["sha256"], original["sha256"]);
        assert_eq!(imported["source"]["kind"], "snapshot");
        assert_eq!(imported["source"]["recorded_source"], "go.dev");
        assert_eq!(hashes(&env.goroot(NAME)), hashes(&exported.goroot(NAME)));
        assert!(ls(&env).contains("(its record proves integrity, not origin), not verified"));
        assert!(doctor_store_checks(&env)[0].0);
    }
}

#[test]
fn a_snapshot_changed_by_one_byte_is_refused() {
    let (_mirror, _exported, file) = snapshot("go");
    let bytes = std::fs::read(&file).unwrap();
    // One byte of the compressed stream, anywhere: the gzip check or the record catches it.
    for at in [
        bytes.len() / 3,
        bytes.len() / 2,
        bytes.len() - 12,
        bytes.len() - 3,
    ] {
        let env = offline();
        let mut changed = bytes.clone();
        changed[at] ^= 0x01;
        let path = env.work().join("changed.tar.gz");
        std::fs::write(&path, &changed).unwrap();
        let line = refused(&env, &[s(&path)]);
        assert!(line.contains("changed.tar.gz"), "byte {at}: {line}");
    }
    // One byte of one file, in a snapshot that is otherwise whole: its record catches it.
    let mut tar = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut tar).unwrap();
    let at = tar
        .windows(15)
        .position(|w| w == b"package runtime")
        .unwrap();
    tar[at] = b'P';
    let env = offline();
    let path = env.work().join("edited.tar.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let line = refused(&env, &[s(&path)]);
    assert!(
        line.contains("src/runtime/runtime.go differs from its record"),
        "{line}"
    );
    assert!(line.contains("refusing to import the snapshot"), "{line}");
}

#[test]
fn from_each_tool_every_tree_it_keeps_is_imported() {
    // (tool, variable that moves it, where its trees are below that, below each tree)
    let layouts = [
        ("goenv", "GOENV_ROOT", "versions", "1.22.10", ""),
        ("gvm", "GVM_ROOT", "gos", "go1.22.10", ""),
        ("asdf", "ASDF_DATA_DIR", "installs/golang", "1.22.10", "go"),
        ("mise", "MISE_DATA_DIR", "installs/go", "1.22.10", ""),
    ];
    for (tool, var, sub, entry, inner) in layouts {
        let env = offline();
        let root = env.dir.path().join(format!("{tool}-root"));
        let tree = root.join(sub).join(entry).join(inner);
        write_tree(&importable_tree(V, "linux/amd64"), &tree);
        let env = env.with_var(var, s(&root));
        // An alias (mise's `1.22 -> 1.22.10`) is not a tree of its own.
        std::os::unix::fs::symlink(entry, root.join(sub).join("1.22")).unwrap();
        let listed = stdout_of(&import(&env, &["--from", tool, "--dry-run"]));
        assert_eq!(listed.lines().count(), 1, "{tool}: {listed}");
        import_ok(&env, &["--from", tool]);
        assert_eq!(env.store_entries("versions"), [NAME], "{tool}");
        assert_eq!(
            record(&env)["url"],
            s(&tree.canonicalize().unwrap()),
            "{tool}"
        );
    }
    // golang.org/dl's ~/sdk, beside its other contents; and a tree there that is broken.
    let env = offline();
    let sdk = env.dir.path().join("home/sdk");
    write_tree(&importable_tree(V, "linux/amd64"), &sdk.join("go1.22.10"));
    write_tree(&go_tree("go1.21.13", "linux/amd64"), &sdk.join("go1.21.13"));
    std::fs::create_dir_all(sdk.join("gotip-not-here")).unwrap();
    std::fs::write(sdk.join("notes.txt"), "").unwrap();
    let out = import(&env, &["--from", "sdk"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_of(&out);
    assert!(err.contains("go1.21.13 is not imported"), "{err}");
    assert!(err.contains("imported go1.22.10 (linux/amd64)"), "{err}");
    assert_eq!(env.store_entries("versions"), [NAME]);

    // A tool with nothing: one sentence naming where it looked and why there.
    let line = refused(&offline(), &["--from", "goenv"]);
    assert!(
        line.contains("goenv keeps its Go trees in") && line.contains("GOENV_ROOT is unset"),
        "{line}"
    );
}

#[test]
fn a_tree_the_checksum_database_proves_is_marked_verified() {
    let proxy = GoProxy::start();
    let entries = importable_tree(V, "linux/amd64");
    let published = proxy.publish_tree(V, "linux/amd64", &entries);
    let env = proxy.env();
    let dir = tree_at(&env, "go", &entries);
    let said = import_ok(&env, &[s(&dir)]);
    assert!(
        said.contains(&format!(
            "verified: its golang.org/toolchain module hash {}",
            published.h1
        )),
        "{said}"
    );
    assert!(said.contains("which does not cover api/"), "{said}");
    let r = record(&env);
    assert_eq!(r["source"]["h1"], published.h1.as_str());
    assert!(r["source"].get("unverified").is_none());
    assert!(
        ls(&env).contains("proved in sum.gopin.test"),
        "{}",
        ls(&env)
    );

    // The same release with one file changed: imported, but marked, naming the file.
    let env = proxy.env();
    let changed = tree_at(&env, "go", &entries);
    std::fs::write(
        changed.join("src/runtime/runtime.go"),
        "package runtime // patched\n",
    )
    .unwrap();
    let said = import_ok(&env, &[s(&changed), "--link"]);
    assert!(said.contains("is not the release Go published"), "{said}");
    assert!(
        said.contains("the first file that differs: src/runtime/runtime.go"),
        "{said}"
    );
    assert!(ls(&env).contains(NOT_VERIFIED));
    let checks = doctor_store_checks(&env);
    assert!(
        checks[0].0 && checks[0].1.contains("first src/runtime/runtime.go"),
        "{checks:?}"
    );
}

#[test]
fn a_killed_import_leaves_nothing_visible_and_is_cleaned_up() {
    // Incompressible megabytes, so a copy takes long enough to be killed in the middle.
    let mut entries = importable_tree(V, "linux/amd64");
    for i in 0..8 {
        entries.push(Entry::File(
            format!("go/misc/noise{i}.bin"),
            0o644,
            noise(2 << 20, i),
        ));
    }
    for link in [false, true] {
        let mut outcomes = Vec::new();
        for delay_ms in [0, 50, 200, 600, 1500] {
            let env = offline();
            let dir = tree_at(&env, "go", &entries);
            let mut args = vec![s(&dir)];
            if link {
                args.push("--link");
            }
            let mut child = env
                .command(&[&["import"], &args[..]].concat())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(delay_ms));
            child.kill().unwrap();
            child.wait().unwrap();
            let what = format!("link={link}, killed after {delay_ms} ms");
            let present = env.store().join("versions").join(NAME).exists();
            outcomes.push(format!(
                "{what}: {}, {} left in tmp/",
                if present { "imported" } else { "absent" },
                env.store_entries("tmp").len()
            ));
            // Either the whole version, verifying, or none; and the next run cleans up.
            assert!(
                doctor_store_checks(&env).iter().all(|(ok, _)| *ok),
                "{what}"
            );
            env.gopin(&["ls"]).assert().success();
            assert_eq!(env.store_entries("tmp"), Vec::<String>::new(), "{what}");
            assert!(
                dir.join("bin/go").is_file(),
                "{what}: the source tree is untouched"
            );
            import_ok(&env, &args);
            assert!(doctor_store_checks(&env)[0].0, "{what}");
        }
        // Where each kill landed, for --nocapture.
        println!("{}", outcomes.join("\n"));
    }
}

/// A tree imported with `--link` that now holds another release (a package manager upgraded
/// it) is never run under the pinned name: exec, env, which, the proxy and the hook refuse,
/// naming both releases, and doctor says so.
#[test]
fn a_linked_tree_that_now_holds_another_release_is_refused_everywhere() {
    let env = offline();
    let dir = tree_at(&env, "sdk/go", &importable_tree(V, "linux/amd64"));
    import_ok(&env, &[s(&dir), "--link"]);
    std::fs::write(env.work().join(".go-version"), "1.22.10\n").unwrap();
    env.gopin(&["env", "--json"]).assert().success();
    env.gopin(&["which", "--goroot"]).assert().success();

    std::fs::remove_dir_all(&dir).unwrap();
    write_tree(&go_tree("go1.22.11", "linux/amd64"), &dir);
    let both = |line: &str| {
        assert!(
            line.contains("go1.22.10 was imported with --link from")
                && line.contains("which now holds go1.22.11")
                && line.contains("gopin uninstall go1.22.10"),
            "{line}"
        );
    };
    for args in [
        &["exec", "--", "go", "version"][..],
        &["exec", "1.22.10", "--", "true"],
        &["env"],
        &["env", "1.22.10", "--json"],
        &["which", "go"],
        &["which", "--goroot"],
    ] {
        let out = env.gopin(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        both(&one_error_line(&out));
    }
    // The proxy (gopin started as `go`).
    let shims = env.work().join("shims");
    std::fs::create_dir_all(&shims).unwrap();
    std::os::unix::fs::symlink(gopin_bin(), shims.join("go")).unwrap();
    let mut proxy = std::process::Command::new(shims.join("go"));
    proxy.arg("version").current_dir(env.work()).env_clear();
    for (k, v) in env.vars() {
        proxy.env(k, v);
    }
    let out = proxy.env("PATH", "/usr/bin:/bin").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "go1.22.11 ran: {}", stdout_of(&out));
    both(&one_error_line(&out));
    // The hook: the guard, and the message once.
    let out = env.gopin(&["hook-env", "bash"]).output().unwrap();
    let guard = env.store().join("guard");
    assert!(
        stdout_of(&out).contains(&format!("export PATH={}:", guard.display())),
        "{}",
        stdout_of(&out)
    );
    both(&stderr_of(&out));
    // doctor.
    let out = env.gopin(&["doctor"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    both(&stdout_of(&out));
}

/// Offline is a normal state for an import: a checksum database (here, through a module
/// proxy) whose host cannot be reached at all is tried once, not retried, and said in one
/// plain line; the import goes on, marked unverified.
#[test]
fn an_unreachable_checksum_database_is_tried_once_and_said_once() {
    let (_mirror, _exported, file) = snapshot("go");
    // Nothing listens on port 9: connection refused, as with no network.
    let env = Env::with_urls("http://127.0.0.1:9/index.json", "http://127.0.0.1:9/dl/")
        .with_var("GOPROXY", "http://127.0.0.1:9")
        .with_var("GOSUMDB", "sum.golang.org");
    let out = env.gopin(&["-v", "import", s(&file)]).output().unwrap();
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        !err.contains("retrying"),
        "an unreachable host was retried:\n{err}"
    );
    assert_eq!(
        err.matches("127.0.0.1 could not be reached, so nothing was asked (no network?)")
            .count(),
        1,
        "{err}"
    );
    assert!(err.contains(NOT_VERIFIED), "{err}");
    assert!(!err.contains("Connection refused"), "{err}");
    assert_eq!(record(&env)["source"]["kind"], "snapshot");
}

#[test]
fn a_copied_tree_comes_in_with_the_install_s_modes_and_a_linked_one_must_have_them() {
    let env = offline();
    let mut entries = importable_tree(V, "linux/amd64");
    for entry in &mut entries {
        if let Entry::File(path, mode, _) = entry {
            match path.as_str() {
                "go/bin/gofmt" => *mode = 0o4777,
                "go/src/runtime/runtime.go" => *mode = 0o666,
                "go/VERSION" => *mode = 0o2664,
                _ => {}
            }
        }
    }
    let dir = tree_at(&env, "usr/local/go", &entries);
    // Recorded in place, the tree would keep them: refused, naming the file and the fix.
    let line = refused(&env, &[s(&dir), "--link", "--dry-run"]);
    assert!(
        line.contains("has mode")
            && line.contains("which no file of a Go tree may have")
            && line.contains("chmod -R go-w,ug-s"),
        "{line}"
    );
    refused(&env, &[s(&dir), "--link"]);
    // Copied, each file gets the install's modes.
    import_ok(&env, &[s(&dir)]);
    let goroot = env.goroot(NAME);
    let r = record(&env);
    support::assert_installed_modes(
        &goroot,
        &r,
        &[
            ("bin/gofmt", 0o755),
            ("bin/go", 0o755),
            ("src/runtime/runtime.go", 0o644),
            ("VERSION", 0o644),
        ],
    );
    assert!(doctor_store_checks(&env)[0].0);
    // And doctor finds a bit that came later, whatever the record says.
    std::fs::set_permissions(
        goroot.join("bin/gofmt"),
        std::fs::Permissions::from_mode(0o4755),
    )
    .unwrap();
    let checks = doctor_store_checks(&env);
    assert!(
        !checks[0].0 && checks[0].1.contains("bin/gofmt has mode 4755 (setuid)"),
        "{checks:?}"
    );
}

#[test]
fn a_fifo_named_like_the_archive_s_sha256_file_never_hangs_an_import() {
    let env = offline();
    let (file, sum) = archive(&env, ARCHIVE);
    mkfifo(&env.work().join(format!("{ARCHIVE}.sha256")));
    let within = |args: &[&str]| output_within(env.command(&[&["import"], args].concat()), 60);
    for args in [
        vec![s(&file)],
        vec![s(&file), "--dry-run"],
        vec![s(&file), "--sha256", &sum],
        vec![s(&file), "--sha256", &sum, "--dry-run"],
    ] {
        let out = within(&args);
        let line = one_error_line(&out);
        assert!(
            line.contains(&format!("{ARCHIVE}.sha256 is a FIFO (named pipe)")),
            "{args:?}: {line}"
        );
        assert!(env.store_entries("versions").is_empty());
    }
    // A FIFO in the archive's own place is refused unopened too.
    let fifo = env.work().join("go1.21.13.linux-amd64.tar.gz");
    mkfifo(&fifo);
    let out = within(&[s(&fifo), "--sha256", &sum]);
    assert!(one_error_line(&out).contains("neither a regular file nor a directory"));
}

#[test]
fn a_snapshot_whose_record_lists_gopin_s_own_metadata_is_refused() {
    let (_mirror, _exported, file) = snapshot("go");
    let bytes = std::fs::read(&file).unwrap();
    let evil = b"#!/bin/sh\necho pwned\n";
    // The same snapshot, with a `.gopin/evil` beside the record, listed in the record.
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    let mut out = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut header = entry.header().clone();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        if name == "go/.gopin/install.json" {
            let mut record: serde_json::Value = serde_json::from_slice(&data).unwrap();
            record["files"][".gopin/evil"] = serde_json::json!({
                "type": "file", "size": evil.len(), "sha256": sha256_hex(evil), "mode": 0o755,
            });
            data = serde_json::to_vec(&record).unwrap();
            header.set_size(data.len() as u64);
            out.append_data(&mut header, &name, &data[..]).unwrap();
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o755);
            h.set_size(evil.len() as u64);
            out.append_data(&mut h, "go/.gopin/evil", &evil[..])
                .unwrap();
        } else {
            out.append_data(&mut header, &name, &data[..]).unwrap();
        }
    }
    let env = offline();
    let path = env.work().join("evil.tar.gz");
    std::fs::write(&path, out.into_inner().unwrap().finish().unwrap()).unwrap();
    let line = refused(&env, &[s(&path)]);
    assert!(
        line.contains("refusing to import the snapshot")
            && line.contains("its record lists .gopin/evil, inside .gopin/"),
        "{line}"
    );
}

#[test]
fn a_tree_with_a_symlink_is_told_apart_from_one_with_another_hash() {
    let proxy = GoProxy::start();
    let entries = importable_tree(V, "linux/amd64");
    let published = proxy.publish_tree(V, "linux/amd64", &entries);
    let env = proxy.env();
    let mut linked = entries;
    linked.push(Entry::Symlink("go/src/runtime/alias.go", "runtime.go"));
    let dir = tree_at(&env, "go", &linked);
    let said = import_ok(&env, &[s(&dir)]);
    // The hash is the recorded one: the reason is the symlink, said as such.
    assert!(
        said.contains(&format!(
            "its files hash to the golang.org/toolchain module hash {} that sum.gopin.test records, but it also holds the symlink src/runtime/alias.go",
            published.h1
        )),
        "{said}"
    );
    assert!(!said.contains("is not the release Go published"), "{said}");
    assert!(ls(&env).contains("it also holds the symlink src/runtime/alias.go"));
    assert!(ls(&env).contains(NOT_VERIFIED));
}
