//! The user's home and the platform's data, cache and config directories, as the `dirs` crate
//! finds them, with two rules of gopin's own (docs/store.md, "Where things live"): a directory
//! must be absolute (a relative `$HOME` would move it with every `cd`), and a static build
//! (docs/install.md, "A static build") takes them from `$HOME` and the XDG variables alone.
//! Where gopin puts its own files inside them, and the variables that move those, is
//! `config`'s business.

use std::path::PathBuf;

/// The user's home directory. A static build takes it from `$HOME` alone: looking the user
/// up in the password database goes through glibc's NSS, which a static binary can only load
/// from the running system's own glibc. A relative `$HOME` counts as none.
pub fn home_dir() -> Option<PathBuf> {
    if nss_free() && !home_is_set() {
        return None;
    }
    dirs::home_dir().filter(|home| home.is_absolute())
}

/// The platform data directory (`~/.local/share`, `$XDG_DATA_HOME`).
pub fn data_dir() -> Option<PathBuf> {
    platform_dir("XDG_DATA_HOME", dirs::data_dir)
}

/// The platform cache directory (`~/.cache`, `$XDG_CACHE_HOME`).
pub fn cache_dir() -> Option<PathBuf> {
    platform_dir("XDG_CACHE_HOME", dirs::cache_dir)
}

/// The platform state directory (`~/.local/state`, `$XDG_STATE_HOME`); none on macOS.
pub fn state_dir() -> Option<PathBuf> {
    platform_dir("XDG_STATE_HOME", dirs::state_dir)
}

/// The platform config directory (`~/.config`, `$XDG_CONFIG_HOME`).
pub fn config_dir() -> Option<PathBuf> {
    platform_dir("XDG_CONFIG_HOME", dirs::config_dir)
}

/// Whether `$HOME` names a directory (an empty value makes `dirs` ask the password database).
pub fn home_is_set() -> bool {
    std::env::var_os("HOME").is_some_and(|home| !home.is_empty())
}

/// Whether this build must not reach glibc's NSS: a static one.
const fn nss_free() -> bool {
    cfg!(target_feature = "crt-static")
}

/// A platform directory from `dirs`, if absolute; in a static build without `$HOME`, only
/// what its XDG variable gives (as `dirs` reads it: an absolute path).
fn platform_dir(xdg: &str, dir: fn() -> Option<PathBuf>) -> Option<PathBuf> {
    if nss_free() && !home_is_set() {
        return std::env::var_os(xdg)
            .map(PathBuf::from)
            .filter(|d| d.is_absolute());
    }
    dir().filter(|d| d.is_absolute())
}
