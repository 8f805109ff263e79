//! Artifacts under a lock: the release a `gopin.lock` holds, its bytes checked against the
//! lock's digests (the go.dev archive by its SHA-256, the module zip by its `h1:`), whatever
//! the index or the proxy says. No index is read (docs/lock.md, "Locked installs"). The
//! install pipeline (`crate::install`) runs them like any other artifact.

use thiserror::Error;

use super::godev::{self, GoDevError};
use super::goproxy::source::ModuleProxy;
use super::goproxy::sumdb::{self, Proof as DbProof};
use super::goproxy::toolchain::MODULE;
use super::goproxy::{Verification, delta};
use super::{Artifact, SourceError};
use crate::config::Config;
use crate::goenv::GoEnv;
use crate::lock::format::{Entry, Found};
use crate::platform::Platform;
use crate::record::{InstallRecord, LOCK_DIGEST, Provenance};
use crate::store::{Staging, StoreError};
use crate::ui;

#[derive(Debug, Error)]
pub enum LockedError {
    #[error(
        "refusing {what} for {platform}: {from} served bytes whose {kind} is {got}, but {lock} holds {want}; nothing was installed (the mirror or proxy serves other bytes than the lock was made from: report it, or check download_url and GOPROXY)"
    )]
    Mismatch {
        lock: String,
        platform: Platform,
        what: String,
        kind: &'static str,
        got: String,
        want: String,
        from: String,
    },
    #[error(
        "{lock} has no entry for {platform} (it locks {has}): run `gopin lock --platform {platform}` (with the other platforms you need) to add it"
    )]
    NoEntry {
        lock: String,
        platform: Platform,
        has: String,
    },
    #[error(
        "{lock} holds no h1: hash for {platform} ({why}), so a module zip cannot be checked against it: run `gopin lock` where the checksum database is reachable, or install from go.dev (source = \"go.dev\")"
    )]
    NoH1 {
        lock: String,
        platform: Platform,
        why: String,
    },
    #[error(
        "{lock}'s proof for {platform} does not verify: {why}; nothing was installed (run `gopin lock --check`)"
    )]
    BadProof {
        lock: String,
        platform: Platform,
        why: String,
    },
    #[error(
        "{lock} locks {release}, but {selected_by} asks for {request}: the pin moved since the lock was written; run `gopin lock` to lock it again (nothing was installed)"
    )]
    Moved {
        lock: String,
        release: String,
        selected_by: String,
        request: String,
    },
    #[error(
        "{release} ({platform}) is installed in {dir}, but its install record holds neither the archive SHA-256 nor the h1: that {lock} holds for {platform} ({why}), so it is not known to be the locked release: run `gopin install --locked --force` to replace it with the locked bytes"
    )]
    NotVouched {
        lock: String,
        release: String,
        platform: Platform,
        dir: String,
        why: String,
    },
}

impl From<Box<LockedError>> for SourceError {
    fn from(e: Box<LockedError>) -> SourceError {
        SourceError::Locked(e)
    }
}

impl From<LockedError> for SourceError {
    fn from(e: LockedError) -> SourceError {
        SourceError::Locked(Box::new(e))
    }
}

/// Whether the installed copy `installed` of the release `found` locks is the locked one: its
/// install record holds the lock's archive SHA-256 (from go.dev, or an imported archive) or
/// its `h1:` (from a module proxy, whole or delta). A copy that came another way (a mirror's
/// archive before the lock existed, an imported tree) is refused, as `install --locked`
/// checks every byte against the lock (docs/lock.md, "Locked installs"). No entry for
/// `platform`: nothing to check it against, as before.
pub fn check_installed(
    found: &Found,
    platform: &Platform,
    installed: &crate::store::Installed,
) -> Result<(), SourceError> {
    let Some(entry) = found.lock.entry(platform) else {
        return Ok(());
    };
    let why = match InstallRecord::load(&installed.record_path()) {
        Err(e) => e.to_string(),
        Ok(record) => {
            let h1 = record.source.details.get("h1").and_then(|v| v.as_str());
            if record.sha256.eq_ignore_ascii_case(&entry.sha256)
                || (h1.is_some() && h1 == entry.h1.as_deref())
            {
                return Ok(());
            }
            let kind = if record.source.kind.is_empty() {
                "go.dev"
            } else {
                record.source.kind.as_str()
            };
            format!("it came from {} ({kind})", record.url)
        }
    };
    Err(LockedError::NotVouched {
        lock: found.label(),
        release: found.lock.release.to_string(),
        platform: platform.clone(),
        dir: ui::shown(&installed.goroot()),
        why,
    }
    .into())
}

/// What to fetch for the release `found` locks, on `platform`, checked against the lock:
/// from the module proxy or go.dev's `download_url`, as the `source` setting chooses (no
/// index is read either way).
pub fn artifact<'a>(
    config: &Config,
    found: &'a Found,
    platform: &Platform,
) -> Result<Box<dyn Artifact + 'a>, SourceError> {
    let version = found.lock.release;
    let entry = found
        .lock
        .entry(platform)
        .ok_or_else(|| LockedError::NoEntry {
            lock: found.label(),
            platform: platform.clone(),
            has: found
                .lock
                .platforms
                .iter()
                .map(|e| e.platform().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        })?
        .clone();
    let env = |name: &str| std::env::var_os(name);
    let go = GoEnv::new(&env);
    let (use_proxy, why) = super::choose(config, &go);
    ui::verbose(&format!(
        "installing {version} under {} from {}, as {why}",
        found.label(),
        if use_proxy {
            "the module proxy"
        } else {
            "go.dev's download_url"
        }
    ));
    if use_proxy {
        Ok(Box::new(LockedZip {
            proxy: ModuleProxy::new(config, &go)?,
            found,
            entry,
            platform: platform.clone(),
        }))
    } else {
        let inner = godev::locked_archive(
            config,
            version,
            platform,
            &entry.archive,
            &entry.sha256,
            found.label(),
        )?;
        Ok(Box::new(LockedArchive {
            inner,
            found,
            platform: platform.clone(),
            archive: entry.archive.clone(),
        }))
    }
}

/// Keeps the lock's digest in an install record.
fn mark(record: &mut InstallRecord, found: &Found) {
    record
        .source
        .details
        .insert(LOCK_DIGEST.to_string(), found.digest.clone().into());
}

/// go.dev's archive, checked against the lock's SHA-256.
struct LockedArchive<'a> {
    inner: Box<dyn Artifact>,
    found: &'a Found,
    platform: Platform,
    archive: String,
}

impl Artifact for LockedArchive<'_> {
    fn key(&self) -> String {
        self.inner.key()
    }

    fn fetch(
        &self,
        stage: &mut dyn FnMut() -> Result<Staging, StoreError>,
    ) -> Result<(Staging, InstallRecord), SourceError> {
        match self.inner.fetch(stage) {
            Ok((staging, mut record)) => {
                mark(&mut record, self.found);
                Ok((staging, record))
            }
            Err(SourceError::GoDev(GoDevError::ChecksumMismatch {
                url,
                expected,
                actual,
                ..
            })) => Err(LockedError::Mismatch {
                lock: self.found.label(),
                platform: self.platform.clone(),
                what: self.archive.clone(),
                kind: "SHA-256",
                got: actual,
                want: expected,
                from: url,
            }
            .into()),
            Err(other) => Err(other),
        }
    }
}

/// The toolchain module's zip from the proxies of `GOPROXY`, checked against the lock's `h1:`
/// (and the lock's proof of it, against the key `GOSUMDB` names).
struct LockedZip<'a> {
    proxy: ModuleProxy,
    found: &'a Found,
    entry: Entry,
    platform: Platform,
}

impl Artifact for LockedZip<'_> {
    fn key(&self) -> String {
        format!("{} from {}", self.entry.module, self.proxy.describe())
    }

    fn fetch(
        &self,
        stage: &mut dyn FnMut() -> Result<Staging, StoreError>,
    ) -> Result<(Staging, InstallRecord), SourceError> {
        let lock = self.found.label();
        let platform = &self.platform;
        let Some(want) = self.entry.h1.clone() else {
            return Err(LockedError::NoH1 {
                lock,
                platform: platform.clone(),
                why: self
                    .entry
                    .proof_missing
                    .clone()
                    .unwrap_or_else(|| "no reason given".into()),
            }
            .into());
        };
        let client = self.proxy.client();
        // The lock's proof is checked before anything is downloaded, as a lookup would be.
        let verification = match (&self.entry.proof, client.database()) {
            (Some(proof), Some(db)) => {
                let (h1, tree) = sumdb::verify_inclusion_offline(
                    &db.verifier,
                    MODULE,
                    self.entry.module_version(),
                    &proof.inclusion(),
                )
                .map_err(|why| LockedError::BadProof {
                    lock: lock.clone(),
                    platform: platform.clone(),
                    why,
                })?;
                if h1 != want || proof.database != db.verifier.id() {
                    return Err(LockedError::BadProof {
                        lock: lock.clone(),
                        platform: platform.clone(),
                        why: format!(
                            "it proves {h1} by {}, and the lock says {want} by {}",
                            db.verifier.id(),
                            proof.database
                        ),
                    }
                    .into());
                }
                Verification::Sumdb(DbProof {
                    database: db.name().to_string(),
                    key: db.verifier.id(),
                    url: lock.clone(),
                    record: proof.record,
                    h1: h1.clone(),
                    tree_size: tree.size,
                    tree_hash: sumdb::tlog::to_base64(&tree.hash),
                    tree_note: proof.tree.clone(),
                })
            }
            (_, _) => Verification::Unverified {
                reason: format!(
                    "checked against the h1: in {lock} only ({})",
                    self.entry
                        .proof_missing
                        .as_deref()
                        .unwrap_or("the checksum database is off for the module")
                ),
            },
        };
        let version = self.found.lock.release;
        // Assembled from the store and the changed members where it can be (docs/store.md):
        // the lock's h1: is the tree's hash, so it vouches for an assembled tree as for a zip.
        let matches = |fetched: &super::goproxy::Fetched| -> Result<(), Box<LockedError>> {
            if fetched.h1 == want {
                return Ok(());
            }
            Err(Box::new(LockedError::Mismatch {
                lock: lock.clone(),
                platform: platform.clone(),
                what: self.entry.module.clone(),
                kind: "h1",
                got: fetched.h1.clone(),
                want: want.clone(),
                from: fetched.url.clone(),
            }))
        };
        let (staging, fetched, (), delta) =
            delta::fetch_tree(&client, &version, platform, stage, &matches)?;
        let unverified = match &verification {
            Verification::Unverified { reason } => Some(reason.clone()),
            Verification::Sumdb(_) => None,
        };
        let details = serde_json::Map::from_iter([
            ("module".to_string(), self.entry.module.clone().into()),
            ("proxy".to_string(), fetched.proxy.clone().into()),
            ("h1".to_string(), fetched.h1.clone().into()),
            (
                "verification".to_string(),
                serde_json::to_value(&verification).expect("proofs serialise"),
            ),
        ]);
        let mut details = details;
        if delta {
            details.insert(crate::record::DELTA.to_string(), true.into());
        }
        let mut record = InstallRecord::new(
            version,
            platform,
            fetched.url,
            fetched.zip_sha256,
            fetched.zip_size,
            Provenance {
                kind: "goproxy".into(),
                unverified,
                details,
            },
            fetched.files,
        );
        mark(&mut record, self.found);
        Ok((staging, record))
    }
}
