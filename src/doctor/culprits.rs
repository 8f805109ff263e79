//! Who changed the environment: the tools that keep their own environment per directory
//! (direnv, mise) and the lines of the shell's startup files that set GOROOT or put a
//! directory on PATH. The doctor names them in a fix instead of a generic "check your rc".

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::shell::Shell;
use crate::ui::{shown, tilde};
use crate::userfile;

/// Startup files are small; a larger one is skipped.
const RC_LIMIT: u64 = 1024 * 1024;

/// Other tools active in this shell that set environment variables per directory.
pub fn active_tools(env: &dyn Fn(&str) -> Option<OsString>) -> Vec<String> {
    let mut tools = Vec::new();
    if let Some(dir) = env("DIRENV_DIR") {
        let dir = dir.to_string_lossy();
        let dir = dir.trim_start_matches('-');
        tools.push(format!(
            "direnv (loaded from {}/.envrc)",
            tilde(Path::new(dir))
        ));
    }
    if env("__MISE_DIFF").is_some() || env("__MISE_SESSION").is_some() {
        tools.push("mise (its hook is active in this shell)".to_string());
    }
    tools
}

/// The startup files a `shell` reads, for the user in `home`.
fn rc_files(shell: Shell, env: &dyn Fn(&str) -> Option<OsString>) -> Vec<PathBuf> {
    let home = env("HOME").map(PathBuf::from).unwrap_or_default();
    let mut files: Vec<PathBuf> = match shell {
        Shell::Bash => [".bashrc", ".bash_profile", ".bash_login", ".profile"]
            .iter()
            .map(|f| home.join(f))
            .chain(["/etc/profile", "/etc/bash.bashrc", "/etc/bashrc"].map(PathBuf::from))
            .collect(),
        Shell::Zsh => {
            let zdot = env("ZDOTDIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| home.clone());
            [".zshenv", ".zprofile", ".zshrc", ".zlogin"]
                .iter()
                .map(|f| zdot.join(f))
                .chain(
                    [
                        "/etc/zsh/zshenv",
                        "/etc/zsh/zprofile",
                        "/etc/zsh/zshrc",
                        "/etc/zshrc",
                    ]
                    .map(PathBuf::from),
                )
                .collect()
        }
        Shell::Fish => {
            let config = env("XDG_CONFIG_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| home.join(".config"));
            let mut files = vec![config.join("fish/config.fish")];
            files.extend(dir_files(&config.join("fish/conf.d"), "fish"));
            files
        }
    };
    if shell != Shell::Fish {
        files.extend(dir_files(Path::new("/etc/profile.d"), "sh"));
    }
    files
}

fn dir_files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Lines of the shell's startup files that mention `needle` (a directory, or `GOROOT=`),
/// as `~/.bashrc line 12`, comments skipped.
pub fn rc_lines(shell: Shell, env: &dyn Fn(&str) -> Option<OsString>, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for file in rc_files(shell, env) {
        let Ok(Some(bytes)) = userfile::read(&file, RC_LIMIT) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start();
            if !line.starts_with('#') && line.contains(needle) {
                found.push(format!("{} line {}", tilde(&file), n + 1));
            }
        }
    }
    found
}

/// Who is likely to have put `dir` first on PATH or set GOROOT to something else, in words:
/// "direnv (…), ~/.bashrc line 3". Empty when nothing can be told.
pub fn responsible(shell: Shell, env: &dyn Fn(&str) -> Option<OsString>, needle: &str) -> String {
    let mut who = active_tools(env);
    who.extend(rc_lines(shell, env, needle));
    if who.is_empty() {
        String::new()
    } else {
        format!(" (set by: {})", who.join(", "))
    }
}

/// A directory as the needle to look for in startup files.
pub fn needle(dir: &Path) -> String {
    shown(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_rc_line_and_the_tools() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(
            home.path().join(".bashrc"),
            "# export GOROOT=/commented\nexport PATH=/opt/sysgo/bin:$PATH\nexport GOROOT=/opt/sysgo\n",
        )
        .unwrap();
        let h = home.path().as_os_str().to_owned();
        let env = move |name: &str| match name {
            "HOME" => Some(h.clone()),
            "DIRENV_DIR" => Some("-/work/p".into()),
            _ => None,
        };
        let lines = rc_lines(Shell::Bash, &env, "/opt/sysgo/bin");
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].ends_with(".bashrc line 2"), "{lines:?}");
        let who = responsible(Shell::Bash, &env, "GOROOT=");
        assert!(who.contains("direnv (loaded from /work/p/.envrc)"), "{who}");
        assert!(
            who.contains(".bashrc line 3") && !who.contains("line 1"),
            "{who}"
        );
    }
}
