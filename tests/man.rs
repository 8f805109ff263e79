//! The man page is generated from the command line's definition, and the copy in the
//! repository (docs/gopin.1) is kept equal to it.

use crate::support;

use support::*;

#[test]
fn the_committed_man_page_is_what_gopin_man_prints() {
    let out = assert_cmd::Command::new(gopin_bin())
        .arg("man")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let page = stdout_of(&out);
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/gopin.1"))
        .unwrap_or_default();
    assert!(
        page == committed,
        "docs/gopin.1 is out of date: regenerate it with `cargo run -- man > docs/gopin.1`"
    );
    for command in ["install", "use", "which", "shims", "completions", "man"] {
        assert!(
            page.contains(&format!(".SS \"gopin {command}\"")),
            "{command}"
        );
    }
    assert!(page.contains("\\-\\-goroot"));
    assert!(
        !page.contains("hook\\-env"),
        "the hook's worker is internal"
    );
    assert!(page.contains(".SH ENVIRONMENT") && page.contains("GOPIN_INDEX_URL"));
}

/// The install lines `gopin man --help` gives, followed literally in bash where
/// `~/.local/bin` is not on PATH: `man` finds the page (and still finds the system's).
#[test]
fn the_install_hint_works_without_local_bin_on_path() {
    let have_man = std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_man {
        // CI installs man-db; a developer machine may lack it.
        assert!(std::env::var_os("CI").is_none(), "man is required in CI");
        eprintln!("skipping: man is not installed");
        return;
    }
    let help = assert_cmd::Command::new(gopin_bin())
        .args(["man", "--help"])
        .output()
        .unwrap();
    let help = stdout_of(&help);
    let lines: Vec<String> = help
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("mkdir -p ") || l.starts_with("export MANPATH="))
        .map(|l| {
            let l = l.split("   #").next().unwrap().trim_end();
            l.replace("gopin man", &format!("'{}' man", gopin_bin().display()))
        })
        .collect();
    assert_eq!(lines.len(), 2, "{help}");
    let home = tempfile::tempdir().unwrap();
    let script = format!(
        "set -e\n{}\nman -w gopin\nman -w man || echo 'no system page'\n",
        lines.join("\n")
    );
    let out = std::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &script])
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let found = stdout_of(&out);
    let page = home.path().join(".local/share/man/man1/gopin.1");
    assert!(
        found.starts_with(&format!("{}\n", page.display())),
        "{found}"
    );
    assert!(
        !found.contains("no system page"),
        "the system's pages: {found}"
    );
}
