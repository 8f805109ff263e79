//! The man page is generated from the command line's definition, and the copy in the
//! repository (docs/gopin.1) is kept equal to it.

mod support;

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
