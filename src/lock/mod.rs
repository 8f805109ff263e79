//! `gopin.lock`: the release a directory uses and the exact bytes it is on each platform,
//! vouched for by the checksum database (docs/lock.md).
//!
//! - [`format`]: the file, read strictly and written the same way every time;
//! - [`make`]: a lock from go.dev's index (archive names, sizes, SHA-256s) and the checksum
//!   database (each toolchain module's `h1:`, with the proof of it);
//! - [`check`]: `gopin lock --check`, online or with the recorded proofs alone;
//! - [`install`]: installs checked against the lock, whatever the index or proxy says.

pub mod check;
pub mod format;
pub mod install;

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use crate::config::Config;
use crate::goenv::GoEnv;
use crate::platform::Platform;
use crate::request::Request;
use crate::resolve::Resolution;
use crate::selection::SourceKind;
use crate::source::godev::index::{self, Index, LoadOptions};
use crate::source::goproxy::source::ModuleProxy;
use crate::source::goproxy::toolchain::{MODULE, module_version};
use crate::source::goproxy::{GoproxyError, sumdb::SumdbError};
use crate::ui::{self, shown};
use crate::version::GoVersion;
pub use format::{Entry, FORMAT, Lock, LockError, Proof};

/// The lock file's name.
pub const FILE_NAME: &str = "gopin.lock";
/// The platforms locked when neither `--platform` nor `lock_platforms` names any: where
/// teams develop, build and deploy.
pub const DEFAULT_PLATFORMS: [&str; 5] = [
    "linux/amd64",
    "linux/arm64",
    "darwin/amd64",
    "darwin/arm64",
    "windows/amd64",
];

/// The platforms to lock or check: `flags` (`--platform`), else the `lock_platforms`
/// setting, else [`DEFAULT_PLATFORMS`]; sorted, each once.
pub fn platforms(flags: &[String], setting: Option<&str>) -> Result<Vec<Platform>> {
    let words: Vec<String> = if !flags.is_empty() {
        flags.to_vec()
    } else if let Some(setting) = setting.filter(|s| !s.trim().is_empty()) {
        setting
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    } else {
        DEFAULT_PLATFORMS.iter().map(|s| s.to_string()).collect()
    };
    let mut out = Vec::new();
    for word in words {
        let (os, arch) = word.split_once('/').ok_or_else(|| {
            anyhow!("'{word}' is not a platform: write os/arch, such as linux/amd64")
        })?;
        let platform = Platform::new(os, arch)?;
        if !out.contains(&platform) {
            out.push(platform);
        }
    }
    out.sort_by(|a: &Platform, b: &Platform| (&a.os, &a.arch).cmp(&(&b.os, &b.arch)));
    Ok(out)
}

/// Where `gopin lock` writes the lock of `r` (resolved for `cwd`): beside the file that picks
/// the version, else (only a `go` line constrains it) in `cwd`.
pub fn write_path(r: &Resolution, cwd: &Path) -> Result<PathBuf> {
    if let Some(file) = r.system() {
        bail!(
            "{} pins system (the Go already on PATH), which gopin does not install, so there is nothing to lock: pin a version with `gopin use 1.22`",
            ui::tilde(file)
        );
    }
    match r.picked_by() {
        Some(pick) if pick.kind == SourceKind::Shell => bail!(
            "this shell's `gopin shell` choice selects the version here, and it is not a file a lock can sit beside: run `gopin shell --unset` first"
        ),
        Some(pick) if pick.kind == SourceKind::Default => bail!(
            "only your global default ({}) selects a version here, and a lock beside it would lock every directory: pin this project first with `gopin use 1.22`",
            ui::tilde(&pick.source)
        ),
        Some(pick) => Ok(pick
            .source
            .parent()
            .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf)
            .join(FILE_NAME)),
        None if r.request.is_some() => Ok(cwd.join(FILE_NAME)),
        None => bail!(crate::resolve::nothing_selected(cwd)),
    }
}

/// The lock that governs `cwd` (resolved as `r`), if one exists: beside the picking file;
/// where only a `go` line constrains, the nearest from `cwd` up to that file's directory.
pub fn find(r: &Resolution, cwd: &Path) -> Option<PathBuf> {
    if r.system().is_some() || r.request.is_none() {
        return None;
    }
    // Anything but a directory (a FIFO too) is the lock, and reading it says what is wrong.
    let exists = |p: &PathBuf| std::fs::symlink_metadata(p).is_ok_and(|m| !m.is_dir());
    match r.picked_by() {
        Some(pick) if matches!(pick.kind, SourceKind::Shell | SourceKind::Default) => None,
        Some(pick) => pick
            .source
            .parent()
            .map(|d| d.join(FILE_NAME))
            .filter(exists),
        None => {
            let top = r.constrained_by()?.source.parent()?.to_path_buf();
            cwd.ancestors()
                .take_while(|d| d.starts_with(&top))
                .map(|d| d.join(FILE_NAME))
                .find(exists)
        }
    }
}

/// `sha256:<hex>` of a lock's bytes: what a snapshot's record and a CI cache key name.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    format!("sha256:{}", crate::fsio::hex(&Sha256::digest(bytes)))
}

/// A lock read from its file.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    pub lock: Lock,
    pub digest: String,
}

impl Found {
    /// Reads the lock at `path`; `Ok(None)` when there is none.
    pub fn read(path: &Path) -> Result<Option<Found>, LockError> {
        let Some(bytes) = crate::userfile::read(path, format::LOCK_LIMIT)? else {
            return Ok(None);
        };
        let lock = Lock::parse(&bytes, path)?;
        Ok(Some(Found {
            path: path.to_path_buf(),
            lock,
            digest: digest(&bytes),
        }))
    }

    /// For messages: `the lock ~/p/gopin.lock`.
    pub fn label(&self) -> String {
        format!("the lock {}", shown(&self.path))
    }
}

/// The lock that governs the working directory, read, if there is one.
pub fn for_cwd(store: &crate::store::Store, platform: &Platform) -> Result<Option<Found>> {
    let cwd = crate::resolve::cwd();
    let r = crate::resolve::resolve(store, platform, &cwd, &|n: &str| std::env::var_os(n))?;
    match find(&r, &cwd) {
        Some(path) => Ok(Found::read(&path)?),
        None => Ok(None),
    }
}

/// The release the lock at `path` holds, when it reads and `r`'s request accepts it; `None`
/// otherwise.
pub fn locked_release(r: &Resolution, path: &Path) -> Option<GoVersion> {
    let found = Found::read(path).ok()??;
    let request = r.request.as_ref()?;
    admits(request, &found.lock.release).then_some(found.lock.release)
}

/// Whether `request` accepts `version`: what a pin that has not moved since the lock says.
pub fn admits(request: &Request, version: &GoVersion) -> bool {
    request.choose([version]) == Some(*version)
}

/// What [`make`] learned besides the lock: one line per platform whose proof is missing.
pub struct Made {
    pub lock: Lock,
    pub missing_proofs: Vec<String>,
}

/// The lock of `release` for `platforms`: archive names, sizes and SHA-256s from the index
/// (which must list every platform), `h1:` hashes with their proofs from the checksum
/// database (or why there are none: it is off for the module, or cannot be reached).
pub fn make(
    config: &Config,
    index: &Index,
    release: GoVersion,
    platforms: &[Platform],
) -> Result<Made> {
    let listed = index.find(&release).ok_or_else(|| {
        anyhow!(
            "{release} is not in the index at {}: check the pin, or index_url",
            index.url
        )
    })?;
    let mut entries = Vec::new();
    let mut missing = Vec::new();
    for platform in platforms {
        let Some(file) = listed.archive_for(platform) else {
            let has: Vec<String> = listed.platforms().iter().map(|p| p.to_string()).collect();
            missing.push(format!("{platform} (it has: {})", has.join(", ")));
            continue;
        };
        let (Some(sha256), Some(size)) = (&file.sha256, file.size.filter(|s| *s > 0)) else {
            bail!(
                "the index at {} lists no SHA-256 or size for {}, so it cannot be locked: use an index that carries checksums (index_url)",
                index.url,
                file.filename
            );
        };
        entries.push((
            platform.clone(),
            file.filename.clone(),
            sha256.clone(),
            size,
        ));
    }
    if !missing.is_empty() {
        bail!(
            "the index at {} has no archive of {release} for {}; nothing was written (drop the platform with --platform or lock_platforms, or pick a release that has it)",
            index.url,
            missing.join("; ")
        );
    }
    let env = |name: &str| std::env::var_os(name);
    let go = GoEnv::new(&env);
    let proxy = ModuleProxy::new(config, &go)?;
    let client = proxy.client();
    let mut lock = Lock {
        format: FORMAT,
        release,
        platforms: Vec::new(),
    };
    let mut missing_proofs = Vec::new();
    for (platform, archive, sha256, size) in entries {
        let mv = module_version(&release, &platform);
        let (h1, proof, proof_missing) = match client.prove_for_lock(&release, &platform) {
            Ok(Ok((proof, inclusion))) => (
                Some(proof.h1.clone()),
                Some(Proof {
                    database: proof.key.clone(),
                    record: inclusion.record,
                    text: inclusion.text,
                    tree: inclusion.note,
                    hashes: inclusion.hashes,
                }),
                None,
            ),
            Ok(Err(reason)) => (
                None,
                None,
                Some(format!("the checksum database was not asked ({reason})")),
            ),
            Err(e) if unreachable(&e) => (
                None,
                None,
                Some(format!("the checksum database could not be reached ({e})")),
            ),
            Err(e) => return Err(e.into()),
        };
        if let Some(why) = &proof_missing {
            missing_proofs.push(format!("{platform}: {why}"));
        }
        lock.platforms.push(Entry {
            os: platform.os.clone(),
            arch: platform.arch.clone(),
            archive,
            size,
            sha256,
            module: format!("{MODULE}@{mv}"),
            h1,
            proof_missing,
            proof,
        });
    }
    Ok(Made {
        lock,
        missing_proofs,
    })
}

/// A checksum database that did not answer (as opposed to one that answered wrongly, which is
/// an error).
fn unreachable(e: &GoproxyError) -> bool {
    matches!(
        e,
        GoproxyError::Remote(_) | GoproxyError::Sumdb(SumdbError::Remote(_))
    )
}

/// The index of `config`, for making and checking locks.
pub fn load_index(config: &Config) -> Result<Index> {
    Ok(index::load(config, LoadOptions { refresh: false })?)
}
