//! Which certificate authorities gopin trusts for https (docs/security.md, "What is trusted
//! for https"): the system's trust store, as OpenSSL and Go find it (`SSL_CERT_FILE` and
//! `SSL_CERT_DIR` included), plus the PEM roots of the `ca_file` setting. Mozilla's roots,
//! compiled in, are used only when the system store yields no certificate at all (a scratch
//! container, a static build on a bare system).
//!
//! The roots are loaded once per process, when the first https client is made, and `doctor`
//! shows the same [`Roots`] that the downloads use.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::ui::shown;

/// A bundle of roots is a few hundred KiB; anything past this is not one.
const BUNDLE_LIMIT: u64 = 16 << 20;

/// One place roots came from, and how many distinct roots it gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// In words: `SSL_CERT_FILE=/path`, `the system bundle /etc/ssl/certs/ca-certificates.crt`.
    pub what: String,
    pub count: usize,
}

/// The roots in use, where each came from, and what could not be read.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    /// Every root, each once.
    pub certs: Vec<CertificateDer<'static>>,
    pub origins: Vec<Origin>,
    /// Places that were meant to give roots and could not be read, in words.
    pub problems: Vec<String>,
    /// The system store gave nothing, so Mozilla's bundled roots are in use.
    pub bundled: bool,
}

impl Roots {
    /// For `doctor` and `-v`: `143 roots: 142 from the system bundle …, 1 from ca_file …`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .origins
            .iter()
            .map(|o| format!("{} from {}", o.count, o.what))
            .collect();
        let total: usize = self.origins.iter().map(|o| o.count).sum();
        format!("{total} roots: {}", parts.join(", "))
    }

    fn add(&mut self, what: String, certs: Vec<CertificateDer<'static>>, seen: &mut Seen) {
        let count = certs
            .into_iter()
            .filter(|c| seen.insert(c, &mut self.certs))
            .count();
        self.origins.push(Origin { what, count });
    }
}

/// The roots already taken, by their bytes (the system bundle and `/etc/ssl/certs` hold the
/// same certificates twice).
#[derive(Default)]
struct Seen(HashSet<Vec<u8>>);

impl Seen {
    fn insert(
        &mut self,
        cert: &CertificateDer<'static>,
        into: &mut Vec<CertificateDer<'static>>,
    ) -> bool {
        let new = self.0.insert(cert.as_ref().to_vec());
        if new {
            into.push(cert.clone());
        }
        new
    }
}

/// Why the roots cannot be used.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error(
    "the ca_file setting names {}, which {why}; point ca_file (GOPIN_CA_FILE) at a PEM file of CA certificates, or unset it",
    shown(path)
)]
pub struct CaFileError {
    pub path: PathBuf,
    pub why: String,
}

/// Loads the roots: the system store, `ca_file` on top, Mozilla's bundled roots if the
/// system gave none. `env` is the process environment (or a test's).
pub fn load(
    ca_file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Roots, CaFileError> {
    let mut roots = Roots::default();
    let mut seen = Seen::default();
    system(&mut roots, &mut seen, env);
    if roots.certs.is_empty() {
        roots.bundled = true;
        roots.origins.push(Origin {
            what: "Mozilla's roots built into gopin (the system store gave none)".into(),
            count: webpki_roots::TLS_SERVER_ROOTS.len(),
        });
    }
    if let Some(path) = ca_file {
        let bad = |why: String| CaFileError {
            path: path.to_path_buf(),
            why,
        };
        if !path.is_absolute() {
            return Err(bad("is not an absolute path".into()));
        }
        let certs = pem_file(path).map_err(bad)?;
        if certs.is_empty() {
            return Err(bad(
                "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".into(),
            ));
        }
        roots.add(format!("ca_file {}", shown(path)), certs, &mut seen);
    }
    Ok(roots)
}

/// The system's roots, as OpenSSL and Go find them on Linux and the BSDs: the file
/// `SSL_CERT_FILE`, else the distribution's bundle; and every certificate file in the
/// directories of `SSL_CERT_DIR` (`:`-separated), else the distribution's directories. On
/// macOS, the keychain's (and `SSL_CERT_FILE`/`SSL_CERT_DIR` instead, when set).
fn system(roots: &mut Roots, seen: &mut Seen, env: &dyn Fn(&str) -> Option<OsString>) {
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    let cert_file = set("SSL_CERT_FILE");
    let cert_dir = set("SSL_CERT_DIR");
    if cfg!(target_os = "macos") && cert_file.is_none() && cert_dir.is_none() {
        let found = rustls_native_certs::load_native_certs();
        for e in found.errors {
            roots.problems.push(format!("the macOS keychain: {e}"));
        }
        roots.add("the macOS keychain".into(), found.certs, seen);
        return;
    }
    let (file, what) = match &cert_file {
        Some(f) => (
            Some(PathBuf::from(f)),
            format!("SSL_CERT_FILE={}", shown(Path::new(f))),
        ),
        None => {
            let default = default_bundle();
            let what = default
                .as_deref()
                .map(|p| format!("the system bundle {}", shown(p)))
                .unwrap_or_default();
            (default, what)
        }
    };
    if let Some(file) = file {
        match pem_file(&file) {
            Ok(certs) => roots.add(what, certs, seen),
            Err(why) => roots.problems.push(format!("{what}: it {why}")),
        }
    }
    let dirs: Vec<(PathBuf, String)> = match &cert_dir {
        Some(dirs) => std::env::split_paths(dirs)
            .filter(|d| !d.as_os_str().is_empty())
            .map(|d| {
                let what = format!("SSL_CERT_DIR entry {}", shown(&d));
                (d, what)
            })
            .collect(),
        None => openssl_probe::candidate_cert_dirs()
            .map(|d| {
                (
                    d.to_path_buf(),
                    format!("the system directory {}", shown(d)),
                )
            })
            .collect(),
    };
    for (dir, what) in dirs {
        let found = rustls_native_certs::load_certs_from_paths(None, Some(&dir));
        for e in &found.errors {
            roots.problems.push(format!("{what}: {e}"));
        }
        roots.add(what, found.certs, seen);
    }
}

/// The distribution's bundle file, the first that exists of those OpenSSL builds look for.
fn default_bundle() -> Option<PathBuf> {
    // openssl_probe::probe() answers SSL_CERT_FILE first when it is set; it is not, here.
    openssl_probe::probe().cert_file
}

/// The certificates of a PEM file (other PEM sections are skipped), or why there are none.
fn pem_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = match crate::userfile::read(path, BUNDLE_LIMIT) {
        Ok(Some(bytes)) => bytes,
        Ok(None) if path.is_dir() => return Err("is a directory, not a file".into()),
        Ok(None) => return Err("does not exist".into()),
        Err(e) => return Err(format!("cannot be read ({e})")),
    };
    CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("is not valid PEM ({e})"))
}

/// The roots as a store for rustls: how many certificates it took, and how many it could
/// not parse (a system store may hold ancient or malformed ones, which are skipped).
pub fn store(roots: &Roots) -> (rustls::RootCertStore, usize, usize) {
    let mut store = rustls::RootCertStore::empty();
    let (added, ignored) = store.add_parsable_certificates(roots.certs.iter().cloned());
    if roots.bundled {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    }
    (store, added, ignored)
}

/// The `ca_file` the settings name, set once by the command before any download.
static CA_FILE: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Records the `ca_file` setting for [`roots`] (the first call wins).
pub fn configure(ca_file: Option<PathBuf>) {
    let _ = CA_FILE.set(ca_file);
}

/// The roots every https client of this process uses, loaded once.
pub fn roots() -> Result<Arc<Roots>, CaFileError> {
    static ROOTS: OnceLock<Result<Arc<Roots>, CaFileError>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let ca_file = CA_FILE.get().cloned().flatten();
            load(ca_file.as_deref(), &|name| std::env::var_os(name)).map(Arc::new)
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mozilla_s_roots_stand_in_only_for_an_empty_system_store() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let certs = dir.path().join("certs");
        std::fs::create_dir(&certs).unwrap();
        let vars = [
            ("SSL_CERT_FILE", empty.clone().into_os_string()),
            ("SSL_CERT_DIR", certs.clone().into_os_string()),
        ];
        let env = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        };
        let roots = load(None, &env).unwrap();
        assert!(roots.bundled);
        assert!(roots.certs.is_empty());
        assert!(
            roots
                .describe()
                .contains("Mozilla's roots built into gopin"),
            "{}",
            roots.describe()
        );
        let (store, _, _) = store(&roots);
        assert_eq!(store.len(), webpki_roots::TLS_SERVER_ROOTS.len());
        // A relative or missing ca_file is an error that names it.
        let err = load(Some(Path::new("ca.pem")), &env).unwrap_err();
        assert!(
            err.to_string()
                .contains("ca.pem, which is not an absolute path"),
            "{err}"
        );
        let err = load(Some(&dir.path().join("none.pem")), &env).unwrap_err();
        assert!(err.to_string().contains("which does not exist"), "{err}");
        // A FIFO is refused, never waited on.
        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let err = load(Some(&fifo), &env).unwrap_err();
        assert!(err.to_string().contains("FIFO"), "{err}");
    }
}
