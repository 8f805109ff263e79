//! gopin: a per-directory Go version manager.

mod activate;
mod archive;
mod buildinfo;
mod choose;
mod cli;
mod commands;
mod complete;
mod config;
mod doctor;
mod fsio;
mod gobins;
mod goenv;
mod hook;
mod import;
mod install;
mod lock;
mod net;
mod objects;
mod output;
mod pinfile;
mod platform;
mod projects;
mod record;
mod request;
mod resolve;
mod selection;
mod shell;
mod snapshot;
mod source;
mod store;
mod stores;
mod tools;
mod ui;
mod userdirs;
mod userfile;
mod version;
mod vuln;

use std::process::ExitCode;

use clap::Parser as _;

/// Exit status for a usage error (a bad flag, a malformed version spec), as clap uses.
const USAGE: u8 = 2;

fn main() -> ExitCode {
    // Like any Unix filter: `gopin ls-remote | head` ends quietly when the reader goes away,
    // rather than report a broken pipe (Rust ignores SIGPIPE by default).
    // SAFETY: setting a signal's disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Started as `go` or `gofmt` (a link from `gopin shims`): be that tool, before any
    // argument parsing, since the arguments are the tool's. With glibc `shim_entry` has
    // already done so; this is the same for other systems.
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_default();
    if let Some(tool) = commands::shim::invoked_as(&arg0) {
        shim(&arg0, tool, args);
    }
    exit_on_failed_writes();
    // A shell asking for completions (see `gopin completions`): answer and exit.
    clap_complete::CompleteEnv::with_factory(<cli::Cli as clap::CommandFactory>::command)
        .var(complete::ENV_VAR)
        .complete();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    ui::set_level(match (cli.quiet, cli.verbose) {
        (true, _) => -1,
        (_, true) => 1,
        _ => 0,
    });
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            report(&e);
            // A version spec the user typed that is not one is a usage error.
            if e.downcast_ref::<version::ParseVersionError>().is_some() {
                ExitCode::from(USAGE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Runs `tool` for the current directory (see `commands::shim`); exits with status 1 and one
/// line when it cannot.
fn shim(arg0: &std::ffi::OsStr, tool: &str, args: impl Iterator<Item = std::ffi::OsString>) -> ! {
    report(&commands::shim::run(arg0, tool, args));
    std::process::exit(1)
}

/// Writes `e` to stderr as one line, in one write (so that lines of parallel runs, as under
/// `make -j`, do not interleave), and never panics: a stderr that cannot be written leaves
/// only the exit status to tell.
fn report(e: &anyhow::Error) {
    use std::io::Write as _;
    let line = format!(
        "{} {}\n",
        ui::paint("gopin: error:", "31"),
        ui::redacted(&describe(e))
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// Makes a failed write to stdout or stderr (`gopin ls > /dev/full`) one line and exit
/// status 1, instead of the panic that `println!` raises (and the abort that follows, with
/// `panic = "abort"`).
fn exit_on_failed_writes() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if let Some(why) = message.strip_prefix("failed printing to stdout: ") {
            report(&anyhow::anyhow!("cannot write to standard output: {why}"));
            std::process::exit(1);
        }
        if message.starts_with("failed printing to stderr") {
            std::process::exit(1);
        }
        default(info)
    }));
}

/// The shim's way in on Linux: glibc calls the functions of `.init_array` with the process's
/// arguments before Rust's runtime start-up (which, among other things, reads
/// `/proc/self/maps` to guard the main thread's stack: about 0.1 ms of the shim's cost, see
/// docs/performance.md). Started as `go` or `gofmt`, gopin resolves and execs the real tool
/// from here and never reaches `main`; under any other name this returns at once. Nothing on
/// the shim's path reads `std::env::args`, which std fills in from its own entry of this
/// section, in an order the linker chooses.
/// (glibc only: musl calls these functions without arguments.)
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[used]
#[unsafe(link_section = ".init_array")]
static SHIM_ENTRY: InitFn = shim_entry;

/// What glibc calls the functions of `.init_array` with: `argc`, `argv` and `envp`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
type InitFn = extern "C" fn(libc::c_int, *const *const libc::c_char, *const *const libc::c_char);

#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" fn shim_entry(
    argc: libc::c_int,
    argv: *const *const libc::c_char,
    _envp: *const *const libc::c_char,
) {
    use std::ffi::{CStr, OsStr, OsString};
    use std::os::unix::ffi::OsStrExt as _;
    let Ok(argc) = usize::try_from(argc) else {
        return;
    };
    if argc == 0 || argv.is_null() {
        return;
    }
    // SAFETY: glibc passes the kernel's argv: `argc` pointers to NUL-terminated strings.
    let arg = |i: usize| OsStr::from_bytes(unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes());
    let arg0 = arg(0);
    let Some(tool) = commands::shim::invoked_as(arg0) else {
        return;
    };
    // Signal dispositions are left as the caller set them (Rust's runtime has not changed
    // SIGPIPE yet), so the tool inherits them exactly as if it had been started directly.
    shim(arg0, tool, (1..argc).map(|i| OsString::from(arg(i))))
}

/// clap's own report, with one hint it cannot give: `gopin exec go version` needs `--`.
fn usage_error(e: clap::Error) -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let is_exec =
        args.iter().find(|a| !a.to_string_lossy().starts_with('-')) == Some(&"exec".into());
    let has_dashes = args.iter().any(|a| a == "--");
    if is_exec && !has_dashes && e.kind() != clap::error::ErrorKind::DisplayHelp {
        eprintln!(
            "gopin: error: put `--` before the command to run: gopin exec [SPEC] -- CMD [ARGS...] (for example: gopin exec -- go version)"
        );
        return ExitCode::from(USAGE);
    }
    e.exit()
}

/// The error as one line: the outermost message, then causes that add information.
fn describe(e: &anyhow::Error) -> String {
    let mut msg = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !msg.contains(&cause) {
            msg = format!("{msg}: {cause}");
        }
    }
    msg
}
