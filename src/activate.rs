//! From an installed Go to the environment it needs (README, "What the hook sets"; docs/shell.md), and the edits to `PATH`. The
//! hook, `env`, `exec`, `which` and the doctor all build the environment here.
//!
//! Values are bytes (`OsString`), never text: a `PATH` entry that is not UTF-8 is the user's
//! and survives every edit untouched.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use crate::config::{Config, GobinMode, ToolchainMode};
use crate::store::{Installed, Store};

/// The variables gopin sets while a version is active (PATH is handled apart).
pub const MANAGED_VARS: [&str; 5] = [
    "GOROOT",
    "GOBIN",
    "GOTOOLCHAIN",
    "GOPIN_VERSION",
    "GOPIN_SOURCE",
];

/// What activating a version sets: each managed variable's new value (`None`: leave it as
/// the user has it), and the directories to put at the front of PATH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activation {
    pub vars: Vec<(&'static str, Option<OsString>)>,
    pub path_front: Vec<PathBuf>,
}

impl Activation {
    /// The environment for `installed`, selected by `source` (if a file selected it).
    pub fn new(
        config: &Config,
        store: &Store,
        installed: &Installed,
        source: Option<&Path>,
    ) -> Activation {
        let goroot = installed.goroot();
        let gobin = match config.settings.gobin {
            GobinMode::PerVersion => Some(installed.gobin()),
            GobinMode::Shared => Some(store.shared_gobin()),
            GobinMode::Off => None,
        };
        let mut vars = vec![("GOROOT", Some(goroot.clone().into_os_string()))];
        if let Some(dir) = &gobin {
            vars.push(("GOBIN", Some(dir.clone().into_os_string())));
        }
        if config.settings.toolchain == ToolchainMode::Local {
            vars.push(("GOTOOLCHAIN", Some("local".into())));
        }
        vars.push(("GOPIN_VERSION", Some(installed.version.to_string().into())));
        vars.push(("GOPIN_SOURCE", source.map(|s| s.as_os_str().to_owned())));
        let mut path_front = vec![goroot.join("bin")];
        path_front.extend(gobin);
        Activation { vars, path_front }
    }

    /// What `system` applies (docs/selection.md): nothing of gopin's. Its variables are
    /// removed where they hold gopin's values (a store path, `GOPIN_*`) and left as they are
    /// otherwise; nothing goes in front of PATH.
    pub fn system(store: &Store, env: &dyn Fn(&str) -> Option<OsString>) -> Activation {
        let vars = MANAGED_VARS
            .iter()
            .map(|&name| {
                let now = env(name).filter(|v| !v.is_empty());
                let keep = match name {
                    "GOPIN_VERSION" | "GOPIN_SOURCE" => None,
                    "GOROOT" | "GOBIN" => now.filter(|v| !store.owns_path_entry(Path::new(v))),
                    _ => now,
                };
                (name, keep)
            })
            .collect();
        Activation {
            vars,
            path_front: Vec::new(),
        }
    }

    /// The guard's environment, for a directory whose selection cannot run: the guard's
    /// `go` and `gofmt` (see [`Store::guard_dir`]) lead PATH, and nothing points at a Go:
    /// GOROOT, GOPIN_VERSION and GOPIN_SOURCE are unset (and given back on leaving), the
    /// other variables are the user's.
    pub fn guard(store: &Store) -> Activation {
        Activation {
            vars: vec![
                ("GOROOT", None),
                ("GOPIN_VERSION", None),
                ("GOPIN_SOURCE", None),
            ],
            path_front: vec![store.guard_dir()],
        }
    }

    /// Whether this is the guard's environment.
    pub fn is_guard(&self, store: &Store) -> bool {
        self.path_front == [store.guard_dir()]
    }

    /// The value this activation gives `name`, if it sets one.
    pub fn get(&self, name: &str) -> Option<&OsStr> {
        self.vars
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// `PATH` with `remove` taken out and this activation's directories put in front.
    pub fn path_with(&self, current: Option<&OsStr>, remove: &[PathBuf]) -> OsString {
        let mut entries = self.path_front.clone();
        entries.extend(strip_path(current, remove));
        join_path(&entries)
    }
}

/// The entries of a PATH value, in order. Empty entries (which mean the current directory)
/// are kept; an unset or empty PATH has no entries.
pub fn split_path(path: Option<&OsStr>) -> Vec<PathBuf> {
    match path {
        None => Vec::new(),
        Some(p) if p.is_empty() => Vec::new(),
        Some(p) => p
            .as_bytes()
            .split(|&b| b == b':')
            .map(|e| PathBuf::from(OsStr::from_bytes(e)))
            .collect(),
    }
}

/// Joins PATH entries with `:`, byte for byte.
pub fn join_path(entries: &[PathBuf]) -> OsString {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b':');
        }
        out.extend_from_slice(e.as_os_str().as_bytes());
    }
    OsString::from_vec(out)
}

/// The entries of `path` that gopin put there: those in `added` (the hook's record), and any
/// inside the store (from an earlier `eval "$(gopin env)"`, say, or a shell that inherited
/// them).
pub fn gopin_path_entries(path: Option<&OsStr>, store: &Store, added: &[PathBuf]) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = added.to_vec();
    found.extend(
        split_path(path)
            .into_iter()
            .filter(|p| store.owns_path_entry(p)),
    );
    found
}

/// PATH entries of `current` that are not in `remove`, in order (empty entries, which mean
/// the current directory, are the user's and stay).
pub fn strip_path(current: Option<&OsStr>, remove: &[PathBuf]) -> Vec<PathBuf> {
    split_path(current)
        .into_iter()
        .filter(|e| e.as_os_str().is_empty() || !remove.iter().any(|r| e == r))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(s: &[u8]) -> &OsStr {
        OsStr::from_bytes(s)
    }

    #[test]
    fn path_edits_keep_the_users_entries_in_order() {
        let act = Activation {
            vars: vec![],
            path_front: vec!["/s/go1.22/go/bin".into(), "/s/go1.22/gobin".into()],
        };
        let old = vec![
            PathBuf::from("/s/go1.21/go/bin"),
            PathBuf::from("/s/go1.21/gobin"),
        ];
        assert_eq!(
            act.path_with(
                Some(os(b"/s/go1.21/go/bin:/s/go1.21/gobin:/usr/bin:/home/u/bin")),
                &old
            ),
            "/s/go1.22/go/bin:/s/go1.22/gobin:/usr/bin:/home/u/bin"
        );
        assert_eq!(
            join_path(&strip_path(Some(os(b"/a::/b:/c")), &["/b".into()])),
            "/a::/c"
        );
        assert!(strip_path(Some(os(b"")), &[]).is_empty());
        assert!(strip_path(None, &[]).is_empty());
        assert_eq!(act.path_with(None, &[]), "/s/go1.22/go/bin:/s/go1.22/gobin");
    }

    #[test]
    fn entries_that_are_not_utf8_survive_byte_for_byte() {
        let act = Activation {
            vars: vec![],
            path_front: vec!["/s/go/bin".into()],
        };
        let path = os(b"/usr/bin:/bin:/opt/\xffbin");
        let new = act.path_with(Some(path), &[]);
        assert_eq!(new.as_bytes(), b"/s/go/bin:/usr/bin:/bin:/opt/\xffbin");
        let back = join_path(&strip_path(Some(&new), &["/s/go/bin".into()]));
        assert_eq!(back, path);
    }
}
