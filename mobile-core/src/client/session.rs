//! Signing in: the server checks the password and hands out a token; the device keeps (or
//! creates) its id for this user, makes sure the user has an actor to write with, registers the
//! device and binds its actors, and only then switches the signed-in user. Another user's
//! unsynced work stays in their own partition and waits for them.

use super::dao::{self, Account, NewAccount};
use super::error::ClientError;
use super::http::DeviceRegistration;
use super::platform::TokenKind;
use super::views::AccountInfo;
use super::{FieldClient, account_info, current_actor};

/// An access token with less than this left is refreshed before use (clocks drift, requests
/// take time).
pub(crate) const REFRESH_MARGIN_MS: i64 = 60_000;
use crate::sync::PROTOCOL_VERSION;

impl FieldClient {
    /// Signs `username` in to the server at `server_url` (e.g. `http://127.0.0.1:8080`) and
    /// registers this device as `device_name`. Needs the network.
    pub fn sign_in(
        &self,
        server_url: &str,
        username: &str,
        password: &str,
        device_name: &str,
    ) -> Result<AccountInfo, ClientError> {
        self.sign_in_with_utility(server_url, username, password, device_name, None)
    }

    /// [`FieldClient::sign_in`] naming the utility, for servers that host several.
    pub fn sign_in_with_utility(
        &self,
        server_url: &str,
        username: &str,
        password: &str,
        device_name: &str,
        utility: Option<&str>,
    ) -> Result<AccountInfo, ClientError> {
        let server_url = server_url.trim_end_matches('/');
        let answer = self.http.login(server_url, username, password, utility)?;
        let now = self.now();
        let expires_at = now.saturating_add(answer.expires_in.saturating_mul(1000));
        let user = &answer.user;
        let account = self.store.write(|tx| {
            let fresh_device_id = uuid::Uuid::new_v4().to_string();
            let account = dao::upsert_account(
                tx,
                &NewAccount {
                    server_url,
                    username: &user.username,
                    user_id: &user.id,
                    display_name: &user.display_name,
                    role: &user.role,
                    utility: &user.utility,
                    device_name,
                },
                &fresh_device_id,
                now,
            )?;
            current_actor(tx, account.id)?;
            Ok(account)
        })?;
        let (actors, refresh_token) = self.register(&account, &answer.access_token)?;
        let stored_access = self.platform.stash_token(
            TokenKind::Access,
            &account.device_id,
            &answer.access_token,
        )?;
        let stored_refresh =
            self.platform
                .stash_token(TokenKind::Refresh, &account.device_id, &refresh_token)?;
        let visible = self.store.write(|tx| {
            let previous = dao::active_account(tx)?;
            dao::mark_actors_registered(tx, account.id, &actors)?;
            dao::set_token(
                tx,
                account.id,
                &stored_access,
                expires_at,
                Some(&stored_refresh),
            )?;
            dao::set_session(tx, account.id)?;
            // A change of user changes every order on screen: the old user's and the new one's.
            let mut visible = Vec::new();
            if let Some(previous) = previous.filter(|p| p.id != account.id) {
                visible.extend(dao::order_ids(tx, previous.id)?);
            }
            visible.extend(dao::order_ids(tx, account.id)?);
            Ok(visible)
        })?;
        self.observers.notify(&visible);
        Ok(account_info(&account))
    }

    /// Registers the device and every actor the account writes with; returns the actors and the
    /// new refresh token the registration issued.
    pub(crate) fn register(
        &self,
        account: &Account,
        token: &str,
    ) -> Result<(Vec<String>, String), ClientError> {
        let actors: Vec<String> = self
            .store
            .read(|tx| dao::actors(tx, account.id))?
            .into_iter()
            .map(|(actor, _)| actor)
            .collect();
        let answer = self.http.register_device(
            &account.server_url,
            token,
            &DeviceRegistration {
                device_id: &account.device_id,
                name: &account.device_name,
                app_version: &self.app_version,
                protocol_version: PROTOCOL_VERSION,
                actors: &actors,
            },
        )?;
        Ok((actors, answer.refresh_token))
    }

    /// Registers the account's actors the server has not bound yet (a new actor after a reset).
    pub(crate) fn register_new_actors(
        &self,
        account: &Account,
        token: &str,
    ) -> Result<(), ClientError> {
        let unregistered = self
            .store
            .read(|tx| dao::actors(tx, account.id))?
            .iter()
            .any(|(_, registered)| !registered);
        if unregistered {
            let (actors, refresh_token) = self.register(account, token)?;
            let stored_refresh = self.platform.stash_token(
                TokenKind::Refresh,
                &account.device_id,
                &refresh_token,
            )?;
            self.store.write(|tx| {
                dao::mark_actors_registered(tx, account.id, &actors)?;
                dao::set_refresh_token(tx, account.id, &stored_refresh)
            })?;
        }
        Ok(())
    }

    /// A usable access token for the account: the stored one while it has more than
    /// [`REFRESH_MARGIN_MS`] to live, else a new one from the refresh token (`force` refreshes
    /// regardless, after the server refused the stored one). The refresh token is read from the
    /// store each time: a registration may have replaced it. Refused: `Unauthorized`, and the
    /// caller forgets the tokens; unreachable: `Network`, and the tokens are kept.
    pub(crate) fn access_token(
        &self,
        account: &Account,
        force: bool,
    ) -> Result<String, ClientError> {
        // One at a time: the second caller reads the token the first one refreshed.
        let _one_at_a_time = self
            .refreshing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let token = self.store.read(|tx| dao::token(tx, account.id))?;
        let sign_in_again = || {
            ClientError::Unauthorized(format!(
                "{} must sign in again to sync (work on this device is kept)",
                account.username
            ))
        };
        let Some(token) = token.filter(|t| t.valid) else {
            return Err(sign_in_again());
        };
        let device = account.device_id.as_str();
        if !force && token.expires_at > self.now().saturating_add(REFRESH_MARGIN_MS) {
            return self
                .platform
                .unstash_token(TokenKind::Access, device, token.access_token);
        }
        let Some(refresh_token) = token.refresh_token else {
            return Err(sign_in_again());
        };
        let refresh_token =
            self.platform
                .unstash_token(TokenKind::Refresh, device, refresh_token)?;
        let answer = self.http.refresh(&account.server_url, &refresh_token)?;
        let expires_at = self
            .now()
            .saturating_add(answer.expires_in.saturating_mul(1000));
        let stored_access =
            self.platform
                .stash_token(TokenKind::Access, device, &answer.access_token)?;
        let stored_refresh =
            self.platform
                .stash_token(TokenKind::Refresh, device, &answer.refresh_token)?;
        self.store.write(|tx| {
            dao::set_token(
                tx,
                account.id,
                &stored_access,
                expires_at,
                Some(&stored_refresh),
            )
        })?;
        Ok(answer.access_token)
    }
}
