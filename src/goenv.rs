//! Go's own settings (`GOWORK`, `GOPROXY`, `GOSUMDB`, `GOTOOLCHAIN`, …) as the go command
//! would see them, read without running `go`: a non-empty value in the environment wins, else
//! the go env file that `go env -w` writes. (`$GOROOT/go.env` comes last for `go`; gopin uses
//! Go's published defaults in its place, as each caller knows them.)

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use crate::userfile;

/// Go's env file is a few lines; anything larger is not one.
const ENV_FILE_LIMIT: u64 = 256 * 1024;

/// Reads Go settings from an environment and Go's env file.
pub struct GoEnv<'a> {
    env: &'a dyn Fn(&str) -> Option<OsString>,
}

impl<'a> GoEnv<'a> {
    /// Over `env` (the process environment, or a test's).
    pub fn new(env: &'a dyn Fn(&str) -> Option<OsString>) -> GoEnv<'a> {
        GoEnv { env }
    }

    /// The value `go` would use for `name`, if any is set (the built-in default aside).
    #[allow(dead_code)] // the selection reads GOWORK through it next
    pub fn get(&self, name: &str) -> Option<OsString> {
        if let Some(v) = (self.env)(name).filter(|v| !v.is_empty()) {
            return Some(v);
        }
        self.in_file(name).filter(|v| !v.is_empty())
    }

    /// `name` from the environment alone (for variables `go env -w` does not write, such as
    /// `NETRC`).
    pub fn var(&self, name: &str) -> Option<OsString> {
        (self.env)(name)
    }

    /// The value the env file sets for `name` (what `go env -w` wrote), if it sets one.
    pub fn in_file(&self, name: &str) -> Option<OsString> {
        let file = self.file()?;
        let bytes = match userfile::read(&file, ENV_FILE_LIMIT) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return None,
            Err(e) => {
                crate::ui::verbose(&format!("ignoring Go's env file: {e}"));
                return None;
            }
        };
        // The last assignment wins, as when `go` reads the file into a map.
        bytes
            .split(|&b| b == b'\n')
            .filter_map(|line| {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let eq = line.iter().position(|&b| b == b'=')?;
                (&line[..eq] == name.as_bytes())
                    .then(|| OsString::from_vec(line[eq + 1..].to_vec()))
            })
            .next_back()
    }

    /// Go's env file: `$GOENV` (`off`: none), else `go/env` in the user config directory
    /// (`$XDG_CONFIG_HOME` or `~/.config` on Linux, `~/Library/Application Support` on macOS).
    pub fn file(&self) -> Option<PathBuf> {
        if let Some(v) = (self.env)("GOENV").filter(|v| !v.is_empty()) {
            return (v != "off").then(|| PathBuf::from(v));
        }
        let config = if cfg!(target_os = "macos") {
            (self.env)("HOME").map(|h| PathBuf::from(h).join("Library/Application Support"))
        } else {
            (self.env)("XDG_CONFIG_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| (self.env)("HOME").map(|h| PathBuf::from(h).join(".config")))
        };
        config.filter(|d| d.is_absolute()).map(|d| d.join("go/env"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn environment_then_env_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("env");
        std::fs::write(
            &file,
            "GOPROXY=https://goproxy.cn,direct\nGOWORK=off\r\nGOWORK=/w/go.work\nJUNK\n",
        )
        .unwrap();
        let mut vars: HashMap<&str, OsString> = HashMap::new();
        vars.insert("GOENV", file.clone().into());
        vars.insert("GOSUMDB", "".into());
        vars.insert("GOTOOLCHAIN", "local".into());
        let lookup = |n: &str| vars.get(n).cloned();
        let go = GoEnv::new(&lookup);
        assert_eq!(go.get("GOPROXY").unwrap(), "https://goproxy.cn,direct");
        assert_eq!(go.get("GOWORK").unwrap(), "/w/go.work");
        assert_eq!(go.get("GOTOOLCHAIN").unwrap(), "local");
        assert_eq!(go.get("GOSUMDB"), None);
        assert_eq!(go.in_file("GOTOOLCHAIN"), None);
    }

    #[test]
    fn env_file_location() {
        let vars: HashMap<&str, OsString> =
            HashMap::from([("HOME", "/home/u".into()), ("XDG_CONFIG_HOME", "".into())]);
        let lookup = |n: &str| vars.get(n).cloned();
        let want = if cfg!(target_os = "macos") {
            "/home/u/Library/Application Support/go/env"
        } else {
            "/home/u/.config/go/env"
        };
        assert_eq!(GoEnv::new(&lookup).file().unwrap(), PathBuf::from(want));
        let off = |n: &str| (n == "GOENV").then(|| OsString::from("off"));
        assert_eq!(GoEnv::new(&off).file(), None);
    }
}
