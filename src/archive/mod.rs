//! The rules for every tree gopin takes in, whatever it came from (a release archive, a
//! module zip, a directory that `gopin import` copies or records in place, a snapshot): where
//! its entries may point, how large it may be, and what it is recorded as ([`Manifest`]).
//!
//! [`extract`] unpacks a tar stream's tree by them: go.dev's archives and gopin's snapshots.
//! The module zip's own format (Go's rules for its names) is checked by
//! `source::goproxy::modzip`, and a directory is checked and copied by `import::tree`.

pub mod extract;

pub use extract::{Limits, Manifest, link_stays_inside};
