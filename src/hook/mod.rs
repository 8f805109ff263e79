//! What the shell hook does when something may have changed: resolve the directory, compare
//! the environment the shell has with the one it should have, and print only the difference.
//!
//! It reconciles rather than trusting its own bookkeeping, so a shell that inherited gopin's
//! variables but rebuilt PATH in its rc file, or another tool (direnv, mise) that restored a
//! stale snapshot, is put right. The invariant (docs/shell.md): while a version is
//! active, `$GOROOT/bin` and its GOBIN lead PATH and GOROOT is gopin's; while none is, no PATH
//! entry inside the store remains and GOROOT is not one of gopin's.
//!
//! Deciding what a directory should have is in `decide`, the bookkeeping the shell carries in
//! `state`, printing the difference in `render`, the stamp the fast check compares against in
//! `stamp`.

mod decide;
mod render;
mod stamp;
mod state;

pub use decide::{Decision, Target, decide};
pub use render::render;
pub use stamp::{prune_stamps, stamp_dir, touch_stamp};
pub use state::{HookState, STATE_VAR};
