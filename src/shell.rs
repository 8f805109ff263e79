//! Shell support: the init scripts (readable files under `shell/`, embedded here), quoting,
//! and the small scripts gopin prints for a shell to `eval`.
//!
//! Every value that reaches a shell goes through [`Shell::quote`]; nothing else builds shell
//! syntax from data.

use std::ffi::OsStr;
use std::path::Path;

use clap::ValueEnum;
use shell_quote::{Bash, Fish};

/// A shell gopin integrates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// The config settings that change what the hook applies in a directory: the GOBIN and
/// GOTOOLCHAIN an activation sets, whether a missing version is installed first, and the
/// system stores searched for installed versions (docs/shell.md, "What runs at each prompt").
const DECIDING_SETTINGS: [&str; 4] = ["gobin", "toolchain", "auto_install", "system_stores"];

const BASH_INIT: &str = include_str!("../shell/gopin.bash");
const ZSH_INIT: &str = include_str!("../shell/gopin.zsh");
const FISH_INIT: &str = include_str!("../shell/gopin.fish");

impl Shell {
    /// `value` as one word of this shell's syntax, whatever bytes it holds.
    pub fn quote(self, value: &OsStr) -> Vec<u8> {
        match self {
            // zsh reads bash's quoting ('…' and $'…') the same way.
            Shell::Bash | Shell::Zsh => Bash::quote_vec(value),
            Shell::Fish => Fish::quote_vec(value),
        }
    }

    /// The shell a `$SHELL` value names (`/usr/bin/zsh`); bash when it is none of the three.
    pub fn from_login_shell(shell: Option<&OsStr>) -> Shell {
        match shell
            .map(Path::new)
            .and_then(Path::file_name)
            .and_then(|n| n.to_str())
        {
            Some("zsh") => Shell::Zsh,
            Some("fish") => Shell::Fish,
            _ => Shell::Bash,
        }
    }

    /// The shell that started gopin, if it is one of the three (its process name, on Linux),
    /// else the login shell (`$SHELL`).
    pub fn calling() -> Shell {
        #[cfg(target_os = "linux")]
        if let Ok(name) = std::fs::read_to_string(format!(
            "/proc/{}/comm",
            std::os::unix::process::parent_id()
        )) {
            // A login shell's name starts with `-`.
            match name.trim().trim_start_matches('-') {
                "bash" => return Shell::Bash,
                "zsh" => return Shell::Zsh,
                "fish" => return Shell::Fish,
                _ => {}
            }
        }
        Shell::from_login_shell(std::env::var_os("SHELL").as_deref())
    }

    /// The line that loads the hook, as the user writes it in the rc file.
    pub fn init_line(self) -> &'static str {
        match self {
            Shell::Bash => "eval \"$(gopin init bash)\"",
            Shell::Zsh => "eval \"$(gopin init zsh)\"",
            Shell::Fish => "gopin init fish | source",
        }
    }

    /// The rc file an interactive shell of this kind reads, for messages: `~/.bashrc`,
    /// `$ZDOTDIR/.zshrc` (else `~/.zshrc`), `$XDG_CONFIG_HOME/fish/config.fish` (else
    /// `~/.config/fish/config.fish`).
    pub fn rc_file(self, env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> String {
        let dir = |var: &str| {
            env(var)
                .filter(|d| Path::new(d).is_absolute())
                .map(std::path::PathBuf::from)
        };
        match self {
            Shell::Bash => "~/.bashrc".to_string(),
            Shell::Zsh => dir("ZDOTDIR").map_or_else(
                || "~/.zshrc".to_string(),
                |d| crate::ui::tilde(&d.join(".zshrc")),
            ),
            Shell::Fish => dir("XDG_CONFIG_HOME").map_or_else(
                || "~/.config/fish/config.fish".to_string(),
                |d| crate::ui::tilde(&d.join("fish/config.fish")),
            ),
        }
    }

    /// The init script, with the absolute path of this gopin and the stamp directory.
    pub fn init_script(self, gopin: &Path, stamp_dir: &Path) -> Vec<u8> {
        let template = match self {
            Shell::Bash => BASH_INIT,
            Shell::Zsh => ZSH_INIT,
            Shell::Fish => FISH_INIT,
        };
        let mut out = Vec::with_capacity(template.len() + 256);
        let mut rest = template;
        while let Some(at) = rest.find("__GOPIN_") {
            out.extend_from_slice(&rest.as_bytes()[..at]);
            let tail = &rest[at..];
            let (value, len) = if tail.starts_with("__GOPIN_BIN__") {
                (self.quote(gopin.as_os_str()), "__GOPIN_BIN__".len())
            } else if tail.starts_with("__GOPIN_STAMP_DIR__") {
                (
                    self.quote(stamp_dir.as_os_str()),
                    "__GOPIN_STAMP_DIR__".len(),
                )
            } else if tail.starts_with("__GOPIN_SIG__") {
                (self.signature(false).into_bytes(), "__GOPIN_SIG__".len())
            } else if tail.starts_with("__GOPIN_SIG_BARE__") {
                (
                    self.signature(true).into_bytes(),
                    "__GOPIN_SIG_BARE__".len(),
                )
            } else if tail.starts_with("__GOPIN_VARS_SIG__") {
                (
                    self.joined(Self::event_names(), true).into_bytes(),
                    "__GOPIN_VARS_SIG__".len(),
                )
            } else if tail.starts_with("__GOPIN_VARS__") {
                let names: Vec<&str> = Self::event_names().collect();
                (names.join(" ").into_bytes(), "__GOPIN_VARS__".len())
            } else if tail.starts_with("__GOPIN_VAR_EVENTS__") {
                let flags: Vec<String> = Self::event_names()
                    .map(|n| format!("--on-variable {n}"))
                    .collect();
                (flags.join(" ").into_bytes(), "__GOPIN_VAR_EVENTS__".len())
            } else {
                (b"__GOPIN_".to_vec(), "__GOPIN_".len())
            };
            out.extend_from_slice(&value);
            rest = &tail[len..];
        }
        out.extend_from_slice(rest.as_bytes());
        out
    }

    /// An expression of the variables that change what the hook decides (Go's GOWORK and
    /// GOENV, gopin's settings), so the hook notices `export GOWORK=off` at the next prompt.
    /// Settings that only change how a download is made (URLs, timeouts, trust) are not in
    /// it: each costs the prompt a variable lookup, and the next run reads them anyway.
    /// `bare`: `$NAME` rather than `${NAME-}`, about 0.25 µs cheaper each in bash, for where
    /// `set -u` is known to be off (zsh's `emulate -L zsh`, bash after a look at `$-`).
    /// fish watches these and PATH with events instead (see [`Shell::event_names`]).
    fn signature(self, bare: bool) -> String {
        self.joined(Self::signature_names().chain(Self::settings_names()), bare)
    }

    /// What fish is told about when one is set or erased (an event) rather than comparing
    /// them at each prompt, which costs it several microseconds (its variable lookups are
    /// dear): PATH, Go's variables and gopin's settings. (fish's `$PWD` is still compared:
    /// it is one lookup, and the directory is what changes most.)
    fn event_names() -> impl Iterator<Item = &'static str> {
        std::iter::once("PATH")
            .chain(Self::signature_names())
            .chain(Self::settings_names())
    }

    /// The values of `names`, joined by `|` in one double-quoted word (see `bare` above).
    fn joined<'a>(self, names: impl Iterator<Item = &'a str>, bare: bool) -> String {
        let parts: Vec<String> = names
            .map(|n| match self {
                Shell::Bash | Shell::Zsh if !bare => format!("${{{n}-}}"),
                _ => format!("${n}"),
            })
            .collect();
        format!("\"{}\"", parts.join("|"))
    }

    /// The variables of [`Shell::signature`] that are not gopin's own settings: Go's, which
    /// other tools set too.
    fn signature_names() -> impl Iterator<Item = &'static str> {
        [
            "GOWORK",
            "GOENV",
            // A go.mod directly in the temp directory is no module, as for `go`.
            "TMPDIR",
            // So the hook sees the user's own changes to these at the next prompt, and can
            // tell them from a tool's made together with a directory change.
            "GOROOT",
            "GOBIN",
            "GOTOOLCHAIN",
        ]
        .into_iter()
    }

    /// gopin's own settings that change what the hook decides. bash and zsh compare them
    /// at each prompt with the rest; fish is told when one is set or erased (an event).
    fn settings_names() -> impl Iterator<Item = &'static str> {
        let mut names = vec![
            "GOPIN_HOME",
            "GOPIN_CONFIG",
            "GOPIN_OS",
            "GOPIN_ARCH",
            crate::resolve::SHELL_VAR,
        ];
        names.extend(
            crate::config::ENV_OVERRIDES
                .iter()
                .filter(|(key, _, _)| DECIDING_SETTINGS.contains(key))
                .map(|(_, var, _)| *var),
        );
        names.into_iter()
    }
}

/// A script of variable assignments for one shell, as bytes (values need not be UTF-8).
#[derive(Debug)]
pub struct Script {
    shell: Shell,
    text: Vec<u8>,
}

impl Script {
    pub fn new(shell: Shell) -> Script {
        Script {
            shell,
            text: Vec::new(),
        }
    }

    fn line(&mut self, parts: &[&[u8]]) {
        for p in parts {
            self.text.extend_from_slice(p);
        }
        self.text.push(b'\n');
    }

    /// Exports `name=value` to the environment.
    pub fn export(&mut self, name: &str, value: &OsStr) {
        let v = self.shell.quote(value);
        match self.shell {
            Shell::Bash | Shell::Zsh => self.line(&[b"export ", name.as_bytes(), b"=", &v]),
            Shell::Fish => self.line(&[b"set -gx ", name.as_bytes(), b" ", &v]),
        }
    }

    /// Removes `name` from the environment.
    pub fn unset(&mut self, name: &str) {
        match self.shell {
            Shell::Bash | Shell::Zsh => self.line(&[b"unset ", name.as_bytes()]),
            Shell::Fish => self.line(&[b"set -e ", name.as_bytes()]),
        }
    }

    /// Exports `name`, or removes it when `value` is `None`.
    pub fn set_or_unset(&mut self, name: &str, value: Option<&OsStr>) {
        match value {
            Some(v) => self.export(name, v),
            None => self.unset(name),
        }
    }

    /// Exports PATH (fish keeps PATH as a list, which cannot hold empty entries).
    pub fn export_path(&mut self, path: &OsStr) {
        match self.shell {
            Shell::Bash | Shell::Zsh => self.export("PATH", path),
            Shell::Fish => {
                let entries = crate::activate::split_path(Some(path));
                let list = self.list(
                    entries
                        .iter()
                        .map(|e| e.as_os_str())
                        .filter(|e| !e.is_empty()),
                );
                self.line(&[b"set -gx PATH", &list]);
            }
        }
    }

    /// Sets a global shell variable that is not exported.
    pub fn set_shell_var(&mut self, name: &str, value: &OsStr) {
        let v = self.shell.quote(value);
        match self.shell {
            Shell::Bash => self.line(&[name.as_bytes(), b"=", &v]),
            // `typeset -g`: set from inside the hook function, without warn_create_global.
            Shell::Zsh => self.line(&[b"typeset -g ", name.as_bytes(), b"=", &v]),
            Shell::Fish => self.line(&[b"set -g ", name.as_bytes(), b" ", &v]),
        }
    }

    /// Sets a non-exported array (bash/zsh) or list (fish) variable.
    pub fn set_shell_list<'a>(&mut self, name: &str, values: impl IntoIterator<Item = &'a OsStr>) {
        let list = self.list(values);
        let inner = list.strip_prefix(b" ").unwrap_or(&list).to_vec();
        match self.shell {
            Shell::Bash => self.line(&[name.as_bytes(), b"=(", &inner, b")"]),
            Shell::Zsh => self.line(&[b"typeset -ga ", name.as_bytes(), b"=(", &inner, b")"]),
            Shell::Fish => self.line(&[b"set -g ", name.as_bytes(), &list]),
        }
    }

    fn list<'a>(&self, values: impl IntoIterator<Item = &'a OsStr>) -> Vec<u8> {
        let mut out = Vec::new();
        for v in values {
            out.push(b' ');
            out.extend_from_slice(&self.shell.quote(v));
        }
        out
    }

    pub fn shell(&self) -> Shell {
        self.shell
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn login_shell_names() {
        let sh = |s: &str| Shell::from_login_shell(Some(OsStr::new(s)));
        assert_eq!(sh("/usr/bin/zsh"), Shell::Zsh);
        assert_eq!(sh("/opt/homebrew/bin/fish"), Shell::Fish);
        assert_eq!(sh("/bin/bash"), Shell::Bash);
        assert_eq!(sh("/bin/dash"), Shell::Bash);
        assert_eq!(Shell::from_login_shell(None), Shell::Bash);
    }

    /// Hostile values survive a round trip through each real shell (when it is installed).
    #[test]
    fn quoting_round_trips_through_real_shells() {
        let hostile: [&[u8]; 20] = [
            b"plain",
            b"with space",
            b"it's",
            b"\"double\"",
            b"$HOME",
            b"`id`",
            b"$(touch /tmp/gopin-pwned)",
            b"back\\slash",
            b"new\nline",
            b"tab\there",
            "ünïcødé ✓".as_bytes(),
            b"semi;colon&&amp|pipe",
            b"*glob?[x]",
            b"~tilde",
            b"{a,b}",
            b"-dash",
            b"",
            b"/opt/\xffbin",
            b"cut \xc3",
            b"\x1b]0;title\x07",
        ];
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut script = Script::new(shell);
            for (i, v) in hostile.iter().enumerate() {
                script.set_shell_var(&format!("v{i}"), OsStr::from_bytes(v));
            }
            let mut text = script.into_bytes();
            for i in 0..hostile.len() {
                text.extend_from_slice(format!("printf '%s\\0' \"$v{i}\"\n").as_bytes());
            }
            let name = format!("{shell:?}").to_lowercase();
            let out = match std::process::Command::new(name)
                .arg("-c")
                .arg(OsStr::from_bytes(&text))
                .output()
            {
                Ok(out) => out,
                Err(_) => continue, // that shell is not installed here; CI installs all three
            };
            assert!(
                out.status.success(),
                "{shell:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let got: Vec<&[u8]> = out.stdout.split(|&b| b == 0).collect();
            for (i, want) in hostile.iter().enumerate() {
                assert_eq!(got[i], *want, "{shell:?} value {i}");
            }
        }
    }
}
