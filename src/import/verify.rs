//! Proving an imported tree in the checksum database, which records every Go release as the
//! module `golang.org/toolchain`: the tree's `h1:` is computed as Go's release tooling
//! (`cmd/distpack`) makes the module from the same tree, and looked up and proved like an
//! install from a module proxy ([`crate::source::goproxy::ProxySource::prove`]).
//!
//! The module is the distribution's tree without `api/`, `doc/`, `misc/` and `test/`, with
//! every `go.mod` renamed `_go.mod` (a module cannot hold other modules' go.mod files), and
//! regular files only. So a proof covers everything but those four directories. A tree
//! installed from a module proxy also holds a `go.mod` copied beside each `_go.mod` (as `go`
//! restores them); the two are one file of the module.

use std::collections::BTreeMap;
use std::path::Path;

use crate::archive::{Manifest, ManifestEntry};
use crate::config::Config;
use crate::goenv::GoEnv;
use crate::net::Rules;
use crate::net::remote::Network;
use crate::platform::Platform;
use crate::source::goproxy::sumdb::{Proof, SumdbError};
use crate::source::goproxy::toolchain;
use crate::source::goproxy::{
    GoSettings, GoproxyError, Options, ProxySource, Verification, dirhash,
};
use crate::version::GoVersion;

/// The top directories of a distribution that its module leaves out, and so the checksum
/// database does not cover.
pub const NOT_IN_MODULE: [&str; 4] = ["api", "doc", "misc", "test"];

/// What the checksum database said of a tree.
#[derive(Debug)]
pub enum Verdict {
    /// The tree's `h1:` is the one the database records for the release.
    Proved {
        h1: String,
        proof: Box<Proof>,
        /// The directories of the tree the proof does not cover.
        uncovered: Vec<String>,
    },
    /// The database records another `h1:`: the tree is not the release Go published.
    Differs {
        h1: String,
        recorded: String,
        database: String,
        /// The first file that differs from the release (by path in the tree), when the
        /// release's files could be had to compare.
        first: Option<String>,
    },
    /// The tree's files are the release's, but it also holds symlinks, which no module (and
    /// so no `h1:`) can hold: the tree is more than what the database proves.
    Links {
        h1: String,
        database: String,
        links: Vec<String>,
    },
    /// Nothing was proved either way, and why (`GOSUMDB=off`, the database unreachable).
    Unchecked { reason: String },
}

/// The module's files for a tree's `files`: name below the module root → SHA-256. The
/// symlinks the module cannot hold come back apart (a tree with one is not a release).
pub fn module_files(files: &Manifest) -> (BTreeMap<String, String>, Vec<String>) {
    let mut module = BTreeMap::new();
    let mut links = Vec::new();
    for (rel, entry) in files {
        let top = rel.split('/').next().unwrap_or_default();
        if NOT_IN_MODULE.contains(&top) || super::tree::TOOL_MARKERS.contains(&rel.as_str()) {
            continue;
        }
        match entry {
            ManifestEntry::File { sha256, .. } => {
                let name = match rel.rsplit_once('/') {
                    Some((dir, "go.mod")) => format!("{dir}/_go.mod"),
                    None if rel == "go.mod" => "_go.mod".to_string(),
                    _ => rel.clone(),
                };
                // A restored go.mod beside its _go.mod is the same file of the module; two
                // different ones can only make the h1 differ, as they should.
                let previous = module.insert(name.clone(), sha256.clone());
                if previous.is_some_and(|p| p != *sha256) {
                    module.insert(format!("{name} (twice)"), String::new());
                }
            }
            ManifestEntry::Symlink { .. } => links.push(rel.clone()),
        }
    }
    (module, links)
}

/// The `h1:` the module zip of `version` for `platform` has, if its files are `module`.
pub fn module_h1(
    version: &GoVersion,
    platform: &Platform,
    module: &BTreeMap<String, String>,
) -> String {
    let prefix = toolchain::zip_prefix(&toolchain::module_version(version, platform));
    let named: Vec<(String, &str)> = module
        .iter()
        .map(|(name, sha)| (format!("{prefix}{name}"), sha.as_str()))
        .collect();
    // Names come from a scan that refuses newlines, so this cannot fail.
    dirhash::hash1(named.iter().map(|(n, s)| (n.as_str(), *s))).unwrap_or_default()
}

/// Proves the tree with `files` (`version` for `platform`) in the checksum database that
/// Go's settings name, as `go` reaches it (`GOSUMDB`, through `GOPROXY`). When the database
/// records another `h1:`, the release's module is fetched into `scratch` (a directory that
/// must not exist, inside the store) to name the first file that differs.
pub fn check(
    config: &Config,
    version: &GoVersion,
    platform: &Platform,
    files: &Manifest,
    scratch: &Path,
) -> Verdict {
    let env = |name: &str| std::env::var_os(name);
    let settings = match GoSettings::read(&GoEnv::new(&env)) {
        Ok(settings) => settings,
        Err(e) => {
            return Verdict::Unchecked {
                reason: e.to_string(),
            };
        }
    };
    // Being offline is a normal state for an import: one try, then say so.
    let network = Network {
        rules: Rules::from_settings(&config.settings),
        credentials: settings.credentials.clone(),
        offline_is_final: true,
    };
    let mut options = Options::new(config.cache_dir.clone());
    // GOSUMDB=off or a GONOSUMDB match is an answer here ("not checked"), not an error.
    options.allow_unverified = true;
    let client = ProxySource::new(settings, &network, options);
    let proof = match client.prove(version, platform) {
        Ok(expected) => match expected.verification {
            Verification::Sumdb(proof) => proof,
            Verification::Unverified { reason } => return Verdict::Unchecked { reason },
        },
        Err(e) => {
            let unreachable = match &e {
                GoproxyError::Remote(r) | GoproxyError::Sumdb(SumdbError::Remote(r)) => {
                    r.unreachable_url()
                }
                _ => None,
            };
            let reason = match unreachable {
                Some(url) => format!(
                    "{} could not be reached, so nothing was asked (no network?)",
                    url::Url::parse(url)
                        .ok()
                        .and_then(|u| u.host_str().map(str::to_string))
                        .unwrap_or_else(|| url.to_string())
                ),
                None => e.to_string(),
            };
            return Verdict::Unchecked { reason };
        }
    };
    let (module, links) = module_files(files);
    let h1 = module_h1(version, platform, &module);
    if h1 == proof.h1 && links.is_empty() {
        let uncovered = NOT_IN_MODULE
            .iter()
            .filter(|d| files.keys().any(|k| k.split('/').next() == Some(d)))
            .map(|d| d.to_string())
            .collect();
        return Verdict::Proved {
            h1,
            proof: Box::new(proof),
            uncovered,
        };
    }
    if h1 == proof.h1 {
        return Verdict::Links {
            h1,
            database: proof.database,
            links,
        };
    }
    let first = links.first().cloned().or_else(|| {
        std::fs::create_dir(scratch).ok()?;
        crate::ui::note("fetching the release's module to find the first file that differs");
        let fetched = client.fetch_into(version, platform, scratch).ok()?;
        // Only a zip the database vouches for may say what the release holds.
        (fetched.h1 == proof.h1).then_some(())?;
        first_difference(&module, &module_files(&fetched.files).0)
    });
    Verdict::Differs {
        h1,
        recorded: proof.h1,
        database: proof.database,
        first,
    }
}

/// The first file, in path order, that one module has and the other lacks or holds with
/// other contents; as the tree names it (`go.mod`, not the module's `_go.mod`).
fn first_difference(
    tree: &BTreeMap<String, String>,
    release: &BTreeMap<String, String>,
) -> Option<String> {
    let differs = |name: &&String| tree.get(*name) != release.get(*name);
    let first = tree.keys().chain(release.keys()).filter(differs).min()?;
    Some(match first.rsplit_once('/') {
        Some((dir, "_go.mod")) => format!("{dir}/go.mod"),
        _ => first.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(sha: &str) -> ManifestEntry {
        ManifestEntry::File {
            size: 1,
            sha256: sha.into(),
            mode: 0o644,
        }
    }

    #[test]
    fn the_module_leaves_out_four_directories_and_renames_go_mod() {
        let files: Manifest = [
            ("VERSION", file("a")),
            ("api/go1.txt", file("b")),
            ("doc/go_spec.html", file("c")),
            ("misc/wasm/x.js", file("d")),
            ("test/x.go", file("e")),
            ("src/go.mod", file("f")),
            ("src/cmd/go.mod", file("g")),
            ("src/cmd/_go.mod", file("g")),
            ("src/vendor/modules.txt", file("h")),
            ("pkg/tool/linux_amd64/compile", file("i")),
            (".unpacked-success", file("j")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let (module, links) = module_files(&files);
        assert!(links.is_empty());
        assert_eq!(
            module.keys().collect::<Vec<_>>(),
            [
                "VERSION",
                "pkg/tool/linux_amd64/compile",
                "src/_go.mod",
                "src/cmd/_go.mod",
                "src/vendor/modules.txt"
            ]
        );
    }

    #[test]
    fn the_h1_is_the_one_of_the_module_zip_distpack_makes() {
        // The zip of this tree, built by hand as cmd/distpack builds it.
        let v: GoVersion = "go1.22.10".parse().unwrap();
        let p: Platform = "linux/amd64".parse().unwrap();
        let go_mod = b"module std\n";
        let version = b"go1.22.10\n";
        let sha = |d: &[u8]| crate::fsio::hex(&<sha2::Sha256 as sha2::Digest>::digest(d));
        let files: Manifest = [
            ("VERSION".to_string(), file(&sha(version))),
            ("src/go.mod".to_string(), file(&sha(go_mod))),
            ("api/go1.txt".to_string(), file(&sha(b"x"))),
        ]
        .into_iter()
        .collect();
        let zip = dirhash::hash_bytes(&[
            (
                "golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64/VERSION",
                version,
            ),
            (
                "golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64/src/_go.mod",
                go_mod,
            ),
        ])
        .unwrap();
        assert_eq!(module_h1(&v, &p, &module_files(&files).0), zip);
    }

    #[test]
    fn the_first_difference_is_named_as_the_tree_names_it() {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let release = map(&[("a", "1"), ("src/_go.mod", "2"), ("z", "3")]);
        assert_eq!(first_difference(&release, &release), None);
        let changed = map(&[("a", "1"), ("src/_go.mod", "9"), ("z", "3")]);
        assert_eq!(
            first_difference(&changed, &release).as_deref(),
            Some("src/go.mod")
        );
        let added = map(&[("a", "1"), ("b", "0"), ("src/_go.mod", "2"), ("z", "3")]);
        assert_eq!(first_difference(&added, &release).as_deref(), Some("b"));
        let missing = map(&[("a", "1"), ("src/_go.mod", "2")]);
        assert_eq!(first_difference(&missing, &release).as_deref(), Some("z"));
    }
}
