//! The command line: flags, subcommands, and their help. Dispatch lives in `commands`.

use clap::{Args, Parser, Subcommand, ValueHint};
use clap_complete::ArgValueCompleter;

use crate::complete;
use crate::shell::Shell;

#[derive(Debug, Parser)]
#[command(
    name = "gopin",
    version,
    about = "Per-directory Go version manager: verified installs, and a shell hook that pins GOROOT, GOBIN and PATH",
    after_help = "Exit status: 0 success, 1 failure (or `current`/`doctor` found nothing/a problem), 2 usage error."
)]
pub struct Cli {
    /// Print only errors
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail (retries, cache use, skipped entries)
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Download, verify and install Go versions
    Install(InstallArgs),
    /// Remove installed versions
    Uninstall(UninstallArgs),
    /// List installed versions
    #[command(alias = "list")]
    Ls(LsArgs),
    /// List versions available from the release index, newest first
    LsRemote(LsRemoteArgs),
    /// Pin a version for this directory (writes .go-version), installing it if needed
    Use(UseArgs),
    /// Show the version selected for this directory, the file that picked it and the file
    /// that constrained it
    #[command(long_about = CURRENT_LONG_ABOUT)]
    Current(CurrentArgs),
    /// Print the absolute path of `go` (or another tool) for this directory
    Which(WhichArgs),
    /// Print the environment for a version, for eval, as JSON, or for GitHub Actions
    Env(EnvArgs),
    /// Run a command with a version's environment
    Exec(ExecArgs),
    /// Check the whole chain (hook, PATH, GOROOT, go.mod, the store) and say how to fix it
    Doctor(DoctorArgs),
    /// Print the shell hook: eval "$(gopin init bash)"
    Init(InitArgs),
    /// Print the shell completions to load: source <(gopin completions bash)
    #[command(long_about = COMPLETIONS_LONG_ABOUT)]
    Completions(CompletionsArgs),
    /// Link `go` and `gofmt` proxies into $GOPIN_HOME/bin, for IDEs, make, git hooks and cron
    #[command(long_about = SHIMS_LONG_ABOUT)]
    Shims,
    /// Print the man page: gopin man > ~/.local/share/man/man1/gopin.1
    Man,
    /// The hook's worker: print what changed for the shell to eval
    #[command(hide = true)]
    HookEnv(HookEnvArgs),
}

#[derive(Debug, Args)]
pub struct UseArgs {
    /// The version to pin: 1.22.10, 1.22, latest, 1.23rc1. The exact release it resolves to
    /// is written, so every checkout runs the same Go
    #[arg(
        value_name = "SPEC",
        required_unless_present = "unset",
        add = ArgValueCompleter::new(complete::installed)
    )]
    pub spec: Option<String>,
    /// Set the user default instead (used where no version file picks)
    #[arg(long)]
    pub global: bool,
    /// Write the spec as typed (`1.22` stays a prefix: the newest installed 1.22.x)
    #[arg(long)]
    pub prefix: bool,
    /// Remove the pin instead (with --global: the user default)
    #[arg(long, conflicts_with_all = ["spec", "prefix"])]
    pub unset: bool,
}

const COMPLETIONS_LONG_ABOUT: &str = "\
Print the shell code that loads gopin's completions. They ask gopin itself at each <TAB>, so
they offer the installed versions for uninstall, use, exec and env, the versions of the cached
release index for install, and the selected Go's tools for which.

  bash  ~/.bashrc:                    source <(gopin completions bash)
  zsh   ~/.zshrc (after compinit):    source <(gopin completions zsh)
  fish  ~/.config/fish/config.fish:   gopin completions fish | source";

const SHIMS_LONG_ABOUT: &str = "\
Link `go` and `gofmt` in $GOPIN_HOME/bin to gopin, and print that directory. Run under those
names, gopin resolves the current directory's Go exactly as the shell hook would (no network,
nothing printed on success), sets the environment the hook would (GOROOT, GOBIN, GOTOOLCHAIN,
GOPIN_VERSION, GOPIN_SOURCE, and PATH with the real Go's bin in front) and runs the real tool.
A selection that is missing or broken is one line on stderr and exit status 1, never another
`go`. Running it again re-links the proxies to the current gopin binary.

Put the directory on PATH for everything that starts without your interactive shell: a login
profile (export PATH=\"$HOME/.local/share/gopin/bin:$PATH\"), an IDE's environment, a
Makefile, a crontab or a systemd unit. In a shell with the hook, the hook's entries come first,
so the proxy is not involved at all.";

/// The selection rule, in the words of SPEC §2.
const CURRENT_LONG_ABOUT: &str = "\
Show the Go version selected for this directory, the file that picked it, the file that
constrained it, and whether it is installed. Exit 1 if nothing is selected.

Version files pick a version; a `go` line only sets a minimum. From this directory up to /:
pin files (.go-version, then .tool-versions, in each directory) pick; of Go's own files, the
workspace comes first (GOWORK=off: none; GOWORK=/path: that file; else the nearest go.work),
else the nearest go.mod: its `toolchain goX.Y.Z` line picks unless it is older than its `go`
line or says `default`, and its `go` line is the minimum. The nearest pick wins. A `go` line
without a toolchain line does not pick: the nearest pin file above it (or the user default)
is used when it meets the minimum; when it does not, or there is none, the newest installed
release of that minor that meets it, else the newest installed newer release. A pin older
than the minimum is never used there.";

#[derive(Debug, Args)]
pub struct CurrentArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WhichArgs {
    /// The tool to find (go, gofmt, or one installed with `go install`)
    #[arg(value_name = "TOOL", default_value = "go", add = ArgValueCompleter::new(complete::tools))]
    pub tool: String,
    /// Print the selected GOROOT instead (for an IDE's GOROOT setting, such as GoLand's)
    #[arg(long, conflicts_with = "tool")]
    pub goroot: bool,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The version (default: the one this directory selects)
    #[arg(value_name = "SPEC", add = ArgValueCompleter::new(complete::installed))]
    pub spec: Option<String>,
    /// Shell syntax to print (default: from $SHELL)
    #[arg(long, value_enum)]
    pub shell: Option<Shell>,
    /// Print JSON
    #[arg(long, conflicts_with_all = ["shell", "github"])]
    pub json: bool,
    /// Append to $GITHUB_ENV and $GITHUB_PATH, as actions/setup-go does
    #[arg(long, conflicts_with = "shell")]
    pub github: bool,
    #[command(flatten)]
    pub platform: PlatformArgs,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The version (default: the one this directory selects)
    #[arg(value_name = "SPEC", add = ArgValueCompleter::new(complete::installed))]
    pub spec: Option<String>,
    /// Install the version first if it is missing
    #[arg(long)]
    pub install: bool,
    /// The command and its arguments, after --
    #[arg(last = true, required = true, value_name = "CMD", value_hint = ValueHint::CommandWithArguments)]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct HookEnvArgs {
    #[arg(value_enum)]
    pub shell: Shell,
    /// The shell's stamp file, re-dated after each run
    #[arg(long)]
    pub stamp: Option<std::path::PathBuf>,
    /// The digest of the messages this shell has shown, so each is shown once
    #[arg(long)]
    pub shown: Option<String>,
}

#[derive(Debug, Args)]
pub struct PlatformArgs {
    /// Operating system of the distribution (default: this host's)
    #[arg(long, value_name = "OS")]
    pub os: Option<String>,
    /// Architecture of the distribution (default: this host's)
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Versions to install: 1.22.10, 1.22 (newest 1.22.x), 1, latest, 1.23rc1. Default: the
    /// version the current directory selects
    #[arg(value_name = "SPEC", add = ArgValueCompleter::new(complete::remote))]
    pub specs: Vec<String>,
    #[command(flatten)]
    pub platform: PlatformArgs,
    /// Install again even if already installed
    #[arg(long)]
    pub force: bool,
    /// Fetch the release index even if the cached copy is fresh
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Versions to remove: exact (1.22.10) or a prefix (1.22)
    #[arg(value_name = "SPEC", required = true, add = ArgValueCompleter::new(complete::installed))]
    pub specs: Vec<String>,
    /// Remove every installed version a prefix matches
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub platform: PlatformArgs,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LsRemoteArgs {
    /// Only versions matching this prefix (1.22, 1) or version
    #[arg(value_name = "PREFIX")]
    pub prefix: Option<String>,
    /// Include betas and release candidates
    #[arg(long)]
    pub all: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Fetch the release index even if the cached copy is fresh
    #[arg(long)]
    pub refresh: bool,
}
