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
    #[command(
        after_help = "Examples:\n  gopin install 1.22            # the newest 1.22.x
  gopin install             # whatever this directory selects
  gopin install 1.22.10 --os linux --arch arm64"
    )]
    Install(InstallArgs),
    /// Remove installed versions
    #[command(after_help = "Examples:\n  gopin uninstall go1.21.13
  gopin rm 1.21 --all       # every installed 1.21.x")]
    #[command(alias = "rm")]
    Uninstall(UninstallArgs),
    /// List installed versions
    #[command(alias = "list")]
    #[command(after_help = "Examples:\n  gopin ls
  gopin ls --json")]
    Ls(LsArgs),
    /// List versions available from the release index, newest first
    #[command(after_help = "Examples:\n  gopin ls-remote 1.22
  gopin ls-remote --all 1.23          # with betas and release candidates
  gopin ls-remote --json --latest-patch --since go.mod   # a CI matrix")]
    LsRemote(LsRemoteArgs),
    /// Pin a version for this directory (writes .go-version), installing it if needed
    #[command(
        after_help = "Examples:\n  gopin use 1.22                  # writes 1.22.10 to the file that pins here
  gopin use --global 1.22
  gopin use --unset"
    )]
    Use(UseArgs),
    /// Use a version in this shell only, over every pin, until `gopin shell --unset`
    #[command(name = "shell")]
    #[command(
        after_help = "Examples:\n  gopin shell 1.21                # this shell only, over every pin
  gopin shell --unset"
    )]
    ShellOverride(ShellArgs),
    /// Show the version selected for this directory, the file that picked it and the file
    /// that constrained it
    #[command(long_about = CURRENT_LONG_ABOUT)]
    #[command(after_help = "Examples:\n  gopin current
  gopin current --json | jq -r .version")]
    Current(CurrentArgs),
    /// Print the absolute path of `go` (or another tool) for this directory
    #[command(after_help = "Examples:\n  gopin which
  gopin which gofmt
  gopin which stringer      # a tool `go install` put in this version's GOBIN")]
    Which(WhichArgs),
    /// Print the environment for a version, for eval, as JSON, or for GitHub Actions
    #[command(after_help = "Examples:\n  eval \"$(gopin env)\"
  gopin env 1.22 --json
  gopin env --github        # in a GitHub Actions step")]
    Env(EnvArgs),
    /// Run a command with a version's environment
    #[command(after_help = "Examples:\n  gopin exec -- go test ./...
  gopin exec 1.21 --install -- go build ./...")]
    Exec(ExecArgs),
    /// Check the whole chain (hook, PATH, GOROOT, go.mod, the store) and say how to fix it
    #[command(after_help = "Examples:\n  gopin doctor
  gopin doctor -q           # problems only")]
    Doctor(DoctorArgs),
    /// Print the shell hook: eval "$(gopin init bash)"
    #[command(
        after_help = "Examples:\n  eval \"$(gopin init bash)\"     # in ~/.bashrc (zsh alike)
  gopin init fish | source      # in ~/.config/fish/config.fish"
    )]
    Init(InitArgs),
    /// Installed versions with a newer patch out, and what selects each
    #[command(after_help = "Examples:\n  gopin outdated
  gopin outdated --json")]
    Outdated(OutdatedArgs),
    /// Install the newest patch of each installed minor (or of SPEC's)
    #[command(after_help = "Examples:\n  gopin upgrade
  gopin upgrade 1.22 --pin  # and move this directory's pin")]
    Upgrade(UpgradeArgs),
    /// Remove versions nothing needs: not the newest of their minor, not the default, not
    /// selected here, not active
    #[command(after_help = "Examples:\n  gopin prune --dry-run
  gopin prune")]
    Prune(PruneArgs),
    /// Space each installed version takes (and its tools), in all, and what prune would free
    #[command(after_help = "Examples:\n  gopin du
  gopin du --json")]
    Du(DuArgs),
    /// Write a byte-for-byte reproducible .tar.gz of an installed Go, checked against its
    /// install record, with the record inside
    #[command(
        after_help = "Examples:\n  gopin export 1.22.10                       # ./go1.22.10.linux-amd64.snapshot.tar.gz
  gopin export 1.22.10 -o go.tar.gz --prefix usr/local/go
  gopin export 1.22.10 --os linux --arch arm64 -o - | ssh pi tar -xzf - -C /opt

The same release gives the same bytes from any store, at any time, with the same gopin."
    )]
    Export(ExportArgs),
    /// Take Go into the store from an archive file, a snapshot, a directory, or another
    /// version manager's trees
    #[command(long_about = IMPORT_LONG_ABOUT)]
    #[command(
        after_help = "Examples:\n  gopin import go1.22.10.linux-amd64.tar.gz     # checked against the index, or its .sha256
  gopin import go.tar.gz                        # a snapshot from `gopin export`
  gopin import /usr/local/go --dry-run
  gopin import --from goenv                     # every tree goenv keeps
  gopin import ~/sdk/go1.22.10 --link           # recorded where it is, not copied"
    )]
    Import(ImportArgs),
    /// Check which Go built each binary, against this directory's pin (or --against)
    #[command(
        after_help = "Examples:\n  gopin audit ./bin/server\n  gopin audit --against 1.22.10 --json dist/*\n\nExit status: 0 every binary passes; 1 one was built with an older release, a newer minor (without --allow-newer-minor) or no release, or nothing is pinned to judge against; 2 one is not a Go binary or cannot be read."
    )]
    Audit(AuditArgs),
    /// Write gopin.lock: the selected release's bytes on each platform, vouched for by the
    /// checksum database; or check it (--check)
    #[command(
        after_help = "Examples:\n  gopin lock                                  # linux, darwin and windows, amd64 and arm64
  gopin lock --platform linux/amd64 --platform darwin/arm64
  gopin lock --check                          # in CI: exit 1 when the lock is stale or a proof fails
  gopin lock --check --offline --require-proof

Exit status: 0 written, or (--check) the lock matches; 1 it does not, or an error."
    )]
    Lock(LockArgs),
    /// List the tools `go install` put in a version's GOBIN, or rebuild them with another Go
    #[command(long_about = TOOLS_LONG_ABOUT)]
    #[command(
        after_help = "Examples:\n  gopin tools                                  # the selected version's GOBIN\n  gopin tools --all --json\n  gopin tools sync --from 1.21.13              # rebuild them with the selected Go\n  gopin tools sync --from 1.21 --to 1.22 --dry-run\n\nExit status (sync): 0 every tool rebuilt, already there or not rebuildable; 1 a build failed."
    )]
    Tools(ToolsArgs),
    /// Print the shell completions to load: source <(gopin completions bash)
    #[command(
        long_about = COMPLETIONS_LONG_ABOUT,
        after_help = "Examples:\n  source <(gopin completions bash)     # in ~/.bashrc (zsh alike)\n  gopin completions fish | source      # in ~/.config/fish/config.fish"
    )]
    Completions(CompletionsArgs),
    /// Link `go` and `gofmt` proxies into $GOPIN_HOME/bin, for IDEs, make, git hooks and cron
    #[command(long_about = SHIMS_LONG_ABOUT)]
    #[command(
        after_help = "Examples:\n  gopin shims                                   # prints ~/.local/share/gopin/bin\n  export PATH=\"$(gopin shims 2>/dev/null):$PATH\"   # in ~/.profile"
    )]
    Shims,
    /// Print the man page (to install it for `man gopin`, see the examples)
    #[command(after_help = MAN_AFTER_HELP)]
    Man,
    /// The hook's worker: print what changed for the shell to eval
    #[command(hide = true)]
    HookEnv(HookEnvArgs),
}

/// How to install the man page where `man` finds it. man-db and mandoc look in
/// `~/.local/share/man` only while `~/.local/bin` is on PATH; MANPATH with a trailing colon
/// adds it whatever PATH is, keeping the system's pages (tests/man.rs follows these lines).
const MAN_AFTER_HELP: &str = "Examples:
  mkdir -p ~/.local/share/man/man1 && gopin man > ~/.local/share/man/man1/gopin.1
  export MANPATH=\"$HOME/.local/share/man:\"   # in your rc file, unless ~/.local/bin is on PATH
  gopin man | man -l -                       # read it without installing";

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
    /// Pin here even in your home directory or `/`, where a pin covers every directory below
    /// that has none of its own (without it, `use` there asks for --global or --here)
    #[arg(long, conflicts_with = "global")]
    pub here: bool,
    /// The file to write: .go-version, .tool-versions or a mise file (default: the file that
    /// already pins Go here, else .go-version)
    #[arg(long, value_name = "FILE", conflicts_with = "global")]
    pub file: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct ShellArgs {
    /// The version for this shell: 1.22.10, 1.22, latest (installed first if missing)
    #[arg(value_name = "SPEC", required_unless_present = "unset")]
    pub spec: Option<String>,
    /// Go back to what the directory's files select
    #[arg(long, conflicts_with = "spec")]
    pub unset: bool,
    /// Print the assignment for this shell to eval (the init script's `gopin` function
    /// passes it; a program cannot change its parent shell's environment)
    #[arg(long, value_enum, hide = true)]
    pub eval: Option<Shell>,
}

#[derive(Debug, Args)]
pub struct OutdatedArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Fetch the release index and the vulnerability database even if the cached copies are
    /// fresh
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// Only this minor: 1.22 (or any spec of it)
    #[arg(value_name = "SPEC")]
    pub spec: Option<String>,
    /// Also move this directory's pin to the new patch
    #[arg(long)]
    pub pin: bool,
    /// Fetch the release index even if the cached copy is fresh
    #[arg(long)]
    pub refresh: bool,
    /// Leave the tools in the old patch's GOBIN where they are (by default they are rebuilt
    /// with the new patch, as `gopin tools sync` does)
    #[arg(long)]
    pub no_tools: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ToolsArgs {
    #[command(subcommand)]
    pub command: Option<ToolsCommand>,
    /// The version whose GOBIN to list (default: the one this directory selects)
    #[arg(value_name = "VERSION", add = ArgValueCompleter::new(complete::installed))]
    pub version: Option<String>,
    /// List the GOBIN of every installed version
    #[arg(long, conflicts_with = "version")]
    pub all: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DuArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ToolsCommand {
    /// Rebuild each tool of one version's GOBIN with another Go, at the same module version
    #[command(
        after_help = "Examples:\n  gopin tools sync --from 1.21.13              # into the selected version's GOBIN\n  gopin tools sync --from 1.22.9 --to 1.22.10 --dry-run\n  gopin tools sync --to 1.22.10                # gobin = \"shared\": rebuilt in place\n\nExit status: 0 every tool rebuilt, already there or not rebuildable; 1 a build failed."
    )]
    Sync(ToolsSyncArgs),
}

#[derive(Debug, Args)]
pub struct ToolsSyncArgs {
    /// The version whose GOBIN holds the tools (with gobin = "shared", optional: the shared
    /// GOBIN is rebuilt in place)
    #[arg(long, value_name = "VERSION", add = ArgValueCompleter::new(complete::installed))]
    pub from: Option<String>,
    /// The version to build them with, into its GOBIN (default: the one this directory selects)
    #[arg(long, value_name = "VERSION", add = ArgValueCompleter::new(complete::installed))]
    pub to: Option<String>,
    /// Print what would be built, build nothing
    #[arg(long)]
    pub dry_run: bool,
}

const TOOLS_LONG_ABOUT: &str = "\
List the tools `go install` put in a version's GOBIN, or rebuild them with another Go.

Each version has its own GOBIN, so a tool lives with the Go that built it. `gopin tools` reads
each file's Go build info: the main module and its version, the package, the Go that built it,
and whether `go install <package>@<version>` can build it again (a module version from a proxy
can; a build from a local directory, a dirty work tree or a local replace cannot). With
gobin = \"shared\" it lists the shared GOBIN.

`gopin tools sync --from OLD [--to NEW]` runs `go install <package>@<version>` with NEW's Go and
environment for each tool OLD's GOBIN holds, through your own GOPROXY, GOSUMDB, GOPRIVATE,
GOFLAGS and GOAUTH, passing again the build flags the tool recorded (-tags, -trimpath,
-ldflags, CGO_ENABLED). Tools NEW already has at the same version are left alone.";

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// List what would be removed, remove nothing
    #[arg(long)]
    pub dry_run: bool,
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

/// The selection rule (docs/selection.md); its pin-file names are held to `pinfile::PIN_FILES`
/// by a test.
const CURRENT_LONG_ABOUT: &str = "\
Show the Go version selected for this directory, the file that picked it, the file that
constrained it, and whether it is installed. Exit 1 if nothing is selected.

Version files pick a version; a `go` line only sets a minimum. From this directory up to /:
pin files pick (in each directory, as mise and asdf order them: mise's .mise.local.toml,
mise.local.toml, .mise.toml, mise.toml, .config/mise.toml, then .tool-versions, then
.go-version; `system` there means the Go already on PATH; `gopin shell` over all); of Go's
own files, the workspace comes first (GOWORK=off: none; GOWORK=/path: that file; else the
nearest go.work), else the nearest go.mod (not one directly in $TMPDIR, as for go): its
`toolchain goX.Y.Z` line picks unless it is older than its `go` line or says `default`, and
its `go` line is the minimum, raised when the file uses a directive newer than that line
(godebug: 1.23, tool: 1.24, ignore: 1.25). The nearest pick wins. A `go` line
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
    /// First repair the object store: link each version's files to their objects (converting
    /// a store from before it), make objects read-only again, delete objects no version links
    #[arg(long)]
    pub fix: bool,
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
    /// Install the release gopin.lock here locks, checked against its digests; no release
    /// index is read
    #[arg(long, conflicts_with_all = ["specs", "refresh"])]
    pub locked: bool,
}

#[derive(Debug, Args)]
pub struct LockArgs {
    /// Check the lock instead of writing it: exit 1 when it does not match what this
    /// directory selects, misses a platform, or a proof does not verify
    #[arg(long)]
    pub check: bool,
    /// A platform to lock or require, os/arch; repeat for more (default: the lock_platforms
    /// setting, else linux/amd64, linux/arm64, darwin/amd64, darwin/arm64, windows/amd64)
    #[arg(long = "platform", value_name = "OS/ARCH")]
    pub platforms: Vec<String>,
    /// With --check: check the recorded proofs alone, with no network
    #[arg(long, requires = "check")]
    pub offline: bool,
    /// With --check: a platform without a checksum database proof fails (default: warn)
    #[arg(long, requires = "check")]
    pub require_proof: bool,
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
    /// Only versions matching this prefix (1.22, 1) or spec (1.22.10, latest, stable,
    /// oldstable)
    #[arg(value_name = "PREFIX")]
    pub prefix: Option<String>,
    /// Include betas and release candidates
    #[arg(long)]
    pub all: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Only the newest release of each minor (go1.22.10, go1.21.13, …), for a CI matrix
    #[arg(long)]
    pub latest_patch: bool,
    /// Start at the `go` line of this go.mod/go.work file, or at a version (1.21: all of 1.21
    /// and newer; 1.21.3: that release and newer; oldstable)
    #[arg(long, value_name = "GO.MOD|VERSION")]
    pub since: Option<std::ffi::OsString>,
    /// Mark each release with its known vulnerabilities (Go's vulnerability database)
    #[arg(long)]
    pub vuln: bool,
    /// Fetch the release index (and, with --vuln, the vulnerability database) even if the
    /// cached copy is fresh
    #[arg(long)]
    pub refresh: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The installed version: 1.22.10 (a prefix such as 1.22 means the newest installed 1.22.x)
    #[arg(value_name = "VERSION", add = ArgValueCompleter::new(complete::installed))]
    pub version: String,
    #[command(flatten)]
    pub platform: PlatformArgs,
    /// The file to write, or - for stdout (default: go1.22.10.linux-amd64.snapshot.tar.gz,
    /// named after the version, in this directory). A file is written whole or not at all and
    /// keeps its mode; a FIFO, pipe or device is written into, never replaced
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// The directory the tree sits in inside the archive: go/bin/go, or usr/local/go/bin/go
    /// with --prefix usr/local/go
    #[arg(long, value_name = "DIR", default_value = "go")]
    pub prefix: crate::snapshot::Prefix,
}

const IMPORT_LONG_ABOUT: &str = "\
Take Go into the store from this machine, as if it had been installed.

An official archive (go1.22.10.linux-amd64.tar.gz) is unpacked as an install unpacks it and
checked against the release index's SHA-256 (or its cached copy), else the .sha256 file beside
it, else --sha256; without one it is refused. A snapshot from `gopin export` is checked entry by
entry against the record inside it: that proves it is intact, not that it is Go's release.

A directory (/usr/local/go), or every tree of --from goenv|gvm|asdf|mise|sdk, is identified by
its VERSION file and its bin/go's build information (never its folder's name), checked whole
(bin/go, src/runtime, pkg/tool/<os>_<arch>) and safe (no links out of it, no special files),
and copied, or recorded where it is with --link, with every file's hash. Snapshots and
directories are then looked up in the checksum database (GOSUMDB, as go reaches it): one that
proves is marked verified; any other is marked \"imported, not verified against a release
checksum\", which `gopin ls` and `gopin doctor` repeat. A version already installed is left as
it is.";

/// `--sha256 HEX`: a SHA-256 digest in hex.
fn sha256_arg(s: &str) -> Result<String, String> {
    if crate::fsio::is_sha256(s) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err("a SHA-256 digest is 64 hexadecimal digits".into())
    }
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// An official archive (go1.22.10.linux-amd64.tar.gz), a snapshot from `gopin export`, or
    /// a Go directory (/usr/local/go)
    #[arg(
        value_name = "FILE|DIR",
        required_unless_present = "from",
        conflicts_with = "from",
        value_hint = ValueHint::AnyPath
    )]
    pub path: Option<std::path::PathBuf>,
    /// Import every Go tree this version manager keeps (at its default place, or where its
    /// variable says: GOENV_ROOT, GVM_ROOT, ASDF_DATA_DIR, MISE_DATA_DIR; sdk is ~/sdk)
    #[arg(long, value_enum, value_name = "TOOL")]
    pub from: Option<crate::import::tools::Tool>,
    /// Record directories where they are instead of copying them (they must then stay there;
    /// uninstall forgets them without deleting them)
    #[arg(long)]
    pub link: bool,
    /// List what would be imported, and import nothing
    #[arg(long)]
    pub dry_run: bool,
    /// The archive's SHA-256, for when neither the release index nor a .sha256 file beside it
    /// is at hand
    #[arg(long, value_name = "HEX", value_parser = sha256_arg)]
    pub sha256: Option<String>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Go binaries to check: ELF, Mach-O or PE, for any platform
    #[arg(value_name = "BINARY", required = true)]
    pub binaries: Vec<std::path::PathBuf>,
    /// Judge against this version instead of the directory's selection (1.22.10; a prefix,
    /// latest, stable or oldstable means its newest installed match)
    #[arg(long, value_name = "SPEC", conflicts_with = "against_lock")]
    pub against: Option<String>,
    /// Judge against the release gopin.lock here locks: a binary built with any other Go fails
    #[arg(long)]
    pub against_lock: bool,
    /// Pass a binary built with a newer minor release than the pinned one (default: warn
    /// and fail)
    #[arg(long)]
    pub allow_newer_minor: bool,
    /// Also fail a binary whose Go release has known vulnerabilities (Go's vulnerability
    /// database; release-level, not reachability: see govulncheck)
    #[arg(long)]
    pub vuln: bool,
    /// With --vuln: fetch the vulnerability database even if the cached copy is fresh
    #[arg(long, requires = "vuln")]
    pub refresh: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}
