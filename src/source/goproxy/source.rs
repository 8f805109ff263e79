//! The module-proxy source: Go as the `golang.org/toolchain` module from the proxies in
//! `GOPROXY`, each zip proved against the checksum database that `GOSUMDB` names before it
//! is installed ([`super`] does the work; this is its face to the install pipeline).

use std::cell::OnceCell;

use super::delta;
use super::toolchain::{MODULE, module_version};
use super::{GoSettings, Options, ProxySource, Verification};
use crate::config::Config;
use crate::goenv::GoEnv;
use crate::net::Rules;
use crate::net::remote::Network;
use crate::platform::Platform;
use crate::record::{InstallRecord, Provenance};
use crate::source::{Artifact, Listed, Releases, Source, SourceError};
use crate::store::{Staging, StoreError};
use crate::ui;
use crate::version::GoVersion;

/// Go from the module proxies of `GOPROXY`, as `go` itself fetches a toolchain.
pub struct ModuleProxy {
    settings: GoSettings,
    network: Network,
    options: Options,
    /// The last listing, by platform (a run lists once).
    listed: OnceCell<(Platform, Releases)>,
}

impl ModuleProxy {
    /// The source Go's settings describe (read as `go` reads them), with gopin's own limits
    /// and `allow_unverified` / `allow_http`.
    pub fn new(config: &Config, go: &GoEnv) -> Result<ModuleProxy, SourceError> {
        let settings = GoSettings::read(go)?;
        let credentials = settings.credentials.clone();
        let mut options = Options::new(config.cache_dir.clone());
        options.allow_unverified = config.settings.allow_unverified;
        options.allow_http = config.settings.allow_http;
        Ok(ModuleProxy {
            settings,
            network: Network {
                rules: Rules::from_settings(&config.settings),
                credentials,
                offline_is_final: false,
            },
            options,
            listed: OnceCell::new(),
        })
    }

    /// For messages: `the module proxy (GOPROXY=…)`.
    pub fn describe(&self) -> String {
        format!("the module proxy (GOPROXY={})", self.settings.goproxy)
    }

    /// The client that does the work (a locked install uses it directly, docs/lock.md).
    pub fn client(&self) -> ProxySource<'_> {
        ProxySource::new(self.settings.clone(), &self.network, self.options.clone())
    }
}

impl Source for ModuleProxy {
    /// The proxy's version list of `golang.org/toolchain`, filtered to `platform`; a version
    /// is stable unless it is a beta or release candidate.
    fn releases(&self, platform: &Platform) -> Result<Releases, SourceError> {
        if let Some((p, releases)) = self.listed.get()
            && p == platform
        {
            return Ok(releases.clone());
        }
        let listing = self.client().versions(platform)?;
        let releases = Releases {
            list: listing
                .versions
                .iter()
                .map(|v| Listed {
                    version: *v,
                    stable: v.is_stable(),
                })
                .collect(),
            origin: format!("the {MODULE} versions for {platform} at {}", listing.proxy),
        };
        let _ = self.listed.set((platform.clone(), releases.clone()));
        Ok(releases)
    }

    fn locate<'s>(
        &'s self,
        version: &GoVersion,
        platform: &Platform,
    ) -> Result<Box<dyn Artifact + 's>, SourceError> {
        Ok(Box::new(ModuleZip {
            source: self,
            client: self.client(),
            version: *version,
            platform: platform.clone(),
        }))
    }
}

/// One release's module zip for one platform.
struct ModuleZip<'a> {
    source: &'a ModuleProxy,
    client: ProxySource<'a>,
    version: GoVersion,
    platform: Platform,
}

impl Artifact for ModuleZip<'_> {
    fn key(&self) -> String {
        format!(
            "{MODULE}@{} from GOPROXY={}",
            module_version(&self.version, &self.platform),
            self.source.settings.goproxy
        )
    }

    /// Proves the checksum database's record first (nothing is downloaded for a release the
    /// database cannot vouch for), then downloads and unpacks the zip, then checks its `h1:`
    /// against the proved one. The proxy's own retries cover transient failures.
    fn fetch(
        &self,
        stage: &mut dyn FnMut() -> Result<Staging, StoreError>,
    ) -> Result<(Staging, InstallRecord), SourceError> {
        let expected = self.client.prove(&self.version, &self.platform)?;
        if let Verification::Unverified { reason } = &expected.verification {
            ui::warn(&format!(
                "installing {MODULE}@{} unverified ({reason}), because allow_unverified = true",
                expected.module_version
            ));
        }
        // With a release of the platform installed, only what changed is downloaded
        // (docs/store.md); whatever goes wrong there, the whole zip is, as before.
        let (staging, fetched, proved, delta) = delta::fetch_tree(
            &self.client,
            &self.version,
            &self.platform,
            stage,
            &|fetched| self.client.confirm(fetched, expected.clone()),
        )?;
        let unverified = match &proved.verification {
            Verification::Unverified { reason } => Some(reason.clone()),
            Verification::Sumdb(proof) => {
                ui::verbose(&format!(
                    "{}: {} is record #{} of {}'s tree #{}",
                    proved.module, proved.h1, proof.record, proof.database, proof.tree_size
                ));
                None
            }
        };
        let details = serde_json::Map::from_iter([
            ("module".to_string(), proved.module.clone().into()),
            ("proxy".to_string(), proved.proxy.clone().into()),
            ("h1".to_string(), proved.h1.clone().into()),
            (
                "verification".to_string(),
                serde_json::to_value(&proved.verification).expect("proofs serialise"),
            ),
        ]);
        let mut details = details;
        if delta {
            // Assembled from the store and the changed members: no whole zip to hash.
            details.insert(crate::record::DELTA.to_string(), true.into());
        }
        let record = InstallRecord::new(
            self.version,
            &self.platform,
            proved.url,
            proved.zip_sha256,
            proved.zip_size,
            Provenance {
                kind: "goproxy".into(),
                unverified,
                details,
            },
            fetched.files,
        );
        Ok((staging, record))
    }
}
