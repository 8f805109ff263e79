//! Credentials for a module proxy that demands them, as the `go` command finds them: a
//! loopback GOPROXY behind real TLS and HTTP basic authentication. A 401 is explained; the
//! credentials work from `~/.netrc`, from `$NETRC` and from the GOPROXY URL; `GOAUTH=off`
//! sends nothing; and the secret appears in no output of any command.

use crate::support;

use std::io::Read;

use base64::Engine;
use support::goproxy::GoProxy;
use support::tls::{Ca, TlsFront};
use support::*;

const NAME: &str = "go1.22.10.linux-amd64";
const USER: &str = "alice";
const SECRET: &str = "s3cret-Pw0rd";

struct World {
    _ca: Ca,
    _proxy: GoProxy,
    front: TlsFront,
    env: Env,
    port: u16,
}

/// A module proxy (with its checksum database) that answers only to alice's credentials,
/// and an environment that trusts its CA and points GOPROXY at it, with no credentials yet.
fn world() -> World {
    let ca = Ca::new("gopin test CA");
    let proxy = GoProxy::start();
    proxy.publish("go1.22.10", "linux/amd64");
    let front = TlsFront::start(&ca, &proxy.mirror.base, Some((USER, SECRET)));
    let port: u16 = front.base.rsplit(':').next().unwrap().parse().unwrap();
    let env = Env::with_urls("", "");
    let pem = ca.write(env.dir.path(), "ca.pem");
    let env = env
        .with_var("SSL_CERT_FILE", pem.to_str().unwrap())
        .with_var("GOPROXY", &front.url("/proxy"))
        .with_var("GOSUMDB", &proxy.gosumdb());
    World {
        _ca: ca,
        _proxy: proxy,
        front,
        env,
        port,
    }
}

/// Every output a user could see or share: the command's, then `ls`, `ls --json`, `doctor`,
/// `doctor --json`, the install record and an exported snapshot (when installed).
fn everything_shown(env: &Env, out: &std::process::Output) -> String {
    let mut all = format!("{}{}", stdout_of(out), stderr_of(out));
    for args in [
        &["-v", "ls"][..],
        &["ls", "--json"],
        &["-v", "doctor"],
        &["doctor", "--json"],
    ] {
        let o = env.gopin(args).output().unwrap();
        all.push_str(&stdout_of(&o));
        all.push_str(&stderr_of(&o));
    }
    let record = env.store().join("versions").join(NAME).join("install.json");
    if let Ok(text) = std::fs::read_to_string(&record) {
        all.push_str(&text);
        let snapshot = env.dir.path().join("go.tar.gz");
        let o = env
            .gopin(&["export", "1.22.10", "-o", snapshot.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr_of(&o));
        all.push_str(&stderr_of(&o));
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(&snapshot).unwrap())
            .read_to_end(&mut bytes)
            .unwrap();
        all.push_str(&String::from_utf8_lossy(&bytes));
    }
    all
}

/// No trace of the secret: neither itself nor the header that carries it.
fn assert_no_secret(text: &str) {
    let header = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{SECRET}"));
    assert!(!text.contains(SECRET), "the secret leaked:\n{text}");
    assert!(!text.contains(&header), "the secret leaked:\n{text}");
}

fn expected_header() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{SECRET}"))
    )
}

#[test]
fn a_401_names_the_host_and_where_credentials_are_looked_for() {
    let w = world();
    let out = w.env.gopin(&["install", "1.22"]).output().unwrap();
    let err = one_error_line(&out);
    assert!(
        err.contains(&format!(
            "{}/proxy/golang.org/toolchain/@v/list answered HTTP 401 (credentials required): gopin sent none",
            w.front.base
        )) && err.contains(&format!("machine 127.0.0.1:{} login", w.port))
            && err.contains("~/.netrc")
            && err.contains("GOPROXY URL"),
        "{err}"
    );
    assert!(!err.contains("retried"), "{err}");
    assert_eq!(w.front.connections(), 1, "a 401 is not retried");
    assert!(w.front.seen().iter().all(|s| s.authorization.is_none()));
}

#[test]
fn home_netrc_gives_the_credentials() {
    let w = world();
    std::fs::write(
        w.env.dir.path().join("home/.netrc"),
        format!("machine example.org login bob password other\nmachine 127.0.0.1 login {USER} password {SECRET}\n"),
    )
    .unwrap();
    let out = w.env.gopin(&["-v", "install", "1.22"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(w.env.goroot(NAME).join("bin/go").is_file());
    let seen = w.front.seen();
    assert!(seen.len() >= 3, "{seen:?}");
    assert!(
        seen.iter()
            .all(|s| s.authorization.as_deref() == Some(expected_header().as_str())),
        "{seen:?}"
    );
    assert_no_secret(&everything_shown(&w.env, &out));
}

#[test]
fn netrc_names_the_file_and_a_wrong_password_is_told_apart() {
    let w = world();
    let netrc = w.env.dir.path().join("creds");
    std::fs::write(
        &netrc,
        format!(
            "machine 127.0.0.1:{} login {USER} password wrong-{SECRET}\n",
            w.port
        ),
    )
    .unwrap();
    let env = Env { ..w.env }.with_var("NETRC", netrc.to_str().unwrap());
    let out = env.gopin(&["install", "1.22"]).output().unwrap();
    let err = one_error_line(&out);
    assert!(
        err.contains(&format!(
            "gopin sent the credentials from the machine 127.0.0.1:{} of $NETRC ({})",
            w.port,
            netrc.display()
        )),
        "{err}"
    );
    assert_no_secret(&everything_shown(&env, &out));
    std::fs::write(
        &netrc,
        format!(
            "machine 127.0.0.1:{} login {USER} password {SECRET}\n",
            w.port
        ),
    )
    .unwrap();
    let out = env.gopin(&["-v", "install", "1.22"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert_no_secret(&everything_shown(&env, &out));
}

#[test]
fn userinfo_in_goproxy_gives_the_credentials_and_is_never_shown() {
    let w = world();
    let goproxy = format!("https://{USER}:{SECRET}@127.0.0.1:{}/proxy", w.port);
    let env = Env { ..w.env }.with_var("GOPROXY", &goproxy);
    let out = env.gopin(&["-v", "install", "1.22"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("GOPROXY=https://***@127.0.0.1:{}/proxy", w.port)),
        "{err}"
    );
    let all = everything_shown(&env, &out);
    assert_no_secret(&all);
    // A failure prints the URL too: still without the secret.
    let env = env.with_var("GOPIN_SOURCE_KIND", "goproxy").with_var(
        "GOPROXY",
        &format!("https://{USER}:{SECRET}@127.0.0.1:9/proxy"),
    );
    let out = env
        .gopin(&["-v", "install", "--force", "1.22"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_no_secret(&format!("{}{}", stdout_of(&out), stderr_of(&out)));
}

#[test]
fn goauth_off_sends_nothing_and_other_forms_are_named() {
    let w = world();
    std::fs::write(
        w.env.dir.path().join("home/.netrc"),
        format!("machine 127.0.0.1 login {USER} password {SECRET}\n"),
    )
    .unwrap();
    let env = Env { ..w.env }.with_var("GOAUTH", "off");
    let out = env.gopin(&["install", "1.22"]).output().unwrap();
    let err = one_error_line(&out);
    assert!(err.contains("gopin sent none, as GOAUTH=off"), "{err}");
    assert!(!w.front.seen().is_empty());
    assert!(
        w.front.seen().iter().all(|s| s.authorization.is_none()),
        "{:?}",
        w.front.seen()
    );
    let env = env.with_var("GOAUTH", "git /home/me/src");
    let err = one_error_line(&env.gopin(&["install", "1.22"]).output().unwrap());
    assert!(
        err.contains("GOAUTH=git /home/me/src uses 'git /home/me/src' (git's credential helpers), which gopin does not support"),
        "{err}"
    );
    let env = env.with_var("GOAUTH", "netrc;/usr/local/bin/go-creds");
    let err = one_error_line(&env.gopin(&["install", "1.22"]).output().unwrap());
    assert!(
        err.contains("the command '/usr/local/bin/go-creds'"),
        "{err}"
    );
}

/// A GOPROXY entry written without a scheme (`user:secret@host`, which gopin reads as https)
/// and a GOAUTH command carrying a token: neither secret reaches `-v`, `doctor` or an error.
#[test]
fn secrets_without_a_scheme_or_in_a_goauth_command_are_never_shown() {
    let env = || Env::with_urls("", "").with_var("GOSUMDB", "off");
    let mut outputs = Vec::new();
    for (proxy, args) in [
        (
            format!("{USER}:{SECRET}@127.0.0.1:1"),
            &["-v", "ls-remote"][..],
        ),
        (format!("{USER}:{SECRET}@127.0.0.1:1"), &["doctor"][..]),
        (format!("{USER}:{SECRET}@bad host"), &["ls-remote"][..]),
    ] {
        let out = env()
            .with_var("GOPROXY", &proxy)
            .gopin(args)
            .output()
            .unwrap();
        outputs.push(format!("{}{}", stdout_of(&out), stderr_of(&out)));
    }
    let out = env()
        .with_var("GOPROXY", "https://127.0.0.1:1/")
        .with_var(
            "GOAUTH",
            &format!("netrc; curl -H \"Authorization: Bearer {SECRET}\""),
        )
        .gopin(&["-v", "ls-remote"])
        .output()
        .unwrap();
    let goauth = stderr_of(&out);
    assert!(
        goauth.contains("the command 'curl' (its arguments not shown)"),
        "{goauth}"
    );
    outputs.push(goauth);
    for text in &outputs {
        assert!(!text.contains(SECRET), "the secret was shown: {text}");
    }
    assert!(
        outputs[0].contains("GOPROXY=***@127.0.0.1:1"),
        "{}",
        outputs[0]
    );
}
