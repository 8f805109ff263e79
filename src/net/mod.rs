//! Everything gopin reads from a server or a path it is given, and what that trusts:
//!
//! - [`fetch`]: one [`Location`] type for https/http URLs, `file://` URLs and plain paths,
//!   with the rules every remote transfer obeys ([`Rules`]) and the retries of transient
//!   failures;
//! - [`remote`]: the small trait that the module proxy and the checksum database are read
//!   through, so they can be tested against bytes in memory;
//! - [`auth`]: the HTTP credentials sent to a module proxy;
//! - [`trust`]: the certificate authorities trusted for https;
//! - [`dns`]: host names in a static build.
//!
//! Nothing here knows what the bytes are: the sources (`crate::source`) give them meaning.

pub mod auth;
pub mod dns;
pub mod fetch;
pub mod remote;
pub mod trust;

pub use fetch::{Body, Cut, FetchError, Location, Retryable, Rules, with_retries_told};
