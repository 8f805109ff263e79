//! The tools in a GOBIN (README, "Tools"): what each executable there is, read from its Go
//! build info, and whether `go install <package>@<version>` can build it again with another Go.
//! Carrying them to another version is [`sync`]'s job.

pub mod sync;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::activate::Activation;
use crate::buildinfo::{self, BuildInfo, BuildInfoError};
use crate::config::Config;
use crate::platform::Platform;
use crate::store::{Installed, Store};
use crate::version::GoVersion;

/// The GOBIN `installed` runs with: its own, or the shared one (gobin = "shared"), as the hook
/// sets it (docs/shell.md); `None` when gopin sets none (gobin = "off").
pub fn gobin(config: &Config, store: &Store, installed: &Installed) -> Option<PathBuf> {
    Activation::new(config, store, installed, None)
        .get("GOBIN")
        .map(PathBuf::from)
}

/// One file in a GOBIN.
#[derive(Debug, Clone)]
pub struct Tool {
    /// The file name, as the file system has it.
    pub name: OsString,
    pub file: PathBuf,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    /// A Go binary, and how it could be built again (or why it cannot).
    Go {
        info: Box<BuildInfo>,
        rebuild: Result<Rebuild, Why>,
    },
    /// Anything else (a script, a binary of another language): why it is no Go tool.
    Other(String),
}

impl Tool {
    pub fn info(&self) -> Option<&BuildInfo> {
        match &self.kind {
            Kind::Go { info, .. } => Some(info.as_ref()),
            Kind::Other(_) => None,
        }
    }

    pub fn rebuild(&self) -> Option<&Rebuild> {
        match &self.kind {
            Kind::Go { rebuild: Ok(r), .. } => Some(r),
            _ => None,
        }
    }

    /// The Go release that built it.
    pub fn built_by(&self) -> Option<GoVersion> {
        self.info().and_then(BuildInfo::release)
    }
}

/// What `go install` needs to build a tool again as it was built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuild {
    /// The main package's import path.
    pub package: String,
    pub module: String,
    pub version: String,
    /// Flags for `go install`, as recorded: `-tags=…`, `-trimpath`, `-ldflags=…`.
    pub flags: Vec<String>,
    /// Variables the build recorded (`CGO_ENABLED`, `GOAMD64`, …), set again.
    pub env: Vec<(String, String)>,
}

impl Rebuild {
    /// `package@version`, what `go install` is given.
    pub fn target(&self) -> String {
        format!("{}@{}", self.package, self.version)
    }

    /// The whole `go install` argument list.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["install".to_string()];
        args.extend(self.flags.iter().cloned());
        args.push(self.target());
        args
    }

    /// How the command reads to a person: `CGO_ENABLED=0 go install -trimpath p@v`.
    pub fn command_line(&self) -> String {
        let mut words: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        words.push("go".into());
        words.extend(self.args());
        words
            .iter()
            .map(|w| {
                if w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=@+,:".contains(c))
                {
                    w.clone()
                } else {
                    format!("'{}'", w.replace('\'', "'\\''"))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Why a Go binary cannot be built again from a module proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Built outside module mode (GOPATH), or a file given to `go build` by name.
    NoModule,
    /// `(devel)`: built in a module's own directory, whatever its state.
    Devel,
    /// Built from a work tree with uncommitted changes.
    Dirty,
    /// A dependency replaced by a directory on the building machine.
    LocalReplace { module: String, path: String },
    /// The file's name is not the one `go install` gives it.
    Renamed { expected: String },
    /// Built for another platform than the one the tools are for.
    OtherPlatform { built_for: String },
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Why::NoModule => f.write_str(
                "built outside module mode (GOPATH, or a .go file named to go build): no module version to install again",
            ),
            Why::Devel => f.write_str(
                "built from a local directory (version (devel)): no module version to install again; rebuild it from its source",
            ),
            Why::Dirty => f.write_str(
                "built from a work tree with uncommitted changes: no module version holds that code; rebuild it from its source",
            ),
            Why::LocalReplace { module, path } => write!(
                f,
                "built with {module} replaced by the local directory {path}: a module version would build other code; rebuild it from its source",
            ),
            Why::Renamed { expected } => write!(
                f,
                "renamed after it was built (go install names it {expected}): rebuild it and rename it again",
            ),
            Why::OtherPlatform { built_for } => {
                write!(f, "built for {built_for}, not for this platform")
            }
        }
    }
}

/// Settings recorded as `go build` flags and passed again as they were.
const VALUE_FLAGS: [&str; 4] = ["-tags", "-ldflags", "-gcflags", "-asmflags"];
/// Boolean `go build` flags recorded as `-flag=true`.
const BOOL_FLAGS: [&str; 4] = ["-trimpath", "-race", "-msan", "-asan"];
/// Recorded environment variables that choose what is built.
const ENV_SETTINGS: [&str; 15] = [
    "CGO_ENABLED",
    "CGO_CFLAGS",
    "CGO_CPPFLAGS",
    "CGO_CXXFLAGS",
    "CGO_LDFLAGS",
    "GO386",
    "GOAMD64",
    "GOARM",
    "GOARM64",
    "GOMIPS",
    "GOMIPS64",
    "GOPPC64",
    "GORISCV64",
    "GOWASM",
    "GOFIPS140",
];

/// How `info`, a binary called `name`, can be built again for `platform`, or why it cannot.
pub fn rebuild_of(info: &BuildInfo, name: &str, platform: &Platform) -> Result<Rebuild, Why> {
    let (Some(package), Some((module, version))) = (&info.path, &info.main) else {
        return Err(Why::NoModule);
    };
    if package == "command-line-arguments" || module.is_empty() {
        return Err(Why::NoModule);
    }
    if version == "(devel)" || version.is_empty() {
        return Err(Why::Devel);
    }
    if version.ends_with("+dirty") || info.setting("vcs.modified") == Some("true") {
        return Err(Why::Dirty);
    }
    if let Some(r) = info.replaces.iter().find(|r| r.is_local()) {
        return Err(Why::LocalReplace {
            module: r.module.clone(),
            path: r.path.clone(),
        });
    }
    if let (Some(os), Some(arch)) = (info.setting("GOOS"), info.setting("GOARCH")) {
        let go_arch = platform.goarch();
        if os != platform.os || arch != go_arch {
            return Err(Why::OtherPlatform {
                built_for: format!("{os}/{arch}"),
            });
        }
    }
    let suffix = if platform.os == "windows" { ".exe" } else { "" };
    let expected = exe_name(package) + suffix;
    if name != expected {
        return Err(Why::Renamed { expected });
    }
    let mut flags = Vec::new();
    for flag in VALUE_FLAGS {
        if let Some(v) = info.setting(flag).filter(|v| !v.is_empty()) {
            flags.push(format!("{flag}={v}"));
        }
    }
    for flag in BOOL_FLAGS {
        if info.setting(flag) == Some("true") {
            flags.push(flag.to_string());
        }
    }
    let env = ENV_SETTINGS
        .iter()
        .filter_map(|&k| info.setting(k).map(|v| (k, v)))
        .filter(|&(k, v)| !is_default(k, v))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Ok(Rebuild {
        package: package.clone(),
        module: module.clone(),
        version: version.clone(),
        flags,
        env,
    })
}

/// Whether a recorded variable holds what `go` uses when it is unset, so it need not be set:
/// an empty value, cgo on (the default wherever a C compiler is found; set again, it would
/// fail where none is), and each architecture's baseline level.
fn is_default(key: &str, value: &str) -> bool {
    value.is_empty()
        || matches!(
            (key, value),
            ("CGO_ENABLED", "1")
                | ("GOAMD64", "v1")
                | ("GO386", "sse2")
                | ("GOARM64", "v8.0")
                | ("GOMIPS" | "GOMIPS64", "hardfloat")
                | ("GOPPC64", "power8")
                | ("GORISCV64", "rva20u64")
        )
}

/// The name `go install` gives the binary of `package`: its last element, or the one before
/// a major-version suffix (`example.com/tool/v2` → `tool`).
pub fn exe_name(package: &str) -> String {
    let mut parts = package.rsplit('/');
    let last = parts.next().unwrap_or(package);
    let is_major = last.len() >= 2
        && last.starts_with('v')
        && last[1..].bytes().all(|b| b.is_ascii_digit())
        && last != "v0"
        && last != "v1"
        && !last[1..].starts_with('0');
    match parts.next() {
        Some(before) if is_major => before.to_string(),
        _ => last.to_string(),
    }
}

/// The files in `gobin`, by name, each read for its build info. A GOBIN that does not exist
/// holds no tools; subdirectories and hidden files are no tools either.
pub fn list(gobin: &Path, platform: &Platform) -> std::io::Result<Vec<Tool>> {
    let entries = match std::fs::read_dir(gobin) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut tools = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let file = entry.path();
        if name.as_encoded_bytes().starts_with(b".") || file.is_dir() {
            continue;
        }
        let kind = match buildinfo::read(&file) {
            Ok(info) => {
                let rebuild = match name.to_str() {
                    Some(n) => rebuild_of(&info, n, platform),
                    None => Err(Why::Renamed {
                        expected: info.path.as_deref().map(exe_name).unwrap_or_default(),
                    }),
                };
                Kind::Go {
                    info: Box::new(info),
                    rebuild,
                }
            }
            Err(BuildInfoError::Invalid { problem, .. }) => Kind::Other(problem.to_string()),
            Err(e) => Kind::Other(e.to_string()),
        };
        tools.push(Tool { name, file, kind });
    }
    tools.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(tools)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(modinfo: &[(&str, &str)]) -> BuildInfo {
        let mut info = BuildInfo {
            go_version: "go1.21.13".into(),
            path: Some("example.com/tool/cmd/tool".into()),
            main: Some(("example.com/tool".into(), "v1.0.0".into())),
            settings: vec![
                ("-buildmode".into(), "exe".into()),
                ("GOOS".into(), "linux".into()),
                ("GOARCH".into(), "amd64".into()),
            ],
            replaces: vec![],
        };
        for (k, v) in modinfo {
            info.settings.push((k.to_string(), v.to_string()));
        }
        info
    }

    fn linux() -> Platform {
        Platform::new("linux", "amd64").unwrap()
    }

    #[test]
    fn a_module_version_is_rebuilt_with_its_recorded_flags() {
        let i = info(&[
            ("-tags", "netgo,osusergo"),
            ("-trimpath", "true"),
            ("-ldflags", "-s -w -X main.v=1"),
            ("CGO_ENABLED", "0"),
            ("GOAMD64", "v3"),
            ("-race", "false"),
            ("CGO_CFLAGS", ""),
        ]);
        let r = rebuild_of(&i, "tool", &linux()).unwrap();
        assert_eq!(
            r.args(),
            [
                "install",
                "-tags=netgo,osusergo",
                "-ldflags=-s -w -X main.v=1",
                "-trimpath",
                "example.com/tool/cmd/tool@v1.0.0"
            ]
        );
        assert_eq!(
            r.env,
            [
                ("CGO_ENABLED".to_string(), "0".to_string()),
                ("GOAMD64".to_string(), "v3".to_string())
            ]
        );
        // Go's defaults are left to it.
        let plain = info(&[("CGO_ENABLED", "1"), ("GOAMD64", "v1"), ("CGO_LDFLAGS", "")]);
        assert!(rebuild_of(&plain, "tool", &linux()).unwrap().env.is_empty());
        assert_eq!(
            r.command_line(),
            "CGO_ENABLED=0 GOAMD64=v3 go install -tags=netgo,osusergo '-ldflags=-s -w -X main.v=1' -trimpath example.com/tool/cmd/tool@v1.0.0"
        );
    }

    #[test]
    fn what_cannot_be_rebuilt_and_why() {
        let p = linux();
        let mut devel = info(&[]);
        devel.main = Some(("example.com/tool".into(), "(devel)".into()));
        assert_eq!(rebuild_of(&devel, "tool", &p), Err(Why::Devel));

        let mut gopath = info(&[]);
        gopath.main = None;
        assert_eq!(rebuild_of(&gopath, "tool", &p), Err(Why::NoModule));
        let mut by_file = info(&[]);
        by_file.path = Some("command-line-arguments".into());
        assert_eq!(rebuild_of(&by_file, "tool", &p), Err(Why::NoModule));

        let mut dirty = info(&[]);
        dirty.main = Some((
            "example.com/tool".into(),
            "v1.0.1-0.20240101000000-0123456789ab+dirty".into(),
        ));
        assert_eq!(rebuild_of(&dirty, "tool", &p), Err(Why::Dirty));
        assert_eq!(
            rebuild_of(&info(&[("vcs.modified", "true")]), "tool", &p),
            Err(Why::Dirty)
        );

        let mut replaced = info(&[]);
        replaced.replaces.push(buildinfo::Replace {
            module: "example.com/dep".into(),
            path: "../dep".into(),
            version: String::new(),
        });
        let why = rebuild_of(&replaced, "tool", &p).unwrap_err();
        assert!(why.to_string().contains("../dep"), "{why}");
        replaced.replaces[0].version = "v1.2.0".into();
        assert!(rebuild_of(&replaced, "tool", &p).is_ok());

        assert_eq!(
            rebuild_of(&info(&[]), "tool2", &p),
            Err(Why::Renamed {
                expected: "tool".into()
            })
        );
        let mut arm = info(&[]);
        arm.settings.retain(|(k, _)| k != "GOARCH");
        arm.settings.push(("GOARCH".into(), "arm64".into()));
        assert_eq!(
            rebuild_of(&arm, "tool", &p),
            Err(Why::OtherPlatform {
                built_for: "linux/arm64".into()
            })
        );
    }

    #[test]
    fn executable_names() {
        assert_eq!(exe_name("golang.org/x/tools/gopls"), "gopls");
        assert_eq!(exe_name("github.com/go-delve/delve/cmd/dlv"), "dlv");
        assert_eq!(exe_name("example.com/tool/v2"), "tool");
        assert_eq!(exe_name("example.com/tool/v1"), "v1");
        assert_eq!(exe_name("example.com/v2"), "example.com");
        assert_eq!(exe_name("tool"), "tool");
    }
}
