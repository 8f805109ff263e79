//! The man page, generated from the command line's definition (clap_mangen), so it says what
//! `--help` says. `docs/gopin.1` is a copy that a test keeps equal to this output.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use crate::cli::Cli;
use crate::config::ENV_OVERRIDES;
use crate::pinfile::PIN_FILES;

pub fn run() -> Result<ExitCode> {
    std::io::stdout().write_all(&page()?)?;
    Ok(ExitCode::SUCCESS)
}

/// gopin(1) on one page: gopin's own sections, then each command that `--help` lists with
/// its synopsis, description and options (one page, so one command installs it all), then
/// exit status, environment and files.
pub fn page() -> std::io::Result<Vec<u8>> {
    let mut cmd = Cli::command();
    cmd.build();
    let man = Man::new(cmd.clone()).manual("gopin manual");
    let mut page = Page::default();
    page.part(true, |w| man.render_title(w))?;
    page.part(true, |w| man.render_name_section(w))?;
    page.part(true, |w| man.render_synopsis_section(w))?;
    page.part(true, |w| man.render_description_section(w))?;
    page.part(true, |w| man.render_options_section(w))?;
    page.part(true, |w| {
        Roff::new().control("SH", ["COMMANDS"]).to_writer(w)
    })?;
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        // -q, -v and --help are described once, above.
        let sub = sub.clone().mut_args(|a| {
            let shared = a.is_global_set() || a.get_id() == "help";
            a.hide(shared)
        });
        let title = format!("gopin {}", sub.get_name());
        let sub_man = Man::new(sub);
        page.part(true, |w| {
            Roff::new().control("SS", [title.as_str()]).to_writer(w)
        })?;
        page.part(false, |w| sub_man.render_synopsis_section(w))?;
        page.part(true, |w| Roff::new().control("PP", []).to_writer(w))?;
        page.part(false, |w| sub_man.render_description_section(w))?;
        page.part(false, |w| sub_man.render_options_section(w))?;
    }
    page.part(true, |w| closing_sections().to_writer(w))?;
    Ok(page.out)
}

/// The page, put together from sections clap_mangen renders one at a time.
#[derive(Default)]
struct Page {
    out: Vec<u8>,
}

impl Page {
    /// Appends what `render` writes, without roff's preamble after the first part, and
    /// without its `.SH` heading unless `heading` (a command's part of COMMANDS).
    fn part(
        &mut self,
        heading: bool,
        render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        let mut text = Vec::new();
        render(&mut text)?;
        let preamble = Roff::new().render().into_bytes();
        let mut body = match text.strip_prefix(preamble.as_slice()) {
            Some(rest) if !self.out.is_empty() => rest,
            _ => &text[..],
        };
        if !heading && let Some(rest) = body.strip_prefix(b".SH ") {
            body = rest.splitn(2, |&b| b == b'\n').nth(1).unwrap_or_default();
        }
        self.out.extend_from_slice(body);
        Ok(())
    }
}

fn closing_sections() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]).text([roman(
        "0 on success; 1 on failure, when current finds nothing selected (a go line that no installed Go meets included), or when doctor finds a problem; 2 for a usage error. exec, and go and gofmt run through the proxies, exit with the command's own status.",
    )]);
    roff.control("SH", ["ENVIRONMENT"]);
    let vars = [
        (
            "GOPIN_HOME",
            "The store (default ~/.local/share/gopin); the proxies live in its bin/.",
        ),
        (
            "GOPIN_CONFIG",
            "The config file (default ~/.config/gopin/config.toml).",
        ),
        (
            "GOPIN_CACHE_DIR",
            "The cache for the release index and the vulnerability database (default ~/.cache/gopin).",
        ),
        ("GOPIN_OS, GOPIN_ARCH", "Override the host platform."),
        (
            "SSL_CERT_FILE, SSL_CERT_DIR",
            "The trust store for https, in place of the system's bundle and directories (ca_file adds to it).",
        ),
        (
            "GOPROXY, GOSUMDB, GOAUTH, NETRC",
            "The module proxy source, read as go reads them; credentials from netrc (GOAUTH=netrc or off) or the GOPROXY URL.",
        ),
        (
            "HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY",
            "An HTTP proxy (user:password in its URL), and the hosts that bypass it (as curl reads them).",
        ),
    ];
    for (name, what) in vars {
        roff.control("TP", [])
            .text([bold(name)])
            .text([roman(what)]);
    }
    for (key, var, _) in ENV_OVERRIDES {
        roff.control("TP", [])
            .text([bold(*var)])
            .text([roman(format!("Overrides the config key {key}."))]);
    }
    roff.control("SH", ["FILES"]);
    // The pin files from the one list, in its order (docs/selection.md).
    let pin_files = PIN_FILES.map(|(name, _)| name).join(", ");
    let files = [
        (
            pin_files.as_str(),
            "Pin a version for a directory and those below it; in one directory, the first of them that pins Go wins.",
        ),
        (
            "go.work, go.mod",
            "Their toolchain line picks a version; their go line sets a minimum.",
        ),
        (
            "$GOPIN_HOME/default-version",
            "The default where nothing picks (gopin use --global).",
        ),
        (
            "$GOPIN_HOME/versions/",
            "Installed Go trees, one directory per version and platform.",
        ),
        (
            "$GOPIN_HOME/bin/",
            "The go and gofmt proxies that gopin shims links.",
        ),
    ];
    for (name, what) in files {
        roff.control("TP", [])
            .text([bold(name)])
            .text([roman(what)]);
    }
    roff.control("SH", ["SEE ALSO"]).text([roman(
        "go(1); the README and docs/ (shell.md, ide.md, ci.md) in gopin's repository.",
    )]);
    roff
}
