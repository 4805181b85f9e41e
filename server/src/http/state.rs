//! `AppState`: what every handler can reach (store, configuration, token keys, metrics, sign-in
//! limiter, poke hub). Cheap to clone: everything is behind an `Arc`.

use super::ServerClock;
use crate::auth::password::{PasswordError, hash_password};
use crate::auth::{LoginLimiter, TokenKeys, keys::KeyError};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::push::Push;
use crate::store::Store;
use std::sync::Arc;

/// The shared state of the HTTP server.
#[derive(Clone)]
pub struct AppState {
    /// The storage.
    pub store: Arc<dyn Store>,
    /// The configuration the server started with.
    pub config: Arc<Config>,
    /// Access token signing and verification.
    pub tokens: Arc<TokenKeys>,
    /// Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// Failed sign-in throttle.
    pub login_limiter: Arc<LoginLimiter>,
    /// A hash verified for unknown usernames so a miss costs as much as a wrong password.
    pub dummy_password_hash: Arc<str>,
    /// The poke hub of the WebSocket channel (cross-instance on PostgreSQL).
    pub push: Arc<Push>,
    /// Business time (see [`ServerClock`]): the wall clock unless a test pinned it.
    pub clock: ServerClock,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.store.backend())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Why the state could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The signing keys could not be loaded or created.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The dummy password hash could not be made (bad Argon2 parameters).
    #[error(transparent)]
    Password(#[from] PasswordError),
}

impl AppState {
    /// The same state reading business time from `clock` (tests pin it).
    pub fn with_clock(mut self, clock: ServerClock) -> AppState {
        self.clock = clock;
        self
    }

    /// Business time now (see [`ServerClock`]).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Builds the state over a migrated store: loads (or creates) the signing keys.
    pub async fn new(store: Arc<dyn Store>, config: Config) -> Result<AppState, StateError> {
        let tokens = TokenKeys::load(Arc::clone(&store), config.token.clone()).await?;
        let dummy =
            hash_password("fieldline-dummy-password".to_string(), config.password_hash).await?;
        let push = match config.database_url.as_deref() {
            Some(url) if store.backend() == "postgres" => {
                Push::with_postgres(config.push.clone(), url)
            }
            _ => {
                if store.backend() == "postgres" {
                    tracing::warn!("no database_url configured: pokes stay on this instance");
                }
                Push::local(config.push.clone())
            }
        };
        Ok(AppState {
            store,
            login_limiter: Arc::new(LoginLimiter::new(
                config.login_rate_limit,
                config.login_rate_limit_per_address,
            )),
            config: Arc::new(config),
            tokens: Arc::new(tokens),
            metrics: Arc::new(Metrics::new()),
            dummy_password_hash: Arc::from(dummy),
            push,
            clock: ServerClock::system(),
        })
    }
}
