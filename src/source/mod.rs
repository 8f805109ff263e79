//! Where Go comes from, behind one small interface: which releases a source offers for a
//! platform ([`Source::releases`]), where to get one and in what format ([`Source::locate`]),
//! and how it is verified and unpacked ([`Artifact::fetch`]). Two sources implement it:
//!
//! - [`godev`]: go.dev's JSON index and its `.tar.gz` archives, each checked against the
//!   index's SHA-256 while it streams;
//! - [`goproxy`]: the `golang.org/toolchain` module from any `GOPROXY`, each zip proved against
//!   the checksum database named by `GOSUMDB`.
//!
//! [`open`] picks one from the `source` setting. Everything else (the install pipeline, its
//! locks and store, `ls-remote`, `outdated`/`upgrade`, `use`, the install record and
//! `doctor`) sees only this interface. The trust model of each source: docs/sources.md.

pub mod godev;
pub mod goproxy;
pub mod locked;

use std::ffi::OsString;

use serde::Serialize;
use thiserror::Error;

use crate::config::{Config, SourceMode};
use crate::goenv::GoEnv;
use crate::platform::Platform;
use crate::record::InstallRecord;
use crate::store::{Staging, StoreError};
use crate::version::{GoVersion, VersionSpec};

#[derive(Debug, Error)]
pub enum SourceError {
    #[error(transparent)]
    GoDev(#[from] godev::GoDevError),
    #[error(transparent)]
    Proxy(#[from] goproxy::GoproxyError),
    /// An install under a lock whose digests the bytes do not match (docs/lock.md).
    #[error(transparent)]
    Locked(Box<locked::LockedError>),
}

/// One release a source offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Listed {
    pub version: GoVersion,
    /// A final release (as the index marks it; for a module proxy, one that is not a beta or
    /// release candidate).
    pub stable: bool,
}

/// The releases a source offers, newest first, each once.
#[derive(Debug, Clone)]
pub struct Releases {
    pub list: Vec<Listed>,
    /// Where they were listed, for messages: "the index at https://go.dev/dl/…".
    pub origin: String,
}

impl Releases {
    /// The release `spec` selects ([`VersionSpec::best`]). Every spec but an exact one picks
    /// among the releases marked stable.
    pub fn resolve(&self, spec: &VersionSpec) -> Option<Listed> {
        let wants_stable = !matches!(spec, VersionSpec::Exact(_));
        let candidates: Vec<GoVersion> = self
            .list
            .iter()
            .filter(|r| r.stable || !wants_stable)
            .map(|r| r.version)
            .collect();
        self.find(&spec.best(&candidates)?)
    }

    pub fn find(&self, version: &GoVersion) -> Option<Listed> {
        self.list.iter().find(|r| r.version == *version).copied()
    }

    pub fn versions(&self) -> Vec<GoVersion> {
        self.list.iter().map(|r| r.version).collect()
    }
}

/// Where Go comes from.
pub trait Source {
    /// The releases offered for `platform`, newest first. A source may list releases that
    /// turn out to lack `platform` ([`Source::locate`] then says so).
    fn releases(&self, platform: &Platform) -> Result<Releases, SourceError>;

    /// What to fetch for `version` on `platform`: where from, in which format, checked how.
    /// No download happens here.
    fn locate<'s>(
        &'s self,
        version: &GoVersion,
        platform: &Platform,
    ) -> Result<Box<dyn Artifact + 's>, SourceError>;
}

/// One release for one platform, located but not yet fetched.
pub trait Artifact {
    /// What is fetched, from where (an archive's URL; a module version and `GOPROXY`): what a
    /// failed attempt is reported under to the processes that wait for it.
    fn key(&self) -> String;

    /// Learns what the release must be from the source's root of trust, then downloads,
    /// verifies and unpacks it into `go/` of a staging directory made by `stage` (a fresh one
    /// for each attempt). Returns that directory and the install record that describes it;
    /// an error leaves nothing behind, as the staging directory is dropped with it.
    fn fetch(
        &self,
        stage: &mut dyn FnMut() -> Result<Staging, StoreError>,
    ) -> Result<(Staging, InstallRecord), SourceError>;
}

/// The source the settings choose: `source = "go.dev"`, `"goproxy"`, or `"auto"`, which
/// follows an `index_url`/`download_url` the user set, else `GOPROXY` (set in the environment
/// or by `go env -w`): the module proxy when it names a proxy other than Go's default, else
/// go.dev (the table in docs/sources.md). `refresh` ignores a cached index.
pub fn open(config: &Config, refresh: bool) -> Result<Box<dyn Source + '_>, SourceError> {
    let env = |name: &str| std::env::var_os(name);
    open_with(config, refresh, &env)
}

/// Which source `config` and Go's settings choose, and why (for `gopin -v`): true for the
/// module proxy.
pub fn choose(config: &Config, go: &GoEnv) -> (bool, String) {
    match (config.settings.source, &config.settings.godev_chosen_by) {
        (SourceMode::GoDev, _) => (false, "source = \"go.dev\"".into()),
        (SourceMode::Goproxy, _) => (true, "source = \"goproxy\"".into()),
        (SourceMode::Auto, Some(by)) => (
            false,
            format!("source = \"auto\" and {by} names a go.dev-style source"),
        ),
        (SourceMode::Auto, None) => {
            let (use_proxy, why) = goproxy::auto_choice(go);
            (use_proxy, format!("source = \"auto\" and {why}"))
        }
    }
}

/// [`open`] over a given environment.
pub fn open_with<'a>(
    config: &'a Config,
    refresh: bool,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Box<dyn Source + 'a>, SourceError> {
    let go = GoEnv::new(env);
    let (use_proxy, why) = choose(config, &go);
    if use_proxy {
        let source = goproxy::source::ModuleProxy::new(config, &go)?;
        crate::ui::verbose(&format!("source: {}, as {why}", source.describe()));
        Ok(Box::new(source))
    } else {
        crate::ui::verbose(&format!(
            "source: go.dev's index at {}, as {why}",
            config.settings.index_url
        ));
        Ok(Box::new(godev::GoDev::new(config, refresh)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn releases(list: &[(&str, bool)]) -> Releases {
        Releases {
            list: list
                .iter()
                .map(|(v, stable)| Listed {
                    version: v.parse().unwrap(),
                    stable: *stable,
                })
                .collect(),
            origin: "test".into(),
        }
    }

    #[test]
    fn specs_resolve_among_stable_releases_unless_exact() {
        let r = releases(&[
            ("go1.23rc1", false),
            ("go1.22.10", true),
            ("go1.22.9", true),
            ("go1.21.13", true),
        ]);
        let pick = |s: &str| {
            r.resolve(&s.parse().unwrap())
                .map(|l| l.version.to_string())
        };
        assert_eq!(pick("1.22").as_deref(), Some("go1.22.10"));
        assert_eq!(pick("latest").as_deref(), Some("go1.22.10"));
        assert_eq!(pick("oldstable").as_deref(), Some("go1.21.13"));
        assert_eq!(pick("1.23rc1").as_deref(), Some("go1.23rc1"));
        assert_eq!(pick("1.23"), None);
        assert_eq!(pick("1.22.8"), None);
    }

    #[test]
    fn auto_uses_the_proxy_only_for_a_goproxy_other_than_go_s_default() {
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            settings: Default::default(),
            home: dir.path().join("home"),
            cache_dir: dir.path().join("cache"),
            config_file: dir.path().join("config.toml"),
        };
        let kind = |config: &Config, vars: &[(&str, &str)]| {
            let vars: Vec<(String, OsString)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v)))
                .chain([("GOENV".to_string(), OsString::from("off"))])
                .collect();
            let env =
                move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            let source = open_with(config, false, &env)
                .map(|_| ())
                .map_err(|e| e.to_string());
            (source, goproxy::auto_choice(&GoEnv::new(&env)).0)
        };
        assert_eq!(kind(&config, &[]), (Ok(()), false));
        assert_eq!(
            kind(&config, &[("GOPROXY", "https://proxy.golang.org,direct")]),
            (Ok(()), false)
        );
        assert_eq!(
            kind(&config, &[("GOPROXY", "https://goproxy.cn,direct")]),
            (Ok(()), true)
        );
        // No proxy URL to use: go.dev.
        assert_eq!(kind(&config, &[("GOPROXY", "off")]), (Ok(()), false));
        assert_eq!(kind(&config, &[("GOPROXY", "direct")]), (Ok(()), false));
        assert_eq!(kind(&config, &[("GOPROXY", "direct,off")]), (Ok(()), false));
        // A go.dev-style source the user set wins over any GOPROXY.
        let mut mirror = config.clone();
        mirror.settings.godev_chosen_by = Some("GOPIN_INDEX_URL".into());
        let go = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, OsString)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), OsString::from(v)))
                .collect();
            move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        };
        let env = go(&[("GOENV", "off"), ("GOPROXY", "https://goproxy.cn,direct")]);
        let (use_proxy, why) = choose(&mirror, &GoEnv::new(&env));
        assert!(!use_proxy);
        assert!(why.contains("GOPIN_INDEX_URL"), "{why}");
        mirror.settings.source = SourceMode::Goproxy;
        assert!(
            choose(&mirror, &GoEnv::new(&env)).0,
            "an explicit source wins"
        );
        // A GOPROXY the module proxy cannot read is an error only when it is used.
        let (opened, _) = kind(&config, &[("GOPROXY", "ftp://x")]);
        assert!(opened.unwrap_err().contains("GOPROXY=ftp://x"));
        let mut godev = config.clone();
        godev.settings.source = SourceMode::GoDev;
        assert_eq!(kind(&godev, &[("GOPROXY", "ftp://x")]).0, Ok(()));
    }
}
