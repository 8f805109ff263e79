//! Messages for humans. Everything goes to stderr, so stdout stays clean for `eval`, `--json`
//! and `which`. `-q` silences notes, `-v` adds detail; errors always print.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicI8, Ordering};

static LEVEL: AtomicI8 = AtomicI8::new(0);

/// Sets the verbosity: -1 quiet, 0 normal, 1 verbose.
pub fn set_level(level: i8) {
    LEVEL.store(level, Ordering::Relaxed);
}

pub fn is_quiet() -> bool {
    LEVEL.load(Ordering::Relaxed) < 0
}

/// A progress or status line, hidden by `-q`.
pub fn note(msg: &str) {
    if !is_quiet() {
        eprintln!("{msg}");
    }
}

/// Detail shown only with `-v`.
pub fn verbose(msg: &str) {
    if LEVEL.load(Ordering::Relaxed) > 0 {
        eprintln!("gopin: {msg}");
    }
}

/// A warning: something the user should know about even though the command goes on.
pub fn warn(msg: &str) {
    eprintln!("{} {msg}", paint("warning:", "33"));
}

/// Whether stderr is a terminal (progress bars are drawn only there).
pub fn stderr_is_tty() -> bool {
    std::io::stderr().is_terminal()
}

/// Whether stderr may be decorated (a TTY, and `NO_COLOR` unset).
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && stderr_is_tty()
}

/// Wraps `text` for stderr in an ANSI colour when colour is enabled.
pub fn paint(text: &str, code: &str) -> String {
    paint_if(color_enabled(), text, code)
}

/// The same for text printed on stdout.
pub fn paint_out(text: &str, code: &str) -> String {
    let tty = std::io::stdout().is_terminal();
    paint_if(
        tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        text,
        code,
    )
}

fn paint_if(enabled: bool, text: &str, code: &str) -> String {
    if enabled {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}
