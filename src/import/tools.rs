//! Where other Go version managers keep their trees (`gopin import --from TOOL`), at each
//! tool's documented default and with its documented override:
//!
//! | tool | root | a tree |
//! |---|---|---|
//! | goenv | `$GOENV_ROOT`, else `~/.goenv` | `versions/<version>` |
//! | gvm | `$GVM_ROOT`, else `~/.gvm` | `gos/<name>` |
//! | asdf (asdf-golang) | `$ASDF_DATA_DIR`, else `~/.asdf` | `installs/golang/<version>/go` |
//! | mise | `$MISE_DATA_DIR`, else `$XDG_DATA_HOME/mise`, else `~/.local/share/mise` | `installs/go/<version>` |
//! | sdk (golang.org/dl) | `~/sdk` | `<go1.22.10>` |
//!
//! The directory names are only where to look: each tree is identified by what it holds.
//! Symlinks among them are the tools' aliases (mise's `1.22 -> 1.22.10`), never trees of their
//! own, and are skipped.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use crate::ui;

/// A version manager whose trees can be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Tool {
    Goenv,
    Gvm,
    Asdf,
    Mise,
    /// `golang.org/dl`'s `go1.22.10 download`, into `~/sdk`.
    Sdk,
}

impl std::fmt::Display for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tool::Goenv => "goenv",
            Tool::Gvm => "gvm",
            Tool::Asdf => "asdf",
            Tool::Mise => "mise",
            Tool::Sdk => "sdk",
        })
    }
}

/// Where a tool keeps its trees, and how that was decided (for messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The directory whose entries are versions.
    pub dir: PathBuf,
    /// Below each entry, where the GOROOT is (`go` for asdf, else the entry itself).
    pub inner: Option<&'static str>,
    /// `GOENV_ROOT`, or the default it fell back to.
    pub why: String,
}

impl Tool {
    /// Where this tool keeps its trees, given the environment and the home directory.
    pub fn place(&self, env: &dyn Fn(&str) -> Option<OsString>, home: &Path) -> Place {
        let from = |var: &str, default: PathBuf| match env(var).filter(|v| !v.is_empty()) {
            Some(v) => (PathBuf::from(v), var.to_string()),
            None => (default, format!("the default; {var} is unset")),
        };
        let (root, why) = match self {
            Tool::Goenv => from("GOENV_ROOT", home.join(".goenv")),
            Tool::Gvm => from("GVM_ROOT", home.join(".gvm")),
            Tool::Asdf => from("ASDF_DATA_DIR", home.join(".asdf")),
            Tool::Mise => match env("MISE_DATA_DIR").filter(|v| !v.is_empty()) {
                Some(v) => (PathBuf::from(v), "MISE_DATA_DIR".to_string()),
                None => {
                    let data = env("XDG_DATA_HOME")
                        .filter(|v| !v.is_empty())
                        .map(PathBuf::from)
                        .unwrap_or_else(|| home.join(".local/share"));
                    (
                        data.join("mise"),
                        "the default; MISE_DATA_DIR is unset".into(),
                    )
                }
            },
            Tool::Sdk => (home.join("sdk"), "golang.org/dl's directory".into()),
        };
        let (sub, inner) = match self {
            Tool::Goenv => ("versions", None),
            Tool::Gvm => ("gos", None),
            Tool::Asdf => ("installs/golang", Some("go")),
            Tool::Mise => ("installs/go", None),
            Tool::Sdk => ("", None),
        };
        Place {
            dir: if sub.is_empty() { root } else { root.join(sub) },
            inner,
            why,
        }
    }
}

impl Place {
    /// The trees to look at, sorted: every entry that is a directory (not a link to one).
    /// `~/sdk` holds other things too, so there only `go*` entries count.
    pub fn trees(&self, tool: Tool) -> std::io::Result<Vec<PathBuf>> {
        let mut found = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name();
            if tool == Tool::Sdk && !name.as_encoded_bytes().starts_with(b"go") {
                continue;
            }
            if !entry.file_type()?.is_dir() {
                ui::verbose(&format!(
                    "skipping {}: not a directory (an alias, or not a tree)",
                    ui::shown(&path)
                ));
                continue;
            }
            found.push(match self.inner {
                Some(inner) => path.join(inner),
                None => path,
            });
        }
        found.sort();
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tool_has_its_default_and_its_override() {
        let home = Path::new("/h");
        let none = |_: &str| None;
        let dir = |tool: Tool, env: &dyn Fn(&str) -> Option<OsString>| tool.place(env, home).dir;
        assert_eq!(dir(Tool::Goenv, &none), Path::new("/h/.goenv/versions"));
        assert_eq!(dir(Tool::Gvm, &none), Path::new("/h/.gvm/gos"));
        assert_eq!(
            dir(Tool::Asdf, &none),
            Path::new("/h/.asdf/installs/golang")
        );
        assert_eq!(
            dir(Tool::Mise, &none),
            Path::new("/h/.local/share/mise/installs/go")
        );
        assert_eq!(dir(Tool::Sdk, &none), Path::new("/h/sdk"));
        let set = |name: &'static str, value: &'static str| {
            move |n: &str| (n == name).then(|| OsString::from(value))
        };
        assert_eq!(
            dir(Tool::Goenv, &set("GOENV_ROOT", "/g")),
            Path::new("/g/versions")
        );
        assert_eq!(dir(Tool::Gvm, &set("GVM_ROOT", "/v")), Path::new("/v/gos"));
        assert_eq!(
            dir(Tool::Asdf, &set("ASDF_DATA_DIR", "/a")),
            Path::new("/a/installs/golang")
        );
        assert_eq!(
            dir(Tool::Mise, &set("MISE_DATA_DIR", "/m")),
            Path::new("/m/installs/go")
        );
        assert_eq!(
            dir(Tool::Mise, &set("XDG_DATA_HOME", "/x")),
            Path::new("/x/mise/installs/go")
        );
        assert_eq!(Tool::Asdf.place(&none, home).inner, Some("go"));
        // An empty variable is as good as unset, as the tools treat it.
        assert_eq!(
            dir(Tool::Goenv, &set("GOENV_ROOT", "")),
            Path::new("/h/.goenv/versions")
        );
    }
}
