//! What the files around a directory say about its Go (docs/selection.md): which file picks a
//! version, and which `go` line sets a minimum. Files only: never the store, never the
//! network. Turning this into an installed Go is `resolve`'s job.
//!
//! The rule, as Go itself would honour it: **version files and toolchain lines pick; a `go`
//! line only sets a minimum.** Walking from the directory up to `/`:
//! - pin files pick: in each directory the first of [`pinfile::PIN_FILES`] that pins Go
//!   (reading them is [`pinfile`]'s);
//! - Go's own files: the workspace first (`GOWORK=off`: none; `GOWORK=/path`: that file; else
//!   the nearest `go.work`), else the nearest `go.mod`. Its `toolchain` line picks unless it is
//!   `default` or older than its `go` line (Go ignores such a line); its `go` line is the
//!   minimum.
//!
//! The nearest pick wins (a pin file before Go's file in the same directory); without one, the
//! user default picks.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::pinfile::{self, FileError, MANIFEST_LIMIT, PIN_FILES, PinKind, Pinned, invalid};
use crate::request::Floor;
use crate::ui::shown;
use crate::version::{GoVersion, VersionSpec};

/// The kinds of file that take part in the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    GoVersion,
    ToolVersions,
    /// `mise.toml` and the other names mise reads its project config from.
    Mise,
    GoWork,
    GoMod,
    /// The user default (`gopin use --global`).
    Default,
    /// `gopin shell` (`GOPIN_SHELL_VERSION`): this shell only, over every file.
    Shell,
}

impl From<PinKind> for SourceKind {
    fn from(kind: PinKind) -> SourceKind {
        match kind {
            PinKind::GoVersion => SourceKind::GoVersion,
            PinKind::ToolVersions => SourceKind::ToolVersions,
            PinKind::Mise => SourceKind::Mise,
            PinKind::Default => SourceKind::Default,
        }
    }
}

/// Go's own files, which take part in the selection beside the pin files.
const GO_FILES: [&str; 2] = ["go.work", "go.mod"];

/// Every file name whose appearance in a searched directory could change the selection: the
/// pin files, then Go's own.
pub const FILE_NAMES: [&str; PIN_FILES.len() + GO_FILES.len()] = {
    let mut names = [""; PIN_FILES.len() + GO_FILES.len()];
    let mut i = 0;
    while i < PIN_FILES.len() {
        names[i] = PIN_FILES[i].0;
        i += 1;
    }
    while i < names.len() {
        names[i] = GO_FILES[i - PIN_FILES.len()];
        i += 1;
    }
    names
};

/// Every file name whose appearance in a searched directory could change the hook's answer:
/// those that select ([`FILE_NAMES`]), then the lock, which narrows the pick to the release it
/// holds (docs/lock.md, docs/shell.md).
pub const WATCHED_NAMES: [&str; FILE_NAMES.len() + 1] = {
    let mut names = [crate::lock::FILE_NAME; FILE_NAMES.len() + 1];
    let mut i = 0;
    while i < FILE_NAMES.len() {
        names[i] = FILE_NAMES[i];
        i += 1;
    }
    names
};

/// A version a file picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    pub spec: VersionSpec,
    pub source: PathBuf,
    pub kind: SourceKind,
}

/// The minimum a `go` line sets, and the file it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minimum {
    pub floor: Floor,
    pub source: PathBuf,
    /// When a directive of the file needs a newer release than its `go` line (a `godebug`
    /// block under `go 1.22.0`): the directive, and the `go` line it raised.
    pub raised: Option<(&'static str, Option<Floor>)>,
}

impl Minimum {
    /// Why the minimum is higher than the `go` line, for `current` and the hook.
    pub fn reason(&self) -> Option<String> {
        let (directive, go) = self.raised?;
        let go = go.map_or("no go line".to_string(), |g| format!("go {g}"));
        Some(format!(
            "{} says {go}, but its `{directive}` directive needs Go {} or later, which no older release can read: at least go {} is used there",
            crate::ui::tilde(&self.source),
            self.floor,
            self.floor
        ))
    }
}

/// Which workspace file applies, from `GOWORK` as `go` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workspace {
    /// `GOWORK` unset, empty or `auto`: the nearest `go.work` above.
    Search,
    /// `GOWORK=off`: none.
    Off,
    /// `GOWORK=/path/to/go.work`.
    File(PathBuf),
}

impl Workspace {
    /// From a `GOWORK` value (`None`: unset).
    pub fn from_gowork(value: Option<std::ffi::OsString>) -> Result<Workspace, SelectionError> {
        // `auto` means the same as unset (cmd/go's modload.FindGoWork: "" and "auto" both
        // search for the nearest go.work).
        let Some(value) = value.filter(|v| !v.is_empty() && v != "auto") else {
            return Ok(Workspace::Search);
        };
        if value == "off" {
            return Ok(Workspace::Off);
        }
        let path = PathBuf::from(value);
        if !path.is_absolute() {
            return Err(SelectionError::Environment(format!(
                "GOWORK={} is not an absolute path: set it to /path/to/go.work, off, or unset it",
                shown(&path)
            )));
        }
        Ok(Workspace::File(path))
    }
}

/// What the files say for one directory, and what was looked at to find out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// The nearest pick (else the user default's).
    pub pick: Option<Pick>,
    /// The file that pins `system` when it is the nearest pick (then `pick` is `None`): the
    /// Go already on PATH, nothing of gopin's applied.
    pub system: Option<PathBuf>,
    /// Lines to show about the choice (a custom toolchain gopin cannot provide).
    pub notes: Vec<String>,
    /// The `go` line of the governing go.work or go.mod.
    pub minimum: Option<Minimum>,
    pub watch: Watch,
}

/// What the answer depends on, for the shell hook to notice a change with builtins alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Watch {
    /// Files whose content decided (edited or removed: look again).
    pub files: Vec<PathBuf>,
    /// The directories searched, nearest first: one of [`WATCHED_NAMES`] appearing in one of
    /// them may decide instead.
    pub dirs: Vec<PathBuf>,
    /// The files of [`WATCHED_NAMES`] that already exist in those directories.
    pub known: Vec<PathBuf>,
    /// Above the directory whose pin file decides, only Go's own files can still change the
    /// answer (a `go.work`, and a `go.mod` while no module was found): those paths, none of
    /// which exists now. One appearing is a change; nothing else there is looked at.
    pub absent: Vec<PathBuf>,
    /// The directories of `absent`, nearest first, for a shell to which a directory's date
    /// costs less than a test of each name (zsh): then they are watched as `dirs` are, and
    /// their files of [`WATCHED_NAMES`] are in `known` too.
    pub above: Vec<PathBuf>,
    /// Paths in `absent` too, for a shell that watches directories by date (zsh): the links
    /// of [`WATCHED_NAMES`] whose target is not there (their target appearing changes no
    /// date of theirs), and a file `GOWORK` names that is not there (its directory is in
    /// `above`).
    pub dangling: Vec<PathBuf>,
    /// Directories whose ceasing to be one (gone, or a link or a file in their place) is a
    /// change and whose date is not (the entry of the installed version an exact pin
    /// names): `-d` and `! -L` each.
    pub present: Vec<PathBuf>,
    /// The stores' `versions/` holding `present` and the entries of `absent`, for a shell
    /// to which a directory's date costs one `stat` (zsh's `zstat`): it watches them by
    /// date instead of those entries.
    pub stores: Vec<PathBuf>,
}

impl Watch {
    /// Every directory from `dir` up to `/`, for when the search could not finish (a broken
    /// file): whatever appears anywhere may decide.
    pub fn around(dir: &Path) -> Watch {
        let mut watch = Watch::default();
        for d in dir.ancestors() {
            watch.add_dir(d);
        }
        watch
    }

    /// A directory above the deciding pin file, where only `names` (Go's files the search
    /// still looks for) can change the answer: their paths, to test for appearing. Where
    /// one of them is there in a form that does not count (a directory named go.work, a
    /// dangling link), the directory's date is watched instead, as below the pin.
    fn add_pending(&mut self, d: &Path, names: &[&str]) {
        let paths: Vec<PathBuf> = names.iter().map(|n| d.join(n)).collect();
        if paths.iter().any(|p| std::fs::symlink_metadata(p).is_ok()) {
            self.add_dir(d);
        } else {
            self.absent.extend(paths);
            self.above.push(d.to_path_buf());
            self.add_known(d, false);
        }
    }

    /// A path that is not there and whose appearing is a change, in a directory that is
    /// not watched otherwise (a version's entry in a store).
    pub fn add_absent(&mut self, path: &Path) {
        self.absent.push(path.to_path_buf());
        self.dangling.push(path.to_path_buf());
    }

    /// The file `GOWORK` names, not there: it appearing is a change.
    pub fn add_missing(&mut self, path: &Path) {
        self.absent.push(path.to_path_buf());
        self.dangling.push(path.to_path_buf());
        if let Some(d) = path.parent() {
            self.above.push(d.to_path_buf());
        }
    }

    fn add_dir(&mut self, d: &Path) {
        self.dirs.push(d.to_path_buf());
        self.add_known(d, true);
    }

    /// The names of [`WATCHED_NAMES`] in `d`. With `forms`, one there in a form that does not
    /// count is watched for becoming one that does, which need not change `d`'s date: a
    /// dangling link's target appearing (to a shell's `-e`, which follows links, the path is
    /// absent: it joins `absent`), a directory replaced by a file (the path's own date: it
    /// joins `files`).
    fn add_known(&mut self, d: &Path, forms: bool) {
        for name in WATCHED_NAMES {
            let path = d.join(name);
            if std::fs::symlink_metadata(&path).is_err() {
                continue;
            }
            if forms {
                match std::fs::metadata(&path) {
                    Err(_) => {
                        self.absent.push(path.clone());
                        self.dangling.push(path.clone());
                    }
                    Ok(m) if m.is_dir() => self.files.push(path.clone()),
                    Ok(_) => {}
                }
            }
            self.known.push(path);
        }
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SelectionError {
    /// A pin file, go.mod or go.work that cannot be used.
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{0}")]
    Environment(String),
    /// `GOWORK` names a file that is not there.
    #[error("GOWORK names {}, which does not exist: create it, or unset GOWORK", shown(.0))]
    MissingWorkspace(PathBuf),
}

impl SelectionError {
    /// The file the problem is in, if a file is.
    pub fn path(&self) -> Option<&Path> {
        match self {
            SelectionError::File(e) => Some(e.path()),
            SelectionError::Environment(_) | SelectionError::MissingWorkspace(_) => None,
        }
    }
}

/// What a go.mod or go.work says: its `go` line and its `toolchain` line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoDirectives {
    pub go: Option<Floor>,
    /// `None` for no line and for `toolchain default`. For a custom toolchain name
    /// (`go1.22.3-bigcorp`), the release it is named after.
    pub toolchain: Option<GoVersion>,
    /// The whole toolchain name when it carries a custom suffix (`go1.22.3-bigcorp`).
    pub custom_toolchain: Option<String>,
    /// The newest directive the file uses whose release is newer than its `go` line, and
    /// the language version that release brought it in.
    pub needs: Option<(&'static str, Floor)>,
}

/// Directives that a Go release older than the one named cannot parse (cmd/go's modfile
/// history: `toolchain` came with Go 1.21, `godebug` with 1.23, `tool` with 1.24, `ignore`
/// with 1.25). A go.mod using one needs at least that release, whatever its `go` line says.
const DIRECTIVE_RELEASES: [(&str, u32); 4] = [
    ("toolchain", 21),
    ("godebug", 23),
    ("tool", 24),
    ("ignore", 25),
];

impl GoDirectives {
    /// The version the toolchain line picks: none when it is older than the go line, which
    /// Go ignores.
    pub fn toolchain_pick(&self) -> Option<GoVersion> {
        self.toolchain
            .filter(|t| self.go.is_none_or(|floor| floor.admits(t)))
    }

    /// The least version this file can be read by: its `go` line, raised to the release a
    /// newer directive needs (with that directive's name when it raised it).
    pub fn minimum(&self) -> Option<(Floor, Option<&'static str>)> {
        match (self.go, self.needs) {
            (Some(go), Some((directive, need))) if !need.admits(&go.version) => {
                Some((need, Some(directive)))
            }
            (None, Some((directive, need))) => Some((need, Some(directive))),
            (Some(go), _) => Some((go, None)),
            (None, None) => None,
        }
    }
}

/// The selection for `dir` (see the module docs). `default_file` holds the user default.
/// `temp_dir` is the system temp directory as `go` sees it (`$TMPDIR`, else `/tmp`): a
/// go.mod directly in it is no module, as for `go`.
pub fn select(
    dir: &Path,
    default_file: &Path,
    workspace: &Workspace,
    temp_dir: &Path,
) -> Result<Selection, SelectionError> {
    let mut watch = Watch::default();
    // The nearest pin file, by depth (0 is `dir`), read lazily: an error in it counts only
    // if it is the one used.
    let mut pin: Option<(usize, Result<Found, SelectionError>)> = None;
    let mut go_work = match workspace {
        Workspace::File(path) => Some((usize::MAX, path.clone())),
        _ => None,
    };
    let mut go_mod: Option<(usize, PathBuf)> = None;
    // The nearest go.mod was the one in the temp directory, which `go` ignores (and then
    // has no module: it does not look further up).
    let mut go_mod_ignored = false;
    for (depth, d) in dir.ancestors().enumerate() {
        let work_pending = *workspace == Workspace::Search && go_work.is_none();
        let mod_settled = go_mod.is_some() || go_mod_ignored;
        if pin.is_some() && !work_pending && (go_work.is_some() || mod_settled) {
            break;
        }
        if pin.is_none() {
            watch.add_dir(d);
            pin = read_pin_files(d).map(|p| (depth, p));
        } else {
            // Above the pin file only Go's own files still count: a nearer pin file decides.
            let pending = [("go.work", work_pending), ("go.mod", !mod_settled)];
            let names: Vec<&str> = pending.iter().filter(|p| p.1).map(|p| p.0).collect();
            watch.add_pending(d, &names);
        }
        // A directory named go.mod or go.work is not one (as for `go`); a FIFO is, and is
        // reported as such when read.
        let is_file = |p: &Path| p.exists() && !p.is_dir();
        if work_pending && is_file(&d.join("go.work")) {
            go_work = Some((depth, d.join("go.work")));
        }
        if go_mod.is_none() && !go_mod_ignored && is_file(&d.join("go.mod")) {
            // As cmd/go's modload does after findModuleRoot (Init; FindGoMod for the
            // toolchain switch): a module root that is the system temp directory itself is
            // ignored ("ignoring go.mod in system temp root").
            if same_dir(d, temp_dir) {
                go_mod_ignored = true;
            } else {
                go_mod = Some((depth, d.join("go.mod")));
            }
        }
    }
    let governing = go_work.or(go_mod);
    let mut selection = Selection::default();
    let mut toolchain: Option<(usize, Pick)> = None;
    if let Some((depth, path)) = governing {
        let directives = read_go_directives(&path)?.ok_or_else(|| {
            // Only GOWORK can name a file that is not there.
            SelectionError::MissingWorkspace(path.clone())
        })?;
        selection.minimum = directives.minimum().map(|(floor, raised)| Minimum {
            floor,
            source: path.clone(),
            raised: raised.map(|d| (d, directives.go)),
        });
        if let (Some(name), Some(v)) = (&directives.custom_toolchain, directives.toolchain_pick()) {
            selection.notes.push(format!(
                "toolchain {name} in {} is a custom build that gopin cannot provide: using the {v} release it is named after",
                crate::ui::tilde(&path)
            ));
        }
        toolchain = directives.toolchain_pick().map(|v| {
            let kind = if path.ends_with("go.mod") {
                SourceKind::GoMod
            } else {
                SourceKind::GoWork
            };
            let pick = Pick {
                spec: VersionSpec::Exact(v),
                source: path.clone(),
                kind,
            };
            (depth, pick)
        });
        watch.files.push(path);
    }
    let found = match (pin, toolchain) {
        // A pin file in the same directory as Go's file comes first.
        (Some((pin_depth, pin)), Some((tc_depth, _))) if pin_depth <= tc_depth => Some(pin?),
        (_, Some((_, toolchain))) => {
            selection.pick = Some(toolchain);
            None
        }
        (Some((_, pin)), None) => Some(pin?),
        (None, None) => read_default(default_file)?,
    };
    if let Some(found) = found {
        found.settle(&mut selection);
    }
    let decided = selection.pick.as_ref().map(|p| &p.source);
    for source in decided.into_iter().chain(selection.system.as_ref()) {
        if !watch.files.contains(source) {
            watch.files.push(source.clone());
        }
    }
    selection.watch = watch;
    Ok(selection)
}

/// A pin file's word: a version or `system`, and where it was read.
struct Found {
    pinned: Pinned,
    source: PathBuf,
    kind: SourceKind,
}

impl Found {
    /// Into the selection: a pick, or the `system` file.
    fn settle(self, selection: &mut Selection) {
        match self.pinned {
            Pinned::Version(spec) => {
                selection.pick = Some(Pick {
                    spec,
                    source: self.source,
                    kind: self.kind,
                })
            }
            Pinned::System => selection.system = Some(self.source),
        }
    }
}

/// Whether two paths name the same directory (as written, or once links are followed).
fn same_dir(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    a == b
        || match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
}

/// The first pin file in `dir` that pins Go, if any.
fn read_pin_files(dir: &Path) -> Option<Result<Found, SelectionError>> {
    PIN_FILES.iter().find_map(|&(name, kind)| {
        let path = dir.join(name);
        match pinfile::read_pin(&path, kind) {
            Ok(None) => None,
            Ok(Some(pinned)) => Some(Ok(Found {
                pinned,
                source: path,
                kind: kind.into(),
            })),
            Err(e) => Some(Err(e.into())),
        }
    })
}

fn read_default(path: &Path) -> Result<Option<Found>, SelectionError> {
    Ok(
        pinfile::read_pin(path, PinKind::Default)?.map(|pinned| Found {
            pinned,
            source: path.to_path_buf(),
            kind: SourceKind::Default,
        }),
    )
}

/// Reads a go.mod or go.work's `go` and `toolchain` lines; `None` if the file does not exist.
pub fn read_go_directives(path: &Path) -> Result<Option<GoDirectives>, SelectionError> {
    Ok(pinfile::read_text(path, MANIFEST_LIMIT)?
        .map(|text| parse_go_mod(&text, path))
        .transpose()?)
}

/// `go.mod`/`go.work`: the `go` line, the `toolchain` line, and the newest directive the
/// file uses (outside blocks: a line inside `require ( … )` is a module path).
fn parse_go_mod(text: &str, path: &Path) -> Result<GoDirectives, FileError> {
    let mut found = GoDirectives::default();
    let (mut seen_go, mut seen_toolchain, mut in_block) = (false, false, false);
    for (n, line) in text.lines().enumerate() {
        let line = line.split("//").next().unwrap_or("").trim();
        if in_block {
            in_block = line != ")";
            continue;
        }
        let mut tokens = line.split_whitespace();
        let first = tokens.next();
        if let Some(directive) = first
            && let Some(&(name, minor)) = DIRECTIVE_RELEASES.iter().find(|(d, _)| *d == directive)
            && found.needs.is_none_or(|(_, f)| f.version.minor < minor)
        {
            let floor = Floor {
                version: GoVersion::new(1, minor, 0),
                language: true,
            };
            found.needs = Some((name, floor));
        }
        if line.ends_with('(') {
            in_block = true;
            continue;
        }
        match (first, tokens.next()) {
            (Some("toolchain"), Some(name)) if !seen_toolchain => {
                seen_toolchain = true;
                if name == "default" {
                    continue;
                }
                let (version, custom) = parse_toolchain_name(name).ok_or_else(|| {
                    invalid(
                        path,
                        Some(n + 1),
                        format!("'toolchain {name}' does not name a Go release such as go1.22.10"),
                    )
                })?;
                // From 1.21 a release has three numbers: `go1.22` is a language version, which
                // `go` refuses as a toolchain.
                let base = name.split(['-', ' ', '\t']).next().unwrap_or(name);
                let dots = base.bytes().filter(|&b| b == b'.').count();
                if (version.major, version.minor) >= (1, 21) && version.is_stable() && dots < 2 {
                    return Err(invalid(
                        path,
                        Some(n + 1),
                        format!(
                            "'toolchain {name}' is a language version, not a release: write toolchain {base}.0 or a later patch"
                        ),
                    ));
                }
                found.toolchain = Some(version);
                found.custom_toolchain = custom.then(|| name.to_string());
            }
            (Some(directive @ ("go" | "toolchain")), None) => {
                return Err(invalid(
                    path,
                    Some(n + 1),
                    format!("the '{directive}' line has no version"),
                ));
            }
            (Some("go"), Some(value)) if !seen_go => {
                seen_go = true;
                found.go = Some(Floor::parse(value).ok_or_else(|| {
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
    Ok(found)
}

/// A toolchain name as `go` reads it (cmd/go's gover.FromToolchain): `go` and a release,
/// with an optional custom suffix after a `-` (`go1.22.3-bigcorp`), which names a build of
/// that release. Returns the release and whether a suffix was there. Never a path.
fn parse_toolchain_name(name: &str) -> Option<(GoVersion, bool)> {
    let rest = name.strip_prefix("go")?;
    let (base, custom) = match rest.find('-') {
        Some(i) if i + 1 < rest.len() => (&rest[..i], true),
        Some(_) => return None,
        None => (rest, false),
    };
    // A suffix may hold only what a version tag may (`-bigcorp.2`), never a path.
    let suffix_ok = rest[base.len()..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if !suffix_ok {
        return None;
    }
    base.parse::<GoVersion>().ok().map(|v| (v, custom))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tree(tempfile::TempDir);

    impl Tree {
        fn new() -> Tree {
            Tree(tempfile::tempdir().unwrap())
        }
        fn path(&self, rel: &str) -> PathBuf {
            self.0.path().join(rel)
        }
        fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> PathBuf {
            let path = self.path(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            path
        }
        fn dir(&self, rel: &str) -> PathBuf {
            let path = self.path(rel);
            std::fs::create_dir_all(&path).unwrap();
            path
        }
        fn select_in(&self, rel: &str, ws: &Workspace) -> Result<Selection, SelectionError> {
            select(
                &self.dir(rel),
                &self.path("default-version"),
                ws,
                &self.path("tmp"),
            )
        }
        fn select(&self, rel: &str) -> Result<Selection, SelectionError> {
            self.select_in(rel, &Workspace::Search)
        }
        /// The pick as (spec, file relative to the tree).
        fn pick(&self, rel: &str) -> Option<(String, String)> {
            let pick = self.select(rel).unwrap().pick?;
            Some((pick.spec.to_string(), self.rel(&pick.source)))
        }
        fn minimum(&self, rel: &str) -> Option<(String, String)> {
            let m = self.select(rel).unwrap().minimum?;
            Some((m.floor.to_string(), self.rel(&m.source)))
        }
        fn rel(&self, p: &Path) -> String {
            p.strip_prefix(self.0.path()).unwrap().display().to_string()
        }
    }

    fn some(a: &str, b: &str) -> Option<(String, String)> {
        Some((a.to_string(), b.to_string()))
    }

    #[test]
    fn go_version_files() {
        let t = Tree::new();
        t.write("a/.go-version", "1.22.10\n");
        assert_eq!(t.pick("a"), some("go1.22.10", "a/.go-version"));
        t.write(
            "b/.go-version",
            "\r\n# pinned for CI\r\n  go1.21 extra words\r\n",
        );
        assert_eq!(t.pick("b"), some("1.21", "b/.go-version"));
        t.write("c/.go-version", "\u{feff}v1.20.3");
        assert_eq!(t.pick("c"), some("go1.20.3", "c/.go-version"));
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
        assert_eq!(t.pick("a"), some("go1.22.5", "a/.tool-versions"));
        t.write("b/.tool-versions", "go 1.21\n");
        assert_eq!(t.pick("b"), some("1.21", "b/.tool-versions"));
        // No Go entry: it pins nothing, and go.mod beside it only sets a minimum.
        t.write("c/.tool-versions", "python 3.12.1\n");
        t.write("c/go.mod", "module x\n\ngo 1.20\n");
        assert_eq!(t.pick("c"), None);
        assert_eq!(t.minimum("c"), some("1.20", "c/go.mod"));
        t.write("d/.tool-versions", "golang ref:master\n");
        assert!(t.select("d").is_err());
    }

    #[test]
    fn mise_config_files_pick() {
        let t = Tree::new();
        t.write(
            "a/mise.toml",
            "[env]\nX = \"1\"\n\n[tools]\nnode = \"20\"\ngo = \"1.21\"\n",
        );
        assert_eq!(t.pick("a"), some("1.21", "a/mise.toml"));
        t.write(
            "b/.mise.toml",
            "[tools]\n\"go\" = [\"1.21.13\", \"1.22\"]\n",
        );
        assert_eq!(t.pick("b"), some("go1.21.13", "b/.mise.toml"));
        t.write(
            "c/.config/mise.toml",
            "[tools]\ngo = { version = \"prefix:1.22\" }\n",
        );
        assert_eq!(t.pick("c"), some("1.22", "c/.config/mise.toml"));
        // In one directory, the peers' order (docs/selection.md). mise ranks an idiomatic
        // `.go-version` below its own files and `.tool-versions` ("mise uses a mise.toml or
        // .tool-versions file ... it can also read go-specific version files named
        // .go-version", mise's docs/lang/go.md); asdf reads `.tool-versions` before legacy
        // files in each directory (asdf's find_versions; its test "find_versions should
        // return .tool-versions if legacy is disabled").
        t.write("d/.go-version", "1.23.1\n");
        assert_eq!(t.pick("d"), some("go1.23.1", "d/.go-version"));
        t.write("d/.tool-versions", "golang 1.20.1\n");
        assert_eq!(t.pick("d"), some("go1.20.1", "d/.tool-versions"));
        // mise's own order, later wins (its LOCAL_CONFIG_FILENAMES: .config/mise.toml,
        // mise.toml, .mise.toml, then mise.local.toml, .mise.local.toml), .tool-versions
        // lowest of its files.
        t.write("d/.config/mise.toml", "[tools]\ngo = \"1.19\"\n");
        assert_eq!(t.pick("d"), some("1.19", "d/.config/mise.toml"));
        t.write("d/mise.toml", "[tools]\ngo = \"1.21\"\n");
        assert_eq!(t.pick("d"), some("1.21", "d/mise.toml"));
        t.write("d/.mise.toml", "[tools]\ngo = \"1.21.13\"\n");
        assert_eq!(t.pick("d"), some("go1.21.13", "d/.mise.toml"));
        t.write("d/mise.local.toml", "[tools]\ngo = \"1.22\"\n");
        assert_eq!(t.pick("d"), some("1.22", "d/mise.local.toml"));
        t.write("d/.mise.local.toml", "[tools]\ngo = \"1.22.9\"\n");
        assert_eq!(t.pick("d"), some("go1.22.9", "d/.mise.local.toml"));
        // mise's table forms (mise's docs: `node = { version = "22", ... }`; the `prefix:`
        // form spelled as a key).
        t.write("g/mise.toml", "[tools]\ngo = { prefix = \"1.22\" }\n");
        assert_eq!(t.pick("g"), some("1.22", "g/mise.toml"));
        t.write("h/mise.toml", "[tools.go]\nversion = \"1.21.13\"\n");
        assert_eq!(t.pick("h"), some("go1.21.13", "h/mise.toml"));
        // mise's `os` option: an entry for other systems does not apply here.
        let (here, other) = if cfg!(target_os = "linux") {
            ("linux", "windows")
        } else {
            ("macos", "linux")
        };
        t.write(
            "i/mise.toml",
            format!("[tools]\ngo = [{{ version = \"1.20.1\", os = [\"{other}\"] }}, {{ version = \"1.21.13\", os = [\"{here}\"] }}]\n"),
        );
        assert_eq!(t.pick("i"), some("go1.21.13", "i/mise.toml"));
        t.write(
            "j/mise.toml",
            format!("[tools]\ngo = {{ version = \"1.20.1\", os = [\"{other}\"] }}\n"),
        );
        assert_eq!(t.pick("j"), None);
        // No go entry: it pins nothing.
        t.write("e/mise.toml", "[tools]\npython = \"3.12\"\n");
        assert_eq!(t.pick("e"), None);
        for bad in [
            "[tools]\ngo = \"ref:master\"\n",
            "[tools]\ngo = 5\n",
            "tools = [\n",
        ] {
            let path = t.write("f/mise.toml", bad);
            let err = t.select("f").unwrap_err().to_string();
            assert!(err.contains(&*path.to_string_lossy()), "{err}");
        }
    }

    /// `system` is the Go already on PATH: goenv ("uses system one when no version arguments
    /// are given": `system (set by $GOENV_ROOT/version)`; `goenv local system`), asdf
    /// (`golang system` in .tool-versions: "use the system version") and mise (`go =
    /// "system"`). The nearest file saying it wins, so a parent's pin is not used.
    #[test]
    fn system_is_the_go_on_path_and_hides_the_parents_pin() {
        let t = Tree::new();
        t.write("p/.go-version", "1.22.10\n");
        for (file, body) in [
            ("p/a/.go-version", "system\n"),
            ("p/b/.tool-versions", "nodejs 20\ngolang system\n"),
            ("p/c/mise.toml", "[tools]\ngo = \"system\"\n"),
        ] {
            t.write(file, body);
            let dir = Path::new(file).parent().unwrap().to_str().unwrap();
            let s = t.select(dir).unwrap();
            assert_eq!(s.pick, None, "{file}");
            assert_eq!(s.system, Some(t.path(file)), "{file}");
            assert!(s.watch.files.contains(&t.path(file)), "{file}");
        }
        // A nearer pick still wins over a farther `system`.
        t.write("p/a/sub/.go-version", "1.21.13\n");
        assert_eq!(t.pick("p/a/sub"), some("go1.21.13", "p/a/sub/.go-version"));
        assert_eq!(t.select("p/a/sub").unwrap().system, None);
        // The default may say it too.
        t.write("default-version", "system\n");
        assert_eq!(
            t.select("none").unwrap().system,
            Some(t.path("default-version"))
        );
    }

    /// cmd/go's gover.FromToolchain strips a custom suffix (`go1.22.3-bigcorp` is 1.22.3),
    /// and toolchain.Select uses a toolchain line only when it is newer than the go line.
    /// gopin agrees: an older one is ignored; a newer one cannot be provided (it is a custom
    /// build), so the release it is named after is used, and a note says so.
    #[test]
    fn custom_toolchain_names_are_valid_as_for_go() {
        let t = Tree::new();
        t.write(
            "old/go.mod",
            "module o\ngo 1.23.0\ntoolchain go1.22.3-bigcorp\n",
        );
        let s = t.select("old").unwrap();
        assert_eq!(s.pick, None);
        assert!(s.notes.is_empty(), "{:?}", s.notes);
        t.write(
            "new/go.mod",
            "module n\ngo 1.21.0\ntoolchain go1.22.3-bigcorp.2\n",
        );
        let s = t.select("new").unwrap();
        assert_eq!(t.pick("new"), some("go1.22.3", "new/go.mod"));
        assert!(
            s.notes[0].contains("go1.22.3-bigcorp.2") && s.notes[0].contains("using the go1.22.3"),
            "{:?}",
            s.notes
        );
        // Still never a path, nor an empty or odd suffix.
        for bad in [
            "go1.22.3-",
            "go1.22.3-../../x",
            "go1.22.3-a/b",
            "bigcorp-go1.22.3",
        ] {
            t.write(
                "bad/go.mod",
                format!("module b\ngo 1.21.0\ntoolchain {bad}\n"),
            );
            assert!(t.select("bad").is_err(), "{bad}");
        }
    }

    /// cmd/go's modload.FindGoWork: `GOWORK=auto` searches for go.work as unset does.
    #[test]
    fn gowork_auto_is_unset() {
        assert_eq!(
            Workspace::from_gowork(Some("auto".into())).unwrap(),
            Workspace::Search
        );
        let t = Tree::new();
        t.write("ws/go.work", "go 1.22\nuse ./m\n");
        t.write("ws/m/go.mod", "module m\ngo 1.21\n");
        let auto = Workspace::from_gowork(Some("auto".into())).unwrap();
        let s = t.select_in("ws/m", &auto).unwrap();
        assert_eq!(s.minimum.unwrap().source, t.path("ws/go.work"));
    }

    /// cmd/go's modload (Init, and FindGoMod for the toolchain switch) ignores a module
    /// root that is the system temp directory itself ("ignoring go.mod in system temp
    /// root"), and then has no module; a go.mod in a directory below it counts.
    #[test]
    fn a_go_mod_directly_in_the_temp_dir_is_ignored() {
        let t = Tree::new();
        t.write("tmp/go.mod", "module t\ngo 1.22\ntoolchain go1.22.10\n");
        t.write("go.mod", "module above\ngo 1.23\n");
        let s = t.select("tmp/scratch").unwrap();
        assert_eq!(s.minimum, None);
        assert_eq!(s.pick, None);
        t.write("tmp/proj/go.mod", "module p\ngo 1.21\n");
        assert_eq!(t.minimum("tmp/proj"), some("1.21", "tmp/proj/go.mod"));
        // go.work has no such rule.
        t.write("tmp/go.work", "go 1.22.1\n");
        assert_eq!(t.minimum("tmp/scratch"), some("1.22.1", "tmp/go.work"));
    }

    /// A directive that a release older than the one bringing it cannot parse raises the
    /// minimum above the go line: a real kubernetes go.mod says `go 1.22.0` with a `godebug`
    /// block, which go1.22 refuses ("unknown directive: godebug") though `go` selects it.
    #[test]
    fn newer_directives_raise_the_minimum() {
        let t = Tree::new();
        t.write(
            "k8s/go.mod",
            "module k8s.io/kubernetes\n\ngo 1.22.0\n\ngodebug default=go1.20\n\nrequire (\n\ttool v1.0.0\n)\n",
        );
        let m = t.select("k8s").unwrap().minimum.unwrap();
        assert_eq!(m.floor.to_string(), "1.23");
        assert_eq!(m.raised, Some(("godebug", Floor::parse("1.22.0"))));
        assert!(
            m.reason()
                .unwrap()
                .contains("`godebug` directive needs Go 1.23")
        );
        for (body, want, directive) in [
            (
                "go 1.22\ngodebug (\n\tdefault=go1.21\n)\n",
                "1.23",
                Some("godebug"),
            ),
            (
                "go 1.23.1\ntool golang.org/x/tools/cmd/stringer\n",
                "1.24",
                Some("tool"),
            ),
            ("go 1.24\nignore ./node_modules\n", "1.25", Some("ignore")),
            ("go 1.20\ntoolchain go1.21.13\n", "1.21", Some("toolchain")),
            // Already new enough, or only inside a block: the go line stands.
            ("go 1.24.0\ngodebug x=1\ntool a/b\n", "1.24.0", None),
            (
                "go 1.22\nrequire (\n\tgodebug v1.0.0\n\tignore v1.0.0\n)\n",
                "1.22",
                None,
            ),
        ] {
            t.write("m/go.mod", format!("module m\n{body}"));
            let m = t.select("m").unwrap().minimum.unwrap();
            assert_eq!(m.floor.to_string(), want, "{body}");
            assert_eq!(m.raised.map(|r| r.0), directive, "{body}");
        }
    }

    #[test]
    fn toolchain_lines_pick_unless_older_than_the_go_line_or_default() {
        let t = Tree::new();
        t.write(
            "a/go.mod",
            "module example.com/a // the module\n\ngo 1.22.3\n\ntoolchain go1.23.4\n",
        );
        assert_eq!(t.pick("a"), some("go1.23.4", "a/go.mod"));
        assert_eq!(t.minimum("a"), some("1.22.3", "a/go.mod"));
        t.write("b/go.mod", "module b\ngo 1.22.3\ntoolchain default\n");
        assert_eq!(t.pick("b"), None);
        assert_eq!(t.minimum("b"), some("1.22.3", "b/go.mod"));
        // Go ignores a toolchain line older than the go line.
        t.write("old/go.mod", "module old\ngo 1.22\ntoolchain go1.21.13\n");
        assert_eq!(t.pick("old"), None);
        assert_eq!(t.minimum("old"), some("1.22", "old/go.mod"));
        t.write("d/go.mod", "module d\ntoolchain /usr/bin/evil\n");
        assert!(t.select("d").is_err());
        t.write("e/go.mod", "module e\ntoolchain go1.21.0+auto\n");
        assert!(t.select("e").is_err());
        t.write("lang/go.mod", "module l\ngo 1.22\ntoolchain go1.22\n");
        let err = t.select("lang").unwrap_err().to_string();
        assert!(err.contains("language version"), "{err}");
        t.write("old/go.mod", "module o\ngo 1.20\ntoolchain go1.20\n");
        assert_eq!(t.pick("old"), some("go1.20", "old/go.mod"));
        // A directory named go.mod is not one.
        t.dir("dirmod/go.mod");
        assert_eq!(t.select("dirmod").unwrap().minimum, None);
        t.write("f/go.mod", "module f\n");
        assert_eq!(t.select("f").unwrap().pick, None);
        assert_eq!(t.select("f").unwrap().minimum, None);
    }

    #[test]
    fn the_workspace_governs_the_modules_below_it() {
        let t = Tree::new();
        t.write("ws/go.work", "go 1.22\n\nuse ./mod\n");
        t.write("ws/mod/go.mod", "module m\n\ngo 1.21\n");
        assert_eq!(t.minimum("ws/mod/pkg"), some("1.22", "ws/go.work"));
        // GOWORK=off: the module's own go.mod.
        let off = t.select_in("ws/mod/pkg", &Workspace::Off).unwrap();
        assert_eq!(off.minimum.unwrap().source, t.path("ws/mod/go.mod"));
        // GOWORK=/path names another workspace, wherever we are.
        let other = t.write("elsewhere/x.work", "go 1.23.1\ntoolchain go1.23.4\n");
        let named = t
            .select_in("ws/mod", &Workspace::File(other.clone()))
            .unwrap();
        assert_eq!(named.minimum.unwrap().source, other);
        assert_eq!(named.pick.unwrap().kind, SourceKind::GoWork);
        let missing = Workspace::File(t.path("nope/go.work"));
        let err = t.select_in("ws", &missing).unwrap_err().to_string();
        assert!(
            err.contains("GOWORK names") && err.contains("nope/go.work"),
            "{err}"
        );
        assert!(Workspace::from_gowork(Some("rel/go.work".into())).is_err());
        assert_eq!(
            Workspace::from_gowork(Some("".into())).unwrap(),
            Workspace::Search
        );
        assert_eq!(
            Workspace::from_gowork(Some("off".into())).unwrap(),
            Workspace::Off
        );
    }

    #[test]
    fn the_nearest_pick_wins_and_a_go_line_does_not_pick() {
        let t = Tree::new();
        // A repo-root pin and a nested module with only a go line: the pin picks, the
        // module's go line is the minimum.
        t.write("repo/.go-version", "1.22.10\n");
        t.write("repo/svc/go.mod", "module svc\ngo 1.21\n");
        assert_eq!(t.pick("repo/svc/x"), some("go1.22.10", "repo/.go-version"));
        assert_eq!(t.minimum("repo/svc/x"), some("1.21", "repo/svc/go.mod"));
        // A nearer toolchain line beats the farther pin.
        t.write(
            "repo/tc/go.mod",
            "module tc\ngo 1.21\ntoolchain go1.21.13\n",
        );
        assert_eq!(t.pick("repo/tc"), some("go1.21.13", "repo/tc/go.mod"));
        // In one directory, a pin file comes before Go's file, and `.tool-versions` before
        // `.go-version` (as asdf and mise order them).
        t.write("repo/tc/.go-version", "1.22.8\n");
        assert_eq!(t.pick("repo/tc"), some("go1.22.8", "repo/tc/.go-version"));
        t.write("repo/tc/.tool-versions", "golang 1.22.9\n");
        assert_eq!(
            t.pick("repo/tc"),
            some("go1.22.9", "repo/tc/.tool-versions")
        );
    }

    #[test]
    fn an_unused_broken_pin_does_not_matter() {
        let t = Tree::new();
        t.write("p/.go-version", "not a version\n");
        t.write("p/m/go.mod", "module m\ngo 1.22\ntoolchain go1.22.10\n");
        assert_eq!(t.pick("p/m"), some("go1.22.10", "p/m/go.mod"));
        assert!(t.select("p").is_err());
    }

    #[test]
    fn the_default_picks_only_when_no_file_does() {
        let t = Tree::new();
        assert_eq!(t.select("none").unwrap().pick, None);
        t.write("default-version", "1.21\n");
        let pick = t.select("none").unwrap().pick.unwrap();
        assert_eq!(pick.kind, SourceKind::Default);
        // A go line alone does not pick, so the default still does (resolve checks the floor).
        t.write("mod/go.mod", "module m\ngo 1.22\n");
        assert_eq!(
            t.select("mod").unwrap().pick.unwrap().kind,
            SourceKind::Default
        );
        t.write("pinned/.go-version", "1.22.1");
        assert_eq!(t.pick("pinned"), some("go1.22.1", "pinned/.go-version"));
    }

    #[test]
    fn the_watch_covers_deciding_files_and_searched_directories() {
        let t = Tree::new();
        t.write("p/.go-version", "1.22.2\n");
        t.write("p/go.mod", "module p\ngo 1.21\n");
        let dir = t.dir("p/a/b");
        let w = t.select("p/a/b").unwrap().watch;
        assert_eq!(w.files, [t.path("p/go.mod"), t.path("p/.go-version")]);
        // Up to the pin file, any new file that selects could decide: their dates.
        assert_eq!(w.dirs, [dir.clone(), t.path("p/a"), t.path("p")]);
        assert!(w.known.contains(&t.path("p/.go-version")));
        assert!(w.known.contains(&t.path("p/go.mod")));
        // Above it, up to the root, only a go.work would govern.
        let above: Vec<PathBuf> = t
            .path("p")
            .parent()
            .unwrap()
            .ancestors()
            .map(|d| d.join("go.work"))
            .collect();
        assert_eq!(w.absent, above);
        // With a workspace found, the search stops there.
        t.write("p/go.work", "go 1.22\n");
        let w = t.select("p/a/b").unwrap().watch;
        assert_eq!(w.dirs.last().unwrap(), &t.path("p"));
        assert!(w.absent.is_empty());
    }

    #[test]
    fn above_the_pin_only_go_files_still_looked_for_are_watched() {
        let t = Tree::new();
        t.write("p/.go-version", "1.22.2\n");
        t.dir("p/a");
        // No module yet: a go.mod above would set a minimum, a go.work would govern.
        let w = t.select("p/a").unwrap().watch;
        assert_eq!(w.dirs, [t.path("p/a"), t.path("p")]);
        let top = t.path("p").parent().unwrap().to_path_buf();
        assert_eq!(w.absent[..2], [top.join("go.work"), top.join("go.mod")]);
        // A go.mod above, once found, is read and its directory watched; above it, go.work.
        t.write("go.mod", "module m\ngo 1.21\n");
        let w = t.select("p/a").unwrap().watch;
        assert!(w.files.contains(&t.path("go.mod")));
        assert_eq!(w.dirs, [t.path("p/a"), t.path("p"), top.clone()]);
        assert!(
            w.absent.iter().all(|p| p.ends_with("go.work")),
            "{:?}",
            w.absent
        );
        assert_eq!(
            w.absent.first(),
            Some(&top.parent().unwrap().join("go.work"))
        );
        // Something by one of those names that does not count (a directory named go.work)
        // is no path to wait for: its directory's date is watched (and the directory named
        // go.work by its own date: a_go_file_there_in_a_form_that_does_not_count_...).
        std::fs::remove_file(t.path("go.mod")).unwrap();
        t.dir("go.work");
        let w = t.select("p/a").unwrap().watch;
        assert_eq!(w.dirs, [t.path("p/a"), t.path("p"), top.clone()]);
        assert!(!w.absent.contains(&top.join("go.mod")));
    }

    #[test]
    fn a_go_file_there_in_a_form_that_does_not_count_is_watched_for_becoming_one() {
        let t = Tree::new();
        t.write("p/.go-version", "1.22.2\n");
        t.dir("p/a");
        let top = t.path("p").parent().unwrap().to_path_buf();
        // A directory named go.work: a file replacing it has a date of its own, and the
        // directory holding it need not change again after that.
        t.dir("go.work");
        let w = t.select("p/a").unwrap().watch;
        assert!(w.files.contains(&top.join("go.work")), "{:?}", w.files);
        assert!(w.dirs.contains(&top));
        // A dangling link named go.work: its target appearing changes no date of the
        // directory, and `-e` (which follows links) sees it absent until then.
        std::fs::remove_dir(top.join("go.work")).unwrap();
        std::os::unix::fs::symlink(t.path("elsewhere/go.work"), top.join("go.work")).unwrap();
        let w = t.select("p/a").unwrap().watch;
        assert!(w.absent.contains(&top.join("go.work")), "{:?}", w.absent);
        assert_eq!(w.dangling, [top.join("go.work")]);
        assert!(w.known.contains(&top.join("go.work")));
        // Below the pin file too: a dangling go.mod in a searched directory.
        std::os::unix::fs::symlink(t.path("elsewhere/go.mod"), t.path("p/a/go.mod")).unwrap();
        let w = t.select("p/a").unwrap().watch;
        assert!(w.absent.contains(&t.path("p/a/go.mod")), "{:?}", w.absent);
    }
}
