//! The install pipeline, whatever the source: take the version's lock, stage the release
//! that the source fetches and verifies ([`crate::source::Artifact::fetch`]), write its
//! install record last, and rename it into place ([`Store::commit`]).
//!
//! Nothing is visible in `versions/` until the source has verified the whole release. A
//! failure at any point drops the staging directory; a killed process leaves it for the next
//! [`Store::clean_stale`]. Processes that waited on the lock learn a failure instead of
//! repeating it.

use thiserror::Error;

use crate::config::Config;
use crate::lock::format::Found;
use crate::lock::place;
use crate::objects::Objects;
use crate::platform::Platform;
use crate::record::InstallRecord;
use crate::request::Request;
use crate::source::{self, Listed, Releases, Source, SourceError};
use crate::store::{Installed, RECORD_FILE, Staging, Store, StoreError, entry_name};
use crate::ui;
use crate::version::{GoVersion, VersionSpec};

#[derive(Debug, Error)]
pub enum InstallError {
    #[error("no Go release matches '{spec}' in {origin}{hint}")]
    NoSuchVersion {
        spec: String,
        origin: String,
        hint: String,
    },
    #[error(
        "{name} was not installed: another gopin was installing it and failed while this one waited ({message})"
    )]
    FailedMeanwhile { name: String, message: String },
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Lock(#[from] crate::lock::format::LockError),
}

/// What [`install`] did.
#[derive(Debug)]
pub enum Outcome {
    Installed(Installed),
    AlreadyInstalled(Installed),
}

impl Outcome {
    pub fn installed(&self) -> &Installed {
        match self {
            Outcome::Installed(i) | Outcome::AlreadyInstalled(i) => i,
        }
    }
}

/// Finds the release `spec` names, with a helpful error when there is none.
pub fn resolve(releases: &Releases, spec: &VersionSpec) -> Result<Listed, InstallError> {
    releases.resolve(spec).ok_or_else(|| {
        let near = match spec {
            VersionSpec::Exact(v) => VersionSpec::Prefix {
                major: v.major,
                minor: Some(v.minor),
            },
            other => *other,
        };
        let hint = match releases.resolve(&near) {
            Some(r) => format!(
                " (the newest {near} release is {}; run `gopin ls-remote {near}`)",
                r.version
            ),
            None => " (run `gopin ls-remote` to see what is available)".to_string(),
        };
        InstallError::NoSuchVersion {
            spec: spec.to_string(),
            origin: releases.origin.clone(),
            hint,
        }
    })
}

/// Makes sure a version that `request` accepts is installed for `platform`: an installed one
/// that satisfies it is used as is (no network), else the release it chooses from the
/// configured source is installed. This is what `use`, `exec --install`, argument-less
/// `install` and the hook's `auto_install` call; an explicit `gopin install 1.22` resolves
/// the spec itself.
pub fn install_request(
    config: &Config,
    store: &Store,
    request: &Request,
    platform: &Platform,
    refresh: bool,
) -> Result<Outcome, InstallError> {
    // A lock where this runs decides the release and the bytes (docs/lock.md).
    if let Some(outcome) = install_locked(config, store, request, platform)? {
        return Ok(outcome);
    }
    if let Some(found) = store.find(platform, request)? {
        return Ok(Outcome::AlreadyInstalled(found));
    }
    let source = source::open(config, refresh)?;
    let releases = source.releases(platform)?;
    let version = match (request.spec, request.floor) {
        (Some(spec), None) => resolve(&releases, &spec)?.version,
        _ => request
            .choose(&releases.versions())
            .ok_or_else(|| InstallError::NoSuchVersion {
                spec: request.to_string(),
                origin: releases.origin.clone(),
                hint: " (run `gopin ls-remote` to see what is available)".to_string(),
            })?,
    };
    install(store, source.as_ref(), &version, platform, false)
}

/// Under the lock of the working directory: the locked release, when `request` accepts it,
/// checked against the lock. A request that does not accept it is an error when it is the
/// directory's own (the pin moved since the lock was written); another one (`gopin use 1.23`,
/// `gopin shell 1.21`) installs unlocked, with a note. `None`: no lock applies.
fn install_locked(
    config: &Config,
    store: &Store,
    request: &Request,
    platform: &Platform,
) -> Result<Option<Outcome>, InstallError> {
    let cwd = crate::resolve::cwd();
    let env = |name: &str| std::env::var_os(name);
    // A directory whose files do not resolve has no lock to find; the caller reports them.
    let Ok(r) = crate::resolve::resolve(store, platform, &cwd, &env) else {
        return Ok(None);
    };
    let asks = r.request.is_some();
    let Some(path) = place::find(&r.selection, r.overridden.is_some(), asks, &cwd) else {
        return Ok(None);
    };
    let Some(found) = Found::read(&path)? else {
        return Ok(None);
    };
    let release = found.lock.release;
    if place::admits(request, &release) {
        return install_under_lock(config, store, &found, platform, false).map(Some);
    }
    if r.request.as_ref() == Some(request) {
        return Err(SourceError::from(source::locked::LockedError::Moved {
            lock: found.label(),
            release: release.to_string(),
            selected_by: r.source_label(),
            request: request.to_string(),
        })
        .into());
    }
    ui::note(&format!(
        "note: {} locks {release}, which {request} is not: this install is not checked against it (run `gopin lock` once the pin is moved)",
        found.label()
    ));
    Ok(None)
}

/// Installs the release `found` locks, for `platform`, checked against the lock
/// (docs/lock.md): unless it is already there (or `force`). No index is read.
pub fn install_under_lock(
    config: &Config,
    store: &Store,
    found: &Found,
    platform: &Platform,
    force: bool,
) -> Result<Outcome, InstallError> {
    let version = found.lock.release;
    if !force && let Some(installed) = store.get(&version, platform) {
        return Ok(Outcome::AlreadyInstalled(installed));
    }
    let artifact = source::locked::artifact(config, found, platform)?;
    install_artifact(store, artifact.as_ref(), &version, platform, force)
}

/// Installs `version` for `platform` from `source` unless it is already there (or `force`).
pub fn install(
    store: &Store,
    source: &dyn Source,
    version: &GoVersion,
    platform: &Platform,
    force: bool,
) -> Result<Outcome, InstallError> {
    let artifact = source.locate(version, platform)?;
    install_artifact(store, artifact.as_ref(), version, platform, force)
}

/// Installs `artifact`, which holds `version` for `platform`, unless it is already there (or
/// `force`).
fn install_artifact(
    store: &Store,
    artifact: &dyn source::Artifact,
    version: &GoVersion,
    platform: &Platform,
    force: bool,
) -> Result<Outcome, InstallError> {
    let fetch = |stage: &mut Stage| -> Result<_, InstallError> { Ok(artifact.fetch(stage)?) };
    install_with(store, &artifact.key(), version, platform, force, fetch)
}

/// Makes a fresh staging directory for one attempt.
pub type Stage<'a> = dyn FnMut() -> Result<Staging, StoreError> + 'a;

/// The install pipeline around `fetch`, which stages `version` for `platform` (from `key`:
/// what a failed attempt is reported under) and describes it: unless it is already there
/// (or `force`), under the version's lock, recorded and committed. Every install comes
/// through here, and so does `gopin import`, whose errors are its own.
pub fn install_with<E>(
    store: &Store,
    key: &str,
    version: &GoVersion,
    platform: &Platform,
    force: bool,
    fetch: impl FnOnce(&mut Stage) -> Result<(Staging, InstallRecord), E>,
) -> Result<Outcome, E>
where
    E: From<InstallError> + From<StoreError> + std::fmt::Display,
{
    if !force && let Some(found) = store.get(version, platform) {
        return Ok(Outcome::AlreadyInstalled(found));
    }
    let name = entry_name(version, platform);
    let lock = store.lock(&name, || {
        ui::note(&format!(
            "waiting for another gopin that is installing {name}…"
        ))
    })?;
    // First, as it may put back a version an interrupted `--force` left out.
    store.clean_stale(Some(&lock));
    // Whoever held the lock may have installed it meanwhile.
    if !force && let Some(found) = store.get(version, platform) {
        return Ok(Outcome::AlreadyInstalled(found));
    }
    // Or it may have failed: then so would this process, after the same retries.
    if let Some(message) = lock.failure_while_waiting(key) {
        return Err(InstallError::FailedMeanwhile { name, message }.into());
    }
    let objects = Objects::of(store);
    let committed = fetch(&mut || store.staging(&lock)).and_then(|(staging, record)| {
        // Each file becomes a link to its object (see docs/store.md), before the record.
        let ingested =
            objects.ingest(&staging.tree().join("go"), &record.files, staging.linked())?;
        ui::verbose(&format!(
            "object store: {} files linked while unpacking, {} shared ({} bytes), {} stored, {} copied",
            ingested.linked,
            ingested.shared,
            ingested.shared_bytes,
            ingested.stored,
            ingested.copied
        ));
        record.save(&staging.tree().join(RECORD_FILE))?;
        Ok(store.commit(staging, &lock, force)?)
    });
    let dir = committed.inspect_err(|e| {
        lock.report_failure(key, &e.to_string());
        // A first install links files into the object store as it unpacks: those of an
        // attempt that failed (its tree is gone) are collected now.
        objects.collect_quietly();
    })?;
    lock.clear_failure();
    if force {
        // The replaced tree is gone: its objects may be garbage now.
        objects.collect_quietly();
    }
    // A store from before the object store is converted here, a tree at a time, once.
    match crate::objects::migrate(store, false) {
        Ok(done) => done
            .iter()
            .for_each(|d| ui::verbose(&format!("object store: {d}"))),
        Err(e) => ui::verbose(&format!("object store: not converted: {e}")),
    }
    Ok(Outcome::Installed(
        store.installed_at(version, platform, dir),
    ))
}
