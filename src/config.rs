//! Settings: the config file, the `GOPIN_*` environment variables that override it, and the
//! directories gopin uses.
//!
//! Every setting is a field of [`Settings`] (its config key) and one row of [`ENV_OVERRIDES`]
//! (its environment variable); nothing else defines one.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::ui::{shown, shown_bytes};
use crate::userdirs;

/// The go.dev release index with every release, including betas and release candidates.
pub const DEFAULT_INDEX_URL: &str = "https://go.dev/dl/?mode=json&include=all";
/// Where go.dev's archives live.
pub const DEFAULT_DOWNLOAD_URL: &str = "https://dl.google.com/go/";
/// Go's vulnerability database (docs/security.md, "Security status").
pub const DEFAULT_VULNDB: &str = "https://vuln.go.dev";

/// What an environment variable's text is read as: each setting's own type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// A whole number, such as seconds.
    Number,
    /// `true`/`1`/`yes`/`on` or `false`/`0`/`no`/`off`.
    Flag,
    /// Absolute paths separated by `:` as in PATH (bytes, not text: see [`system_stores`]).
    Paths,
}

/// Config key ← environment variable, and its type. The environment wins over the file.
pub const ENV_OVERRIDES: &[(&str, &str, Kind)] = &[
    ("index_url", "GOPIN_INDEX_URL", Kind::Text),
    ("download_url", "GOPIN_DOWNLOAD_URL", Kind::Text),
    ("index_ttl", "GOPIN_INDEX_TTL", Kind::Number),
    ("allow_http", "GOPIN_ALLOW_HTTP", Kind::Flag),
    ("gobin", "GOPIN_GOBIN", Kind::Text),
    ("toolchain", "GOPIN_TOOLCHAIN", Kind::Text),
    ("auto_install", "GOPIN_AUTO_INSTALL", Kind::Flag),
    ("low_speed_bytes", "GOPIN_LOW_SPEED_BYTES", Kind::Number),
    ("low_speed_secs", "GOPIN_LOW_SPEED_SECS", Kind::Number),
    ("download_timeout", "GOPIN_DOWNLOAD_TIMEOUT", Kind::Number),
    ("source", "GOPIN_SOURCE_KIND", Kind::Text),
    ("allow_unverified", "GOPIN_ALLOW_UNVERIFIED", Kind::Flag),
    ("ca_file", "GOPIN_CA_FILE", Kind::Text),
    ("vulndb", "GOPIN_VULNDB", Kind::Text),
    ("lock_platforms", "GOPIN_LOCK_PLATFORMS", Kind::Text),
    ("system_stores", "GOPIN_SYSTEM_STORE", Kind::Paths),
];

/// The config file is a few lines; anything larger is not one.
const CONFIG_LIMIT: u64 = 1024 * 1024;

/// A setting that takes one of a few words: read from a string, with an error that lists
/// the words (serde's own, for a number in place of a word, says "unit variant").
macro_rules! choice {
    ($ty:ident { $($word:literal => $variant:ident),+ $(,)? }) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let expected = concat!("one of", $(" \"", $word, "\""),+);
                match toml::Value::deserialize(d)? {
                    toml::Value::String(s) => match s.as_str() {
                        $($word => Ok($ty::$variant),)+
                        _ => Err(serde::de::Error::custom(format!("'{s}' is not {expected}"))),
                    },
                    other => Err(serde::de::Error::custom(format!(
                        "expected {expected}, found {other}"
                    ))),
                }
            }
        }
    };
}

/// Where `go install` puts binaries while a version is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GobinMode {
    /// One directory per installed version, so tools built by one Go never shadow another's.
    #[default]
    PerVersion,
    /// One directory for every version.
    Shared,
    /// Leave GOBIN alone.
    Off,
}

choice!(GobinMode { "per-version" => PerVersion, "shared" => Shared, "off" => Off });

/// Whether gopin pins `GOTOOLCHAIN=local`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ToolchainMode {
    /// `GOTOOLCHAIN=local`: the go command never fetches another toolchain.
    #[default]
    Local,
    /// Leave GOTOOLCHAIN as the user has it.
    Inherit,
}

choice!(ToolchainMode { "local" => Local, "inherit" => Inherit });

/// Where Go is installed from (see `source` and docs/sources.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceMode {
    /// The module proxy when `GOPROXY` is set to anything but Go's default, else go.dev.
    #[default]
    Auto,
    /// go.dev's index and archives (`index_url`, `download_url`).
    GoDev,
    /// The `golang.org/toolchain` module from `GOPROXY`, proved by `GOSUMDB`.
    Goproxy,
}

choice!(SourceMode { "auto" => Auto, "go.dev" => GoDev, "goproxy" => Goproxy });

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
    /// A download fails when fewer than this many bytes arrive in `low_speed_secs` (0: no
    /// floor), so a server that drips cannot hold an install (or the prompt) for hours.
    pub low_speed_bytes: u64,
    /// The window for `low_speed_bytes`, in seconds; a server that sends nothing for this long
    /// has stalled (0: wait for ever).
    pub low_speed_secs: u64,
    /// The longest one download may take in all, retries included, in seconds (0: no limit).
    pub download_timeout: u64,
    /// Where Go comes from: `"auto"`, `"go.dev"` or `"goproxy"`.
    pub source: SourceMode,
    /// Install from a module proxy even when nothing can verify the zip (`GOSUMDB=off`, a
    /// `GONOSUMDB` or `GOPRIVATE` match); such installs are recorded as unverified.
    pub allow_unverified: bool,
    /// A PEM file of extra CA certificates that gopin trusts for https, on top of the
    /// system's trust store (docs/security.md).
    pub ca_file: Option<PathBuf>,
    /// Go's vulnerability database: https, `file://` or a path for a copy, or `off`
    /// (docs/security.md, "Security status").
    pub vulndb: String,
    /// The platforms `gopin lock` locks and `lock --check` requires, `os/arch` separated by
    /// commas or spaces (`--platform` wins; default: docs/lock.md).
    pub lock_platforms: Option<String>,
    /// Stores with the store's layout, searched after the user's and never written
    /// (docs/store.md, "System stores"): absolute paths.
    pub system_stores: Vec<PathBuf>,
    /// Not a key: what chose a go.dev-style source on purpose (`GOPIN_INDEX_URL`, or
    /// `download_url in <file>`), which `source = "auto"` follows (docs/sources.md).
    #[serde(skip)]
    pub godev_chosen_by: Option<String>,
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
            low_speed_bytes: 100_000,
            low_speed_secs: 30,
            download_timeout: 3600,
            source: SourceMode::default(),
            allow_unverified: false,
            ca_file: None,
            vulndb: DEFAULT_VULNDB.to_string(),
            lock_platforms: None,
            system_stores: Vec::new(),
            godev_chosen_by: None,
        }
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("the config file {0}")]
    Read(#[from] crate::userfile::UserFileError),
    #[error(
        "the config file {} is not valid TOML: {message}; fix it, or delete it to use the defaults",
        shown(path)
    )]
    Syntax { path: PathBuf, message: String },
    #[error("invalid setting in the config file {}: {message}", shown(path))]
    Value { path: PathBuf, message: String },
    #[error("{var}={} is not valid: {message}; fix or unset {var}", shown_bytes(value.as_encoded_bytes()))]
    Variable {
        var: &'static str,
        value: OsString,
        message: String,
    },
    #[error(
        "cannot find a home directory for gopin's store: set HOME, or set GOPIN_HOME to a writable directory"
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
        let home = store_root()?;
        let cache_dir = cache_dir().unwrap_or_else(|| home.join("cache"));
        let config_file = config_file().unwrap_or_else(|| home.join("config.toml"));
        let settings = load_settings(&config_file, std::env::var_os)?;
        Ok(Config {
            settings,
            home,
            cache_dir,
            config_file,
        })
    }
}

/// `$GOPIN_CACHE_DIR`, else the platform cache directory's `gopin`.
pub fn cache_dir() -> Option<PathBuf> {
    env_path("GOPIN_CACHE_DIR").or_else(|| userdirs::cache_dir().map(|d| d.join("gopin")))
}

/// Where gopin keeps what it remembers between runs (the projects it has seen): the platform
/// state directory's `gopin` (`~/.local/state/gopin` on Linux), else `state/` in the store
/// at `home`.
pub fn state_dir(home: &Path) -> PathBuf {
    userdirs::state_dir().map_or_else(|| home.join("state"), |d| d.join("gopin"))
}

/// `$GOPIN_CONFIG`, else `gopin/config.toml` in the platform config directory.
pub fn config_file() -> Option<PathBuf> {
    env_path("GOPIN_CONFIG")
        .or_else(|| userdirs::config_dir().map(|d| d.join("gopin").join("config.toml")))
}

/// `$GOPIN_HOME` (which must be absolute) or the platform data directory: the store's directories go
/// into GOROOT and PATH, where a relative path would change meaning with every `cd`.
pub fn store_root() -> Result<PathBuf, ConfigError> {
    let home = env_path("GOPIN_HOME")
        .or_else(|| userdirs::data_dir().map(|d| d.join("gopin")))
        .ok_or_else(|| match std::env::var_os("HOME") {
            Some(home) if userdirs::home_is_set() && !Path::new(&home).is_absolute() => {
                ConfigError::Variable {
                    var: "HOME",
                    value: home,
                    message: "it is relative, so gopin's store would move with the current directory; use an absolute path, or set GOPIN_HOME".to_string(),
                }
            }
            _ => ConfigError::NoHome,
        })?;
    let bad = |message: &str| ConfigError::Variable {
        var: "GOPIN_HOME",
        value: home.clone().into_os_string(),
        message: message.to_string(),
    };
    if home.as_os_str().as_encoded_bytes().contains(&b':') {
        return Err(bad("it contains ':', which cannot be part of a PATH entry"));
    }
    // Made absolute against the current directory, a relative value would name another store
    // in every directory the shell's hook runs in (and make one there).
    if !home.is_absolute() {
        return Err(bad(
            "it is relative, so gopin's store would move with the current directory; use an absolute path",
        ));
    }
    Ok(home)
}

/// How many threads unpack an install: `GOPIN_EXTRACT_WORKERS` (for tuning and benchmarks),
/// else `default` of the number of cores.
pub fn extract_workers(default: impl FnOnce(usize) -> usize) -> usize {
    std::env::var("GOPIN_EXTRACT_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n >= 1)
        .unwrap_or_else(|| default(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Reads `path` (if present), lays the environment over it and checks the result. An error
/// names where the bad value came from: the file, or the variable.
fn load_settings(
    path: &Path,
    env: impl Fn(&'static str) -> Option<OsString>,
) -> Result<Settings, ConfigError> {
    if path.is_dir() {
        return Err(ConfigError::Syntax {
            path: path.to_path_buf(),
            message: "it is a directory, not a file (GOPIN_CONFIG names the file itself)".into(),
        });
    }
    let mut table = match crate::userfile::read(path, CONFIG_LIMIT)? {
        None => toml::Table::new(),
        Some(bytes) => String::from_utf8_lossy(&bytes)
            .parse::<toml::Table>()
            .map_err(|e| ConfigError::Syntax {
                path: path.to_path_buf(),
                message: e.message().to_string(),
            })?,
    };
    let file_error = |e: toml::de::Error| ConfigError::Value {
        path: path.to_path_buf(),
        message: e.message().to_string(),
    };
    let from_file = Settings::deserialize(toml::Value::Table(table.clone())).map_err(file_error)?;
    let mut system_stores = system_stores(from_file.system_stores.into_iter().map(Into::into))
        .map_err(|message| ConfigError::Value {
            path: path.to_path_buf(),
            message: format!("system_stores: {message}"),
        })?;
    for &(key, var, kind) in ENV_OVERRIDES {
        let Some(raw) = env(var).filter(|v| !v.is_empty()) else {
            continue;
        };
        let bad = |message: String| ConfigError::Variable {
            var,
            value: raw.clone(),
            message,
        };
        if kind == Kind::Paths {
            system_stores = system_stores_var(&raw).map_err(bad)?;
            continue;
        }
        let text = raw
            .to_str()
            .ok_or_else(|| bad("it is not valid UTF-8".into()))?;
        let value = env_value(text, kind).map_err(bad)?;
        // Checked alone, so an error names this variable and nothing else.
        let alone = toml::Table::from_iter([(key.to_string(), value.clone())]);
        Settings::deserialize(toml::Value::Table(alone)).map_err(|e| bad(e.message().into()))?;
        table.insert(key.to_string(), value);
    }
    let mut settings =
        Settings::deserialize(toml::Value::Table(table.clone())).map_err(file_error)?;
    settings.system_stores = system_stores;
    settings.godev_chosen_by = GODEV_KEYS.iter().find_map(|&(key, var)| {
        if env(var).is_some_and(|v| !v.is_empty()) {
            Some(var.to_string())
        } else {
            table
                .contains_key(key)
                .then(|| format!("{key} in {}", shown(path)))
        }
    });
    Ok(settings)
}

/// `GOPIN_SYSTEM_STORE`'s paths, split as PATH is (never through text: a path need not be
/// UTF-8); empty entries are skipped.
fn system_stores_var(raw: &std::ffi::OsStr) -> Result<Vec<PathBuf>, String> {
    system_stores(std::env::split_paths(raw).map(PathBuf::into_os_string))
}

/// The system stores as given, checked: each absolute (its directories go into GOROOT and
/// PATH), without ':' (which no PATH entry can hold), and each once.
fn system_stores(paths: impl Iterator<Item = OsString>) -> Result<Vec<PathBuf>, String> {
    let mut stores: Vec<PathBuf> = Vec::new();
    for path in paths.filter(|p| !p.is_empty()).map(PathBuf::from) {
        if !path.is_absolute() {
            return Err(format!(
                "{} is relative: a system store must be an absolute path",
                shown(&path)
            ));
        }
        if path.as_os_str().as_encoded_bytes().contains(&b':') {
            return Err(format!(
                "{} contains ':', which cannot be part of a PATH entry",
                shown(&path)
            ));
        }
        if !stores.contains(&path) {
            stores.push(path);
        }
    }
    Ok(stores)
}

/// The settings that name a go.dev-style source (a mirror of go.dev's index and archives),
/// with their variables: setting either is choosing that source.
const GODEV_KEYS: &[(&str, &str)] = &[
    ("index_url", "GOPIN_INDEX_URL"),
    ("download_url", "GOPIN_DOWNLOAD_URL"),
];

/// An environment value as the TOML value of its setting's type.
fn env_value(raw: &str, kind: Kind) -> Result<toml::Value, String> {
    let raw = raw.trim();
    match kind {
        Kind::Text => Ok(toml::Value::String(raw.to_string())),
        Kind::Number => raw
            .parse::<u32>()
            .map(|n| toml::Value::Integer(n.into()))
            .map_err(|_| "expected a whole number such as 3600".to_string()),
        Kind::Paths => Ok(toml::Value::Array(
            std::env::split_paths(raw)
                .map(|p| toml::Value::String(p.to_string_lossy().into_owned()))
                .collect(),
        )),
        Kind::Flag => match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(toml::Value::Boolean(true)),
            "false" | "0" | "no" | "off" => Ok(toml::Value::Boolean(false)),
            _ => Err("expected true or false (also 1/0, yes/no, on/off)".to_string()),
        },
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
        let s = load_settings(&path, |var| (var == "GOPIN_GOBIN").then(|| "off".into())).unwrap();
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
    fn variables_parse_as_their_settings_type_and_errors_name_them() {
        let none = Path::new("/nonexistent/gopin.toml");
        for (ttl, want) in [("0", 0), ("1", 1), ("60", 60), (" 3600 ", 3600)] {
            let s = load_settings(none, |v| (v == "GOPIN_INDEX_TTL").then(|| ttl.into())).unwrap();
            assert_eq!(s.index_ttl, want);
        }
        for (var, value) in [
            ("GOPIN_INDEX_TTL", "soon"),
            ("GOPIN_INDEX_TTL", "-1"),
            ("GOPIN_AUTO_INSTALL", "maybe"),
            ("GOPIN_GOBIN", "everywhere"),
            ("GOPIN_TOOLCHAIN", "5"),
            ("GOPIN_SOURCE_KIND", "github"),
            ("GOPIN_ALLOW_UNVERIFIED", "sure"),
        ] {
            let err = load_settings(none, |v| (v == var).then(|| value.into()))
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!("{var}={value} is not valid")),
                "{err}"
            );
            assert!(!err.contains("gopin.toml"), "{err}");
        }
        let s = load_settings(none, |v| (v == "GOPIN_INDEX_URL").then(|| "1".into())).unwrap();
        assert_eq!(s.index_url, "1", "a text setting keeps digits as text");
        let s = load_settings(none, |v| (v == "GOPIN_AUTO_INSTALL").then(|| "1".into())).unwrap();
        assert!(s.auto_install);
        let s = load_settings(none, |v| match v {
            "GOPIN_SOURCE_KIND" => Some("go.dev".into()),
            "GOPIN_ALLOW_UNVERIFIED" => Some("yes".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.source, SourceMode::GoDev);
        assert!(s.allow_unverified);
    }

    #[test]
    fn wrong_types_in_the_file_say_what_is_expected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "toolchain = 5\n").unwrap();
        let err = load_settings(&path, |_| None).unwrap_err().to_string();
        assert!(
            err.contains("config.toml") && err.contains("local"),
            "{err}"
        );
        assert!(!err.contains("unit variant"), "{err}");
    }

    #[test]
    fn system_stores_come_from_the_file_or_the_variable_as_paths() {
        use std::os::unix::ffi::OsStringExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "system_stores = [\"/opt/gopin\", \"/srv/go\"]\n").unwrap();
        let s = load_settings(&path, |_| None).unwrap();
        assert_eq!(
            s.system_stores,
            [PathBuf::from("/opt/gopin"), PathBuf::from("/srv/go")]
        );
        // The variable wins, split like PATH, and keeps bytes that are not UTF-8.
        let raw = OsString::from_vec(b"/mnt/a\xff::/opt/gopin".to_vec());
        let s = load_settings(&path, |v| (v == "GOPIN_SYSTEM_STORE").then(|| raw.clone())).unwrap();
        assert_eq!(
            s.system_stores,
            [
                PathBuf::from(OsString::from_vec(b"/mnt/a\xff".to_vec())),
                PathBuf::from("/opt/gopin")
            ]
        );
        let err = load_settings(&path, |v| {
            (v == "GOPIN_SYSTEM_STORE").then(|| "relative/store".into())
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("GOPIN_SYSTEM_STORE=relative/store is not valid"),
            "{err}"
        );
        std::fs::write(&path, "system_stores = [\"opt\"]\n").unwrap();
        let err = load_settings(&path, |_| None).unwrap_err().to_string();
        assert!(
            err.contains("config.toml") && err.contains("relative"),
            "{err}"
        );
    }

    #[test]
    fn missing_file_means_defaults() {
        let s = load_settings(Path::new("/nonexistent/gopin.toml"), |_| None).unwrap();
        assert_eq!(s.index_url, DEFAULT_INDEX_URL);
        assert!(!s.auto_install);
        assert_eq!(s.source, SourceMode::Auto);
        assert!(!s.allow_unverified);
    }
}
