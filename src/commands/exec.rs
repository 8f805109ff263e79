use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use anyhow::Result;

use super::Context;
use crate::choose::{self, Chosen, Missing};
use crate::cli::ExecArgs;
use crate::platform::Platform;

pub fn run(ctx: &Context, args: ExecArgs) -> Result<ExitCode> {
    let chosen = choose::choose_or_system(
        &ctx.config,
        &ctx.store,
        args.spec.as_deref(),
        &Platform::host()?,
        if args.install {
            Missing::Install
        } else {
            Missing::OfferFlag
        },
    )?;
    let (activation, path, name) = match &chosen {
        Chosen::Go(installed, source) => {
            if let Some(source) = source.as_deref()
                && source != ctx.store.default_file()
            {
                super::remember_project(ctx, source, &installed.version);
            }
            let (activation, path) =
                choose::environment(&ctx.config, &ctx.store, installed, source.as_deref());
            (activation, path, installed.version.to_string())
        }
        Chosen::System(_) => {
            let (activation, path) = choose::system_environment(&ctx.store);
            (activation, path, "the system Go".to_string())
        }
    };
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    // PATH is set before exec, so the program itself is looked up on the new PATH.
    let mut cmd = super::shim::command_with(program, &activation, &path);
    cmd.args(rest);
    // On success exec never returns: the command's exit status and signals are its own.
    let err = cmd.exec();
    eprintln!(
        "gopin: error: cannot run '{}' with {}: {err}",
        crate::ui::shown(std::path::Path::new(program)),
        name
    );
    Ok(ExitCode::from(
        if err.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        },
    ))
}
