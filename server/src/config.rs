//! Server configuration: a TOML file (`--config FILE` or `FIELDLINE_CONFIG`) overridden by
//! `FIELDLINE_*` environment variables, then by command-line flags. Every setting has a default so
//! `fieldline serve` works with no file and no flags. `Debug` never shows a secret.

use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};

/// Environment variable naming the configuration file.
pub const CONFIG_FILE_VAR: &str = "FIELDLINE_CONFIG";

/// Everything the server reads at start-up.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Database URL (`postgres://…` or a SQLite path / `sqlite:` URL). `None`: SQLite
    /// `fieldline.db` in [`Config::data_dir`].
    pub database_url: Option<String>,
    /// Address to listen on (`127.0.0.1:8080`).
    pub listen: String,
    /// Directory for the embedded database and other local files.
    pub data_dir: PathBuf,
    /// Access token settings.
    pub token: TokenConfig,
    /// Failed sign-ins allowed per minute per username; 0 disables the limit
    /// (`FIELDLINE_LOGIN_RATE_LIMIT`).
    pub login_rate_limit: u32,
    /// Failed sign-ins allowed per minute per client address (a whole office may share one);
    /// 0 disables the limit (`FIELDLINE_LOGIN_RATE_LIMIT_PER_ADDRESS`).
    pub login_rate_limit_per_address: u32,
    /// Largest request body accepted on every endpoint but sync (which has
    /// `sync.max_frame_bytes`), in bytes; larger ones get 413 (`FIELDLINE_BODY_LIMIT_BYTES`).
    pub body_limit_bytes: usize,
    /// Cost of new password hashes.
    pub password_hash: PasswordHashConfig,
    /// Device sync: minimum versions, size limits, paging.
    pub sync: SyncConfig,
    /// WebSocket pokes (`GET /api/v1/ws`): limits and timers.
    pub push: PushConfig,
}

/// WebSocket poke settings (`[push]` in the file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PushConfig {
    /// Open poke connections one user may hold; a new one past this closes that user's oldest
    /// (`FIELDLINE_PUSH_MAX_CONNECTIONS_PER_USER`; 0 is read as 1).
    pub max_connections_per_user: usize,
    /// Seconds between server pings; a connection silent for two intervals is closed.
    pub ping_interval_secs: u64,
    /// Shortest gap between two `changed` messages on one connection, in milliseconds: bursts of
    /// pokes inside it become one message.
    pub coalesce_ms: u64,
    /// Largest message (and frame) a client may send, in bytes; larger ones close the connection.
    pub max_client_message_bytes: usize,
}

/// Device sync settings (`[sync]` in the file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncConfig {
    /// Devices speaking an older sync protocol are told to update the app
    /// (`FIELDLINE_SYNC_MIN_PROTOCOL_VERSION`).
    pub min_protocol_version: u32,
    /// Apps older than this (`1.4.2`, compared numerically) are told to update
    /// (`FIELDLINE_SYNC_MIN_APP_VERSION`).
    pub min_app_version: String,
    /// Largest sync frame accepted, as received, in bytes.
    pub max_frame_bytes: usize,
    /// Largest sync body once decompressed, in bytes.
    pub max_body_bytes: usize,
    /// Most orders one sync may upload to.
    pub max_orders: usize,
    /// Most changes one sync may upload, over all orders.
    pub max_changes: usize,
    /// Largest single uploaded change, in bytes.
    pub max_change_bytes: usize,
    /// Largest order document an upload may grow, in bytes (stored document plus the new
    /// changes); changes past it are refused and stay pending on the device.
    pub max_document_bytes: usize,
    /// Most feed entries one answer covers before it says `more`.
    pub page_entries: u32,
    /// Roughly the most document and change bytes one answer carries before it says `more`
    /// (one order's data is never split, so a page may pass it by one order).
    pub page_bytes: usize,
}

/// Access token settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenConfig {
    /// The `iss` claim issued and required.
    pub issuer: String,
    /// The `aud` claim issued and required.
    pub audience: String,
    /// Lifetime of an access token, in seconds: 1 to [`MAX_ACCESS_TTL_SECS`]
    /// (`FIELDLINE_ACCESS_TOKEN_TTL_SECS`).
    pub access_ttl_secs: u64,
    /// Lifetime of a refresh token, in seconds; each rotation starts a new one
    /// (`FIELDLINE_REFRESH_TOKEN_TTL_SECS`).
    pub refresh_ttl_secs: u64,
}

/// The longest access token lifetime the server accepts: 15 minutes.
pub const MAX_ACCESS_TTL_SECS: u64 = 900;

/// Argon2id cost parameters for new password hashes (verification reads them from the hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordHashConfig {
    /// Memory, KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: None,
            listen: "127.0.0.1:8080".to_string(),
            data_dir: PathBuf::from("./data"),
            token: TokenConfig::default(),
            login_rate_limit: 10,
            login_rate_limit_per_address: 100,
            body_limit_bytes: 2 * 1024 * 1024,
            password_hash: PasswordHashConfig::default(),
            sync: SyncConfig::default(),
            push: PushConfig::default(),
        }
    }
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig {
            max_connections_per_user: 5,
            ping_interval_secs: 30,
            coalesce_ms: 100,
            max_client_message_bytes: 4 * 1024,
        }
    }
}

impl Default for SyncConfig {
    fn default() -> Self {
        SyncConfig {
            min_protocol_version: 1,
            min_app_version: "0.0.0".to_string(),
            max_frame_bytes: 16 * 1024 * 1024,
            max_body_bytes: 64 * 1024 * 1024,
            max_orders: 5_000,
            max_changes: 100_000,
            max_change_bytes: 1024 * 1024,
            max_document_bytes: 16 * 1024 * 1024,
            page_entries: 2_000,
            page_bytes: 8 * 1024 * 1024,
        }
    }
}

impl Default for TokenConfig {
    fn default() -> Self {
        TokenConfig {
            issuer: "fieldline".to_string(),
            audience: "fieldline-api".to_string(),
            access_ttl_secs: MAX_ACCESS_TTL_SECS,
            refresh_ttl_secs: 30 * 24 * 3600,
        }
    }
}

impl Default for PasswordHashConfig {
    /// OWASP's Argon2id baseline (19 MiB, 2 passes, 1 lane), argon2's own default.
    fn default() -> Self {
        PasswordHashConfig {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordHashConfig {
    /// The cheapest parameters argon2 accepts: for tests only, never for real passwords.
    pub fn insecure_fast_for_tests() -> Self {
        PasswordHashConfig {
            memory_kib: 8,
            iterations: 1,
            parallelism: 1,
        }
    }
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for [`Config`].
    #[error("invalid config file {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, as the TOML parser says it.
        message: String,
    },
    /// A setting is out of its range.
    #[error("invalid setting {setting}: {message}")]
    Invalid {
        /// The setting.
        setting: &'static str,
        /// What is allowed.
        message: String,
    },
    /// An environment variable has a value of the wrong kind.
    #[error("invalid value for {var}: expected {expected}")]
    Env {
        /// The variable.
        var: &'static str,
        /// What it should hold.
        expected: &'static str,
    },
}

impl Config {
    /// Loads the file (when given), then applies `FIELDLINE_*` variables read through `env`.
    /// `env` is a parameter so tests need not touch the process environment.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => Self::from_file(path)?,
            None => Config::default(),
        };
        config.apply_env(env)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks the settings whose range matters for security.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=MAX_ACCESS_TTL_SECS).contains(&self.token.access_ttl_secs) {
            return Err(ConfigError::Invalid {
                setting: "token.access_ttl_secs",
                message: format!("access tokens live 1 to {MAX_ACCESS_TTL_SECS} seconds"),
            });
        }
        if self.token.refresh_ttl_secs < self.token.access_ttl_secs {
            return Err(ConfigError::Invalid {
                setting: "token.refresh_ttl_secs",
                message: "a refresh token must outlive the access token".to_string(),
            });
        }
        if self.body_limit_bytes == 0 {
            return Err(ConfigError::Invalid {
                setting: "body_limit_bytes",
                message: "the body limit must be at least 1 byte".to_string(),
            });
        }
        Ok(())
    }

    /// Loads from the process environment, with the file from `file` or `FIELDLINE_CONFIG`.
    pub fn from_process_env(file: Option<&Path>) -> Result<Config, ConfigError> {
        let env_file = std::env::var_os(CONFIG_FILE_VAR).map(PathBuf::from);
        let file = file.map(Path::to_path_buf).or(env_file);
        Self::load(file.as_deref(), |name| std::env::var(name).ok())
    }

    fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.message().to_string(),
        })
    }

    fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        let get = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("FIELDLINE_DATABASE_URL") {
            self.database_url = Some(v);
        }
        if let Some(v) = get("FIELDLINE_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = get("FIELDLINE_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("FIELDLINE_TOKEN_ISSUER") {
            self.token.issuer = v;
        }
        if let Some(v) = get("FIELDLINE_TOKEN_AUDIENCE") {
            self.token.audience = v;
        }
        if let Some(v) = get("FIELDLINE_ACCESS_TOKEN_TTL_SECS") {
            self.token.access_ttl_secs =
                parse_number(&v, "FIELDLINE_ACCESS_TOKEN_TTL_SECS", "a number of seconds")?;
        }
        if let Some(v) = get("FIELDLINE_REFRESH_TOKEN_TTL_SECS") {
            self.token.refresh_ttl_secs = parse_number(
                &v,
                "FIELDLINE_REFRESH_TOKEN_TTL_SECS",
                "a number of seconds",
            )?;
        }
        if let Some(v) = get("FIELDLINE_LOGIN_RATE_LIMIT_PER_ADDRESS") {
            self.login_rate_limit_per_address = parse_number(
                &v,
                "FIELDLINE_LOGIN_RATE_LIMIT_PER_ADDRESS",
                "a number of attempts per minute (0 disables)",
            )?;
        }
        if let Some(v) = get("FIELDLINE_LOGIN_RATE_LIMIT") {
            self.login_rate_limit = parse_number(
                &v,
                "FIELDLINE_LOGIN_RATE_LIMIT",
                "a number of attempts per minute (0 disables)",
            )?;
        }
        if let Some(v) = get("FIELDLINE_SYNC_MIN_APP_VERSION") {
            self.sync.min_app_version = v;
        }
        if let Some(v) = get("FIELDLINE_SYNC_MIN_PROTOCOL_VERSION") {
            self.sync.min_protocol_version = parse_number(
                &v,
                "FIELDLINE_SYNC_MIN_PROTOCOL_VERSION",
                "a protocol version number",
            )?;
        }
        if let Some(v) = get("FIELDLINE_PUSH_MAX_CONNECTIONS_PER_USER") {
            self.push.max_connections_per_user = parse_number(
                &v,
                "FIELDLINE_PUSH_MAX_CONNECTIONS_PER_USER",
                "a number of connections",
            )?;
        }
        if let Some(v) = get("FIELDLINE_BODY_LIMIT_BYTES") {
            self.body_limit_bytes =
                parse_number(&v, "FIELDLINE_BODY_LIMIT_BYTES", "a number of bytes")?;
        }
        Ok(())
    }

    /// The database URL to open: the configured one, or SQLite `fieldline.db` in the data dir.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => self
                .data_dir
                .join("fieldline.db")
                .to_string_lossy()
                .into_owned(),
        }
    }
}

fn parse_number<T: std::str::FromStr>(
    value: &str,
    var: &'static str,
    expected: &'static str,
) -> Result<T, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| ConfigError::Env { var, expected })
}

/// A database URL with any password replaced by `***` (userinfo and `password=` parameters).
pub fn redact_database_url(url: &str) -> String {
    let redacted = crate::store::redact_url(url);
    match redacted.split_once('?') {
        Some((base, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{base}?{}", params.join("&"))
        }
        None => redacted,
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_database_url),
            )
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("token", &self.token)
            .field("login_rate_limit", &self.login_rate_limit)
            .field(
                "login_rate_limit_per_address",
                &self.login_rate_limit_per_address,
            )
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("password_hash", &self.password_hash)
            .field("sync", &self.sync)
            .field("push", &self.push)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn defaults_need_no_file_and_no_env() {
        let config = Config::load(None, env_of(&[])).expect("defaults load");
        assert_eq!(config.listen, "127.0.0.1:8080");
        assert_eq!(config.token.issuer, "fieldline");
        assert_eq!(config.token.audience, "fieldline-api");
        assert_eq!(config.token.access_ttl_secs, 900);
        assert!(config.database_url().ends_with("fieldline.db"));
    }

    #[test]
    fn env_overrides_file() {
        let dir = std::env::temp_dir().join(format!("fieldline-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("fieldline.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\nlogin_rate_limit = 3\n[token]\nissuer = \"file\"\n",
        )
        .expect("write config");
        let config = Config::load(
            Some(&path),
            env_of(&[
                ("FIELDLINE_LISTEN", "127.0.0.1:9100"),
                ("FIELDLINE_ACCESS_TOKEN_TTL_SECS", "60"),
            ]),
        )
        .expect("config loads");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(config.listen, "127.0.0.1:9100");
        assert_eq!(config.login_rate_limit, 3);
        assert_eq!(config.token.issuer, "file");
        assert_eq!(config.token.access_ttl_secs, 60);
    }

    #[test]
    fn unknown_file_keys_and_bad_env_values_are_clear_errors() {
        let dir = std::env::temp_dir().join(format!("fieldline-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("bad.toml");
        std::fs::write(&path, "lisen = \"x\"\n").expect("write config");
        let err = Config::load(Some(&path), env_of(&[])).expect_err("unknown key refused");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(err.to_string().contains("lisen"), "{err}");

        let err = Config::load(None, env_of(&[("FIELDLINE_LOGIN_RATE_LIMIT", "lots")]))
            .expect_err("bad number refused");
        assert!(
            err.to_string().contains("FIELDLINE_LOGIN_RATE_LIMIT"),
            "{err}"
        );
    }

    #[test]
    fn debug_redacts_the_database_password() {
        let config = Config::load(
            None,
            env_of(&[(
                "FIELDLINE_DATABASE_URL",
                "postgres://fieldline:hunter2@db.example:5432/fieldline?sslmode=require&password=hunter3",
            )]),
        )
        .expect("config loads");
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("hunter3"), "{shown}");
        assert!(shown.contains("fieldline:***@db.example"), "{shown}");
    }

    #[test]
    fn token_lifetimes_and_limits_are_checked() {
        for (var, value, setting) in [
            (
                "FIELDLINE_ACCESS_TOKEN_TTL_SECS",
                "901",
                "token.access_ttl_secs",
            ),
            (
                "FIELDLINE_ACCESS_TOKEN_TTL_SECS",
                "0",
                "token.access_ttl_secs",
            ),
            (
                "FIELDLINE_REFRESH_TOKEN_TTL_SECS",
                "60",
                "token.refresh_ttl_secs",
            ),
            ("FIELDLINE_BODY_LIMIT_BYTES", "0", "body_limit_bytes"),
        ] {
            let err = Config::load(None, env_of(&[(var, value)])).expect_err("out of range");
            assert!(err.to_string().contains(setting), "{var}={value}: {err}");
        }
        let config = Config::load(
            None,
            env_of(&[
                ("FIELDLINE_REFRESH_TOKEN_TTL_SECS", "3600"),
                ("FIELDLINE_LOGIN_RATE_LIMIT_PER_ADDRESS", "7"),
            ]),
        )
        .expect("in range");
        assert_eq!(config.token.refresh_ttl_secs, 3600);
        assert_eq!(config.login_rate_limit_per_address, 7);
        assert_eq!(Config::default().login_rate_limit_per_address, 100);
    }
}
