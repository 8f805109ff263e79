//! Pin files: the files a user writes to pin a directory's Go (docs/selection.md, "1. Pin
//! files pick"). This module owns everything about them:
//! - [`PIN_FILES`], the one ordered list of their names and formats, which the selection
//!   walks, `gopin use` looks through, the hook watches, and the man page and the docs
//!   repeat (a test below holds the docs to it);
//! - reading each format ([`read_pin`], in `read.rs`);
//! - the symlink rule: a pin file is read or written through a link only while the link stays
//!   inside its project ([`pin_target`]; docs/security.md, "Symlinked pin files");
//! - editing them in place, every other byte kept, and reading the edit back ([`write_pin`],
//!   [`unset`], in `edit.rs`; docs/selection.md, "Editing pin files").
//!
//! Go's own files (go.mod, go.work) are not pin files: the selection reads them.

mod edit;
mod read;

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::ui::shown;
use crate::userfile;
use crate::version::VersionSpec;

pub use edit::{Unset, pin_text, unset, write_pin};
pub use read::{MANIFEST_LIMIT, read_pin, read_text};

/// The format a pin file is read and edited in, and how far it is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinKind {
    /// `.go-version` (goenv's).
    GoVersion,
    /// `.tool-versions` (asdf's).
    ToolVersions,
    /// `mise.toml` and the other names mise reads its project config from.
    Mise,
    /// The user default (`gopin use --global`): `.go-version`'s format, in the user's own
    /// directory, so a symlink there is followed without the project check.
    Default,
}

/// Pin files, in precedence order within one directory, as the peers order them
/// (docs/selection.md): mise's files first, in mise's own order (its `.local` files over
/// its project files, the dotted name over the plain one, `.config/mise.toml` last); then
/// asdf's `.tool-versions`, which asdf reads before legacy files and mise ranks below its
/// own; `.go-version` (goenv's, and a legacy file for asdf and mise) last.
pub const PIN_FILES: [(&str, PinKind); 7] = [
    (".mise.local.toml", PinKind::Mise),
    ("mise.local.toml", PinKind::Mise),
    (".mise.toml", PinKind::Mise),
    ("mise.toml", PinKind::Mise),
    (".config/mise.toml", PinKind::Mise),
    (".tool-versions", PinKind::ToolVersions),
    (".go-version", PinKind::GoVersion),
];

/// The file `gopin use` creates where no pin file pins Go.
pub const NEW_PIN_FILE: (&str, PinKind) = (".go-version", PinKind::GoVersion);

/// The pin file in `dir` that pins Go (the first of [`PIN_FILES`] that does), else a new
/// [`NEW_PIN_FILE`] there. A file that exists but does not pin Go (a `.tool-versions`
/// without golang) is not it; a pin file that is a symlink out of the project is refused,
/// not passed over for another file.
pub fn pinning_file(dir: &Path) -> Result<(PathBuf, PinKind), FileError> {
    for (name, kind) in PIN_FILES {
        let path = dir.join(name);
        match read_pin(&path, kind) {
            Ok(Some(_)) => return Ok((path, kind)),
            Err(e @ FileError::LinkOutside { .. }) => return Err(e),
            _ => {}
        }
    }
    let (name, kind) = NEW_PIN_FILE;
    Ok((dir.join(name), kind))
}

/// What a pin file says: a version, or `system` (the Go already on PATH, with nothing of
/// gopin's applied), as goenv, asdf and mise accept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pinned {
    Version(VersionSpec),
    System,
}

impl Pinned {
    fn parse(token: &str) -> Result<Pinned, crate::version::ParseVersionError> {
        if token == "system" {
            return Ok(Pinned::System);
        }
        token.parse().map(Pinned::Version)
    }
}

/// A version file that cannot be used: a pin file, or Go's go.mod and go.work, which the
/// selection reads with [`read_text`].
#[derive(Debug, Error, PartialEq, Eq)]
pub enum FileError {
    #[error("{}{}: {problem}; fix or delete the file", shown(path), line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        problem: String,
    },
    #[error(transparent)]
    Unreadable(#[from] userfile::UserFileError),
    /// A pin file that is a symlink leading out of its project (docs/security.md).
    #[error(
        "{} is a symlink to {}, outside the project {}: gopin neither reads a version through it nor writes through it; replace the link with a regular file",
        shown(link),
        shown(target),
        shown(project)
    )]
    LinkOutside {
        link: PathBuf,
        target: PathBuf,
        project: PathBuf,
    },
}

impl FileError {
    /// The file the problem is in.
    pub fn path(&self) -> &Path {
        match self {
            FileError::Invalid { path, .. } => path,
            FileError::Unreadable(e) => e.path(),
            FileError::LinkOutside { link, .. } => link,
        }
    }
}

/// A problem with the content of the file at `path` (at `line`, counted from 1).
pub fn invalid(path: &Path, line: Option<usize>, problem: impl Into<String>) -> FileError {
    FileError::Invalid {
        path: path.to_path_buf(),
        line,
        problem: problem.into(),
    }
}

/// The directory a pin file at `path` belongs to: its own, or for mise's `.config/mise.toml`
/// the one holding `.config`.
fn pin_dir(path: &Path) -> &Path {
    let parent = path.parent().unwrap_or(Path::new("/"));
    if path.ends_with(".config/mise.toml") {
        parent.parent().unwrap_or(parent)
    } else {
        parent
    }
}

/// The project a pin file in `dir` belongs to: the repository it was checked out in (the
/// nearest directory at or above `dir` holding a `.git`), else the nearest workspace (`go.work`),
/// else the nearest module (`go.mod`), else `dir` itself. The repository comes first because it
/// is what came from one source: its modules may share one pin through links.
fn project_of(dir: &Path) -> PathBuf {
    let nearest = |name: &str| {
        dir.ancestors()
            .find(|d| std::fs::symlink_metadata(d.join(name)).is_ok())
    };
    nearest(".git")
        .or_else(|| nearest("go.work"))
        .or_else(|| nearest("go.mod"))
        .unwrap_or(dir)
        .to_path_buf()
}

/// The file that reading or writing the pin file at `path` really touches: `path` itself,
/// or where a symlink on the way (the file, or mise's `.config`) leads, which must stay
/// inside the project ([`project_of`]); a link leading out of it is refused, naming the link
/// and its target (docs/security.md, "Symlinked pin files"). The user default is the
/// user's own and is not checked.
pub fn pin_target(path: &Path) -> Result<PathBuf, FileError> {
    let dir = pin_dir(path);
    let is_link = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    let rel = path.strip_prefix(dir).unwrap_or(path);
    let linked = rel
        .ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| is_link(&dir.join(a)));
    let Some(first_link) = linked else {
        return Ok(path.to_path_buf());
    };
    let link = dir.join(first_link);
    // Where it leads: the real path, or for a dangling link (which a write would create)
    // its parent's real path and its name.
    let target = std::fs::canonicalize(path).or_else(|_| {
        let hop = std::fs::read_link(path).unwrap_or_else(|_| path.to_path_buf());
        let hop = path.parent().unwrap_or(dir).join(hop);
        let name = hop
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        hop.parent()
            .and_then(|p| std::fs::canonicalize(p).ok())
            .map(|p| p.join(name))
            .ok_or(hop)
    });
    let project = project_of(dir);
    let real_project = std::fs::canonicalize(&project).unwrap_or_else(|_| project.clone());
    match target {
        Ok(target) if target.starts_with(&real_project) => Ok(target),
        Ok(target) | Err(target) => Err(FileError::LinkOutside {
            link,
            target,
            project,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_doc(rel: &str) -> String {
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
    }

    /// The words of `text`: runs of what a file name may hold, so `mise.toml` is not found
    /// inside `.config/mise.toml`.
    fn words(text: &str) -> Vec<&str> {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || "._/-".contains(c)))
            .map(|w| w.trim_end_matches('.'))
            .filter(|w| !w.is_empty())
            .collect()
    }

    /// `names` occur among the words of `text`, in this order.
    fn assert_names_in_order<'a>(doc: &str, text: &str, names: impl IntoIterator<Item = &'a str>) {
        let words = words(text);
        let mut at = 0;
        for name in names {
            match words[at..].iter().position(|w| *w == name) {
                Some(i) => at += i + 1,
                None => panic!(
                    "{doc} does not name the pin file {name} where pinfile::PIN_FILES has it: keep it in step with the list"
                ),
            }
        }
    }

    fn pin_names() -> impl Iterator<Item = &'static str> {
        PIN_FILES.iter().map(|(name, _)| *name)
    }

    /// Every prose copy of [`PIN_FILES`] names every pin file, in the list's order: a name
    /// added to the list and forgotten in a doc fails here.
    #[test]
    fn every_copy_of_the_list_names_every_pin_file_in_order() {
        // docs/selection.md's table: one numbered row per file, and no other.
        let selection = read_doc("docs/selection.md");
        let rows: Vec<String> = (pin_names().enumerate())
            .map(|(i, name)| format!("| {} | `{name}` |", i + 1))
            .collect();
        let mut at = 0;
        for row in &rows {
            let found = selection[at..].find(row.as_str());
            let i = found.unwrap_or_else(|| panic!("docs/selection.md has no row {row}"));
            at += i + row.len();
        }
        let next = format!("| {} | `", PIN_FILES.len() + 1);
        assert!(
            !selection.contains(&next),
            "docs/selection.md's table has a row the list does not"
        );
        // The README's selection section.
        let readme = read_doc("README.md");
        let start = readme
            .find("### How a directory selects its Go")
            .expect("the README's selection section");
        assert_names_in_order("README.md", &readme[start..], pin_names());
        // docs/shell.md: the names whose appearance the hook watches for.
        let shell = read_doc("docs/shell.md");
        let names = crate::selection::FILE_NAMES;
        assert_names_in_order("docs/shell.md", &shell, names);
        // `gopin current --help`, which the man page repeats.
        use clap::CommandFactory;
        let cli = crate::cli::Cli::command();
        let current = cli.find_subcommand("current").expect("current");
        let about = current.get_long_about().expect("a long help").to_string();
        assert_names_in_order("`gopin current --help` (src/cli.rs)", &about, pin_names());
        // The man page's FILES section, generated from the list.
        let page = String::from_utf8(crate::commands::man::page().unwrap()).unwrap();
        let page = page
            .replace("\\-", "-")
            .replace("\\fB", " ")
            .replace("\\fR", " ");
        let files = page.find(".SH FILES").expect("a FILES section");
        assert_names_in_order("the man page's FILES", &page[files..], pin_names());
    }

    #[test]
    fn the_new_pin_file_is_in_the_list() {
        assert!(PIN_FILES.contains(&NEW_PIN_FILE));
    }
}
