//! Writing pin files: a new `.go-version`, or a `.tool-versions` or mise file edited in
//! place with every other byte kept (a BOM, CRLF line ends, comments, other tools), shapes
//! whose meaning an edit would change refused, and every write read back as the selection
//! reads it (docs/selection.md, "Editing pin files").

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result, anyhow, bail};

use super::{MANIFEST_LIMIT, PinKind, Pinned, pin_target, read_pin};
use crate::fsio::{AtomicFile, Durability};
use crate::ui::shown;
use crate::version::{GoVersion, Stage, VersionSpec};

/// Writes `text` as the pin in `file`, editing a `.tool-versions` or mise file in place, and
/// reads it back to confirm it now selects `text`.
pub fn write_pin(file: &Path, kind: PinKind, text: &str) -> Result<()> {
    let (old, content) = match kind {
        PinKind::ToolVersions | PinKind::Mise => {
            let old = read_existing(file)?;
            let content = edit(file, kind, old.as_deref().unwrap_or_default(), Some(text))?;
            (old, content)
        }
        // Kept to put back if the new content does not read back (the default's link, if
        // it is one, is the user's own and not checked here).
        _ => {
            let old = crate::userfile::read(file, MANIFEST_LIMIT)
                .ok()
                .flatten()
                .and_then(|b| String::from_utf8(b).ok());
            (old, format!("{text}\n"))
        }
    };
    write_checked(file, kind, old.as_deref(), &content, Some(text))
}

/// What [`unset`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unset {
    /// The Go entry of a `.tool-versions` or mise file is gone; the rest of the file stays.
    EntryRemoved,
    /// The whole `.go-version` (or the default) is gone.
    FileRemoved,
    /// There was no file.
    NothingThere,
}

/// Removes the pin in `file`: just the Go entry of a `.tool-versions` or mise file (edited
/// in place, and read back), or the whole `.go-version` (or the default).
pub fn unset(file: &Path, kind: PinKind) -> Result<Unset> {
    match kind {
        PinKind::ToolVersions | PinKind::Mise => {
            let Some(old) = read_existing(file)? else {
                return Ok(Unset::NothingThere);
            };
            let new = edit(file, kind, &old, None)?;
            write_checked(file, kind, Some(&old), &new, None)?;
            Ok(Unset::EntryRemoved)
        }
        _ => match std::fs::remove_file(file) {
            Ok(()) => Ok(Unset::FileRemoved),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Unset::NothingThere),
            Err(e) => Err(e).with_context(|| format!("cannot remove {}", shown(file))),
        },
    }
}

/// Writes `content` to `file`, then reads the file back as the selection does: it must now
/// pin `expected` (`None`: no Go at all). If it does not, the old content is put back (or
/// the new file removed) and the edit is an error (docs/selection.md, "Editing pin files").
fn write_checked(
    file: &Path,
    kind: PinKind,
    old: Option<&str>,
    content: &str,
    expected: Option<&str>,
) -> Result<()> {
    write_atomically(file, kind, content)?;
    let want = expected
        .map(|t| t.parse::<VersionSpec>().map(Pinned::Version))
        .transpose()?;
    let got = read_pin(file, kind);
    let problem = match &got {
        Ok(pinned) if *pinned == want => return Ok(()),
        Ok(Some(Pinned::Version(spec))) => format!("it reads back as {spec}"),
        Ok(Some(Pinned::System)) => "it reads back as system".to_string(),
        Ok(None) => "it reads back with no Go entry".to_string(),
        Err(e) => format!("it no longer reads ({e})"),
    };
    match old {
        Some(old) => write_atomically(file, kind, old)?,
        None => {
            std::fs::remove_file(file).with_context(|| format!("cannot remove {}", shown(file)))?
        }
    }
    bail!(
        "editing {} did not give the selection asked for ({}): {problem}; the file is back as it was — edit it by hand",
        shown(file),
        expected.unwrap_or("no Go entry")
    )
}

/// The file's content, if it exists: every byte, a BOM and CRLF line ends included.
fn read_existing(file: &Path) -> Result<Option<String>> {
    pin_target(file)?;
    let Some(bytes) = crate::userfile::read(file, MANIFEST_LIMIT)? else {
        return Ok(None);
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| anyhow!("{} is not UTF-8 text: fix it, or pass --file", shown(file)))
}

/// The file's text with its Go entry set to `version` (or removed, for `None`), every other
/// byte kept: the edit is made on the text as the reader sees it (no BOM, LF line ends), and
/// only the one stretch it changed is put into the original bytes, with the file's own line
/// ends.
fn edit(file: &Path, kind: PinKind, text: &str, version: Option<&str>) -> Result<String> {
    let (bom, body) = match text.strip_prefix('\u{feff}') {
        Some(rest) => ("\u{feff}", rest),
        None => ("", text),
    };
    let normal = body.replace("\r\n", "\n");
    let edited = match kind {
        PinKind::Mise => edit_mise(file, &normal, version)?,
        _ => edit_tool_versions(&normal, version),
    };
    Ok(format!("{bom}{}", splice(body, &normal, &edited)))
}

/// `original` with the one stretch where `edited` differs from `normal` (`original` with
/// CRLF as LF) replaced, in `original`'s line ends; every other byte is `original`'s.
fn splice(original: &str, normal: &str, edited: &str) -> String {
    let prefix = common_len(normal.char_indices(), edited.char_indices());
    let max_suffix = (normal.len() - prefix).min(edited.len() - prefix);
    let suffix =
        common_len(normal.char_indices().rev(), edited.char_indices().rev()).min(max_suffix);
    // Where each byte of `normal` starts in `original` (a CRLF starts at its CR).
    let mut at = Vec::with_capacity(normal.len() + 1);
    let bytes = original.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            at.push(i);
            i += 2;
        } else {
            at.push(i);
            i += 1;
        }
    }
    at.push(bytes.len());
    let middle = &edited[prefix..edited.len() - suffix];
    let middle = if original.contains("\r\n") {
        middle.replace('\n', "\r\n")
    } else {
        middle.to_string()
    };
    let (start, end) = (at[prefix], at[normal.len() - suffix]);
    format!("{}{middle}{}", &original[..start], &original[end..])
}

/// How many bytes two texts share from the start (or, reversed, from the end), whole
/// characters only.
fn common_len(
    a: impl Iterator<Item = (usize, char)>,
    b: impl Iterator<Item = (usize, char)>,
) -> usize {
    a.zip(b)
        .take_while(|((_, x), (_, y))| x == y)
        .map(|((_, c), _)| c.len_utf8())
        .sum()
}

/// `.tool-versions`: the first version on the line the reader selects (the first whose
/// first word, comments aside, is `golang` or `go`) is replaced; other versions on the
/// line, its comment and the other lines stay. A line with no version yet (`golang  #
/// TODO`) gets one before its comment. Without such a line, one is added.
fn edit_tool_versions(text: &str, version: Option<&str>) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut done = false;
    for line in text.split_inclusive('\n') {
        let (body, eol) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        let code_len = body.find('#').unwrap_or(body.len());
        let (code, comment) = body.split_at(code_len);
        let is_go = matches!(code.split_whitespace().next(), Some("golang" | "go"));
        if done || !is_go {
            out.push_str(line);
            continue;
        }
        done = true;
        let Some(version) = version else {
            continue; // --unset: the line goes
        };
        let trimmed = code.trim_start();
        let indent = &code[..code.len() - trimmed.len()];
        let tool_len = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        let (tool, rest) = trimmed.split_at(tool_len);
        let gap_len = rest.len() - rest.trim_start().len();
        let (gap, rest) = rest.split_at(gap_len);
        let gap = if gap.is_empty() { " " } else { gap };
        let old_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let tail = &rest[old_len..];
        // A version goes before a comment with a space between, never into it.
        let space = if old_len == 0 && !comment.is_empty() {
            " "
        } else {
            ""
        };
        out.push_str(&format!(
            "{indent}{tool}{gap}{version}{tail}{space}{comment}{eol}"
        ));
    }
    if !done && let Some(version) = version {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("golang {version}\n"));
    }
    out
}

/// A mise file: `[tools] go` set in place (a string, the first of a list, a table's
/// `version` or `prefix`), keeping every other key, comment and the file's layout. Shapes
/// whose meaning an edit would change are refused, naming them.
fn edit_mise(file: &Path, text: &str, version: Option<&str>) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        anyhow!(
            "{} is not valid TOML ({}): fix it first",
            shown(file),
            e.message()
        )
    })?;
    let cannot = |what: &str| {
        anyhow!(
            "{}'s [tools] go entry {what}, which gopin cannot edit without changing its meaning: edit it by hand",
            shown(file)
        )
    };
    let tools = doc
        .entry("tools")
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()));
    let Some(tools) = tools.as_table_like_mut() else {
        bail!(
            "{}'s `tools` is not a table: fix it, or pass --file",
            shown(file)
        );
    };
    let key = if tools.contains_key("golang") && !tools.contains_key("go") {
        "golang"
    } else {
        "go"
    };
    let Some(version) = version else {
        tools.remove(key);
        return Ok(doc.to_string());
    };
    let replace = |v: &mut toml_edit::Value| {
        let decor = v.decor().clone();
        *v = toml_edit::Value::from(version);
        *v.decor_mut() = decor;
    };
    // The key a table holds its version under: `version`, else `prefix` (as the reader
    // reads it), else a new `version`.
    let version_key = |has: &dyn Fn(&str) -> bool| {
        if has("version") {
            "version"
        } else if has("prefix") {
            "prefix"
        } else {
            "version"
        }
    };
    // A table's version (a `[tools.go]` table, or the one `[[tools.go]]`), its other keys kept.
    let set_version = |table: &mut toml_edit::Table| {
        let k = version_key(&|k| table.contains_key(k));
        match table.get_mut(k) {
            Some(toml_edit::Item::Value(v)) => replace(v),
            Some(_) => return Err(cannot(&format!("has a `{k}` that is not a string"))),
            None => {
                table.insert(k, toml_edit::value(version));
            }
        }
        Ok(())
    };
    match tools.get_mut(key) {
        // `[tools.go]` as a table of its own: its version, the table kept whole.
        Some(toml_edit::Item::Table(table)) => {
            set_version(table)?;
        }
        Some(toml_edit::Item::ArrayOfTables(tables)) => {
            if tables.len() != 1 {
                return Err(cannot(&format!(
                    "is {} [[tools.{key}]] tables",
                    tables.len()
                )));
            }
            let table = tables.get_mut(0).expect("one table");
            if table.contains_key("os") {
                return Err(cannot("is a [[tools.go]] table limited by `os`"));
            }
            set_version(table)?;
        }
        Some(item) => match item.as_value_mut() {
            Some(toml_edit::Value::Array(list)) => {
                let with_os = list
                    .iter()
                    .any(|v| v.as_inline_table().is_some_and(|t| t.contains_key("os")));
                if with_os {
                    return Err(cannot("is a list with entries limited by `os`"));
                }
                match list.get_mut(0) {
                    // An empty list pins nothing: it becomes the version.
                    None => list.push(version),
                    Some(toml_edit::Value::InlineTable(t)) => {
                        let k = version_key(&|k| t.contains_key(k));
                        match t.get_mut(k) {
                            Some(v @ toml_edit::Value::String(_)) => replace(v),
                            Some(_) => {
                                return Err(cannot(&format!("has a `{k}` that is not a string")));
                            }
                            None => insert_last(t, k, version),
                        }
                    }
                    Some(v @ toml_edit::Value::String(_)) => replace(v),
                    Some(_) => return Err(cannot("is a list whose first entry is not a version")),
                }
            }
            Some(toml_edit::Value::InlineTable(t)) => {
                let k = version_key(&|k| t.contains_key(k));
                match t.get_mut(k) {
                    Some(v @ toml_edit::Value::String(_)) => replace(v),
                    Some(_) => return Err(cannot(&format!("has a `{k}` that is not a string"))),
                    None => insert_last(t, k, version),
                }
            }
            Some(v) => replace(v),
            None => *item = toml_edit::value(version),
        },
        None => {
            tools.insert(key, toml_edit::value(version));
        }
    }
    Ok(doc.to_string())
}

/// Adds `key = version` at the end of an inline table, the space before `}` kept after it.
fn insert_last(t: &mut toml_edit::InlineTable, key: &str, version: &str) {
    let suffix = t.iter_mut().last().and_then(|(_, v)| {
        let suffix = v.decor().suffix().cloned();
        v.decor_mut().set_suffix("");
        suffix
    });
    t.insert(key, toml_edit::Value::from(version));
    if let (Some(suffix), Some(v)) = (suffix, t.get_mut(key)) {
        v.decor_mut().set_suffix(suffix);
    }
}

/// An exact version as a pin file says it: always three numbers for a release (`1.20.0`, which
/// Go calls `go1.20`, so it reads back as exact, never as the prefix `1.20`).
pub fn pin_text(v: &GoVersion) -> String {
    match v.stage {
        Stage::Release => format!("{}.{}.{}", v.major, v.minor, v.patch),
        _ => {
            let name = v.to_string();
            name.strip_prefix("go").unwrap_or(&name).to_string()
        }
    }
}

/// Replaces `path` whole or not at all, so a shell hook never reads half a file. A new file
/// gets the usual mode (0666 less the umask), so teammates can read it; an edited one keeps
/// its own permission bits (and, where gopin may set it, its owner). Durability: flushed,
/// since the file is the user's own and was on disk before gopin touched it: a power loss
/// right after `gopin use` must not leave the project with an empty pin file.
fn write_atomically(path: &Path, kind: PinKind, text: &str) -> Result<()> {
    let dir = path.parent().expect("version files live in a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", shown(dir)))?;
    // A pin file that is a symlink is written through only while it stays inside its
    // project (a dotfiles-managed ~/.tool-versions; a monorepo's shared pin); one leading
    // out of it is refused (docs/security.md). The user default is the user's own.
    let target = if kind == PinKind::Default {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)
                .with_context(|| format!("cannot follow the symlink {}", shown(path)))?,
            _ => path.to_path_buf(),
        }
    } else {
        pin_target(path)?
    };
    let path = target.as_path();
    let fail = || format!("cannot write {}", shown(path));
    let file = AtomicFile::create(path, Durability::Flushed).with_context(fail)?;
    if let Ok(old) = std::fs::metadata(path) {
        file.keep_owner_and_mode(&old).with_context(fail)?;
    }
    file.file().write_all(text.as_bytes()).with_context(fail)?;
    file.commit().with_context(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_read_back_as_the_same_exact_version() {
        for name in [
            "go1.20",
            "go1.22.10",
            "go1.21.0",
            "go1.23rc1",
            "go1",
            "go1.9.2rc2",
        ] {
            let v: GoVersion = name.parse().unwrap();
            let text = pin_text(&v);
            assert_eq!(
                text.parse::<VersionSpec>().unwrap(),
                VersionSpec::Exact(v),
                "{text}"
            );
        }
        assert_eq!(pin_text(&"go1.20".parse().unwrap()), "1.20.0");
    }

    #[test]
    fn tool_versions_change_only_the_go_entry() {
        let text = "# tools\nnodejs 20.1.0\n  golang\t1.21.0 1.20.1 # fallback\npython 3.12\n";
        assert_eq!(
            edit_tool_versions(text, Some("1.22.10")),
            "# tools\nnodejs 20.1.0\n  golang\t1.22.10 1.20.1 # fallback\npython 3.12\n"
        );
        assert_eq!(
            edit_tool_versions("nodejs 20\n", Some("1.22.10")),
            "nodejs 20\ngolang 1.22.10\n"
        );
        assert_eq!(
            edit_tool_versions("golang 1.21.0", Some("1.22.10")),
            "golang 1.22.10"
        );
        assert_eq!(
            edit_tool_versions("a 1\ngo 1.21\nb 2\n", None),
            "a 1\nb 2\n"
        );
    }

    #[test]
    fn an_edit_that_does_not_read_back_is_undone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".tool-versions");
        std::fs::write(&file, "golang 1.21.13\r\n").unwrap();
        // Content that would not select what was asked: refused, the old bytes put back.
        let err = write_checked(
            &file,
            PinKind::ToolVersions,
            Some("golang 1.21.13\r\n"),
            "golang 1.22.9\n",
            Some("1.22.10"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("reads back as go1.22.9"), "{err}");
        assert_eq!(std::fs::read(&file).unwrap(), b"golang 1.21.13\r\n");
        // A file that did not exist is removed again.
        let new = dir.path().join(".go-version");
        assert!(write_checked(&new, PinKind::GoVersion, None, "# x\n", Some("1.22.10")).is_err());
        assert!(!new.exists());
    }

    #[test]
    fn splices_keep_bytes_outside_the_change() {
        let f = Path::new("mise.toml");
        let text = "\u{feff}[tools]\r\ngo = \"1.21\"\r\nx = 1\n";
        assert_eq!(
            edit(f, PinKind::Mise, text, Some("1.22.10")).unwrap(),
            "\u{feff}[tools]\r\ngo = \"1.22.10\"\r\nx = 1\n"
        );
        assert_eq!(
            edit(f, PinKind::ToolVersions, "\u{feff}a 1\r\n", Some("1.22.10")).unwrap(),
            "\u{feff}a 1\r\ngolang 1.22.10\r\n"
        );
        assert_eq!(
            edit(f, PinKind::ToolVersions, "a 1\r\ngo 1.2 # x\r\nb\r\n", None).unwrap(),
            "a 1\r\nb\r\n"
        );
    }

    #[test]
    fn mise_files_change_only_the_go_entry() {
        let f = Path::new("mise.toml");
        let text = "# project tools\n[tools]\nnode = \"20\"   # lts\ngo = \"1.21\"  # pinned\n\n[env]\nX = \"1\"\n";
        assert_eq!(
            edit_mise(f, text, Some("1.22.10")).unwrap(),
            "# project tools\n[tools]\nnode = \"20\"   # lts\ngo = \"1.22.10\"  # pinned\n\n[env]\nX = \"1\"\n"
        );
        let list = "[tools]\n\"go\" = [\"1.21\", \"1.22\"]\n";
        assert_eq!(
            edit_mise(f, list, Some("1.22.10")).unwrap(),
            "[tools]\n\"go\" = [\"1.22.10\", \"1.22\"]\n"
        );
        let table = "[tools]\ngo = { version = \"1.21\", postinstall = \"x\" }\n";
        assert_eq!(
            edit_mise(f, table, Some("1.22.10")).unwrap(),
            "[tools]\ngo = { version = \"1.22.10\", postinstall = \"x\" }\n"
        );
        assert!(edit_mise(f, "tools = [", Some("1")).is_err());
        let section = "# my project\n[tools.go]\nversion = \"1.21\"   # pinned for CI\npostinstall = \"go install x@latest\"\n\n[tools]\nnode = \"20\"\n";
        assert_eq!(
            edit_mise(f, section, Some("1.22.10")).unwrap(),
            section.replace("\"1.21\"", "\"1.22.10\"")
        );
    }
}
