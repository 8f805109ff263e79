//! https with real TLS on loopback: a CA made in the test signs the server's certificate, and
//! gopin must refuse it until it is trusted (through `SSL_CERT_FILE`, `ca_file` or the system
//! store), in one sentence and without retrying.

use crate::support;

use support::tls::{Ca, TlsFront};
use support::*;

const NAME: &str = "go1.22.10.linux-amd64";

/// A mirror of go1.22.10 behind https, and an environment whose index and downloads are
/// there.
fn https_mirror(ca: &Ca) -> (Mirror, TlsFront, Env) {
    let (mirror, _) = mirror_with(&[Release::linux("go1.22.10")]);
    let front = TlsFront::start(ca, &mirror.base, None);
    let env = Env::with_urls(&front.url("/index.json"), &front.url("/dl/"));
    (mirror, front, env)
}

#[test]
fn an_unknown_ca_is_refused_in_one_sentence_without_retrying() {
    let ca = Ca::new("gopin test CA");
    let (_m, front, env) = https_mirror(&ca);
    let out = env.gopin(&["install", "1.22"]).output().unwrap();
    let err = one_error_line(&out);
    assert!(
        err.contains("the certificate of 127.0.0.1 was refused: it is signed by an unknown issuer")
            && err.contains("the system trust store")
            && err.contains("SSL_CERT_FILE")
            && err.contains("ca_file setting (GOPIN_CA_FILE)"),
        "{}",
        stderr_of(&out)
    );
    assert!(!err.contains("retried"), "{err}");
    assert_eq!(front.connections(), 1, "a certificate error is not retried");
    assert!(
        front.seen().is_empty(),
        "no request went past the handshake"
    );
    assert!(env.store_entries("versions").is_empty());
}

#[test]
fn ssl_cert_file_makes_the_ca_trusted() {
    let ca = Ca::new("gopin test CA");
    let (_m, front, env) = https_mirror(&ca);
    let pem = ca.write(env.dir.path(), "ca.pem");
    let env = env.with_var("SSL_CERT_FILE", pem.to_str().unwrap());
    let out = env.gopin(&["-v", "install", "1.22"]).assert().success();
    let err = stderr_of(out.get_output());
    assert!(
        err.contains(&format!("from SSL_CERT_FILE={}", pem.display())),
        "{err}"
    );
    assert!(env.goroot(NAME).join("bin/go").is_file());
    assert_eq!(
        front.seen().len(),
        2,
        "the index and the archive: {:?}",
        front.seen()
    );
}

#[test]
fn ssl_cert_dir_makes_the_ca_trusted() {
    let ca = Ca::new("gopin test CA");
    let (_m, _front, env) = https_mirror(&ca);
    let dir = env.dir.path().join("certs");
    std::fs::create_dir(&dir).unwrap();
    ca.write(&dir, "corp.pem");
    let env = env.with_var("SSL_CERT_DIR", dir.to_str().unwrap());
    env.gopin(&["install", "1.22"]).assert().success();
}

#[test]
fn ca_file_adds_the_ca_to_the_system_store() {
    let ca = Ca::new("gopin test CA");
    let (_m, _front, env) = https_mirror(&ca);
    let pem = ca.write(env.dir.path(), "corp-ca.pem");
    // From the variable…
    let by_var = Env::with_urls(&env.index_url, &env.download_url)
        .with_var("GOPIN_CA_FILE", pem.to_str().unwrap());
    by_var.gopin(&["install", "1.22"]).assert().success();
    // …and from the config file, where doctor shows it among the roots.
    std::fs::write(
        env.dir.path().join("config.toml"),
        format!("ca_file = \"{}\"\n", pem.display()),
    )
    .unwrap();
    env.gopin(&["install", "1.22"]).assert().success();
    let out = env.gopin(&["doctor"]).output().unwrap();
    let text = format!("{}{}", stdout_of(&out), stderr_of(&out));
    assert!(
        text.contains(&format!("1 from ca_file {}", pem.display())),
        "{text}"
    );
}

#[test]
fn an_unreadable_ca_file_is_an_error_naming_it_and_doctor_says_so() {
    let ca = Ca::new("gopin test CA");
    let (_m, front, env) = https_mirror(&ca);
    let missing = env.dir.path().join("no-such-ca.pem");
    let env = env.with_var("GOPIN_CA_FILE", missing.to_str().unwrap());
    let out = env.gopin(&["install", "1.22"]).output().unwrap();
    let err = one_error_line(&out);
    assert!(
        err.contains(&format!(
            "the ca_file setting names {}, which does not exist",
            missing.display()
        )) && err.contains("GOPIN_CA_FILE"),
        "{err}"
    );
    assert_eq!(
        front.connections(),
        0,
        "nothing is fetched without its roots"
    );
    let not_pem = env.dir.path().join("not-pem.txt");
    std::fs::write(&not_pem, "hello\n").unwrap();
    let env = env.with_var("GOPIN_CA_FILE", not_pem.to_str().unwrap());
    let err = one_error_line(&env.gopin(&["install", "1.22"]).output().unwrap());
    assert!(err.contains("holds no PEM certificate"), "{err}");
    let out = env.gopin(&["doctor"]).output().unwrap();
    let text = format!("{}{}", stdout_of(&out), stderr_of(&out));
    assert!(text.contains("holds no PEM certificate"), "{text}");
    assert!(!out.status.success(), "{text}");
    // An SSL_CERT_FILE that cannot be read is reported by doctor too.
    let env = env
        .with_var("GOPIN_CA_FILE", "")
        .with_var("SSL_CERT_FILE", missing.to_str().unwrap());
    let out = env.gopin(&["doctor"]).output().unwrap();
    let text = format!("{}{}", stdout_of(&out), stderr_of(&out));
    assert!(
        text.contains(&format!(
            "SSL_CERT_FILE={}: it does not exist",
            missing.display()
        )),
        "{text}"
    );
}

#[test]
fn a_certificate_for_another_name_says_wrong_name() {
    let ca = Ca::new("gopin test CA");
    let (mirror, _) = mirror_with(&[Release::linux("go1.22.10")]);
    let front = TlsFront::start_for(&ca, &["mirror.example"], &mirror.base, None);
    let pem = ca.write(mirror_dir().path(), "ca.pem");
    let env = Env::with_urls(&front.url("/index.json"), &front.url("/dl/"))
        .with_var("SSL_CERT_FILE", pem.to_str().unwrap());
    let err = one_error_line(&env.gopin(&["install", "1.22"]).output().unwrap());
    assert!(
        err.contains("the certificate of 127.0.0.1 was refused: it is for another name than 127.0.0.1 (wrong name)"),
        "{err}"
    );
    assert_eq!(front.connections(), 1);
}

#[test]
fn an_expired_certificate_says_expired() {
    let ca = Ca::new("gopin test CA");
    let (mirror, _) = mirror_with(&[Release::linux("go1.22.10")]);
    let front = TlsFront::start_expired(&ca, &mirror.base);
    let pem = ca.write(mirror_dir().path(), "expired-ca.pem");
    let env = Env::with_urls(&front.url("/index.json"), &front.url("/dl/"))
        .with_var("SSL_CERT_FILE", pem.to_str().unwrap());
    let err = one_error_line(&env.gopin(&["install", "1.22"]).output().unwrap());
    assert!(
        err.contains(
            "the certificate of 127.0.0.1 was refused: it has expired; check this machine's clock"
        ),
        "{err}"
    );
    assert_eq!(front.connections(), 1);
}

fn mirror_dir() -> &'static tempfile::TempDir {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap())
}

/// The system store, on Linux: in a user and mount namespace of its own, the distribution's
/// bundle is replaced (for gopin alone) by one holding the test CA.
#[test]
fn the_system_store_is_trusted() {
    const BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
    if !cfg!(target_os = "linux") {
        eprintln!("skipped: the system-store test needs Linux namespaces");
        return;
    }
    if !std::path::Path::new(BUNDLE).is_file() {
        eprintln!("skipped: this system has no {BUNDLE} to stand in for");
        return;
    }
    let probe = std::process::Command::new("unshare")
        .args(["-rm", "true"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: `unshare -rm` is not available (no user namespaces here)");
        return;
    }
    let ca = Ca::new("gopin test CA");
    let (_m, front, env) = https_mirror(&ca);
    let bundle = ca.write(env.dir.path(), "bundle.crt");
    let run = |env: &Env| {
        let cmd = env.command(&["-v", "install", "1.22"]);
        let program = cmd.get_program().to_owned();
        let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
        let mut inner = std::process::Command::new("unshare");
        inner
            .args([
                "-rm",
                "sh",
                "-c",
                "mount --bind \"$0\" \"$1\" && shift && exec \"$@\"",
            ])
            .arg(&bundle)
            .arg(BUNDLE)
            .arg(program)
            .args(args)
            .current_dir(env.work())
            .env_clear();
        for (k, v) in cmd.get_envs() {
            if let Some(v) = v {
                inner.env(k, v);
            }
        }
        inner.output().unwrap()
    };
    let out = run(&env);
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!("from the system bundle {BUNDLE}")),
        "{err}"
    );
    assert!(env.goroot(NAME).join("bin/go").is_file());
    assert!(front.seen().len() >= 2);
}

/// HTTPS_PROXY with the new trust: a CONNECT proxy that demands credentials, given in its
/// URL, carries the install, and its password is never printed; NO_PROXY as curl reads it
/// (a CIDR block, a host whatever the URL's port) sends the request past it.
#[test]
fn an_authenticated_https_proxy_carries_the_tls_and_no_proxy_bypasses_it() {
    const PROXY_SECRET: &str = "pr0xy-Secret";
    let ca = Ca::new("gopin test CA");
    let (_m, front, env) = https_mirror(&ca);
    let pem = ca.write(env.dir.path(), "ca.pem");
    let proxy = support::tls::ConnectProxy::start(Some(("bob", PROXY_SECRET)));
    let proxied = env
        .with_var("SSL_CERT_FILE", pem.to_str().unwrap())
        .with_var(
            "HTTPS_PROXY",
            &format!("http://bob:{PROXY_SECRET}@{}", proxy.addr),
        );
    let out = proxied.gopin(&["-v", "install", "1.22"]).output().unwrap();
    let all = format!("{}{}", stdout_of(&out), stderr_of(&out));
    assert!(out.status.success(), "{all}");
    assert!(
        proxy.tunnels() >= 2,
        "index and archive went through the proxy"
    );
    assert!(
        proxy.seen().iter().all(|a| a.is_some()),
        "{:?}",
        proxy.seen()
    );
    assert!(!all.contains(PROXY_SECRET), "{all}");
    // Without the password the proxy refuses; the message names the variable, not the secret.
    let mut refused = proxied
        .with_var(
            "HTTPS_PROXY",
            &format!("http://bob:wrong-{PROXY_SECRET}@{}", proxy.addr),
        )
        .with_var("GOPIN_INDEX_TTL", "0");
    let out = refused
        .gopin(&["install", "--force", "1.22"])
        .output()
        .unwrap();
    let err = one_error_line(&out);
    assert!(
        err.contains("the proxy in HTTPS_PROXY=http://***@127.0.0.1:")
            && err.contains("(407, proxy authentication required)"),
        "{err}"
    );
    assert!(!err.contains("retried"), "a refusal is not retried: {err}");
    assert!(!stderr_of(&out).contains(PROXY_SECRET), "{err}");
    // NO_PROXY: a CIDR block, and a bare host for a URL with a port, bypass the proxy.
    for no_proxy in [
        "10.0.0.0/8,127.0.0.0/8",
        "example.org, 127.0.0.1",
        "example.org 127.0.0.1:1",
    ] {
        let tunnels = proxy.tunnels();
        let seen = front.seen().len();
        refused = refused.with_var("NO_PROXY", no_proxy);
        let out = refused
            .gopin(&["install", "--force", "1.22"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "NO_PROXY={no_proxy}: {}",
            stderr_of(&out)
        );
        assert_eq!(proxy.tunnels(), tunnels, "NO_PROXY={no_proxy}");
        assert!(front.seen().len() > seen);
    }
}
