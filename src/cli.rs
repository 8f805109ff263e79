//! The command line: flags, subcommands, and their help. Dispatch lives in `commands`.

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    #[arg(value_name = "SPEC")]
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
    #[arg(value_name = "SPEC", required = true)]
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

/// Shells gopin integrates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShellKind {
    Bash,
    Zsh,
    Fish,
}
