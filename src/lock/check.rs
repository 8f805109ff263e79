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
    let online = |what: &str, e: &dyn std::fmt::Display| {
        anyhow::anyhow!(
            "{} cannot be checked against {what} ({e}): retry, or pass --offline to check its recorded proofs alone",
            found.label()
        )
    };
    let index: Index = super::load_index(config).map_err(|e| online("the index", &e))?;
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
            let now = client
                .prove_for_lock(&lock.release, &platform)
                .map_err(|e| online("the checksum database", &e))?;
            match now {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::lock::format::{FORMAT, Lock};
    use crate::source::goproxy::sumdb::note::tests::real_key_and_notes;
    use crate::source::goproxy::sumdb::{self, Inclusion, note::Verifier};

    const TOOLCHAIN_LINES: &str = include_str!("../../tests/fixtures/go-toolchain-sumdb-lines.txt");

    /// The record of go1.22.8 for linux/amd64, as sum.golang.org serves it (both lines).
    fn real_toolchain_record() -> String {
        let mut text = String::new();
        for line in TOOLCHAIN_LINES.lines() {
            if line.starts_with("golang.org/toolchain v0.0.1-go1.22.8.linux-amd64") {
                text.push_str(line);
                text.push('\n');
            }
        }
        assert_eq!(text.lines().count(), 2, "{text}");
        text
    }

    /// A lock file's bytes holding the real signed tree head (the archive's SHA-256 is the real
    /// one in tests/fixtures/go-archive-sha256.tsv; its size is not checked here) of sum.golang.org's tree
    /// of sum.golang.org's tree #63096908 and a real toolchain record, as `gopin lock` writes
    /// them.
    fn lock_with_real_data(note: &str, record: &str) -> Vec<u8> {
        let h1 = record.split_whitespace().nth(2).unwrap();
        let text = format!(
            "format = {FORMAT}\nrelease = \"go1.22.8\"\n\n[[platform]]\nos = \"linux\"\narch = \"amd64\"\narchive = \"go1.22.8.linux-amd64.tar.gz\"\nsize = 68958945\nsha256 = \"5f467d29fc67c7ae6468cb6ad5b047a274bae8180cac5e0b7ddbfeba3e47e18f\"\nmodule = \"golang.org/toolchain@v0.0.1-go1.22.8.linux-amd64\"\nh1 = \"{h1}\"\n\n[platform.proof]\ndatabase = \"sum.golang.org+033de0ae\"\nrecord = 60295460\ntext = {}\ntree = {}\nhashes = []\n",
            toml::Value::String(record.to_string()),
            toml::Value::String(note.to_string()),
        );
        text.into_bytes()
    }

    #[test]
    fn the_real_signed_tree_heads_verify_through_a_lock_s_proof() {
        let (key, notes) = real_key_and_notes();
        let verifier = Verifier::parse(&key).unwrap();
        let record = real_toolchain_record();
        let bytes = lock_with_real_data(&notes[0], &record);
        let lock =
            Lock::parse(&bytes, Path::new("gopin.lock")).expect("the real data is a valid lock");
        let entry = &lock.platforms[0];
        assert_eq!(entry.module_version(), "v0.0.1-go1.22.8.linux-amd64");
        let proof = entry.proof.as_ref().unwrap();
        // The real note's signature verifies against the real key and its tree parses; the
        // record is found in the recorded text with the lock's h1. What fails is the one
        // step this fixture has no data for: the inclusion hashes (sum.golang.org's tiles).
        let why = sumdb::verify_inclusion_offline(
            &verifier,
            "golang.org/toolchain",
            entry.module_version(),
            &proof.inclusion(),
        )
        .unwrap_err();
        assert_eq!(
            why,
            "its inclusion proof does not show record #60295460 in the signed tree #63096908"
        );
        // One changed byte of the signed tree head: now the signature is what fails.
        let tampered = notes[0].replacen("63096908", "63096909", 1);
        let why = sumdb::verify_inclusion_offline(
            &verifier,
            "golang.org/toolchain",
            entry.module_version(),
            &Inclusion {
                note: tampered,
                ..proof.inclusion()
            },
        )
        .unwrap_err();
        assert!(
            why.contains("does not verify against the key sum.golang.org+033de0ae"),
            "{why}"
        );
        // A record about another module is named as such (after the signature verified).
        let why = sumdb::verify_inclusion_offline(
            &verifier,
            "golang.org/toolchain",
            "v0.0.1-go1.23.1.linux-amd64",
            &proof.inclusion(),
        )
        .unwrap_err();
        assert!(
            why.contains(
                "its record is not about golang.org/toolchain@v0.0.1-go1.23.1.linux-amd64"
            ),
            "{why}"
        );
    }

    /// The lookup that came with the real tree head of #63096908 (the fixture's note 1): the
    /// record, its number and the signed head verify as far as the data goes, in the lock's
    /// own format.
    #[test]
    fn the_real_lookup_s_record_and_tree_head_are_checked_in_order() {
        let (key, notes) = real_key_and_notes();
        let verifier = Verifier::parse(&key).unwrap();
        let inclusion = Inclusion {
            record: 60295460,
            text: "github.com/go-chi/chi/v5 v5.3.2 h1:5YQkICvTCSZ25hoRsyJazN0scjzKGiu4VAUc7H1o1nY=\ngithub.com/go-chi/chi/v5 v5.3.2/go.mod h1:R+tYY2hNuVUUjxoPtqUdgBqevM9s9njzkTLutVsOCto=\n".into(),
            note: notes[0].clone(),
            hashes: vec!["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(); 26],
        };
        let why = sumdb::verify_inclusion_offline(
            &verifier,
            "github.com/go-chi/chi/v5",
            "v5.3.2",
            &inclusion,
        )
        .unwrap_err();
        assert!(
            why.starts_with("its inclusion proof does not show record #60295460"),
            "{why}"
        );
        // The second real head, of another tree, verifies too; a hash that is no hash is named.
        let bad = Inclusion {
            note: notes[1].clone(),
            hashes: vec!["not base64".into()],
            ..inclusion
        };
        let why =
            sumdb::verify_inclusion_offline(&verifier, "github.com/go-chi/chi/v5", "v5.3.2", &bad)
                .unwrap_err();
        assert!(
            why.contains("'not base64', which is not a base64 SHA-256 hash"),
            "{why}"
        );
    }
}
