//! Everything gopin reads from a server or a path it is given, and what that trusts:
//!
//! - [`location`]: one [`Location`] type for https/http URLs, `file://` URLs and plain paths;
//! - [`http`]: one GET, with the rules every remote transfer obeys ([`Rules`]), over the
//!   HTTP proxies of the environment ([`http_proxy`]);
//! - [`error`]: what can go wrong, in words ([`FetchError`]); [`retry`]: transient failures
//!   tried again;
//! - [`remote`]: the small trait that the module proxy and the checksum database are read
//!   through, so they can be tested against bytes in memory;
//! - [`auth`]: HTTP credentials: what a request sends, and what a module proxy is sent;
//! - [`trust`]: the certificate authorities trusted for https;
//! - [`dns`]: host names in a static build.
//!
//! Nothing here knows what the bytes are: the sources (`crate::source`) give them meaning.

pub mod auth;
pub mod dns;
pub mod error;
pub mod http;
pub mod http_proxy;
pub mod location;
pub mod remote;
pub mod retry;
pub mod trust;

pub use error::{Cut, FetchError};
pub use http::{Body, Rules};
pub use location::Location;
pub use retry::{Retryable, with_retries_told};
