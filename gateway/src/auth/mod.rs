//! Who is calling: signed tokens and their revocation, the session of every request checked against
//! current data, and failed logins counted so that a guesser is slowed and nobody locked out.
//!
//! - [`tokens`]: issuing, verifying and revoking tokens.
//! - [`session`]: the session extractor and the caller's address.
//! - [`logins`]: failed logins per name and address, and the bounded password checks (U-4).

pub mod logins;
pub mod session;
pub mod tokens;

pub use logins::{Admission, CHECKS_AT_ONCE, LoginLimiter};
pub use session::{Carrier, ClientAddress, Session, Sessions, token_from};
pub use tokens::{TOKEN_TTL, Tokens};
