//! A server that stalls, drips, resets, cuts short or redirects, and archives that unpack to
//! far more than they weigh: each fails with one sentence that says what happened, and leaves
//! nothing in the store (docs/security.md).

use crate::support;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::Duration;

use support::*;

const ARCHIVE: &str = "/dl/go1.22.10.linux-amd64.tar.gz";

/// go1.22.10 with 150 kB that does not compress, so a transfer has a middle to fail in.
fn release() -> Release {
    let mut tree = go_tree("go1.22.10", "linux/amd64");
    tree.push(Entry::Dir("go/pkg/"));
    tree.push(Entry::File("go/pkg/blob".into(), 0o644, noise(150_000, 1)));
    Release::with_archive("go1.22.10", tar_gz(&tree))
}

fn body() -> Vec<u8> {
    release().archives.remove(0).2
}

/// Installs go1.22.10 with `vars` set, expecting one error sentence that holds every `want`,
/// and nothing in the store afterwards.
fn refused(env: &Env, vars: &[(&str, &str)], want: &[&str]) -> String {
    let mut cmd = env.gopin(&["install", "1.22.10"]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let err = one_error_line(&out);
    eprintln!("{err}");
    for w in want {
        assert!(err.contains(w), "wanted {w:?} in: {err}");
    }
    assert!(env.store_entries("versions").is_empty(), "{err}");
    assert!(env.store_entries("tmp").is_empty(), "{err}");
    err
}

/// Short limits, so the tests take seconds (they assert what happened, never how long); two
/// seconds, so a busy machine does not pass for a stalled server.
const QUICK: [(&str, &str); 1] = [("GOPIN_LOW_SPEED_SECS", "2")];

#[test]
fn a_stalled_server_is_given_up_on_and_said_so() {
    let (mirror, env) = mirror_with(&[release()]);
    let body = body();
    let send = body.len() / 2;
    mirror.set(ARCHIVE, Reply::Stall { body, send });
    refused(
        &env,
        &QUICK,
        &[
            "downloading http://127.0.0.1:",
            "the server stopped sending after ",
            "nothing arrived for 2 s",
            "retried 3 times",
        ],
    );
    assert_eq!(mirror.hits(ARCHIVE), 4, "a stall is worth retrying");
}

#[test]
fn a_dripping_server_is_given_up_on() {
    let (mirror, env) = mirror_with(&[release()]);
    mirror.set(
        ARCHIVE,
        Reply::Drip {
            body: body(),
            chunk: 20,
            pause: Duration::from_millis(100),
        },
    );
    let vars = [
        ("GOPIN_LOW_SPEED_SECS", "2"),
        ("GOPIN_LOW_SPEED_BYTES", "4000"),
    ];
    refused(
        &env,
        &vars,
        &["the server sent less than 4.0 kB in 2 s", "retried 3 times"],
    );
    assert_eq!(mirror.hits(ARCHIVE), 4);
}

#[test]
fn the_overall_limit_bounds_a_download_that_keeps_moving() {
    let (mirror, env) = mirror_with(&[release()]);
    mirror.set(
        ARCHIVE,
        Reply::Drip {
            body: body(),
            chunk: 1000,
            pause: Duration::from_millis(100),
        },
    );
    let vars = [
        ("GOPIN_LOW_SPEED_BYTES", "0"),
        ("GOPIN_DOWNLOAD_TIMEOUT", "1"),
    ];
    let err = refused(
        &env,
        &vars,
        &["the download took longer than download_timeout (1 s), after "],
    );
    assert!(!err.contains("retried"), "{err}");
    assert_eq!(mirror.hits(ARCHIVE), 1, "the overall limit is not retried");

    // With no stall limit, a silent server is still bounded by the overall one.
    let body = body();
    let send = body.len() / 2;
    mirror.set(ARCHIVE, Reply::Stall { body, send });
    let vars = [
        ("GOPIN_LOW_SPEED_SECS", "0"),
        ("GOPIN_DOWNLOAD_TIMEOUT", "2"),
    ];
    refused(
        &env,
        &vars,
        &[
            "the download took longer than download_timeout (2 s), after ",
            " kB of ",
        ],
    );
    assert_eq!(mirror.hits(ARCHIVE), 2);
}

#[test]
fn reset_truncated_and_unsized_transfers_are_told_apart() {
    let (mirror, env) = mirror_with(&[release()]);
    let body = body();
    let send = body.len() / 2;
    let cases = [
        (
            Reply::Reset {
                body: body.clone(),
                send,
            },
            "the connection was reset after ",
        ),
        (
            Reply::Truncated {
                body: body.clone(),
                send,
            },
            "the server closed the connection after ",
        ),
        // Without a Content-Length the index's size tells a cut-short body.
        (
            Reply::Unsized {
                body: body.clone(),
                send,
            },
            "the server closed the connection after ",
        ),
    ];
    for (n, (reply, want)) in cases.into_iter().enumerate() {
        mirror.set(ARCHIVE, reply);
        let err = refused(&env, &QUICK, &[want, " kB; retried 3 times"]);
        assert!(!err.contains("(0.0"), "{err}");
        assert_eq!(mirror.hits(ARCHIVE), 4 * (n + 1), "{err}");
    }
}

#[test]
fn a_redirect_to_plain_http_elsewhere_is_refused() {
    let (mirror, env) = mirror_with(&[release()]);
    let port = mirror.base.rsplit(':').next().unwrap().to_string();
    let elsewhere = format!("http://gopin-redirect.invalid:{port}{ARCHIVE}");
    mirror.set(
        ARCHIVE,
        Reply::Redirect {
            status: 302,
            location: elsewhere.clone(),
        },
    );
    let err = refused(
        &env,
        &[],
        &[
            &format!("{} redirected to {elsewhere}", mirror.url(ARCHIVE)),
            "which gopin refuses: it is plain http to a host that is not loopback",
            "allow_http",
        ],
    );
    assert!(!err.contains("retried"), "a refusal is not retried: {err}");
    assert_eq!(mirror.hits(ARCHIVE), 1);

    // The index obeys the same rule (the install above cached it: fetch it again).
    mirror.set(
        "/index.json",
        Reply::Redirect {
            status: 301,
            location: "http://gopin-redirect.invalid/index.json".into(),
        },
    );
    let out = env.gopin(&["ls-remote", "--refresh"]).output().unwrap();
    let err = one_error_line(&out);
    assert!(
        err.contains("redirected to http://gopin-redirect.invalid/index.json"),
        "{err}"
    );

    // Schemes other than http(s), and endless redirects.
    for (location, want) in [
        (
            "file:///etc/passwd",
            "redirected to file:///etc/passwd, which gopin refuses: gopin only follows https and http URLs",
        ),
        (ARCHIVE, "more than 10 redirects"),
    ] {
        mirror.set(
            ARCHIVE,
            Reply::Redirect {
                status: 302,
                location: location.into(),
            },
        );
        refused(&env, &[], &[want]);
    }
}

#[test]
fn redirects_within_loopback_are_followed() {
    let (mirror, env) = mirror_with(&[release()]);
    let body = body();
    mirror.set("/moved/a.tar.gz", Reply::Body(body.clone()));
    mirror.set(
        "/moved/b",
        Reply::Redirect {
            status: 307,
            location: "/moved/a.tar.gz".into(),
        },
    );
    let port = mirror.base.rsplit(':').next().unwrap().to_string();
    mirror.set(
        ARCHIVE,
        Reply::Redirect {
            status: 302,
            location: format!("http://localhost:{port}/moved/b"),
        },
    );
    env.gopin(&["install", "1.22.10"]).assert().success();
    assert_eq!(mirror.hits("/moved/a.tar.gz"), 1);
    assert!(env.goroot("go1.22.10.linux-amd64").join("bin/go").is_file());
}

#[test]
fn processes_waiting_on_a_failing_install_learn_its_failure() {
    let (mirror, env) = mirror_with(&[release()]);
    mirror.set(ARCHIVE, Reply::Status(503));
    // Hold the version's lock, so that every gopin started now waits on it.
    let locks = env.store().join("locks");
    std::fs::create_dir_all(&locks).unwrap();
    let held = std::fs::File::create(locks.join("go1.22.10.linux-amd64.lock")).unwrap();
    held.lock().unwrap();
    let mut waiting = Vec::new();
    for _ in 0..4 {
        let mut child = env
            .command(&["install", "1.22.10"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        while !line.contains("waiting for another gopin") {
            line.clear();
            assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "it exited early");
        }
        waiting.push((child, stderr));
    }
    held.unlock().unwrap();
    let mut learned = 0;
    for (mut child, mut stderr) in waiting {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
        assert!(!child.wait().unwrap().success(), "{rest}");
        assert!(rest.contains("503"), "{rest}");
        if rest.contains("failed while this one waited") {
            learned += 1;
        }
    }
    assert_eq!(learned, 3, "all but the first learned its failure");
    assert_eq!(mirror.hits(ARCHIVE), 4, "one retry schedule in all");
    // A later run tries again for itself.
    let out = env.gopin(&["install", "1.22.10"]).output().unwrap();
    assert!(!one_error_line(&out).contains("waited"));
    assert_eq!(mirror.hits(ARCHIVE), 8);
}

#[test]
fn sizes_in_messages_use_one_unit() {
    let (_m, env) = mirror_with(&[Release::linux("go1.22.10")]);
    let out = env.gopin(&["install", "1.22.10"]).assert().success();
    let err = stderr_of(out.get_output());
    let line = err.lines().find(|l| l.starts_with("downloading")).unwrap();
    assert!(line.ends_with(" B)"), "a small archive in bytes: {line}");
    let (_m, env) = mirror_with(&[release()]);
    let out = env.gopin(&["install", "1.22.10"]).assert().success();
    let err = stderr_of(out.get_output());
    assert!(err.contains(".tar.gz (15") && err.contains(" kB)"), "{err}");
}

/// A tree whose `go/pkg/zeros` is `len` zero bytes: tiny once compressed.
fn bomb(len: usize) -> Vec<Entry> {
    let mut tree = go_tree("go1.22.10", "linux/amd64");
    tree.push(Entry::Dir("go/pkg/"));
    tree.push(Entry::File("go/pkg/zeros".into(), 0o644, vec![0; len]));
    tree
}

#[test]
fn an_archive_that_unpacks_to_far_more_than_it_weighs_is_refused() {
    // 9 MiB of zeros: past the 8 MiB floor, and far past 8 times the archive.
    let archive = tar_gz(&bomb(9 << 20));
    assert!(archive.len() < 1 << 20, "{} bytes", archive.len());
    let (_m, env) = mirror_with(&[Release::with_archive("go1.22.10", archive)]);
    refused(
        &env,
        &[],
        &[
            "refusing to install go1.22.10.linux-amd64.tar.gz: it unpacks to more than 8.4 MB",
            "nothing was installed",
        ],
    );

    // The same bound with the zeros after the end of the tar, inside the gzip stream.
    let plain = tar_gz(&go_tree("go1.22.10", "linux/amd64"));
    let mut inner = Vec::new();
    std::io::copy(&mut flate2::read::GzDecoder::new(&plain[..]), &mut inner).unwrap();
    inner.extend(std::iter::repeat_n(0u8, 9 << 20));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&inner).unwrap();
    let trailing = gz.finish().unwrap();
    let (_m, env) = mirror_with(&[Release::with_archive("go1.22.10", trailing)]);
    refused(&env, &[], &["it unpacks to more than 8.4 MB"]);
}

#[test]
fn a_connection_that_fails_at_a_proxy_names_the_proxy() {
    let (_mirror, env) = mirror_with(&[release()]);
    // Nothing listens on port 1: the proxy refuses, not the mirror.
    let err = refused(
        &env,
        &[("HTTP_PROXY", "http://127.0.0.1:1/")],
        &[
            "Connection refused",
            "(through the proxy in HTTP_PROXY=http://127.0.0.1:1/, unless NO_PROXY covers the host)",
        ],
    );
    assert!(err.contains("retried 3 times"), "{err}");
    // Without the proxy the same install works.
    env.gopin(&["install", "1.22.10"]).assert().success();
}
