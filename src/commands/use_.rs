use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context as _, Result};

use super::Context;
use crate::cli::UseArgs;
use crate::install::{Outcome, install_request};
use crate::platform::Platform;
use crate::request::Request;
use crate::ui::{self, shown, tilde};
use crate::version::{GoVersion, Stage, VersionSpec};

pub fn run(ctx: &Context, args: UseArgs) -> Result<ExitCode> {
    let file = if args.global {
        ctx.store.default_file()
    } else {
        Context::cwd().join(".go-version")
    };
    let Some(raw) = args.spec.as_deref().filter(|_| !args.unset) else {
        return unset(&file);
    };
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
    write_atomically(&file, &format!("{text}\n"))?;
    ui::note(&format!("pinned {text} ({version}) in {}", tilde(&file)));
    if let Ok(r) = ctx.resolve_here(&platform) {
        if let Some(note) = r.override_note() {
            ui::warn(&note);
        } else if args.global
            && let Some(pick) = r.picked_by()
            && pick.source != file
        {
            ui::note(&format!(
                "note: this directory is pinned by {}, which takes precedence over the default",
                tilde(&pick.source)
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--unset`: removes the pin file (or the default).
fn unset(file: &Path) -> Result<ExitCode> {
    match std::fs::remove_file(file) {
        Ok(()) => ui::note(&format!("removed {}", tilde(file))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            ui::note(&format!("{} does not exist: nothing to unset", tilde(file)))
        }
        Err(e) => return Err(e).with_context(|| format!("cannot remove {}", shown(file))),
    }
    Ok(ExitCode::SUCCESS)
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

/// Replaces `path` whole or not at all, so a shell hook never reads half a file. The file
/// gets the usual mode for a new file (0666 less the umask), so teammates can read it.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().expect("version files live in a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", shown(dir)))?;
    let fail = || format!("cannot write {}", shown(path));
    let mut tmp = tempfile::Builder::new()
        .prefix(".gopin-")
        .permissions(std::fs::Permissions::from_mode(0o666))
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
}
