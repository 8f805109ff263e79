//! Go's vulnerability database as gopin reads it (docs/security.md, "Security status"): the
//! static layout of https://vuln.go.dev (`index/db.json`, `index/modules.json`,
//! `ID/<id>.json`), of which only the entries of the `stdlib` and `toolchain` modules are
//! fetched. Over http(s) each file is asked for as `<name>.json.gz` (what Go's own client asks
//! for, and a tenth of the bytes); a local copy (`file://` or a path) is read as `<name>.json`,
//! as Go's client reads a directory. A remote database is kept in the cache directory and
//! checked at most once a day; an entry whose `modified` has not changed is not fetched again.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use super::osv::{self, Entry, GO_MODULES};
use crate::config::Config;
use crate::net::{FetchError, Location, Retryable, Rules};
use crate::ui;

/// How often a cached database is checked for changes, unless asked (`--refresh`).
const CHECK_EVERY: Duration = Duration::from_secs(24 * 3600);
/// `index/modules.json` of the whole database is a few MiB.
const MAX_INDEX_BYTES: u64 = 64 << 20;
/// One entry is a few KiB; the largest real ones list thousands of symbols.
const MAX_ENTRY_BYTES: u64 = 4 << 20;
/// Entries fetched at once on a first fetch (hundreds of small files).
const WORKERS: usize = 4;
/// Go's modules have a few hundred entries; an index that lists more is not the database.
const MAX_GO_ENTRIES: usize = 10_000;
/// Skipped entries named one by one; the rest are counted.
const SKIPPED_SHOWN: usize = 10;

#[derive(Debug, Error)]
pub enum VulnDbError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(
        "the vulnerability database at {url} is not valid: {file} {message}; check vulndb (GOPIN_VULNDB), or set it to off"
    )]
    Invalid {
        url: String,
        file: &'static str,
        message: String,
    },
    #[error(
        "{asked_by} needs Go's vulnerability database, and vulndb is off: set vulndb (GOPIN_VULNDB) to https://vuln.go.dev or a copy (file:///path/to/vulndb)"
    )]
    Off { asked_by: &'static str },
    #[error("vulndb (GOPIN_VULNDB): {source}; or set it to off")]
    Setting { source: FetchError },
    #[error(
        "cannot fetch the vulnerability database ({source}), and there is no cached copy: check the network, point vulndb (GOPIN_VULNDB) at a copy (file:///path/to/vulndb), or set it to off"
    )]
    Offline { source: FetchError },
}

/// The entries of Go's modules, and where and when they came from.
pub struct Database {
    /// Where it came from, with any password in the URL hidden.
    pub url: String,
    /// `index/db.json`'s `modified`: when the newest entry changed.
    pub modified: Option<String>,
    /// How long ago a cached copy was last checked against the database (`None`: read now).
    pub checked: Option<Duration>,
    pub entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct DbJson {
    modified: String,
}

#[derive(Deserialize)]
struct ModuleJson {
    path: String,
    #[serde(default)]
    vulns: Vec<VulnJson>,
}

#[derive(Deserialize)]
struct VulnJson {
    id: String,
    #[serde(default)]
    modified: String,
}

/// One entry's checked bytes, or why it is skipped.
type Fetched = Result<Vec<u8>, String>;

/// What the cache holds, beside the entries in `ID/`.
#[derive(Serialize, Deserialize, Default, Clone)]
struct State {
    url: String,
    /// db.json's `modified` when the cache was brought up to date.
    modified: String,
    /// When the database was last asked whether anything changed (seconds since 1970).
    checked: u64,
    /// Each cached entry's `modified`.
    vulns: BTreeMap<String, String>,
    /// Entries that could not be used, and why: said again on every run until fixed.
    skipped: BTreeMap<String, String>,
}

/// Fetches a file of the database: `<name>.json.gz` over the network, `<name>.json` on disk;
/// [`decode`] makes JSON of it.
fn fetch(base: &Location, name: &str, limit: u64) -> Result<Vec<u8>, FetchError> {
    if !base.is_remote() {
        return base.join(&format!("{name}.json")).read_small(limit);
    }
    base.join(&format!("{name}.json.gz"))
        .read_small_with(limit, false)
}

/// The JSON in what [`fetch`] got: inflated from a remote database, bounded by the same limit
/// as the compressed bytes. The error says why it is not JSON one can read.
fn decode(base: &Location, bytes: Vec<u8>, limit: u64) -> Result<Vec<u8>, String> {
    if !base.is_remote() {
        return Ok(bytes);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes.as_slice())
        .take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("not gzip data: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!("it inflates to more than {}", ui::size(limit)));
    }
    Ok(out)
}

/// An index file of the database, as JSON.
fn read_index(base: &Location, url: &str, file: &'static str) -> Result<Vec<u8>, VulnDbError> {
    let name = file.strip_suffix(".json").expect("index files are .json");
    let bytes = fetch(base, name, MAX_INDEX_BYTES)?;
    decode(base, bytes, MAX_INDEX_BYTES).map_err(|message| VulnDbError::Invalid {
        url: url.to_string(),
        file,
        message,
    })
}

/// The ids of Go's modules' entries, with their `modified`, from `index/modules.json`.
fn go_vulns(bytes: &[u8], url: &str) -> Result<BTreeMap<String, String>, VulnDbError> {
    let modules: Vec<ModuleJson> =
        serde_json::from_slice(bytes).map_err(|e| VulnDbError::Invalid {
            url: url.to_string(),
            file: "index/modules.json",
            message: e.to_string(),
        })?;
    let mut vulns = BTreeMap::new();
    for m in modules
        .into_iter()
        .filter(|m| GO_MODULES.contains(&m.path.as_str()))
    {
        for v in m.vulns {
            vulns.insert(v.id, v.modified);
        }
    }
    if vulns.len() > MAX_GO_ENTRIES {
        return Err(VulnDbError::Invalid {
            url: url.to_string(),
            file: "index/modules.json",
            message: format!(
                "lists {} entries for Go, more than the {MAX_GO_ENTRIES} gopin reads",
                vulns.len()
            ),
        });
    }
    Ok(vulns)
}

/// Loads the database that `vulndb` names (`None` when it is `off`): a local copy as it is, a
/// remote one through the cache.
pub fn load(config: &Config, refresh: bool) -> Result<Option<Database>, VulnDbError> {
    let url = config.settings.vulndb.trim_end_matches('/');
    if url == "off" {
        return Ok(None);
    }
    let location = Location::parse(url, &Rules::from_settings(&config.settings))
        .map_err(|source| VulnDbError::Setting { source })?;
    if !location.is_remote() {
        return load_local(&location, url).map(Some);
    }
    let dir = cache_dir(&config.cache_dir, url);
    Cache { dir, url, location }.load(refresh).map(Some)
}

/// [`load`] for a command that is about vulnerabilities (`asked_by`, such as `audit --vuln`):
/// `off` is an error there.
pub fn load_required(
    config: &Config,
    refresh: bool,
    asked_by: &'static str,
) -> Result<Database, VulnDbError> {
    load(config, refresh)?.ok_or(VulnDbError::Off { asked_by })
}

/// The database without the network: a local copy, else what the cache holds from the last
/// fetch (`None`: off, or nothing cached yet). For `current`, which scripts call often.
pub fn load_cached(config: &Config) -> Option<Database> {
    let url = config.settings.vulndb.trim_end_matches('/');
    if url == "off" {
        return None;
    }
    let location = Location::parse(url, &Rules::from_settings(&config.settings)).ok()?;
    if !location.is_remote() {
        return match load_local(&location, url) {
            Ok(db) => Some(db),
            Err(e) => {
                ui::warn(&format!("no security status: {e}"));
                None
            }
        };
    }
    let cache = Cache {
        dir: cache_dir(&config.cache_dir, url),
        url,
        location,
    };
    cache.state().map(|state| cache.entries_of(&state))
}

fn load_local(location: &Location, url: &str) -> Result<Database, VulnDbError> {
    let db: Option<DbJson> = read_index(location, url, "index/db.json")
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let vulns = go_vulns(&read_index(location, url, "index/modules.json")?, url)?;
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    for id in vulns.keys() {
        match fetch_entry(location, id) {
            Ok(e) => entries.push(e),
            Err(why) => skipped.push((id.as_str(), why)),
        }
    }
    warn_skipped(url, skipped.iter().map(|(id, why)| (*id, why.as_str())));
    Ok(Database {
        url: ui::redacted(url),
        modified: db.map(|d| d.modified),
        checked: None,
        entries,
    })
}

/// Reads and checks one entry; the error is why it is skipped.
fn fetch_entry(base: &Location, id: &str) -> Result<Entry, String> {
    if !osv::is_id(id) {
        return Err("its id is not a database id".into());
    }
    let bytes = fetch(base, &format!("ID/{id}"), MAX_ENTRY_BYTES).map_err(|e| e.to_string())?;
    Entry::parse(&decode(base, bytes, MAX_ENTRY_BYTES)?, id)
}

/// A warning for each entry skipped, naming it and why (the first few; then how many more).
fn warn_skipped<'a>(url: &str, skipped: impl ExactSizeIterator<Item = (&'a str, &'a str)>) {
    let total = skipped.len();
    for (id, why) in skipped.take(SKIPPED_SHOWN) {
        let id: String = id
            .chars()
            .take(64)
            .map(|c| if ui::hides_text(c) { ' ' } else { c })
            .collect();
        ui::warn(&format!(
            "skipping the vulnerability entry '{id}' of {url}: {why}"
        ));
    }
    if total > SKIPPED_SHOWN {
        ui::warn(&format!(
            "skipping {} more entries of the vulnerability database at {url}",
            total - SKIPPED_SHOWN
        ));
    }
}

/// One cache directory per database URL.
fn cache_dir(cache_dir: &Path, url: &str) -> PathBuf {
    let digest = Sha256::digest(url.as_bytes());
    cache_dir.join(format!("vulndb-{}", crate::fsio::hex(&digest[..8])))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

struct Cache<'a> {
    dir: PathBuf,
    url: &'a str,
    location: Location,
}

impl Cache<'_> {
    fn state(&self) -> Option<State> {
        let bytes = std::fs::read(self.dir.join("state.json")).ok()?;
        serde_json::from_slice::<State>(&bytes)
            .ok()
            .filter(|s| s.url == self.url)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.dir.join(name);
        std::fs::create_dir_all(path.parent().expect("cache files live in a directory"))?;
        crate::fsio::write_atomic(&path, bytes, crate::fsio::Durability::Replaced)
    }

    fn save(&self, state: &State) {
        let bytes = serde_json::to_vec(state).expect("the state serializes");
        if let Err(e) = self.write("state.json", &bytes) {
            ui::warn(&format!(
                "cannot write the vulnerability database's cache in {}: {e}",
                ui::shown(&self.dir)
            ));
        }
    }

    fn load(&self, refresh: bool) -> Result<Database, VulnDbError> {
        let cached = self.state();
        if let Some(state) = &cached
            && !refresh
            && now().saturating_sub(state.checked) < CHECK_EVERY.as_secs()
        {
            ui::verbose(&format!("vulndb: using the cache {}", ui::shown(&self.dir)));
            return Ok(self.entries_of(state));
        }
        match (self.update(cached.as_ref()), cached) {
            (Ok(state), _) => Ok(self.entries_of(&state)),
            // Whatever stopped the check (no network, a captive portal's page, a server
            // error), what was fetched before still answers, and says how old it is.
            (Err(e), Some(state)) => {
                let age = Duration::from_secs(now().saturating_sub(state.checked));
                ui::warn(&format!(
                    "cannot update the vulnerability database ({e}); using the copy checked {} ago (newest entry {})",
                    crate::source::godev::index::human_age(age),
                    state.modified
                ));
                Ok(self.entries_of(&state))
            }
            (Err(VulnDbError::Fetch(e)), None) if e.is_transient() || e.is_unreachable() => {
                Err(VulnDbError::Offline { source: e })
            }
            (Err(e), None) => Err(e),
        }
    }

    /// Brings the cache up to date with the database, fetching what changed.
    fn update(&self, cached: Option<&State>) -> Result<State, VulnDbError> {
        let db: DbJson =
            serde_json::from_slice(&read_index(&self.location, self.url, "index/db.json")?)
                .map_err(|e| VulnDbError::Invalid {
                    url: self.url.to_string(),
                    file: "index/db.json",
                    message: e.to_string(),
                })?;
        if let Some(state) = cached
            && state.modified == db.modified
            && state.skipped.is_empty()
        {
            let state = State {
                checked: now(),
                ..state.clone()
            };
            self.save(&state);
            return Ok(state);
        }
        let listed = go_vulns(
            &read_index(&self.location, self.url, "index/modules.json")?,
            self.url,
        )?;
        let mut state = State {
            url: self.url.to_string(),
            modified: db.modified,
            checked: now(),
            ..State::default()
        };
        let mut wanted = Vec::new();
        for (id, modified) in &listed {
            let have = cached.and_then(|s| s.vulns.get(id));
            if have == Some(modified) && self.dir.join(format!("ID/{id}.json")).is_file() {
                state.vulns.insert(id.clone(), modified.clone());
            } else {
                wanted.push((id.clone(), modified.clone()));
            }
        }
        if !wanted.is_empty() {
            ui::note(&format!(
                "fetching {} entries of the vulnerability database at {}",
                wanted.len(),
                self.url
            ));
        }
        let fetched = self.fetch_all(&wanted)?;
        for ((id, modified), result) in wanted.into_iter().zip(fetched) {
            match result {
                Ok(bytes) => match self.write(&format!("ID/{id}.json"), &bytes) {
                    Ok(()) => {
                        state.vulns.insert(id, modified);
                    }
                    Err(e) => {
                        state
                            .skipped
                            .insert(id, format!("cannot write it to the cache: {e}"));
                    }
                },
                Err(why) => {
                    state.skipped.insert(id, why);
                }
            }
        }
        self.save(&state);
        self.forget_unlisted(&state);
        Ok(state)
    }

    /// Removes the cached entries the database no longer lists (withdrawn ids, another module).
    fn forget_unlisted(&self, state: &State) {
        let Ok(files) = std::fs::read_dir(self.dir.join("ID")) else {
            return;
        };
        for file in files.flatten() {
            let name = file.file_name();
            let listed = name
                .to_str()
                .and_then(|n| n.strip_suffix(".json"))
                .is_some_and(|id| state.vulns.contains_key(id));
            if !listed {
                let _ = std::fs::remove_file(file.path());
            }
        }
    }

    /// Fetches each wanted entry, a few at a time: its checked bytes, or why it is skipped.
    /// A network failure stops the update (the cache stays as it was).
    fn fetch_all(&self, wanted: &[(String, String)]) -> Result<Vec<Fetched>, VulnDbError> {
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Fetched>>> =
            Mutex::new(wanted.iter().map(|_| None).collect());
        let failure: Mutex<Option<FetchError>> = Mutex::new(None);
        std::thread::scope(|scope| {
            for _ in 0..WORKERS.min(wanted.len()) {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((id, _)) = wanted.get(i) else { break };
                        if failure.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
                            break;
                        }
                        let result = if !osv::is_id(id) {
                            Err("its id is not a database id".to_string())
                        } else {
                            match fetch(&self.location, &format!("ID/{id}"), MAX_ENTRY_BYTES) {
                                Ok(bytes) => decode(&self.location, bytes, MAX_ENTRY_BYTES)
                                    .and_then(|json| Entry::parse(&json, id).map(|_| json)),
                                Err(e) if e.is_not_found() => Err(e.to_string()),
                                Err(e) if e.is_transient() || e.is_unreachable() => {
                                    *failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                                    break;
                                }
                                Err(e) => Err(e.to_string()),
                            }
                        };
                        results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(result);
                    }
                });
            }
        });
        if let Some(e) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
            return Err(e.into());
        }
        Ok(results
            .into_inner()
            .unwrap_or_else(|e| e.into_inner())
            .into_iter()
            .map(|r| r.expect("every entry was fetched"))
            .collect())
    }

    /// The cached entries of `state`, saying which are skipped and why.
    fn entries_of(&self, state: &State) -> Database {
        warn_skipped(
            self.url,
            state
                .skipped
                .iter()
                .map(|(id, why)| (id.as_str(), why.as_str())),
        );
        let mut entries = Vec::new();
        for id in state.vulns.keys() {
            let read = std::fs::read(self.dir.join(format!("ID/{id}.json")))
                .map_err(|e| e.to_string())
                .and_then(|bytes| Entry::parse(&bytes, id));
            match read {
                Ok(entry) => entries.push(entry),
                Err(why) => ui::warn(&format!(
                    "the cached vulnerability entry {id} in {} cannot be read ({why}); delete that directory to fetch the database again",
                    ui::shown(&self.dir)
                )),
            }
        }
        Database {
            url: ui::redacted(self.url),
            modified: Some(state.modified.clone()),
            checked: Some(Duration::from_secs(now().saturating_sub(state.checked))),
            entries,
        }
    }
}
