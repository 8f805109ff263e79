//! Reading pin files: each format as its tool reads it (docs/selection.md, "1. Pin files
//! pick"). Bounded, and never through a symlink out of the project.

use std::path::Path;

use super::{FileError, PinKind, Pinned, invalid, pin_target};
use crate::userfile;

/// `.go-version` and the default are a line or two: anything larger is refused rather than
/// half read.
const PIN_FILE_LIMIT: u64 = 4 * 1024;
/// `.tool-versions`, mise files, `go.mod` and `go.work` may be long, but not this long.
pub const MANIFEST_LIMIT: u64 = 4 * 1024 * 1024;

/// Reads one pin file (`.go-version` format, `.tool-versions`, or the default). `Ok(None)`
/// when it does not exist or does not pin Go (a `.tool-versions` without a Go entry).
pub fn read_pin(path: &Path, kind: PinKind) -> Result<Option<Pinned>, FileError> {
    let path = &match kind {
        PinKind::Default => path.to_path_buf(),
        _ => pin_target(path).map(|_| path.to_path_buf())?,
    };
    let limit = match kind {
        PinKind::ToolVersions | PinKind::Mise => MANIFEST_LIMIT,
        _ => PIN_FILE_LIMIT,
    };
    let Some(text) = read_text(path, limit)? else {
        return Ok(None);
    };
    match kind {
        PinKind::ToolVersions => parse_tool_versions(&text, path),
        PinKind::Mise => parse_mise(&text, path),
        _ => parse_go_version(&text, path).map(Some),
    }
}

/// Reads a whole version file (a pin file; the selection's go.mod and go.work too) as text,
/// a leading BOM dropped; `None` if it does not exist (or is a directory).
pub fn read_text(path: &Path, limit: u64) -> Result<Option<String>, FileError> {
    let Some(bytes) = userfile::read(path, limit)? else {
        return Ok(None);
    };
    if bytes.contains(&0) {
        return Err(invalid(path, None, "is a binary file, not a version file"));
    }
    let text = String::from_utf8(bytes).map_err(|_| invalid(path, None, "is not UTF-8 text"))?;
    Ok(Some(text.trim_start_matches('\u{feff}').to_string()))
}

/// `.go-version`: the first token of the first line that is neither blank nor a `#` comment.
fn parse_go_version(text: &str, path: &Path) -> Result<Pinned, FileError> {
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let token = line.split_whitespace().next().expect("line is not blank");
        return Pinned::parse(token).map_err(|e| invalid(path, Some(n + 1), e.to_string()));
    }
    Err(invalid(
        path,
        None,
        "holds no Go version (expected a line such as 1.22.10)",
    ))
}

/// `.tool-versions` (asdf): the first version on the `golang` (or `go`) line.
fn parse_tool_versions(text: &str, path: &Path) -> Result<Option<Pinned>, FileError> {
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut tokens = line.split_whitespace();
        if !matches!(tokens.next(), Some("golang" | "go")) {
            continue;
        }
        let Some(version) = tokens.next() else {
            return Err(invalid(
                path,
                Some(n + 1),
                "the golang entry has no version",
            ));
        };
        return Pinned::parse(version)
            .map(Some)
            .map_err(|e| invalid(path, Some(n + 1), e.to_string()));
    }
    Ok(None)
}

/// mise's config: the `go` entry of `[tools]`: a version string, the first of a list, or a
/// table (inline or `[tools.go]`) with a `version` or a `prefix` key, as mise accepts them.
/// mise's `prefix:` form is a prefix and `system` is the Go on PATH; other forms (`ref:`,
/// `path:`) are not releases gopin can install.
fn parse_mise(text: &str, path: &Path) -> Result<Option<Pinned>, FileError> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        invalid(path, None, format!("is not valid TOML ({})", e.message()))
    })?;
    let Some(tools) = table.get("tools").and_then(|t| t.as_table()) else {
        return Ok(None);
    };
    let Some(entry) = tools.get("go").or_else(|| tools.get("golang")) else {
        return Ok(None);
    };
    // An entry limited by mise's `os` option to other systems does not apply here.
    let applies = |v: &&toml::Value| {
        let host = if cfg!(target_os = "macos") {
            "macos"
        } else {
            std::env::consts::OS
        };
        match v.as_table().and_then(|t| t.get("os")) {
            Some(toml::Value::Array(oses)) => oses.iter().any(|o| o.as_str() == Some(host)),
            Some(toml::Value::String(os)) => os == host,
            _ => true,
        }
    };
    let first = match entry {
        toml::Value::Array(list) if list.is_empty() => None,
        toml::Value::Array(list) => match list.iter().find(applies) {
            Some(v) => Some(v),
            None => return Ok(None),
        },
        other if !applies(&other) => return Ok(None),
        other => Some(other),
    };
    let version = match first {
        Some(toml::Value::String(v)) => Some(v.as_str()),
        Some(toml::Value::Table(t)) => t
            .get("version")
            .or_else(|| t.get("prefix"))
            .and_then(|v| v.as_str()),
        _ => None,
    };
    let version = version.ok_or_else(|| {
        invalid(
            path,
            None,
            "its [tools] go entry holds no version string (expected go = \"1.22.10\", or a table with version = or prefix =)",
        )
    })?;
    let spec = version.strip_prefix("prefix:").unwrap_or(version);
    // A prefix (`prefix = "1.22"`, `"prefix:1.22"`) is gopin's prefix; a full release
    // written as one (`1.22.3`) is that release, the only one it names today.
    Pinned::parse(spec).map(Some).map_err(|e| {
        invalid(
            path,
            None,
            format!("[tools] go = \"{version}\" is not a Go version gopin can install: {e}"),
        )
    })
}
