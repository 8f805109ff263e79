//! The release index (go.dev's `?mode=json&include=all` schema): fetching, caching, parsing,
//! and finding a release's archive for a platform. The go.dev source (`source::godev`) reads
//! it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::config::Config;
use crate::net::{FetchError, Location, Retryable, Rules};
use crate::platform::Platform;
use crate::source::{Listed, Releases};
use crate::ui;
use crate::version::GoVersion;

/// Indexes larger than this are refused (go.dev's full index is a few MiB).
const MAX_INDEX_BYTES: u64 = 64 << 20;

/// One downloadable file of a release, as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseFile {
    /// A bare file name (checked: no `/`, no `..`), appended to `download_url`.
    pub filename: String,
    pub os: String,
    pub arch: String,
    /// Lowercase hex SHA-256, when the index has one (old releases list none).
    pub sha256: Option<String>,
    /// Size in bytes, when the index knows it (0 in the index means unknown).
    pub size: Option<u64>,
    pub kind: String,
}

/// A release and its files.
#[derive(Debug, Clone)]
pub struct Release {
    pub version: GoVersion,
    pub stable: bool,
    pub files: Vec<ReleaseFile>,
}

impl Release {
    /// The `.tar.gz` archive for `platform`, if this release has one.
    pub fn archive_for(&self, platform: &Platform) -> Option<&ReleaseFile> {
        self.files.iter().find(|f| {
            f.kind == "archive"
                && f.filename.ends_with(".tar.gz")
                && Platform::new(&f.os, &f.arch).is_ok_and(|p| p == *platform)
        })
    }

    /// Every platform this release has a `.tar.gz` archive for.
    pub fn platforms(&self) -> Vec<Platform> {
        self.files
            .iter()
            .filter(|f| f.kind == "archive" && f.filename.ends_with(".tar.gz"))
            .filter_map(|f| Platform::new(&f.os, &f.arch).ok())
            .collect()
    }
}

#[derive(Debug, Error)]
pub enum IndexError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(
        "the release index at {url} is not valid: {message}; check index_url / GOPIN_INDEX_URL"
    )]
    Invalid { url: String, message: String },
    #[error(
        "cannot fetch the release index ({source}), and there is no cached copy: check the network or point GOPIN_INDEX_URL at a mirror"
    )]
    Offline { source: FetchError },
}

/// The parsed index, newest release first.
#[derive(Debug, Clone)]
pub struct Index {
    pub releases: Vec<Release>,
    /// Where it came from, for messages.
    pub url: String,
}

#[derive(Deserialize)]
struct RawRelease {
    version: String,
    #[serde(default)]
    stable: bool,
    #[serde(default)]
    files: Option<Vec<RawFile>>,
}

#[derive(Deserialize)]
struct RawFile {
    filename: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    arch: String,
    #[serde(default)]
    sha256: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    kind: String,
}

fn is_safe_filename(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

impl Index {
    /// Every release it lists, as a [`Releases`] that names this index in messages.
    pub fn releases(&self) -> Releases {
        Releases {
            list: self
                .releases
                .iter()
                .map(|r| Listed {
                    version: r.version,
                    stable: r.stable,
                })
                .collect(),
            origin: format!("the index at {}", self.url),
        }
    }

    /// Parses index JSON. Releases whose version gopin cannot parse are skipped (and said so
    /// with `-v`); a malformed document or a malformed checksum is an error naming `url`.
    pub fn parse(bytes: &[u8], url: &str) -> Result<Index, IndexError> {
        let invalid = |message: String| IndexError::Invalid {
            url: url.to_string(),
            message,
        };
        let raw: Option<Vec<RawRelease>> =
            serde_json::from_slice(bytes).map_err(|e| invalid(e.to_string()))?;
        let mut releases = Vec::new();
        for r in raw.unwrap_or_default() {
            let Ok(version) = r.version.parse::<GoVersion>() else {
                ui::verbose(&format!(
                    "index: skipping unrecognised version '{}'",
                    r.version
                ));
                continue;
            };
            let mut files = Vec::new();
            for f in r.files.unwrap_or_default() {
                if !is_safe_filename(&f.filename) {
                    return Err(invalid(format!(
                        "{version} lists an unsafe file name {:?}",
                        f.filename
                    )));
                }
                let sha256 = match f.sha256.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(s) if crate::fsio::is_sha256(s) => Some(s.to_ascii_lowercase()),
                    Some(s) => {
                        return Err(invalid(format!(
                            "{} has a malformed sha256 {s:?}",
                            f.filename
                        )));
                    }
                };
                files.push(ReleaseFile {
                    filename: f.filename,
                    os: f.os,
                    arch: f.arch,
                    sha256,
                    size: f.size.filter(|&s| s > 0),
                    kind: f.kind,
                });
            }
            releases.push(Release {
                version,
                stable: r.stable && version.is_stable(),
                files,
            });
        }
        releases.sort_by_key(|r| std::cmp::Reverse(r.version));
        releases.dedup_by(|a, b| a.version == b.version);
        Ok(Index {
            releases,
            url: url.to_string(),
        })
    }

    pub fn find(&self, version: &GoVersion) -> Option<&Release> {
        self.releases.iter().find(|r| r.version == *version)
    }
}

/// Options for [`load`].
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Ignore a fresh cache and fetch.
    pub refresh: bool,
}

/// Loads the configured index: from the cache while it is fresh, else from its URL, falling
/// back to a stale cache (with a notice) when the URL cannot be reached.
pub fn load(config: &Config, opts: LoadOptions) -> Result<Index, IndexError> {
    let url = &config.settings.index_url;
    let location = Location::parse(url, &Rules::from_settings(&config.settings))?;
    if !location.is_remote() {
        let bytes = location.read_small(MAX_INDEX_BYTES)?;
        return Index::parse(&bytes, url);
    }
    let cache = cache_path(&config.cache_dir, url);
    let ttl = Duration::from_secs(config.settings.index_ttl);
    if !opts.refresh
        && let Some(age) = cache_age(&cache)
        && age < ttl
        && let Ok(bytes) = std::fs::read(&cache)
        && let Ok(index) = Index::parse(&bytes, url)
    {
        ui::verbose(&format!("index: using cache {}", cache.display()));
        return Ok(index);
    }
    match location.read_small(MAX_INDEX_BYTES) {
        Ok(bytes) => {
            let index = Index::parse(&bytes, url)?;
            if let Err(e) = write_cache(&cache, &bytes) {
                ui::verbose(&format!(
                    "index: cannot write cache {}: {e}",
                    cache.display()
                ));
            }
            Ok(index)
        }
        Err(fetch_err) if fetch_err.is_transient() => {
            let cached = std::fs::read(&cache)
                .ok()
                .and_then(|b| Index::parse(&b, url).ok());
            match cached {
                Some(index) => {
                    let age = cache_age(&cache).unwrap_or_default();
                    ui::warn(&format!(
                        "cannot reach the release index ({fetch_err}); using the copy cached {} ago",
                        human_age(age)
                    ));
                    Ok(index)
                }
                None => Err(IndexError::Offline { source: fetch_err }),
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// One cache file per index URL.
fn cache_path(cache_dir: &Path, url: &str) -> PathBuf {
    let digest = Sha256::digest(url.as_bytes());
    let key = crate::fsio::hex(&digest[..8]);
    cache_dir.join(format!("index-{key}.json"))
}

fn cache_age(path: &Path) -> Option<Duration> {
    let modified = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(
        SystemTime::now()
            .duration_since(modified)
            .unwrap_or_default(),
    )
}

/// Durability: a rename only. The cache is fetched again when it is missing or does not
/// parse, so a power loss costs one download at most.
fn write_cache(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("cache files live in a directory");
    std::fs::create_dir_all(dir)?;
    crate::fsio::write_atomic(path, bytes, crate::fsio::Durability::Replaced)
}

pub fn human_age(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..120 => format!("{s} s"),
        120..7200 => format!("{} min", s / 60),
        7200..172_800 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX_2020: &str = include_str!("../../../tests/fixtures/go-dl-index-2020-03.json");
    const INDEX_2021: &str = include_str!("../../../tests/fixtures/go-dl-index-2021-11.json");
    const EDGE: &str = include_str!("../../../tests/fixtures/go-dl-index-edgecases.json");

    /// Every version string in the real indexes parses, and names round-trip.
    #[test]
    fn real_indexes_parse_completely() {
        for (name, text) in [("2020", INDEX_2020), ("2021", INDEX_2021), ("edge", EDGE)] {
            let raw: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
            let index = Index::parse(text.as_bytes(), name).unwrap();
            assert_eq!(
                index.releases.len(),
                raw.len(),
                "{name}: a version was skipped"
            );
            for r in &raw {
                let s = r["version"].as_str().unwrap();
                assert_eq!(s.parse::<GoVersion>().unwrap().to_string(), s);
            }
            for pair in index.releases.windows(2) {
                assert!(pair[0].version > pair[1].version);
            }
        }
    }

    #[test]
    fn edge_cases_are_tolerated() {
        let index = Index::parse(EDGE.as_bytes(), "edge").unwrap();
        let go1 = index.find(&"go1".parse().unwrap()).unwrap();
        assert!(
            go1.platforms().is_empty(),
            "the bootstrap pseudo-release has no platform"
        );
        let empty_sha = index
            .releases
            .iter()
            .flat_map(|r| &r.files)
            .filter(|f| f.sha256.is_none())
            .count();
        assert!(empty_sha > 0);
        let rc = index.find(&"go1.9.2rc2".parse().unwrap()).unwrap();
        assert!(!rc.stable);
    }

    #[test]
    fn null_and_hostile_indexes() {
        assert!(Index::parse(b"null", "x").unwrap().releases.is_empty());
        assert!(Index::parse(br#"[{"version":"go1.2","stable":true,"files":null}]"#, "x").is_ok());
        let err = Index::parse(b"<html>", "https://mirror/x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("https://mirror/x"), "{err}");
        let evil = br#"[{"version":"go1.2","stable":true,"files":[{"filename":"../../etc/passwd","os":"linux","arch":"amd64","sha256":"","size":0,"kind":"archive"}]}]"#;
        assert!(Index::parse(evil, "x").is_err());
        let bad_sum = br#"[{"version":"go1.2","stable":true,"files":[{"filename":"go1.2.linux-amd64.tar.gz","os":"linux","arch":"amd64","sha256":"zz","size":0,"kind":"archive"}]}]"#;
        assert!(Index::parse(bad_sum, "x").is_err());
    }
}
