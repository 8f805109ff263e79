//! `gopin.lock`: the release a directory uses and the exact bytes it is on each platform,
//! vouched for by the checksum database (docs/lock.md).
//!
//! - [`format`]: the file, read strictly and written the same way every time;
//! - [`make`]: a lock from go.dev's index (archive names, sizes, SHA-256s) and the checksum
//!   database (each toolchain module's `h1:`, with the proof of it);
//! - [`check`]: `gopin lock --check`, online or with the recorded proofs alone;
//! - [`place`]: where a directory's lock is, and the release it narrows the pick to.
//!
//! Installs checked against a lock are the install pipeline's (`crate::install`), from the
//! artifacts of `crate::source::locked`.

pub mod check;
pub mod format;
pub mod place;

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use crate::config::Config;
use crate::goenv::GoEnv;
use crate::platform::Platform;
use crate::resolve::Resolution;
use crate::selection::SourceKind;
use crate::source::godev::index::{self, Index, LoadOptions};
use crate::source::goproxy::source::ModuleProxy;
use crate::source::goproxy::toolchain::{MODULE, module_version};
use crate::source::goproxy::{GoproxyError, sumdb::SumdbError};
use crate::ui;
use crate::version::GoVersion;
pub use format::{Entry, FORMAT, Found, Lock, LockError, Proof, digest};
pub use place::{FILE_NAME, admits};

/// The lock that governs `cwd`, resolved as `r`, if one exists ([`place::find`]).
pub fn find(r: &Resolution, cwd: &Path) -> Option<PathBuf> {
    place::find(
        &r.selection,
        r.overridden.is_some(),
        r.request.is_some(),
        cwd,
    )
}

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

/// The lock that governs the working directory, read, if there is one.
pub fn for_cwd(store: &crate::store::Store, platform: &Platform) -> Result<Option<Found>> {
    let cwd = crate::resolve::cwd();
    let r = crate::resolve::resolve(store, platform, &cwd, &|n: &str| std::env::var_os(n))?;
    match find(&r, &cwd) {
        Some(path) => Ok(Found::read(&path)?),
        None => Ok(None),
    }
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
