//! Sign-in and access control: Argon2id passwords, EdDSA access tokens with keys kept in the
//! database, device-bound rotating refresh tokens, the `AuthUser` extractor with its role guard,
//! and the sign-in rate limit.

mod extract;
pub mod keys;
mod login;
pub mod password;
mod rate_limit;
pub mod refresh;
mod token;

pub use extract::{AuthUser, OFFICE_ROLES, token_refused};
pub use login::{BAD_CREDENTIALS, LoginSuccess, login};
pub use rate_limit::LoginLimiter;
pub use token::{ACCESS_TYP, AccessClaims, TokenError, TokenKeys, VerifiedToken};
