//! Transient failures tried again: how often, how long to wait between tries, and whether
//! each retry is told.

use std::time::Duration;

use crate::ui;

/// How many times a transient failure is tried in all.
pub const ATTEMPTS: u32 = 4;

/// Errors that may go away if the operation is simply tried again.
pub trait Retryable: Sized {
    fn is_transient(&self) -> bool;

    /// The error once [`with_retries`] has given up on it after `retries` more tries.
    fn retried(self, _retries: u32) -> Self {
        self
    }
}

/// Runs `attempt` until it succeeds, fails for good, or has been tried [`ATTEMPTS`] times,
/// waiting a little longer after each transient failure. The attempt number (from 1) is passed
/// in. An error that was still transient when the tries ran out comes back through
/// [`Retryable::retried`], so the message says how often it was tried. Each retry is told
/// with `-v` only: for things with a fallback, such as the index and its cache.
pub fn with_retries<T, E: Retryable + std::fmt::Display>(
    attempt: impl FnMut(u32) -> Result<T, E>,
) -> Result<T, E> {
    retry(attempt, ui::verbose)
}

/// [`with_retries`], telling each retry and why, for what the user is waiting on (installs).
pub fn with_retries_told<T, E: Retryable + std::fmt::Display>(
    attempt: impl FnMut(u32) -> Result<T, E>,
) -> Result<T, E> {
    retry(attempt, ui::note)
}

fn retry<T, E: Retryable + std::fmt::Display>(
    mut attempt: impl FnMut(u32) -> Result<T, E>,
    tell: fn(&str),
) -> Result<T, E> {
    let base = retry_delay();
    let mut n = 1;
    loop {
        match attempt(n) {
            Err(e) if e.is_transient() && n < ATTEMPTS => {
                let wait = base * 2u32.pow(n - 1);
                tell(&format!(
                    "{e}; retrying in {} ms (attempt {} of {ATTEMPTS})",
                    wait.as_millis(),
                    n + 1
                ));
                std::thread::sleep(wait);
                n += 1;
            }
            Err(e) if e.is_transient() && n > 1 => return Err(e.retried(n - 1)),
            other => return other,
        }
    }
}

/// The first back-off delay; `GOPIN_RETRY_DELAY_MS` shortens it for tests.
fn retry_delay() -> Duration {
    std::env::var("GOPIN_RETRY_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_millis(500))
}
