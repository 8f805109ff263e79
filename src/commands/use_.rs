use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, anyhow, bail};

use super::Context;
use crate::cli::UseArgs;
use crate::install::{Outcome, install_request};
use crate::platform::Platform;
use crate::request::Request;
use crate::selection::{self, SourceKind};
use crate::ui::{self, shown, tilde};
use crate::version::{GoVersion, Stage, VersionSpec};

pub fn run(ctx: &Context, args: UseArgs) -> Result<ExitCode> {
    let (file, kind) = target(ctx, &args)?;
    let Some(raw) = args.spec.as_deref().filter(|_| !args.unset) else {
        return unset(&file, kind);
    };
    if !args.global && !args.here {
        refuse_home_or_root(&file, raw)?;
    }
    let spec: VersionSpec = raw.parse()?;
    let platform = Platform::host()?;
    let outcome = install_request(
        &ctx.config,
        &ctx.store,
        &Request::spec(spec),
        &platform,
        false,
    )?;
    if let Outcome::Installed(i) = &outcome {
        ui::note(&format!("installed {} ({})", i.version, i.platform));
    }
    let version = outcome.installed().version;
    // The exact release, so every checkout runs the same Go; --prefix keeps what was typed.
    let text = if args.prefix {
        let typed = spec.to_string();
        typed.strip_prefix("go").unwrap_or(&typed).to_string()
    } else {
        pin_text(&version)
    };
    write_pin(&file, kind, &text)?;
    ui::note(&format!("pinned {text} ({version}) in {}", tilde(&file)));
    if let Ok(r) = ctx.resolve_here(&platform) {
        if let Some(note) = r.override_note() {
            ui::warn(&note);
        } else if let Some(pick) = r.picked_by()
            && pick.source != file
        {
            ui::note(&format!(
                "note: this directory is pinned by {}, which takes precedence",
                pick.label()
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A pin in the home directory or in `/` covers every directory below that has none of its
/// own: almost always a default meant with `--global`, so it is written only with `--here`.
/// Directories are compared as files (device and inode), so a HOME reached through a symlink,
/// or one whose name is not UTF-8, is still recognised.
fn refuse_home_or_root(file: &Path, spec: &str) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let Some(dir) = file.parent() else {
        return Ok(());
    };
    let same = |other: &Path| match (std::fs::metadata(dir), std::fs::metadata(other)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    };
    let what = if same(Path::new("/")) {
        "the root directory /, so a pin there would apply to every directory on this machine"
            .to_string()
    } else if crate::config::home_dir().is_some_and(|home| same(&home)) {
        format!(
            "your home directory ({}), so a pin there would apply to every directory under it",
            shown(dir)
        )
    } else {
        return Ok(());
    };
    bail!(
        "this is {what} that has no pin of its own: for a default wherever nothing is pinned, run `gopin use --global {spec}`; to pin it here all the same, `gopin use --here {spec}`"
    )
}

/// The file `use` writes: the default with `--global`; the one `--file` names; else the
/// file that already pins Go in this directory (so there are never two conflicting pins made
/// by gopin), else a new `.go-version`.
fn target(ctx: &Context, args: &UseArgs) -> Result<(PathBuf, SourceKind)> {
    if args.global {
        return Ok((ctx.store.default_file(), SourceKind::Default));
    }
    let cwd = Context::cwd();
    if let Some(file) = &args.file {
        let path = cwd.join(file);
        return Ok((path.clone(), kind_of(&path)));
    }
    Ok(pin_file_here(&cwd))
}

/// The file in `dir` that pins Go (the first of the pin files that does), else a new
/// `.go-version` there.
pub(super) fn pin_file_here(cwd: &Path) -> (PathBuf, SourceKind) {
    for (name, kind) in SourceKind::PIN_FILES {
        let path = cwd.join(name);
        // A file that exists but does not pin Go (a .tool-versions without golang) is not it.
        if let Ok(Some(_)) = selection::read_pin(&path, kind) {
            return (path, kind);
        }
    }
    (cwd.join(".go-version"), SourceKind::GoVersion)
}

/// What a file named by `--file` is, by its name.
fn kind_of(path: &Path) -> SourceKind {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    match name {
        ".tool-versions" => SourceKind::ToolVersions,
        _ if name.ends_with(".toml") => SourceKind::Mise,
        _ => SourceKind::GoVersion,
    }
}

/// `--unset`: removes the pin: the whole `.go-version` (or the default), or just the Go entry
/// of a `.tool-versions` or mise file.
fn unset(file: &Path, kind: SourceKind) -> Result<ExitCode> {
    let edited = match kind {
        SourceKind::ToolVersions | SourceKind::Mise => Some(match read_existing(file)? {
            Some(text) => edit(file, kind, &text, None)?,
            None => return nothing_to_unset(file),
        }),
        _ => None,
    };
    match edited {
        Some(text) => {
            write_atomically(file, &text)?;
            ui::note(&format!("removed the Go entry from {}", tilde(file)));
        }
        None => match std::fs::remove_file(file) {
            Ok(()) => ui::note(&format!("removed {}", tilde(file))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return nothing_to_unset(file),
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", shown(file))),
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn nothing_to_unset(file: &Path) -> Result<ExitCode> {
    ui::note(&format!("{} does not exist: nothing to unset", tilde(file)));
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` as the pin in `file`, editing a `.tool-versions` or mise file in place.
pub(super) fn write_pin(file: &Path, kind: SourceKind, text: &str) -> Result<()> {
    let content = match kind {
        SourceKind::ToolVersions | SourceKind::Mise => {
            let old = read_existing(file)?.unwrap_or_default();
            edit(file, kind, &old, Some(text))?
        }
        _ => format!("{text}\n"),
    };
    write_atomically(file, &content)
}

fn read_existing(file: &Path) -> Result<Option<String>> {
    let Some(bytes) = crate::userfile::read(file, selection::MANIFEST_LIMIT)? else {
        return Ok(None);
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| anyhow!("{} is not UTF-8 text: fix it, or pass --file", shown(file)))
}

/// The file's text with its Go entry set to `version` (or removed, for `None`), every other
/// byte kept.
fn edit(file: &Path, kind: SourceKind, text: &str, version: Option<&str>) -> Result<String> {
    match kind {
        SourceKind::Mise => edit_mise(file, text, version),
        _ => Ok(edit_tool_versions(text, version)),
    }
}

/// `.tool-versions`: the first version on the `golang` (or `go`) line is replaced (other
/// versions on the line, comments and the other lines stay); without one, a line is added.
fn edit_tool_versions(text: &str, version: Option<&str>) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut done = false;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let is_go = matches!(trimmed.split_whitespace().next(), Some("golang" | "go"));
        if done || !is_go {
            out.push_str(line);
            continue;
        }
        done = true;
        let Some(version) = version else {
            continue; // --unset: the line goes
        };
        let indent = &line[..line.len() - trimmed.len()];
        let tool_len = trimmed.find(char::is_whitespace).unwrap_or(trimmed.len());
        let (tool, rest) = trimmed.split_at(tool_len);
        let gap_len = rest.len() - rest.trim_start().len();
        let (gap, rest) = rest.split_at(gap_len);
        let old_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let gap = if gap.is_empty() || gap.contains('\n') {
            " "
        } else {
            gap
        };
        out.push_str(&format!("{indent}{tool}{gap}{version}"));
        let tail = &rest[old_len..];
        out.push_str(if tail.is_empty() && line.ends_with('\n') {
            "\n"
        } else {
            tail
        });
    }
    if !done && let Some(version) = version {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("golang {version}\n"));
    }
    out
}

/// A mise file: `[tools] go` set in place (a string, the first of a list, or a table's
/// `version`), keeping every other key, comment and the file's layout.
fn edit_mise(file: &Path, text: &str, version: Option<&str>) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        anyhow!(
            "{} is not valid TOML ({}): fix it first",
            shown(file),
            e.message()
        )
    })?;
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
    match tools.get_mut(key) {
        // `[tools.go]` as a table of its own: its `version`, the table kept whole.
        Some(toml_edit::Item::Table(table)) => match table.get_mut("version") {
            Some(toml_edit::Item::Value(v)) => replace(v),
            _ => {
                table.insert("version", toml_edit::value(version));
            }
        },
        Some(item) => match item.as_value_mut() {
            Some(toml_edit::Value::Array(list)) if !list.is_empty() => {
                replace(list.get_mut(0).expect("not empty"))
            }
            Some(toml_edit::Value::InlineTable(t)) if t.contains_key("version") => {
                replace(t.get_mut("version").expect("checked"))
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
/// its own.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().expect("version files live in a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", shown(dir)))?;
    // A pin file that is a symlink (a dotfiles-managed ~/.tool-versions) is written through.
    let target = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)
            .with_context(|| format!("cannot follow the symlink {}", shown(path)))?,
        _ => path.to_path_buf(),
    };
    let path = target.as_path();
    let dir = path.parent().expect("version files live in a directory");
    let fail = || format!("cannot write {}", shown(path));
    let mode = std::fs::metadata(path).map_or(0o666, |m| m.permissions().mode() & 0o7777);
    let mut tmp = tempfile::Builder::new()
        .prefix(".gopin-")
        .permissions(std::fs::Permissions::from_mode(mode))
        .tempfile_in(dir)
        .with_context(fail)?;
    tmp.write_all(text.as_bytes()).with_context(fail)?;
    tmp.persist(path).map_err(|e| e.error).with_context(fail)?;
    Ok(())
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
