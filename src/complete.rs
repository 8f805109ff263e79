//! What the shell completions offer where a value is expected. The shells ask gopin itself at
//! each <TAB> (clap_complete's dynamic completion, loaded by `gopin completions SHELL`), so
//! subcommands and flags come from the command line's own definition (hidden ones, such as the
//! hook's worker, are never offered) and values from the store, the cached release index and
//! the directory's selection. Nothing here touches the network or fails loudly: a problem means
//! no candidates.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::io::Write;

use clap_complete::CompletionCandidate;
use clap_complete::env::Shells;

use crate::activate::Activation;
use crate::config::Config;
use crate::fsio::is_executable;
use crate::net::Location;
use crate::platform::Platform;
use crate::resolve;
use crate::source::godev::index::{self, Index};
use crate::store::Store;
use crate::version::GoVersion;

/// The variable that makes gopin answer a completion request instead of running. Not clap's
/// default `COMPLETE`, a name another program might export.
pub const ENV_VAR: &str = "_GOPIN_COMPLETE";

/// Writes the shell code that registers the completions for `shell` (a `clap_complete`
/// shell name), calling `gopin` at the path `completer`.
pub fn write_registration(
    shell: &str,
    completer: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let shells = Shells::builtins();
    let Some(adapter) = shells.completer(shell) else {
        return Err(std::io::Error::other(format!("no completions for {shell}")));
    };
    adapter.write_registration(ENV_VAR, "gopin", "gopin", completer, out)
}

/// Installed versions, for every platform.
pub fn installed(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some((_, store)) = load() else {
        return Vec::new();
    };
    let versions = store.list().unwrap_or_default();
    spelled_like(current, versions.into_iter().map(|i| i.version))
}

/// The versions of the release index that have an archive for this host, when the index is
/// at hand without the network: a cached copy, or an index the config names as a file.
pub fn remote(current: &OsStr) -> Vec<CompletionCandidate> {
    let (Some((config, _)), Ok(host)) = (load(), Platform::host()) else {
        return Vec::new();
    };
    let Some(index) = offline_index(&config) else {
        return Vec::new();
    };
    let versions = index
        .releases
        .into_iter()
        .filter(|r| r.archive_for(&host).is_some())
        .map(|r| r.version);
    spelled_like(current, versions)
}

/// The tools of the Go this directory selects (the directory `which` resolves): its `bin/`
/// and its GOBIN, as `which` looks.
pub fn tools(current: &OsStr) -> Vec<CompletionCandidate> {
    let (Some((config, store)), Ok(host)) = (load(), Platform::host()) else {
        return Vec::new();
    };
    let Some(installed) = resolve::for_cwd(&store, &host)
        .ok()
        .and_then(|r| r.installed)
    else {
        return Vec::new();
    };
    let activation = Activation::new(&config, &store, &installed, None);
    let mut names = BTreeSet::new();
    for dir in &activation.path_front {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            if name
                .as_encoded_bytes()
                .starts_with(current.as_encoded_bytes())
                && is_executable(&entry.path())
            {
                names.insert(name);
            }
        }
    }
    names.into_iter().map(CompletionCandidate::new).collect()
}

fn load() -> Option<(Config, Store)> {
    let config = Config::load().ok()?;
    let store = Store::new(&config.home).with_system_stores(config.settings.system_stores.clone());
    Some((config, store))
}

/// The configured index if reading it needs no network: a file it names, or the newest
/// copy `install` and `ls-remote` cached (`index-<digest>.json` in the cache directory).
fn offline_index(config: &Config) -> Option<Index> {
    let url = &config.settings.index_url;
    let rules = crate::net::Rules::from_settings(&config.settings);
    let location = Location::parse(url, &rules).ok()?;
    if !location.is_remote() {
        return index::load(config, index::LoadOptions::default()).ok();
    }
    let newest = std::fs::read_dir(&config.cache_dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("index-") && name.ends_with(".json")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()?;
    let bytes = std::fs::read(newest.1).ok()?;
    Index::parse(&bytes, url).ok()
}

/// `versions`, newest first and each once, spelled as the word being completed starts
/// (`go1.22.10`, `v1.22.10` or `1.22.10`), those that continue it.
fn spelled_like(
    current: &OsStr,
    versions: impl Iterator<Item = GoVersion>,
) -> Vec<CompletionCandidate> {
    let Some(current) = current.to_str() else {
        return Vec::new();
    };
    let prefix = ["go", "v"]
        .into_iter()
        .find(|p| !current.is_empty() && (current.starts_with(p) || p.starts_with(current)))
        .unwrap_or("");
    let versions: BTreeSet<GoVersion> = versions.collect();
    versions
        .into_iter()
        .rev()
        .map(|v| {
            let name = v.to_string();
            format!("{prefix}{}", name.strip_prefix("go").unwrap_or(&name))
        })
        .filter(|word| word.starts_with(current))
        .map(CompletionCandidate::new)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(current: &str, versions: &[&str]) -> Vec<String> {
        let versions = versions.iter().map(|v| v.parse::<GoVersion>().unwrap());
        spelled_like(OsStr::new(current), versions)
            .into_iter()
            .map(|c| c.get_value().to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn versions_are_spelled_as_the_user_started() {
        let have = ["1.21.13", "1.22.10", "1.22.9", "1.22.10", "1.23rc1", "1.20"];
        assert_eq!(
            words("go1.2", &have),
            ["go1.23rc1", "go1.22.10", "go1.22.9", "go1.21.13", "go1.20"]
        );
        assert_eq!(words("1.22", &have), ["1.22.10", "1.22.9"]);
        assert_eq!(words("g", &have).len(), 5);
        assert_eq!(words("v1.21", &have), ["v1.21.13"]);
        assert_eq!(
            words("", &have).first().map(String::as_str),
            Some("1.23rc1")
        );
        assert!(words("1.19", &have).is_empty());
        assert!(words("x", &have).is_empty());
    }
}
