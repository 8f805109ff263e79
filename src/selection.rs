//! Which Go a directory selects: the version files, their precedence, and the user default.
//!
//! [`select`] is the one function the hook, `install`, `current`, `which`, `env`, `exec` and
//! `doctor` all call. It reads files only (never the network); turning the request into an
//! installed version is [`Request::pick`]'s job.

use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::userfile;
use crate::version::{GoVersion, VersionSpec};

/// `.go-version` files larger than this are read only this far.
const GO_VERSION_LIMIT: u64 = 4 * 1024;
/// `.tool-versions`, `go.mod` and `go.work` are read at most this far.
const MANIFEST_LIMIT: u64 = 1024 * 1024;

/// The kinds of file that pin a version, in precedence order within one directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    GoVersion,
    ToolVersions,
    GoWork,
    GoMod,
    /// The user default (`gopin use --global`).
    Default,
}

impl SourceKind {
    /// The file names looked for in each directory, in precedence order.
    pub const IN_DIRECTORY: [(&'static str, SourceKind); 4] = [
        (".go-version", SourceKind::GoVersion),
        (".tool-versions", SourceKind::ToolVersions),
        ("go.work", SourceKind::GoWork),
        ("go.mod", SourceKind::GoMod),
    ];
}

/// What a version file asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    /// A spec, as typed in `.go-version`, `.tool-versions`, the default, or a `toolchain` line.
    Spec(VersionSpec),
    /// A `go` line in go.mod/go.work: the newest release of `major.minor` that is at least
    /// `min` (any release of the line when `min` is `None`, as for `go 1.22`).
    GoLine {
        major: u32,
        minor: u32,
        min: Option<GoVersion>,
    },
}

impl Request {
    /// Whether `v` satisfies the request.
    pub fn matches(&self, v: &GoVersion) -> bool {
        match self {
            Request::Spec(spec) => spec.matches(v),
            Request::GoLine { major, minor, min } => {
                v.major == *major && v.minor == *minor && min.is_none_or(|m| *v >= m)
            }
        }
    }

    /// The best of `candidates` for this request: the newest match, preferring stable
    /// releases for a `go` line.
    pub fn pick<'a, I>(&self, candidates: I) -> Option<GoVersion>
    where
        I: IntoIterator<Item = &'a GoVersion>,
    {
        let matching: Vec<GoVersion> = candidates
            .into_iter()
            .filter(|v| self.matches(v))
            .copied()
            .collect();
        let stable = matching.iter().filter(|v| v.is_stable()).max();
        stable.or_else(|| matching.iter().max()).copied()
    }

    /// The exact version asked for, when there is one.
    pub fn exact(&self) -> Option<GoVersion> {
        match self {
            Request::Spec(VersionSpec::Exact(v)) => Some(*v),
            _ => None,
        }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Spec(spec) => spec.fmt(f),
            Request::GoLine {
                major,
                minor,
                min: Some(min),
            } => write!(f, "{major}.{minor}.x ≥ {min}"),
            Request::GoLine {
                major,
                minor,
                min: None,
            } => write!(f, "{major}.{minor}"),
        }
    }
}

/// A request and the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub request: Request,
    pub source: PathBuf,
    pub kind: SourceKind,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SelectionError {
    #[error("{path}{line}: {problem}; fix or delete the file", path = path.display(), line = line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Invalid {
        path: PathBuf,
        line: Option<usize>,
        problem: String,
    },
    #[error("{message}")]
    Unreadable { path: PathBuf, message: String },
}

impl SelectionError {
    /// The file the problem is in.
    pub fn path(&self) -> &Path {
        match self {
            SelectionError::Invalid { path, .. } | SelectionError::Unreadable { path, .. } => path,
        }
    }
}

fn invalid(path: &Path, line: Option<usize>, problem: impl Into<String>) -> SelectionError {
    SelectionError::Invalid {
        path: path.to_path_buf(),
        line,
        problem: problem.into(),
    }
}

/// The selection for `dir`: the nearest directory (from `dir` up to `/`) holding a version
/// file wins; within it the first of [`SourceKind::IN_DIRECTORY`] that pins something. Without
/// one, the user default at `default_file`, if it exists.
pub fn select(dir: &Path, default_file: &Path) -> Result<Option<Pin>, SelectionError> {
    for d in dir.ancestors() {
        for (name, kind) in SourceKind::IN_DIRECTORY {
            let path = d.join(name);
            if let Some(request) = read_pin(&path, kind)? {
                return Ok(Some(Pin {
                    request,
                    source: path,
                    kind,
                }));
            }
        }
    }
    Ok(
        read_pin(default_file, SourceKind::Default)?.map(|request| Pin {
            request,
            source: default_file.to_path_buf(),
            kind: SourceKind::Default,
        }),
    )
}

/// The directories and files whose change could change [`select`]'s answer for `dir`, given
/// that it returned `pin`: every directory searched (a version file may appear in it), the
/// file that pinned, and the default.
pub fn watch_list(dir: &Path, pin: Option<&Pin>, default_file: &Path) -> Vec<PathBuf> {
    let stop = pin
        .filter(|p| p.kind != SourceKind::Default)
        .and_then(|p| p.source.parent());
    let mut paths = Vec::new();
    for d in dir.ancestors() {
        paths.push(d.to_path_buf());
        if Some(d) == stop {
            break;
        }
    }
    if let Some(p) = pin {
        paths.push(p.source.clone());
    }
    if stop.is_none() {
        paths.push(default_file.to_path_buf());
        if let Some(parent) = default_file.parent() {
            paths.push(parent.to_path_buf());
        }
    }
    paths.dedup();
    paths
}

/// Reads one candidate file. `Ok(None)` when it does not exist or does not pin Go (a
/// `.tool-versions` without a Go entry, a go.mod without `go`/`toolchain` lines).
pub fn read_pin(path: &Path, kind: SourceKind) -> Result<Option<Request>, SelectionError> {
    let limit = match kind {
        SourceKind::GoVersion | SourceKind::Default => GO_VERSION_LIMIT,
        _ => MANIFEST_LIMIT,
    };
    let Some(text) = read_text(path, limit)? else {
        return Ok(None);
    };
    match kind {
        SourceKind::GoVersion | SourceKind::Default => parse_go_version(&text, path).map(Some),
        SourceKind::ToolVersions => parse_tool_versions(&text, path),
        SourceKind::GoWork | SourceKind::GoMod => parse_go_mod(&text, path),
    }
}

/// Reads a whole file as text; `None` if it does not exist (or is a directory).
fn read_text(path: &Path, limit: u64) -> Result<Option<String>, SelectionError> {
    let Some(bytes) = userfile::read(path, limit).map_err(|e| SelectionError::Unreadable {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?
    else {
        return Ok(None);
    };
    if bytes.contains(&0) {
        return Err(invalid(path, None, "is a binary file, not a version file"));
    }
    let text = String::from_utf8(bytes).map_err(|_| invalid(path, None, "is not UTF-8 text"))?;
    Ok(Some(text.trim_start_matches('\u{feff}').to_string()))
}

/// `.go-version`: the first token of the first line that is neither blank nor a `#` comment.
fn parse_go_version(text: &str, path: &Path) -> Result<Request, SelectionError> {
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let token = line.split_whitespace().next().expect("line is not blank");
        return token
            .parse::<VersionSpec>()
            .map(Request::Spec)
            .map_err(|e| invalid(path, Some(n + 1), e.to_string()));
    }
    Err(invalid(
        path,
        None,
        "holds no Go version (expected a line such as 1.22.10)",
    ))
}

/// `.tool-versions` (asdf): the first version on the `golang` (or `go`) line.
fn parse_tool_versions(text: &str, path: &Path) -> Result<Option<Request>, SelectionError> {
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
        return version
            .parse::<VersionSpec>()
            .map(|s| Some(Request::Spec(s)))
            .map_err(|e| invalid(path, Some(n + 1), e.to_string()));
    }
    Ok(None)
}

/// `go.mod`/`go.work`: the `toolchain` line (exact; `default` means none), else the `go`
/// line as a minimum within its minor.
fn parse_go_mod(text: &str, path: &Path) -> Result<Option<Request>, SelectionError> {
    let mut go_line = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.split("//").next().unwrap_or("").trim();
        let mut tokens = line.split_whitespace();
        let (directive, value) = (tokens.next(), tokens.next());
        match (directive, value) {
            (Some("toolchain"), Some("default")) => {}
            (Some("toolchain"), Some(name)) => {
                // Only `goX.Y.Z` is a toolchain gopin can provide; never a path or suffix.
                let Some(version) = name
                    .strip_prefix("go")
                    .and_then(|v| v.parse::<GoVersion>().ok())
                else {
                    return Err(invalid(
                        path,
                        Some(n + 1),
                        format!("'toolchain {name}' does not name a Go release such as go1.22.10"),
                    ));
                };
                return Ok(Some(Request::Spec(VersionSpec::Exact(version))));
            }
            (Some("go"), Some(value)) if go_line.is_none() => {
                go_line = Some(parse_go_directive(value).ok_or_else(|| {
                    invalid(
                        path,
                        Some(n + 1),
                        format!("'go {value}' is not a Go version such as 1.22 or 1.22.3"),
                    )
                })?);
            }
            _ => {}
        }
    }
    Ok(go_line)
}

fn parse_go_directive(value: &str) -> Option<Request> {
    let spec: VersionSpec = value.parse().ok()?;
    match spec {
        VersionSpec::Prefix {
            major,
            minor: Some(minor),
        } => Some(Request::GoLine {
            major,
            minor,
            min: None,
        }),
        VersionSpec::Exact(v) => Some(Request::GoLine {
            major: v.major,
            minor: v.minor,
            min: Some(v),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tree(tempfile::TempDir);

    impl Tree {
        fn new() -> Tree {
            Tree(tempfile::tempdir().unwrap())
        }
        fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> PathBuf {
            let path = self.0.path().join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        }
        fn dir(&self, rel: &str) -> PathBuf {
            let path = self.0.path().join(rel);
            std::fs::create_dir_all(&path).unwrap();
            path
        }
        fn default_file(&self) -> PathBuf {
            self.0.path().join("default-version")
        }
        fn select(&self, rel: &str) -> Result<Option<Pin>, SelectionError> {
            select(&self.dir(rel), &self.default_file())
        }
        fn request(&self, rel: &str) -> Request {
            self.select(rel).unwrap().unwrap().request
        }
    }

    fn spec(s: &str) -> Request {
        Request::Spec(s.parse().unwrap())
    }

    #[test]
    fn go_version_files() {
        let t = Tree::new();
        t.write("a/.go-version", "1.22.10\n");
        assert_eq!(t.request("a"), spec("1.22.10"));
        t.write(
            "b/.go-version",
            "\r\n# pinned for CI\r\n  go1.21 extra words\r\n",
        );
        assert_eq!(t.request("b"), spec("1.21"));
        t.write("c/.go-version", "\u{feff}v1.20.3");
        assert_eq!(t.request("c"), spec("1.20.3"));
    }

    #[test]
    fn garbage_is_an_error_naming_the_file_and_line() {
        let t = Tree::new();
        for (body, needle) in [
            ("1.22; rm -rf ~\n", "line 1"),
            ("$(touch /tmp/pwned)\n", "line 1"),
            ("`id`", "line 1"),
            ("# only a comment\n\n", "holds no Go version"),
            ("", "holds no Go version"),
            ("\x00\x01\x02binary", "binary"),
        ] {
            let path = t.write("g/.go-version", body);
            let err = t.select("g").unwrap_err().to_string();
            assert!(err.contains(&*path.to_string_lossy()), "{err}");
            assert!(err.contains(needle), "{body:?}: {err}");
        }
        let path = t.write("h/.go-version", [0xffu8, 0xfe, b'1']);
        let err = t.select("h").unwrap_err().to_string();
        assert!(err.contains("UTF-8") && err.contains(&*path.to_string_lossy()));
    }

    #[test]
    fn files_past_the_read_limit_are_refused_naming_them() {
        let t = Tree::new();
        // A version that would straddle the limit must never be read as another version.
        let mut body = "#".repeat(4093);
        body.push_str("\n1.22.10\n");
        let path = t.write("big/.go-version", &body);
        let err = t.select("big").unwrap_err().to_string();
        assert!(err.contains("larger than 4096 bytes"), "{err}");
        assert!(err.contains(&*path.to_string_lossy()), "{err}");
        let mut body = String::from("module m\n");
        body.push_str(&"// padding\n".repeat(MANIFEST_LIMIT as usize / 11));
        body.push_str("go 1.22\n");
        t.write("bigmod/go.mod", &body);
        let err = t.select("bigmod").unwrap_err().to_string();
        assert!(err.contains("go.mod is larger than"), "{err}");
    }

    #[test]
    fn tool_versions() {
        let t = Tree::new();
        t.write(
            "a/.tool-versions",
            "nodejs 20.1.0\ngolang 1.22.5 1.21.0 # fallback\n",
        );
        assert_eq!(t.request("a"), spec("1.22.5"));
        t.write("b/.tool-versions", "go 1.21\n");
        assert_eq!(t.request("b"), spec("1.21"));
        // No Go entry: the directory pins nothing, so go.mod beside it decides.
        t.write("c/.tool-versions", "python 3.12.1\n");
        t.write("c/go.mod", "module x\n\ngo 1.20\n");
        assert_eq!(
            t.request("c"),
            Request::GoLine {
                major: 1,
                minor: 20,
                min: None
            }
        );
        t.write("d/.tool-versions", "golang ref:master\n");
        assert!(t.select("d").is_err());
    }

    #[test]
    fn go_mod_and_go_work() {
        let t = Tree::new();
        t.write(
            "a/go.mod",
            "module example.com/a // the module\n\ngo 1.22.3\n\ntoolchain go1.23.4\n",
        );
        assert_eq!(t.request("a"), spec("1.23.4"));
        t.write("b/go.mod", "module b\ngo 1.22.3\ntoolchain default\n");
        let b = t.request("b");
        assert_eq!(
            b,
            Request::GoLine {
                major: 1,
                minor: 22,
                min: Some("1.22.3".parse().unwrap())
            }
        );
        let have: Vec<GoVersion> = ["1.22.1", "1.22.5", "1.23.0", "1.22.2"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(b.pick(&have), Some("1.22.5".parse().unwrap()));
        t.write("c/go.mod", "module c\ngo 1.21\n");
        t.write("c/go.work", "go 1.22\nuse .\n");
        assert_eq!(
            t.request("c"),
            Request::GoLine {
                major: 1,
                minor: 22,
                min: None
            }
        );
        t.write("d/go.mod", "module d\ntoolchain /usr/bin/evil\n");
        assert!(t.select("d").is_err());
        t.write("e/go.mod", "module e\ntoolchain go1.21.0+auto\n");
        assert!(t.select("e").is_err());
        t.write("f/go.mod", "module f\n");
        assert_eq!(t.select("f").unwrap(), None);
    }

    #[test]
    fn precedence_within_and_across_directories() {
        let t = Tree::new();
        t.write("p/go.mod", "module p\ngo 1.20\n");
        t.write("p/.tool-versions", "golang 1.21.1\n");
        assert_eq!(t.request("p"), spec("1.21.1"));
        t.write("p/.go-version", "1.22.2\n");
        let pin = t.select("p/sub/deeper").unwrap().unwrap();
        assert_eq!(pin.request, spec("1.22.2"));
        assert_eq!(pin.kind, SourceKind::GoVersion);
        t.write("p/sub/go.mod", "module sub\ngo 1.19\n");
        assert_eq!(
            t.request("p/sub/deeper"),
            Request::GoLine {
                major: 1,
                minor: 19,
                min: None
            }
        );
    }

    #[test]
    fn default_applies_only_when_nothing_is_pinned() {
        let t = Tree::new();
        assert_eq!(t.select("none").unwrap(), None);
        t.write("default-version", "1.21\n");
        let pin = t.select("none").unwrap().unwrap();
        assert_eq!(pin.kind, SourceKind::Default);
        t.write("pinned/.go-version", "1.22.1");
        assert_eq!(t.request("pinned"), spec("1.22.1"));
    }

    #[test]
    fn watch_list_covers_the_searched_directories() {
        let t = Tree::new();
        t.write("p/.go-version", "1.22.2\n");
        let dir = t.dir("p/a/b");
        let pin = t.select("p/a/b").unwrap();
        let watch = watch_list(&dir, pin.as_ref(), &t.default_file());
        let p = t.0.path().join("p");
        assert_eq!(
            watch,
            [dir.clone(), p.join("a"), p.clone(), p.join(".go-version")]
        );
    }
}
