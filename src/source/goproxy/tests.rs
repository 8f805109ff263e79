//! The source end to end against in-memory proxies and an in-memory checksum database.

use std::collections::HashMap;
use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

use super::sumdb::testdb::TestDb;
use super::*;

const PROXY_A: &str = "http://127.0.0.1:1/a";
const PROXY_B: &str = "http://127.0.0.1:1/b";
const DB: &str = "https://sum.test";

fn platform() -> Platform {
    "linux/amd64".parse().unwrap()
}

fn v(s: &str) -> GoVersion {
    s.parse().unwrap()
}

/// A toolchain zip for `version` as Go's release tooling makes one, and its h1.
fn toolchain_zip(version: &str, extra: &str) -> (Vec<u8>, String) {
    let mv = toolchain::module_version(&v(version), &platform());
    let prefix = toolchain::zip_prefix(&mv);
    let files: Vec<(String, u32, Vec<u8>)> = vec![
        (
            format!("{prefix}bin/go"),
            0o755,
            format!("#!/bin/sh\necho {version}\n").into_bytes(),
        ),
        (
            format!("{prefix}VERSION"),
            0o644,
            format!("{version}\n{extra}").into_bytes(),
        ),
        (
            format!("{prefix}src/_go.mod"),
            0o644,
            b"module std\n".to_vec(),
        ),
    ];
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, mode, data) in &files {
        w.start_file(name, SimpleFileOptions::default().unix_permissions(*mode))
            .unwrap();
        w.write_all(data).unwrap();
    }
    let h1 = dirhash::hash_bytes(
        &files
            .iter()
            .map(|(n, _, d)| (n.as_str(), d.as_slice()))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    (w.finish().unwrap().into_inner(), h1)
}

/// A checksum database at DB that knows go1.22.10 and go1.22.9, and a proxy B that serves
/// both (and proxies the database); proxy A has nothing.
struct World {
    db: TestDb,
    cache: tempfile::TempDir,
    env: HashMap<&'static str, OsString>,
}

impl World {
    fn new() -> World {
        let db = TestDb::new("sum.test", DB);
        for version in ["go1.22.9", "go1.22.10"] {
            let (zip, h1) = toolchain_zip(version, "");
            let mv = toolchain::module_version(&v(version), &platform());
            db.add(MODULE, &mv, &h1);
            db.remote
                .put(&format!("{PROXY_B}/{MODULE}/@v/{mv}.zip"), zip);
        }
        db.serve(db.size());
        db.remote.put(
            &format!("{PROXY_B}/{MODULE}/@v/list"),
            "v0.0.1-go1.22.9.linux-amd64\nv0.0.1-go1.22.10.linux-amd64\nv0.0.1-go1.22.10.darwin-arm64\n",
        );
        // golang.org/toolchain's go-get page names proxy B as its origin.
        db.remote.put(
            proxies::ORIGIN_PAGE,
            format!(r#"<html><head><meta name="go-import" content="golang.org/toolchain mod {PROXY_B}"></head></html>"#),
        );
        let (_, vkey) = super::sumdb::note::tests::test_key("sum.test", 7);
        let env = HashMap::from([
            ("GOENV", OsString::from("off")),
            ("GOPROXY", OsString::from(format!("{PROXY_A},{PROXY_B}"))),
            ("GOSUMDB", OsString::from(vkey)),
        ]);
        World {
            db,
            cache: tempfile::tempdir().unwrap(),
            env,
        }
    }

    /// Whether any URL asked for so far contains `part`.
    fn asked_for(&self, part: &str) -> bool {
        self.db.remote.asked().iter().any(|u| u.contains(part))
    }

    /// Proxy B says it proxies the checksum database.
    fn b_proxies_the_database(&self) {
        self.db
            .remote
            .put(&format!("{PROXY_B}/sumdb/sum.test/supported"), "");
    }

    fn set(&mut self, var: &'static str, value: &str) {
        self.env.insert(var, value.into());
    }

    fn settings(&self) -> Result<GoSettings, GoproxyError> {
        let lookup = |n: &str| self.env.get(n).cloned();
        GoSettings::read(&GoEnv::new(&lookup))
    }

    fn source(&self, configure: impl FnOnce(&mut Options)) -> ProxySource<'_> {
        let mut options = Options::new(self.cache.path().to_path_buf());
        options.threads = 2;
        configure(&mut options);
        ProxySource::new(self.settings().unwrap(), &self.db.remote, options)
    }

    /// Proves, fetches and confirms go1.22.10 into a fresh directory.
    fn install(
        &self,
        source: &ProxySource,
    ) -> (tempfile::TempDir, Result<Provenance, GoproxyError>) {
        let dir = tempfile::tempdir().unwrap();
        let result = source
            .prove(&v("go1.22.10"), &platform())
            .and_then(|expected| {
                let fetched = source.fetch_into(&v("go1.22.10"), &platform(), dir.path())?;
                source.confirm(&fetched, expected)
            });
        (dir, result)
    }
}

#[test]
fn a_release_is_listed_proved_fetched_and_confirmed() {
    let mut world = World::new();
    // B also proxies the checksum database.
    world.b_proxies_the_database();
    let proxied_db = TestDb::new("sum.test", &format!("{PROXY_B}/sumdb/sum.test"));
    *proxied_db.records.borrow_mut() = world.db.records.borrow().clone();
    proxied_db.serve(proxied_db.size());
    for (url, body) in proxied_db.remote.bodies.lock().unwrap().iter() {
        world.db.remote.put(url, body.clone());
    }
    world.set("GOPROXY", &format!("{PROXY_A},{PROXY_B}"));
    let source = world.source(|_| {});
    let listing = source.versions(&platform()).unwrap();
    assert_eq!(listing.versions, [v("go1.22.10"), v("go1.22.9")]);
    assert_eq!(listing.proxy, PROXY_B);
    let (dir, provenance) = world.install(&source);
    let provenance = provenance.unwrap();
    assert_eq!(
        provenance.module,
        "golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64"
    );
    assert_eq!(provenance.proxy, PROXY_B);
    let Verification::Sumdb(proof) = &provenance.verification else {
        panic!("verified")
    };
    assert!(
        proof
            .url
            .starts_with(&format!("{PROXY_B}/sumdb/sum.test/lookup/")),
        "{}",
        proof.url
    );
    assert_eq!(proof.h1, provenance.h1);
    let goroot = dir.path().join("go");
    assert!(goroot.join("bin/go").is_file());
    assert_eq!(
        std::fs::read(goroot.join("src/go.mod")).unwrap(),
        b"module std\n"
    );
    assert!(!dir.path().join(ZIP_FILE).exists(), "the zip is removed");
    // Proxy A was asked first and answered 404; the database was never asked directly.
    let asked = world.db.remote.asked();
    assert!(asked.contains(&format!("{PROXY_A}/{MODULE}/@v/list")));
    assert!(!asked.iter().any(|u| u.starts_with(DB)), "{asked:?}");
}

#[test]
fn the_database_is_reached_directly_when_no_proxy_serves_it() {
    let world = World::new();
    let source = world.source(|_| {});
    let (_dir, provenance) = world.install(&source);
    let provenance = provenance.unwrap();
    let Verification::Sumdb(proof) = provenance.verification else {
        panic!()
    };
    assert!(proof.url.starts_with(&format!("{DB}/lookup/")));
    // Both proxies were asked whether they serve the database.
    let asked = world.db.remote.asked();
    assert!(asked.contains(&format!("{PROXY_A}/sumdb/sum.test/supported")));
    assert!(asked.contains(&format!("{PROXY_B}/sumdb/sum.test/supported")));
}

#[test]
fn a_zip_changed_after_its_record_is_refused_naming_both_hashes_and_servers() {
    let world = World::new();
    let (tampered, tampered_h1) = toolchain_zip("go1.22.10", "one extra line\n");
    let mv = "v0.0.1-go1.22.10.linux-amd64";
    world
        .db
        .remote
        .put(&format!("{PROXY_B}/{MODULE}/@v/{mv}.zip"), tampered);
    let source = world.source(|_| {});
    let (_dir, result) = world.install(&source);
    let err = result.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, GoproxyError::Mismatch(_)), "{msg}");
    let (_, recorded) = toolchain_zip("go1.22.10", "");
    for part in [
        "golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64",
        &tampered_h1,
        &recorded,
        PROXY_B,
        DB,
        "sum.test",
    ] {
        assert!(msg.contains(part), "{part} missing from: {msg}");
    }
}

#[test]
fn gosumdb_off_and_gonosumdb_refuse_unless_allowed() {
    for (var, value, reason) in [
        ("GOSUMDB", "off", "GOSUMDB=off"),
        (
            "GONOSUMDB",
            "corp.example,golang.org",
            "GONOSUMDB=corp.example,golang.org covers",
        ),
        (
            "GOPRIVATE",
            "golang.org/toolchain",
            "GOPRIVATE=golang.org/toolchain covers",
        ),
    ] {
        let mut world = World::new();
        world.set(var, value);
        let source = world.source(|_| {});
        let err = source.prove(&v("go1.22.10"), &platform()).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, GoproxyError::Unverifiable { .. }), "{msg}");
        assert!(
            msg.contains(reason) && msg.contains("allow_unverified"),
            "{msg}"
        );
        let source = world.source(|o| o.allow_unverified = true);
        let (dir, provenance) = world.install(&source);
        let provenance = provenance.unwrap();
        assert!(
            matches!(&provenance.verification, Verification::Unverified { reason: r } if r.contains(reason)),
            "{provenance:?}"
        );
        assert!(dir.path().join("go/bin/go").is_file());
        // No checksum database was asked.
        assert!(!world.asked_for("/lookup/"));
    }
}

#[test]
fn gonosumdb_takes_precedence_over_goprivate() {
    let mut world = World::new();
    world.set("GOPRIVATE", "golang.org");
    world.set("GONOSUMDB", "corp.example");
    let source = world.source(|_| {});
    assert!(matches!(
        source
            .prove(&v("go1.22.10"), &platform())
            .unwrap()
            .verification,
        Verification::Sumdb(_)
    ));
}

#[test]
fn unverified_installs_need_allow_http_for_plain_http_elsewhere() {
    let mut world = World::new();
    world.set("GOSUMDB", "off");
    let elsewhere = "http://mirror.example";
    let mv = "v0.0.1-go1.22.10.linux-amd64";
    let (zip, _) = toolchain_zip("go1.22.10", "");
    world
        .db
        .remote
        .put(&format!("{elsewhere}/{MODULE}/@v/{mv}.zip"), zip);
    world.set("GOPROXY", elsewhere);
    let source = world.source(|o| o.allow_unverified = true);
    let (_dir, result) = world.install(&source);
    assert!(matches!(
        result,
        Err(GoproxyError::InsecureUnverified { .. })
    ));
    let source = world.source(|o| {
        o.allow_unverified = true;
        o.allow_http = true;
    });
    assert!(world.install(&source).1.is_ok());
}

#[test]
fn goproxy_off_refuses() {
    let mut world = World::new();
    world.set("GOPROXY", "off");
    let source = world.source(|_| {});
    let err = source.versions(&platform()).unwrap_err();
    assert!(matches!(err, GoproxyError::Off), "{err}");
    assert!(err.to_string().contains("source = \"go.dev\""), "{err}");
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(
        source.fetch_into(&v("go1.22.10"), &platform(), dir.path()),
        Err(GoproxyError::Off)
    ));
    // After proxies that lack the version, off ends the list with "not found".
    world.set("GOPROXY", &format!("{PROXY_A},off"));
    let err = world.source(|_| {}).versions(&platform()).unwrap_err();
    assert!(matches!(err, GoproxyError::NotFound { .. }), "{err}");
}

#[test]
fn comma_falls_through_on_not_found_only_and_pipe_on_any_error() {
    let mut world = World::new();
    world
        .db
        .remote
        .fail(&format!("{PROXY_A}/{MODULE}/@v/list"), 500);
    world.set("GOPROXY", &format!("{PROXY_A},{PROXY_B}"));
    let err = world.source(|_| {}).versions(&platform()).unwrap_err();
    assert!(err.to_string().contains("500"), "{err}");
    assert!(
        !world
            .db
            .remote
            .asked()
            .contains(&format!("{PROXY_B}/{MODULE}/@v/list"))
    );
    world.set("GOPROXY", &format!("{PROXY_A}|{PROXY_B}"));
    let listing = world.source(|_| {}).versions(&platform()).unwrap();
    assert_eq!(listing.proxy, PROXY_B);
    // Nobody has it: every URL tried is named.
    world.set("GOPROXY", &format!("{PROXY_B}/nothing,{PROXY_A}/nothing"));
    let err = world.source(|_| {}).versions(&platform()).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("{PROXY_B}/nothing/{MODULE}/@v/list")),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("{PROXY_A}/nothing/{MODULE}/@v/list")),
        "{msg}"
    );
}

#[test]
fn direct_goes_to_the_origin_the_go_import_tag_names() {
    let mut world = World::new();
    let page = proxies::ORIGIN_PAGE;
    world.set("GOPROXY", &format!("{PROXY_A},direct"));
    let source = world.source(|_| {});
    assert_eq!(source.versions(&platform()).unwrap().proxy, PROXY_B);
    let (_dir, provenance) = world.install(&source);
    assert_eq!(provenance.unwrap().proxy, PROXY_B);
    // The page was read once for both requests.
    let pages = world
        .db
        .remote
        .asked()
        .iter()
        .filter(|u| *u == page)
        .count();
    assert_eq!(pages, 1);
    // A module matching GONOPROXY goes direct even with proxies listed.
    world.set("GOPROXY", PROXY_A);
    world.set("GONOPROXY", "golang.org");
    assert_eq!(
        world.source(|_| {}).versions(&platform()).unwrap().proxy,
        PROXY_B
    );
}

#[test]
fn a_gosumdb_url_bypasses_the_proxies() {
    let mut world = World::new();
    world.b_proxies_the_database();
    let (_, vkey) = super::sumdb::note::tests::test_key("sum.test", 7);
    world.set("GOSUMDB", &format!("{vkey} {DB}"));
    let source = world.source(|_| {});
    let expected = source.prove(&v("go1.22.10"), &platform()).unwrap();
    let Verification::Sumdb(proof) = expected.verification else {
        panic!()
    };
    assert!(proof.url.starts_with(DB));
    assert!(!world.asked_for("/supported"));
}

#[test]
fn a_version_the_database_does_not_know_is_refused_before_downloading() {
    let world = World::new();
    let source = world.source(|_| {});
    let err = source.prove(&v("go1.23.0"), &platform()).unwrap_err();
    assert!(
        matches!(err, GoproxyError::Sumdb(SumdbError::NoRecord { .. })),
        "{err}"
    );
    assert!(!world.asked_for(".zip"));
}

#[test]
fn a_zip_without_go_is_not_a_toolchain() {
    let world = World::new();
    let mv = "v0.0.1-go1.22.10.linux-amd64";
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    w.start_file(
        format!("{MODULE}@{mv}/VERSION"),
        SimpleFileOptions::default(),
    )
    .unwrap();
    w.write_all(b"go1.22.10\n").unwrap();
    world.db.remote.put(
        &format!("{PROXY_B}/{MODULE}/@v/{mv}.zip"),
        w.finish().unwrap().into_inner(),
    );
    let dir = tempfile::tempdir().unwrap();
    let err = world
        .source(|_| {})
        .fetch_into(&v("go1.22.10"), &platform(), dir.path())
        .unwrap_err();
    assert!(matches!(err, GoproxyError::NotAToolchain { .. }), "{err}");
}

#[test]
fn settings_are_read_as_go_reads_them() {
    let mut world = World::new();
    world.env.remove("GOPROXY");
    world.env.remove("GOSUMDB");
    let settings = world.settings().unwrap();
    assert_eq!(settings.goproxy, proxies::DEFAULT_GOPROXY);
    assert!(matches!(&settings.sumdb, Gosumdb::On(db) if db.name() == "sum.golang.org"));
    world.set("GOPROXY", "ftp://nope");
    let err = world.settings().unwrap_err().to_string();
    assert!(err.starts_with("GOPROXY=ftp://nope is not valid"), "{err}");
    world.set("GOPROXY", "direct");
    world.set("GOSUMDB", "sum.golang.org+00000000+AAAA");
    assert!(
        world
            .settings()
            .unwrap_err()
            .to_string()
            .starts_with("GOSUMDB=")
    );
}

#[test]
fn auto_uses_the_proxy_only_when_goproxy_names_one_other_than_go_s_default() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("env");
    let check = |vars: &[(&str, &str)], want: bool| {
        let vars: HashMap<String, OsString> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        let lookup = |n: &str| vars.get(n).cloned();
        assert_eq!(auto_choice(&GoEnv::new(&lookup)).0, want, "{vars:?}");
    };
    let goenv = env_file.to_str().unwrap();
    check(&[("GOENV", "off")], false);
    check(&[("GOENV", "off"), ("GOPROXY", "")], false);
    check(
        &[
            ("GOENV", "off"),
            ("GOPROXY", "https://proxy.golang.org,direct"),
        ],
        false,
    );
    check(
        &[("GOENV", "off"), ("GOPROXY", "proxy.golang.org,direct")],
        false,
    );
    check(
        &[("GOENV", "off"), ("GOPROXY", "https://goproxy.cn,direct")],
        true,
    );
    // Nothing to fetch from but go.dev's own module server: go.dev itself.
    check(&[("GOENV", "off"), ("GOPROXY", "off")], false);
    check(&[("GOENV", "off"), ("GOPROXY", "direct")], false);
    check(&[("GOENV", "off"), ("GOPROXY", "direct|off")], false);
    check(&[("GOENV", "off"), ("GOPROXY", "not a list")], true);
    // `go env -w GOPROXY=…` writes the env file; the environment still wins.
    std::fs::write(&env_file, "GOPROXY=https://goproxy.cn,direct\n").unwrap();
    check(&[("GOENV", goenv)], true);
    check(
        &[
            ("GOENV", goenv),
            ("GOPROXY", "https://proxy.golang.org,direct"),
        ],
        false,
    );
}
