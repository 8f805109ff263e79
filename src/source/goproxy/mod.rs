//! The module-proxy source: Go from any `GOPROXY` (proxy.golang.org, goproxy.cn, Athens,
//! Artifactory, a `file://` directory), trusted only as far as the checksum database proves
//! it, as `go` trusts it when it switches toolchains.
//!
//! A [`ProxySource`] does three things, in the order an install uses them:
//! 1. [`ProxySource::prove`]: look the release's module version up in the checksum database
//!    named by `GOSUMDB` and prove the record (before downloading anything);
//! 2. [`ProxySource::fetch_into`]: download the module zip from the first proxy in `GOPROXY`
//!    that has it into a temporary directory inside the store, and unpack it there safely;
//! 3. [`ProxySource::confirm`]: check the zip's `h1:` against the proved record, and say what
//!    the install record should keep.
//!
//! [`ProxySource::versions`] lists the releases a proxy offers for a platform (`ls-remote`).
//! Settings are read as `go` reads them ([`GoSettings::read`]); see docs/sources.md.
//!
//! The checksum database client is [`sumdb`]; [`source`] is the face of all this to the install
//! pipeline (the [`crate::source::Source`] that `source = "goproxy"` opens).

pub mod delta;
pub mod dirhash;
pub mod modzip;
pub mod patterns;
pub mod proxies;
pub mod source;
pub mod sumdb;
pub mod toolchain;

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::archive::ManifestEntry;
use crate::goenv::GoEnv;
use crate::net::remote::{Remote, RemoteError};
use crate::net::{FetchError, Location};
use crate::platform::Platform;
use crate::store::{StoreError, io_err};
use crate::ui::shown_bytes;
use crate::version::GoVersion;
use modzip::{Limits, ZipError};
use patterns::match_prefix_patterns;
use proxies::{Entry, OriginError, Proxy};
use sumdb::{Database, Gosumdb, Proof, SumdbError};
use toolchain::MODULE;

/// A proxy's version list of golang.org/toolchain is a few hundred KiB.
const LIST_LIMIT: u64 = 16 << 20;
/// `/sumdb/<name>/supported` answers with an empty body.
const SUPPORTED_LIMIT: u64 = 4096;
/// The zip's name inside the temporary directory while it is unpacked.
const ZIP_FILE: &str = "module.zip";

#[derive(Debug, Error)]
pub enum GoproxyError {
    #[error(
        "{var}={} is not valid: {reason}; use a comma-separated list of proxy URLs, direct or off (e.g. https://goproxy.cn,direct)",
        shown_bytes(value.as_encoded_bytes())
    )]
    BadSetting {
        var: &'static str,
        value: OsString,
        reason: String,
    },
    #[error(
        "GOPROXY=off forbids downloading modules, so gopin cannot fetch Go from a module proxy: set GOPROXY (e.g. https://proxy.golang.org,direct), or set source = \"go.dev\" in gopin's config (GOPIN_SOURCE_KIND=go.dev)"
    )]
    Off,
    #[error(
        "{what} is on no proxy in GOPROXY ({} answered not found): check the version and platform with `gopin ls-remote`, or GOPROXY",
        tried.join(", ")
    )]
    NotFound { what: String, tried: Vec<String> },
    #[error(
        "GOPROXY says direct, but {page} names no usable origin for golang.org/toolchain ({reason}); set GOPROXY to a module proxy such as https://proxy.golang.org"
    )]
    Origin { page: String, reason: String },
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error(transparent)]
    Auth(#[from] crate::net::auth::AuthError),
    #[error(transparent)]
    Sumdb(#[from] SumdbError),
    #[error(
        "refusing to install {module}: {reason}, so nothing can prove the zip is the one Go published; set allow_unverified = true in gopin's config (GOPIN_ALLOW_UNVERIFIED=1) to install it anyway, marked unverified, or change that setting"
    )]
    Unverifiable { module: String, reason: String },
    #[error(
        "refusing {url}: {source}; nothing was installed (it is not a genuine Go toolchain module)"
    )]
    Zip { url: String, source: ZipError },
    #[error(
        "{url} holds no {binary}: it is not a Go toolchain for this platform; nothing was installed"
    )]
    NotAToolchain { url: String, binary: &'static str },
    #[error(
        "checksum mismatch for {}: the zip from {} hashes to {}, but the checksum database {} records {} ({}); nothing was installed (the proxy served a corrupt or tampered zip: report it, or use another GOPROXY)",
        .0.module, .0.url, .0.got, .0.db, .0.want, .0.lookup
    )]
    Mismatch(Box<Mismatch>),
    #[error(
        "refusing plain http to {url} for an install nothing verifies: use https, or set allow_http = true in gopin's config for a trusted network"
    )]
    InsecureUnverified { url: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The two hashes of a zip that is not the one the checksum database records, and where each
/// came from.
#[derive(Debug)]
pub struct Mismatch {
    pub module: String,
    pub url: String,
    pub got: String,
    pub want: String,
    pub db: String,
    pub lookup: String,
}

/// Go's module settings, as `go` would see them (environment, then `go env -w`'s file, then
/// Go's defaults).
#[derive(Debug, Clone)]
pub struct GoSettings {
    /// `GOPROXY` as written, for messages, without the secrets its URLs may carry.
    pub goproxy: String,
    /// What each request carries (GOAUTH, netrc, the URLs' userinfo).
    pub credentials: crate::net::auth::Credentials,
    pub proxies: Vec<Proxy>,
    pub sumdb: Gosumdb,
    /// `GONOSUMDB`, else `GOPRIVATE`: (variable, patterns).
    pub nosumdb: Option<(&'static str, String)>,
    /// `GONOPROXY`, else `GOPRIVATE`.
    pub noproxy: Option<(&'static str, String)>,
}

impl GoSettings {
    pub fn read(go: &GoEnv) -> Result<GoSettings, GoproxyError> {
        let text = |var: &'static str| -> Result<Option<String>, GoproxyError> {
            go.get(var)
                .map(|v| {
                    v.clone()
                        .into_string()
                        .map_err(|_| GoproxyError::BadSetting {
                            var,
                            value: v,
                            reason: "it is not valid UTF-8".into(),
                        })
                })
                .transpose()
        };
        let goproxy = text("GOPROXY")?.unwrap_or_else(|| proxies::DEFAULT_GOPROXY.to_string());
        let proxies = proxies::parse(&goproxy).map_err(|e| GoproxyError::BadSetting {
            var: "GOPROXY",
            value: crate::ui::redacted(&goproxy).into(),
            reason: e.0,
        })?;
        let sumdb = sumdb::parse_gosumdb(go.get("GOSUMDB").as_deref())?;
        let private = text("GOPRIVATE")?.map(|v| ("GOPRIVATE", v));
        let nosumdb = text("GONOSUMDB")?
            .map(|v| ("GONOSUMDB", v))
            .or_else(|| private.clone());
        let noproxy = text("GONOPROXY")?
            .map(|v| ("GONOPROXY", v))
            .or_else(|| private.clone());
        let credentials = crate::net::auth::Credentials::read(
            go,
            &proxies
                .iter()
                .filter_map(|p| match &p.entry {
                    Entry::Url(url) => Some((url.clone(), p.login.clone())),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        )?;
        Ok(GoSettings {
            goproxy: crate::ui::redacted(&goproxy),
            credentials,
            proxies,
            sumdb,
            nosumdb,
            noproxy,
        })
    }
}

/// What `source = "auto"` makes of `GOPROXY` (set in the environment or by `go env -w`): the
/// module proxy when it lists a proxy URL other than Go's default
/// `https://proxy.golang.org,direct`; go.dev when it is unset, Go's default, or lists no proxy
/// URL at all (`off`, `direct`). A value that does not parse counts as a proxy, so that its
/// error is shown. The reason is for `gopin -v` (docs/sources.md has the whole rule).
pub fn auto_choice(go: &GoEnv) -> (bool, String) {
    let Some(value) = go.get("GOPROXY") else {
        return (false, "GOPROXY is unset".into());
    };
    let Some(list) = value.to_str().and_then(|v| proxies::parse(v).ok()) else {
        return (true, "GOPROXY is set".into());
    };
    let shown = crate::ui::redacted(&shown_bytes(value.as_encoded_bytes()));
    if proxies::is_default(&list) {
        (false, format!("GOPROXY={shown} is Go's default"))
    } else if list
        .iter()
        .all(|p| !matches!(p.entry, proxies::Entry::Url(_)))
    {
        (false, format!("GOPROXY={shown} names no proxy URL"))
    } else {
        (true, format!("GOPROXY={shown} names a proxy"))
    }
}

/// How a [`ProxySource`] behaves beyond Go's settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// gopin's cache directory (the checksum database's latest tree lives below it).
    pub cache_dir: PathBuf,
    /// Install when nothing can verify the zip (`GOSUMDB=off`, a `GONOSUMDB` match).
    pub allow_unverified: bool,
    /// Plain http to other hosts than this one for an unverified install.
    pub allow_http: bool,
    /// Workers that inflate the zip.
    pub threads: usize,
    /// The go-get page that names the module's origin for `direct`.
    pub origin_page: String,
}

impl Options {
    pub fn new(cache_dir: PathBuf) -> Options {
        Options {
            cache_dir,
            allow_unverified: false,
            allow_http: false,
            threads: modzip::default_threads(),
            origin_page: proxies::ORIGIN_PAGE.to_string(),
        }
    }
}

/// The releases a proxy offers for a platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// Newest first.
    pub versions: Vec<GoVersion>,
    /// The proxy that answered.
    pub proxy: String,
}

/// What the checksum database said, before the zip is fetched.
#[derive(Debug, Clone)]
pub struct Expected {
    pub module_version: String,
    pub verification: Verification,
}

/// How a zip's `h1:` is known to be Go's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Verification {
    /// Proved in the checksum database.
    Sumdb(Proof),
    /// Not verified, and why (the user allowed it).
    Unverified { reason: String },
}

/// A module zip unpacked into a temporary directory.
#[derive(Debug)]
pub struct Fetched {
    pub module_version: String,
    /// The proxy that served it, and the zip's URL.
    pub proxy: String,
    pub url: String,
    pub zip_sha256: String,
    pub zip_size: u64,
    pub h1: String,
    /// Every file under `go/`, the restored `go.mod` files included.
    pub files: BTreeMap<String, ManifestEntry>,
    /// Those of `files` that are links to their objects already (see [`crate::store::Staging::linked`]).
    pub linked: BTreeSet<String>,
}

/// What an install from a module proxy records about where its Go came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// `golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64`.
    pub module: String,
    pub proxy: String,
    pub url: String,
    pub zip_sha256: String,
    pub zip_size: u64,
    pub h1: String,
    pub verification: Verification,
}

/// Go releases from module proxies, checked against the checksum database.
pub struct ProxySource<'a> {
    settings: GoSettings,
    remote: &'a dyn Remote,
    options: Options,
    origin: OnceCell<String>,
}

impl<'a> ProxySource<'a> {
    pub fn new(settings: GoSettings, remote: &'a dyn Remote, options: Options) -> Self {
        ProxySource {
            settings,
            remote,
            options,
            origin: OnceCell::new(),
        }
    }

    /// The releases the first proxy that has the module offers for `platform`.
    pub fn versions(&self, platform: &Platform) -> Result<Listing, GoproxyError> {
        let path = format!("{MODULE}/@v/list");
        let (body, proxy) =
            self.try_proxies("the version list of golang.org/toolchain", &path, |url| {
                self.remote.get(url, LIST_LIMIT)
            })?;
        Ok(Listing {
            versions: toolchain::parse_list(&body, platform),
            proxy,
        })
    }

    /// Proves the checksum database's record of `version` for `platform`, or says why it
    /// cannot be verified (an error unless `allow_unverified`).
    pub fn prove(
        &self,
        version: &GoVersion,
        platform: &Platform,
    ) -> Result<Expected, GoproxyError> {
        let module_version = toolchain::module_version(version, platform);
        let verification = match &self.settings.sumdb {
            Gosumdb::Off => self.unverified(&module_version, "GOSUMDB=off".into())?,
            Gosumdb::On(db) => match &self.settings.nosumdb {
                Some((var, globs)) if match_prefix_patterns(globs, MODULE) => {
                    let reason = format!("{var}={} covers {MODULE}", shown_bytes(globs.as_bytes()));
                    self.unverified(&module_version, reason)?
                }
                _ => {
                    let base = self.sumdb_base(db)?;
                    let client = sumdb::Client::new(db, self.remote, base, &self.options.cache_dir);
                    Verification::Sumdb(client.prove(MODULE, &module_version)?)
                }
            },
        };
        Ok(Expected {
            module_version,
            verification,
        })
    }

    /// For a lock file (docs/lock.md): the checksum database's record of `version` for
    /// `platform` with everything that proves it offline, or why the database is not asked
    /// (`GOSUMDB=off`, a `GONOSUMDB` match): then `Err` holds the reason.
    pub fn prove_for_lock(
        &self,
        version: &GoVersion,
        platform: &Platform,
    ) -> Result<Result<(Proof, sumdb::Inclusion), String>, GoproxyError> {
        let module_version = toolchain::module_version(version, platform);
        match &self.settings.sumdb {
            Gosumdb::Off => Ok(Err("GOSUMDB=off".into())),
            Gosumdb::On(db) => match &self.settings.nosumdb {
                Some((var, globs)) if match_prefix_patterns(globs, MODULE) => Ok(Err(format!(
                    "{var}={} covers {MODULE}",
                    shown_bytes(globs.as_bytes())
                ))),
                _ => {
                    let base = self.sumdb_base(db)?;
                    let client = sumdb::Client::new(db, self.remote, base, &self.options.cache_dir);
                    Ok(Ok(client.prove_with_inclusion(MODULE, &module_version)?))
                }
            },
        }
    }

    /// The checksum database `GOSUMDB` names, unless it is off or `GONOSUMDB` covers the
    /// toolchain module.
    pub fn database(&self) -> Option<&Database> {
        match (&self.settings.sumdb, &self.settings.nosumdb) {
            (Gosumdb::Off, _) => None,
            (_, Some((_, globs))) if match_prefix_patterns(globs, MODULE) => None,
            (Gosumdb::On(db), _) => Some(db),
        }
    }

    fn unverified(
        &self,
        module_version: &str,
        reason: String,
    ) -> Result<Verification, GoproxyError> {
        if self.options.allow_unverified {
            Ok(Verification::Unverified { reason })
        } else {
            Err(GoproxyError::Unverifiable {
                module: format!("{MODULE}@{module_version}"),
                reason,
            })
        }
    }

    /// Downloads the module zip of `version` for `platform` into `dir` (a temporary directory
    /// inside the store) and unpacks it into `dir/go`; the zip itself is removed.
    pub fn fetch_into(
        &self,
        version: &GoVersion,
        platform: &Platform,
        dir: &Path,
    ) -> Result<Fetched, GoproxyError> {
        let module_version = toolchain::module_version(version, platform);
        let zip = dir.join(ZIP_FILE);
        let path = format!("{MODULE}/@v/{module_version}.zip");
        let what = format!("{MODULE}@{module_version}");
        let (downloaded, proxy) = self.try_proxies(&what, &path, |url| {
            self.remote.download(url, &zip, Limits::GO.zip_size)
        })?;
        let url = format!("{proxy}/{path}");
        let prefix = toolchain::zip_prefix(&module_version);
        let extracted = modzip::extract(
            &zip,
            &dir.join("go"),
            false,
            &prefix,
            &Limits::GO,
            self.options.threads,
        )
        .map_err(|source| GoproxyError::Zip {
            url: url.clone(),
            source,
        })?;
        std::fs::remove_file(&zip).map_err(io_err("remove", &zip))?;
        let binary = platform.go_binary();
        if !extracted.files.contains_key(binary) {
            return Err(GoproxyError::NotAToolchain { url, binary });
        }
        Ok(Fetched {
            module_version,
            proxy,
            url,
            zip_sha256: downloaded.sha256,
            zip_size: downloaded.size,
            h1: extracted.h1,
            files: extracted.files,
            linked: BTreeSet::new(),
        })
    }

    /// Checks the unpacked zip against what the checksum database proved.
    pub fn confirm(
        &self,
        fetched: &Fetched,
        expected: Expected,
    ) -> Result<Provenance, GoproxyError> {
        assert_eq!(
            fetched.module_version, expected.module_version,
            "the zip and the proof are of one version"
        );
        let module = format!("{MODULE}@{}", fetched.module_version);
        match &expected.verification {
            Verification::Sumdb(proof) if proof.h1 != fetched.h1 => {
                return Err(GoproxyError::Mismatch(Box::new(Mismatch {
                    module,
                    url: fetched.url.clone(),
                    got: fetched.h1.clone(),
                    want: proof.h1.clone(),
                    db: proof.database.clone(),
                    lookup: proof.url.clone(),
                })));
            }
            Verification::Sumdb(_) => {}
            Verification::Unverified { .. } => {
                if !self.options.allow_http
                    && let Err(FetchError::InsecureHttp(url)) =
                        Location::parse(&fetched.url, &crate::net::Rules::strict())
                {
                    return Err(GoproxyError::InsecureUnverified { url });
                }
            }
        }
        Ok(Provenance {
            module,
            proxy: fetched.proxy.clone(),
            url: fetched.url.clone(),
            zip_sha256: fetched.zip_sha256.clone(),
            zip_size: fetched.zip_size,
            h1: fetched.h1.clone(),
            verification: expected.verification,
        })
    }

    /// Runs `fetch` on `<proxy>/<path>` for each proxy in turn, as `go` walks GOPROXY: the next
    /// entry after a 404/410, or after any error when the entry is followed by `|`. Returns
    /// the result and the proxy that gave it.
    fn try_proxies<T>(
        &self,
        what: &str,
        path: &str,
        mut fetch: impl FnMut(&str) -> Result<T, RemoteError>,
    ) -> Result<(T, String), GoproxyError> {
        let direct = [Proxy {
            entry: Entry::Direct,
            fall_back_on_error: false,
            login: None,
        }];
        let list: &[Proxy] = match &self.settings.noproxy {
            Some((_, globs)) if match_prefix_patterns(globs, MODULE) => &direct,
            _ => &self.settings.proxies,
        };
        let mut not_found = Vec::new();
        let mut failure: Option<GoproxyError> = None;
        for proxy in list {
            let base = match &proxy.entry {
                Entry::Off if not_found.is_empty() && failure.is_none() => {
                    return Err(GoproxyError::Off);
                }
                Entry::Off => break,
                Entry::Direct => self.origin()?,
                Entry::Url(url) => url.clone(),
            };
            let url = format!("{base}/{path}");
            match fetch(&url) {
                Ok(found) => return Ok((found, base)),
                Err(e) if e.is_not_found() => not_found.push(url),
                Err(e) => {
                    // The first real failure says most; a later 404 does not hide it.
                    failure.get_or_insert(e.into());
                    if !proxy.fall_back_on_error {
                        break;
                    }
                }
            }
        }
        Err(failure.unwrap_or(GoproxyError::NotFound {
            what: what.to_string(),
            tried: not_found,
        }))
    }

    /// The module's origin for `direct`, looked up once.
    fn origin(&self) -> Result<String, GoproxyError> {
        if let Some(origin) = self.origin.get() {
            return Ok(origin.clone());
        }
        let page = &self.options.origin_page;
        let found = proxies::origin(self.remote, page, MODULE).map_err(|e| match e {
            OriginError::Fetch(e) => GoproxyError::Origin {
                page: page.clone(),
                reason: e.to_string(),
            },
            OriginError::Page(reason) => GoproxyError::Origin {
                page: page.clone(),
                reason,
            },
        })?;
        Ok(self.origin.get_or_init(|| found).clone())
    }

    /// Where to reach `db`: the URL in GOSUMDB; else through the first proxy that says it
    /// proxies it (`<proxy>/sumdb/<name>/supported`); else directly.
    fn sumdb_base(&self, db: &Database) -> Result<String, GoproxyError> {
        if let Some(url) = &db.url {
            return Ok(url.clone());
        }
        for proxy in &self.settings.proxies {
            let Entry::Url(base) = &proxy.entry else {
                break; // direct and off: connect to the database itself
            };
            let proxied = format!("{base}/sumdb/{}", db.name());
            match self
                .remote
                .get(&format!("{proxied}/supported"), SUPPORTED_LIMIT)
            {
                Ok(_) => return Ok(proxied),
                Err(e) if e.is_not_found() || proxy.fall_back_on_error => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(db.direct_url())
    }
}

#[cfg(test)]
mod tests;
