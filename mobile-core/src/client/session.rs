//! Signing in: the server checks the password and hands out a token; the device keeps (or
//! creates) its id for this user, makes sure the user has an actor to write with, registers the
//! device and binds its actors, and only then switches the signed-in user. Another user's
//! unsynced work stays in their own partition and waits for them.

use super::dao::{self, Account, NewAccount};
use super::error::ClientError;
use super::http::DeviceRegistration;
use super::views::AccountInfo;
use super::{FieldClient, account_info, current_actor};
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
        let actors = self.register(&account, &answer.access_token)?;
        let stored_token = self
            .platform
            .stash_token(&account.device_id, &answer.access_token)?;
        let visible = self.store.write(|tx| {
            let previous = dao::active_account(tx)?;
            dao::mark_actors_registered(tx, account.id, &actors)?;
            dao::set_token(tx, account.id, &stored_token, expires_at)?;
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

    /// Registers the device and every actor the account writes with; returns the actors.
    pub(crate) fn register(
        &self,
        account: &Account,
        token: &str,
    ) -> Result<Vec<String>, ClientError> {
        let actors: Vec<String> = self
            .store
            .read(|tx| dao::actors(tx, account.id))?
            .into_iter()
            .map(|(actor, _)| actor)
            .collect();
        self.http.register_device(
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
        Ok(actors)
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
            let actors = self.register(account, token)?;
            self.store
                .write(|tx| dao::mark_actors_registered(tx, account.id, &actors))?;
        }
        Ok(())
    }
}
