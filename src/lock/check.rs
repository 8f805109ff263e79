//! `gopin lock --check`: does the lock still say what the directory selects, on every
//! platform asked for, with proofs that verify against the checksum database's key
//! (docs/lock.md, "Checking a lock")?

use anyhow::Result;

use super::{Found, admits};
use crate::config::Config;
use crate::goenv::GoEnv;
use crate::platform::Platform;
use crate::request::Request;
use crate::source::godev::index::Index;
use crate::source::goproxy::source::ModuleProxy;
use crate::source::goproxy::sumdb::{self, note::Verifier};
use crate::source::goproxy::toolchain::MODULE;

/// How to check.
pub struct Options {
    /// The recorded proofs alone: no index, no checksum database.
    pub offline: bool,
    /// A platform without a proof is a failure, not a warning.
    pub require_proof: bool,
    pub platforms: Vec<Platform>,
}

/// What the check found: failures (exit 1) and warnings.
#[derive(Debug, Default)]
pub struct Report {
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

/// Checks `found` against `request` (what the directory selects, `selected_by` says where
/// from) and, unless offline, against the index and the checksum database as they are now.
pub fn check(
    config: &Config,
    found: &Found,
    request: &Request,
    selected_by: &str,
    opts: &Options,
) -> Result<Report> {
    let lock = &found.lock;
    let mut report = Report::default();
    if !admits(request, &lock.release) {
        report.problems.push(format!(
            "the pin moved: {selected_by} asks for {request}, but the lock holds {}",
            lock.release
        ));
    }
    for platform in &opts.platforms {
        if lock.entry(platform).is_none() {
            report
                .problems
                .push(format!("the lock has no entry for {platform}"));
        }
    }
    let env = |name: &str| std::env::var_os(name);
    let go = GoEnv::new(&env);
    let proxy = ModuleProxy::new(config, &go)?;
    let client = proxy.client();
    let verifier: Option<Verifier> = client.database().map(|db| db.verifier.clone());
    for entry in &lock.platforms {
        let platform = entry.platform();
        match (&entry.proof, &verifier) {
            (None, _) => {
                let why = entry.proof_missing.as_deref().unwrap_or("no reason given");
                let line = format!("{platform} has no checksum database proof: {why}");
                if opts.require_proof {
                    report.problems.push(line);
                } else {
                    report.warnings.push(line);
                }
            }
            (Some(_), None) => {
                let line = format!(
                    "{platform}'s proof is not checked: the checksum database is off for {MODULE} (GOSUMDB, GONOSUMDB)"
                );
                if opts.require_proof {
                    report.problems.push(line);
                } else {
                    report.warnings.push(line);
                }
            }
            (Some(proof), Some(verifier)) => {
                if proof.database != verifier.id() {
                    report.problems.push(format!(
                        "{platform}'s proof is by the checksum database key {}, but GOSUMDB names {}",
                        proof.database,
                        verifier.id()
                    ));
                    continue;
                }
                match sumdb::verify_inclusion_offline(
                    verifier,
                    MODULE,
                    entry.module_version(),
                    &proof.inclusion(),
                ) {
                    Err(why) => report
                        .problems
                        .push(format!("{platform}'s proof does not verify: {why}")),
                    Ok((h1, _)) if Some(&h1) != entry.h1.as_ref() => report.problems.push(format!(
                        "{platform}'s proof records {h1}, but the lock says {}",
                        entry.h1.as_deref().unwrap_or("none")
                    )),
                    Ok(_) => {}
                }
            }
        }
    }
    if opts.offline {
        return Ok(report);
    }
    // Online: the index and the database, as they are now, still say what the lock says.
    let index: Index = super::load_index(config)?;
    let listed = index.find(&lock.release);
    for entry in &lock.platforms {
        let platform = entry.platform();
        let file = listed.and_then(|r| r.archive_for(&platform));
        match file {
            None => report.problems.push(format!(
                "the index at {} no longer lists {} for {platform}",
                index.url, lock.release
            )),
            Some(f)
                if f.filename != entry.archive
                    || f.sha256.as_deref() != Some(entry.sha256.as_str())
                    || f.size != Some(entry.size) =>
            {
                report.problems.push(format!(
                    "the index at {} now lists {} for {platform} as {} ({} bytes, sha256 {}), but the lock holds {} ({} bytes, sha256 {})",
                    index.url,
                    lock.release,
                    f.filename,
                    f.size.unwrap_or(0),
                    f.sha256.as_deref().unwrap_or("none"),
                    entry.archive,
                    entry.size,
                    entry.sha256
                ))
            }
            Some(_) => {}
        }
        if let (Some(h1), Some(_)) = (&entry.h1, &verifier) {
            match client.prove_for_lock(&lock.release, &platform)? {
                Ok((proof, _)) if &proof.h1 != h1 => report.problems.push(format!(
                    "the checksum database {} now records {} for {platform}, but the lock says {h1}",
                    proof.database, proof.h1
                )),
                _ => {}
            }
        }
    }
    Ok(report)
}
