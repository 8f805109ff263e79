//! Shell support: the init scripts (readable files under `shell/`, embedded here), quoting,
//! and the small scripts gopin prints for a shell to `eval`.
//!
//! Every value that reaches a shell goes through [`Shell::quote`]; nothing else builds shell
//! syntax from data.

use std::fmt::Write;
use std::path::Path;

use clap::ValueEnum;
use shell_quote::{Bash, Fish, Quote};

/// A shell gopin integrates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

const BASH_INIT: &str = include_str!("../shell/gopin.bash");
const ZSH_INIT: &str = include_str!("../shell/gopin.zsh");
const FISH_INIT: &str = include_str!("../shell/gopin.fish");

impl Shell {
    /// `value` as one word of this shell's syntax, whatever it contains.
    pub fn quote(self, value: &str) -> String {
        match self {
            // zsh reads bash's quoting ('…' and $'…') the same way.
            Shell::Bash | Shell::Zsh => Bash::quote(value),
            Shell::Fish => Fish::quote(value),
        }
    }

    /// The shell a `$SHELL` value names (`/usr/bin/zsh`); bash when it is none of the three.
    pub fn from_login_shell(shell: Option<&str>) -> Shell {
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

    /// The init script, with the absolute path of this gopin and the stamp directory.
    pub fn init_script(self, gopin: &Path, stamp_dir: &Path) -> String {
        let template = match self {
            Shell::Bash => BASH_INIT,
            Shell::Zsh => ZSH_INIT,
            Shell::Fish => FISH_INIT,
        };
        template
            .replace("__GOPIN_BIN__", &self.quote(&gopin.to_string_lossy()))
            .replace(
                "__GOPIN_STAMP_DIR__",
                &self.quote(&stamp_dir.to_string_lossy()),
            )
    }
}

/// A script of variable assignments for one shell.
#[derive(Debug)]
pub struct Script {
    shell: Shell,
    text: String,
}

impl Script {
    pub fn new(shell: Shell) -> Script {
        Script {
            shell,
            text: String::new(),
        }
    }

    /// Exports `name=value` to the environment.
    pub fn export(&mut self, name: &str, value: &str) {
        let v = self.shell.quote(value);
        match self.shell {
            Shell::Bash | Shell::Zsh => writeln!(self.text, "export {name}={v}"),
            Shell::Fish => writeln!(self.text, "set -gx {name} {v}"),
        }
        .expect("writing to a String");
    }

    /// Removes `name` from the environment.
    pub fn unset(&mut self, name: &str) {
        match self.shell {
            Shell::Bash | Shell::Zsh => writeln!(self.text, "unset {name}"),
            Shell::Fish => writeln!(self.text, "set -e {name}"),
        }
        .expect("writing to a String");
    }

    /// Exports `name`, or removes it when `value` is `None`.
    pub fn set_or_unset(&mut self, name: &str, value: Option<&str>) {
        match value {
            Some(v) => self.export(name, v),
            None => self.unset(name),
        }
    }

    /// Exports PATH from its entries (fish keeps PATH as a list).
    pub fn export_path(&mut self, entries: &[String]) {
        match self.shell {
            Shell::Bash | Shell::Zsh => self.export("PATH", &entries.join(":")),
            Shell::Fish => {
                let list = self.list(entries.iter().filter(|e| !e.is_empty()));
                writeln!(self.text, "set -gx PATH{list}").expect("writing to a String");
            }
        }
    }

    /// Sets a shell variable that is not exported (bash/zsh: global; fish: `-g`).
    pub fn set_shell_var(&mut self, name: &str, value: &str) {
        let v = self.shell.quote(value);
        match self.shell {
            Shell::Bash | Shell::Zsh => writeln!(self.text, "{name}={v}"),
            Shell::Fish => writeln!(self.text, "set -g {name} {v}"),
        }
        .expect("writing to a String");
    }

    /// Sets a non-exported array (bash/zsh) or list (fish) variable.
    pub fn set_shell_list<'a>(&mut self, name: &str, values: impl IntoIterator<Item = &'a String>) {
        let list = self.list(values);
        match self.shell {
            Shell::Bash | Shell::Zsh => writeln!(self.text, "{name}=({})", list.trim_start()),
            Shell::Fish => writeln!(self.text, "set -g {name}{list}"),
        }
        .expect("writing to a String");
    }

    fn list<'a>(&self, values: impl IntoIterator<Item = &'a String>) -> String {
        values.into_iter().fold(String::new(), |mut s, v| {
            s.push(' ');
            s.push_str(&self.shell.quote(v));
            s
        })
    }

    pub fn into_string(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_shell_names() {
        assert_eq!(Shell::from_login_shell(Some("/usr/bin/zsh")), Shell::Zsh);
        assert_eq!(
            Shell::from_login_shell(Some("/opt/homebrew/bin/fish")),
            Shell::Fish
        );
        assert_eq!(Shell::from_login_shell(Some("/bin/bash")), Shell::Bash);
        assert_eq!(Shell::from_login_shell(Some("/bin/dash")), Shell::Bash);
        assert_eq!(Shell::from_login_shell(None), Shell::Bash);
    }

    /// Hostile values survive a round trip through each real shell (when it is installed).
    #[test]
    fn quoting_round_trips_through_real_shells() {
        let hostile = [
            "plain",
            "with space",
            "it's",
            "\"double\"",
            "$HOME",
            "`id`",
            "$(touch /tmp/gopin-pwned)",
            "back\\slash",
            "new\nline",
            "tab\there",
            "ünïcødé ✓",
            "semi;colon&&amp|pipe",
            "*glob?[x]",
            "~tilde",
            "{a,b}",
            "-dash",
            "",
        ];
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let mut script = Script::new(shell);
            for (i, v) in hostile.iter().enumerate() {
                script.set_shell_var(&format!("v{i}"), v);
            }
            let mut text = script.into_string();
            for i in 0..hostile.len() {
                writeln!(text, "printf '%s\\0' \"$v{i}\"").unwrap();
            }
            let name = format!("{shell:?}").to_lowercase();
            let out = match std::process::Command::new(name)
                .arg("-c")
                .arg(&text)
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
                assert_eq!(got[i], want.as_bytes(), "{shell:?} value {i}");
            }
        }
    }
}
