//! A handheld's tokens set as a long offline stretch would leave them: written into the device
//! database directly, rather than waiting for them to expire.

use super::Handheld;
use crate::TestServer;
use chrono::{Duration, Utc};
use fieldline_server::auth::refresh::{REFRESH_PREFIX, hash_refresh_token};
use fieldline_server::store::{NewRefreshToken, User};
use sqlx::Connection;
use uuid::Uuid;

impl Handheld {
    /// The server's record of the user signed in on this handheld, and the device id it was
    /// registered under.
    async fn signed_in(&self, server: &TestServer) -> (User, Uuid) {
        let account = self
            .client
            .account()
            .unwrap_or_else(|e| panic!("the device's account: {e}"))
            .unwrap_or_else(|| panic!("nobody is signed in on the handheld"));
        let user = server
            .store()
            .get_user_by_username(server.utility.id, &account.username)
            .await
            .unwrap_or_else(|e| panic!("the server has no user {}: {e}", account.username));
        let device = account
            .device_id
            .parse()
            .unwrap_or_else(|e| panic!("the device id is a UUID: {e}"));
        (user, device)
    }

    /// Puts the signed-in account in the state of a handheld that was offline for longer than
    /// its tokens live: an access token past its `exp` and a refresh token the server issued a
    /// month ago that expired yesterday.
    pub async fn expire_tokens(&self, server: &TestServer) {
        let (user, device) = self.signed_in(server).await;
        let secret = format!(
            "{REFRESH_PREFIX}{}",
            Uuid::new_v4().simple().to_string().repeat(2)
        );
        server
            .store()
            .start_refresh_family(
                server.utility.id,
                &NewRefreshToken {
                    token_hash: hash_refresh_token(&secret),
                    family_id: Uuid::new_v4(),
                    user_id: user.id,
                    device_id: device,
                    created_at: Utc::now() - Duration::days(31),
                    expires_at: Utc::now() - Duration::days(1),
                },
            )
            .await
            .unwrap_or_else(|e| panic!("an expired refresh token: {e}"));
        let (access, exp) = self.stale_access_token(server).await;
        self.set_tokens(&access, exp, Some(&secret)).await;
    }

    /// An access token for the signed-in user whose `exp` passed a month ago, signed as the
    /// server signs them, and that `exp` (seconds).
    pub async fn stale_access_token(&self, server: &TestServer) -> (String, u64) {
        let (user, _) = self.signed_in(server).await;
        let mut claims =
            server
                .state
                .tokens
                .access_claims(user.id, user.utility_id, user.role, &user.username);
        claims.iat -= 31 * 24 * 3600;
        claims.exp = claims.iat + 900;
        let token = server
            .state
            .tokens
            .sign(&claims)
            .unwrap_or_else(|e| panic!("the server signs the token: {e}"));
        (token, claims.exp)
    }

    /// Overwrites the signed-in account's tokens in the device database; the device believes
    /// the access token expires at `expires_at_secs`. `refresh`: `None` keeps the stored one.
    pub async fn set_tokens(&self, access: &str, expires_at_secs: u64, refresh: Option<&str>) {
        let url = format!(
            "sqlite://{}",
            self.dir
                .join(fieldline_core::client::DATABASE_FILE)
                .display()
        );
        let mut db = sqlx::SqliteConnection::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("open the device database: {e}"));
        let expires_at_ms = i64::try_from(expires_at_secs)
            .unwrap_or_else(|e| panic!("seconds fit in i64: {e}"))
            * 1000;
        sqlx::query(
            "UPDATE tokens SET access_token = $1, expires_at = $2, \
             refresh_token = COALESCE($3, refresh_token) \
             WHERE account_id = (SELECT account_id FROM session)",
        )
        .bind(access)
        .bind(expires_at_ms)
        .bind(refresh)
        .execute(&mut db)
        .await
        .unwrap_or_else(|e| panic!("set the device's tokens: {e}"));
        db.close()
            .await
            .unwrap_or_else(|e| panic!("close the device database: {e}"));
    }
}
