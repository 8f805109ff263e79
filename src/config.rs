//! Settings: the config file, the `GOPIN_*` environment variables that override it, and the
//! directories gopin uses.
//!
//! Every setting is a field of [`Settings`] (its config key) and one row of [`ENV_OVERRIDES`]
//! (its environment variable); nothing else defines one.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

/// The go.dev release index with every release, including betas and release candidates.
pub const DEFAULT_INDEX_URL: &str = "https://go.dev/dl/?mode=json&include=all";
/// Where go.dev's archives live.
pub const DEFAULT_DOWNLOAD_URL: &str = "https://dl.google.com/go/";

/// Config key ← environment variable. The environment wins over the file.
pub const ENV_OVERRIDES: &[(&str, &str)] = &[
    ("index_url", "GOPIN_INDEX_URL"),
    ("download_url", "GOPIN_DOWNLOAD_URL"),
    ("index_ttl", "GOPIN_INDEX_TTL"),
    ("allow_http", "GOPIN_ALLOW_HTTP"),
    ("gobin", "GOPIN_GOBIN"),
    ("toolchain", "GOPIN_TOOLCHAIN"),
    ("auto_install", "GOPIN_AUTO_INSTALL"),
];

/// Where `go install` puts binaries while a version is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum GobinMode {
    /// One directory per installed version, so tools built by one Go never shadow another's.
    #[default]
    PerVersion,
    /// One directory for every version.
    Shared,
    /// Leave GOBIN alone.
    Off,
}

/// Whether gopin pins `GOTOOLCHAIN=local`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ToolchainMode {
    /// `GOTOOLCHAIN=local`: the go command never fetches another toolchain.
    #[default]
    Local,
    /// Leave GOTOOLCHAIN as the user has it.
    Inherit,
}

/// The user-tunable settings, as keys of `config.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The release index: https, http (loopback, or with `allow_http`), `file://` or a path.
    pub index_url: String,
    /// The base the archive file names are appended to; same schemes as `index_url`.
    pub download_url: String,
    /// How long a fetched index is reused before it is fetched again, in seconds.
    pub index_ttl: u64,
    /// Allow plain http to hosts other than loopback (checksums still come from the index).
    pub allow_http: bool,
    pub gobin: GobinMode,
    pub toolchain: ToolchainMode,
    /// Let the shell hook install a pinned version that is missing.
    pub auto_install: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            index_url: DEFAULT_INDEX_URL.to_string(),
            download_url: DEFAULT_DOWNLOAD_URL.to_string(),
            index_ttl: 3600,
            allow_http: false,
            gobin: GobinMode::default(),
            toolchain: ToolchainMode::default(),
            auto_install: false,
        }
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("invalid setting (from {path} or a GOPIN_* variable): {message}")]
    Value { path: PathBuf, message: String },
    #[error(
        "cannot find a home directory for gopin's store: set GOPIN_HOME to a writable directory"
    )]
    NoHome,
}

/// Resolved settings and directories for one gopin run.
#[derive(Debug, Clone)]
pub struct Config {
    pub settings: Settings,
    /// The store root: `$GOPIN_HOME`, else the platform data dir.
    pub home: PathBuf,
    /// Where fetched indexes are cached.
    pub cache_dir: PathBuf,
    /// The config file (which may not exist).
    pub config_file: PathBuf,
}

impl Config {
    /// Loads the config file and applies environment overrides.
    pub fn load() -> Result<Config, ConfigError> {
        let home = env_path("GOPIN_HOME")
            .or_else(|| dirs::data_dir().map(|d| d.join("gopin")))
            .ok_or(ConfigError::NoHome)?;
        let cache_dir = env_path("GOPIN_CACHE_DIR")
            .or_else(|| dirs::cache_dir().map(|d| d.join("gopin")))
            .unwrap_or_else(|| home.join("cache"));
        let config_file = env_path("GOPIN_CONFIG")
            .or_else(|| dirs::config_dir().map(|d| d.join("gopin").join("config.toml")))
            .unwrap_or_else(|| home.join("config.toml"));
        let settings = load_settings(&config_file, |name| std::env::var(name).ok())?;
        Ok(Config {
            settings,
            home,
            cache_dir,
            config_file,
        })
    }
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Reads `path` (if present), lays the environment over it and checks the result.
fn load_settings(
    path: &Path,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Settings, ConfigError> {
    let mut table = match std::fs::read_to_string(path) {
        Ok(text) => text
            .parse::<toml::Table>()
            .map_err(|e| ConfigError::Syntax {
                path: path.to_path_buf(),
                message: e.message().to_string(),
            })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    for (key, var) in ENV_OVERRIDES {
        if let Some(value) = env(var).filter(|v| !v.is_empty()) {
            table.insert(key.to_string(), env_value(&value));
        }
    }
    Settings::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::Value {
        path: path.to_path_buf(),
        message: e.message().to_string(),
    })
}

/// Reads an environment value as the TOML scalar it spells (`true`, `3600`), else a string.
fn env_value(raw: &str) -> toml::Value {
    match raw {
        "true" | "1" | "yes" => return toml::Value::Boolean(true),
        "false" | "0" | "no" => return toml::Value::Boolean(false),
        _ => {}
    }
    match raw.parse::<i64>() {
        Ok(n) => toml::Value::Integer(n),
        Err(_) => toml::Value::String(raw.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "index_url = \"file:///srv/index.json\"\ngobin = \"shared\"\nindex_ttl = 60\n",
        )
        .unwrap();
        let s = load_settings(&path, |var| {
            (var == "GOPIN_GOBIN").then(|| "off".to_string())
        })
        .unwrap();
        assert_eq!(s.index_url, "file:///srv/index.json");
        assert_eq!(s.gobin, GobinMode::Off);
        assert_eq!(s.index_ttl, 60);
        assert_eq!(s.toolchain, ToolchainMode::Local);
    }

    #[test]
    fn unknown_keys_and_values_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "gobin = \"everywhere\"\n").unwrap();
        let err = load_settings(&path, |_| None).unwrap_err().to_string();
        assert!(
            err.contains("config.toml") && err.contains("everywhere"),
            "{err}"
        );
        std::fs::write(&path, "indexurl = \"x\"\n").unwrap();
        let err = load_settings(&path, |_| None).unwrap_err().to_string();
        assert!(err.contains("indexurl"), "{err}");
    }

    #[test]
    fn missing_file_means_defaults() {
        let s = load_settings(Path::new("/nonexistent/gopin.toml"), |_| None).unwrap();
        assert_eq!(s.index_url, DEFAULT_INDEX_URL);
        assert!(!s.auto_install);
    }
}
