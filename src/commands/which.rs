use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};

use super::Context;
use crate::activate::Activation;
use crate::choose::{self, Chosen, Missing};
use crate::cli::WhichArgs;
use crate::platform::Platform;

pub fn run(ctx: &Context, args: WhichArgs) -> Result<ExitCode> {
    if args.goroot {
        let (installed, _) = choose::choose(
            &ctx.config,
            &ctx.store,
            None,
            &Platform::host()?,
            Missing::Fail,
        )?;
        // An IDE given a broken tree fails later and more obscurely.
        if let Some(problem) = installed.go_binary_problem() {
            bail!(problem);
        }
        return print_path(&installed.goroot());
    }
    let tool = &args.tool;
    if tool.is_empty() || tool.contains('/') || tool == "." || tool == ".." {
        bail!(
            "'{}' is not a tool name: give a name such as go or gofmt",
            crate::ui::shown_bytes(tool.as_bytes())
        );
    }
    let (installed, source) = match choose::choose_or_system(
        &ctx.config,
        &ctx.store,
        None,
        &Platform::host()?,
        Missing::Fail,
    )? {
        Chosen::Go(installed, source) => (installed, source),
        Chosen::System(file) => {
            // The Go already on PATH: the first `tool` there, gopin's own entries left out.
            let (_, path) = choose::system_environment(&ctx.store);
            for dir in crate::activate::split_path(Some(&path)) {
                let found = dir.join(tool);
                if dir.is_absolute() && found.is_file() {
                    return print_path(&found);
                }
            }
            bail!(
                "{} pins system, and no {tool} is on PATH outside gopin's directories: install Go, or pin a version with `gopin use 1.22`",
                crate::ui::tilde(&file)
            );
        }
    };
    // The directories the hook puts on PATH, in the same order, then the toolchain's own
    // (`go vet` runs pkg/tool/<goos>_<goarch>/vet).
    let activation = Activation::new(&ctx.config, &ctx.store, &installed, source.as_deref());
    let tool_dir = tool_dir(&installed);
    for dir in activation.path_front.iter().chain([&tool_dir]) {
        let path = dir.join(tool);
        if path.is_file() {
            return print_path(&path);
        }
    }
    let version = installed.version;
    // A tool every release ships is missing from a damaged tree, not to be `go install`ed.
    let shipped = if BIN_TOOLS.contains(&tool.as_str()) {
        Some(installed.goroot().join("bin").join(tool))
    } else if PKG_TOOLS.contains(&tool.as_str()) {
        Some(tool_dir.join(tool))
    } else {
        None
    };
    if let Some(path) = shipped {
        bail!(
            "{} is missing: {tool} ships with every Go release, so {version}'s tree is damaged; reinstall it with `gopin install --force {version}`",
            crate::ui::shown(&path)
        );
    }
    bail!(
        "{tool} is not in {version}'s bin directory, its GOBIN or its pkg/tool directory: install it with `go install`"
    )
}

/// The tools in a release's `bin/`.
const BIN_TOOLS: [&str; 2] = ["go", "gofmt"];

/// The tools in a release's `pkg/tool/<goos>_<goarch>/` that `go` runs itself (`go vet`,
/// `go tool pprof`, the compiler and linker).
const PKG_TOOLS: [&str; 19] = [
    "addr2line",
    "asm",
    "buildid",
    "cgo",
    "compile",
    "covdata",
    "cover",
    "dist",
    "doc",
    "fix",
    "link",
    "nm",
    "objdump",
    "pack",
    "pprof",
    "preprofile",
    "test2json",
    "trace",
    "vet",
];

/// `$GOROOT/pkg/tool/<goos>_<goarch>` (32-bit ARM is `arm` there).
fn tool_dir(installed: &crate::store::Installed) -> std::path::PathBuf {
    let p = &installed.platform;
    installed
        .goroot()
        .join("pkg/tool")
        .join(format!("{}_{}", p.os, p.goarch()))
}

/// A path on stdout, byte for byte, for `$(gopin which)`.
fn print_path(path: &Path) -> Result<ExitCode> {
    let mut out = std::io::stdout();
    out.write_all(path.as_os_str().as_encoded_bytes())?;
    out.write_all(b"\n")?;
    Ok(ExitCode::SUCCESS)
}
