//! The query code both backends share. This folder is compiled twice, as a child module of
//! `sqlite.rs` and of `postgres.rs` (`#[path]`), each time against that parent's `Db` and
//! `Backend` types: one body of SQL (portable: `$n` parameters, `RETURNING`, no dialect
//! functions) and one [`Store`] implementation per backend, with no generic trait bounds.
//!
//! The parent provides `reader()` (pool for reads), `begin_write()` (a write transaction:
//! `BEGIN IMMEDIATE` on the single SQLite writer), `run_migrations()` and `NAME`.

mod assigned;
mod devices;
mod equipment;
mod feed;
mod follow_ups;
mod network;
mod orders;
mod payments;
mod quarantine;
mod re_reads;
mod reference;
mod rows;
mod tenancy;
mod tokens;

use super::{Backend, Db};
use crate::store::{
    Account, ActorBinding, ChangeRecord, Device, FeedEntry, FollowUpLink, HiddenRegister,
    LoggedChange, Meter, MeterCorrection, MeterExchange, MeterRead, NewDevice, NewOrder,
    NewPayment, NewRefreshToken, NewUser, NewUtility, OrderFilter, OrderSummary, OrderUpdate, Page,
    PageRequest, Premise, QuarantinedChange, ReReadOutcome, RefreshToken, Registration, Rotation,
    Route, SigningKey, Store, StoreResult, StoredOrder, StoredReference, UploadedOrder, User,
    Utility, UtilityId, VersionedWrite,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A connection of this backend, inside a write transaction.
type Conn = <Db as sqlx::Database>::Connection;

#[async_trait]
impl Store for Backend {
    async fn migrate(&self) -> StoreResult<()> {
        self.run_migrations().await
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(self.reader()).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        Self::NAME
    }

    async fn create_utility(&self, new: &NewUtility) -> StoreResult<Utility> {
        let mut tx = self.begin_write().await?;
        let created = tenancy::create_utility(&mut tx, new).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn get_utility(&self, id: UtilityId) -> StoreResult<Utility> {
        tenancy::get_utility(self.reader(), id).await
    }

    async fn get_utility_by_slug(&self, slug: &str) -> StoreResult<Utility> {
        tenancy::get_utility_by_slug(self.reader(), slug).await
    }

    async fn list_utilities(&self) -> StoreResult<Vec<Utility>> {
        tenancy::list_utilities(self.reader()).await
    }

    async fn create_user(&self, utility: UtilityId, new: &NewUser) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        let created = tenancy::create_user(&mut tx, utility, new).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn find_users_by_username(
        &self,
        username: &str,
        utility_slug: Option<&str>,
    ) -> StoreResult<Vec<User>> {
        tenancy::find_users_by_username(self.reader(), username, utility_slug).await
    }

    async fn get_user(&self, utility: UtilityId, id: Uuid) -> StoreResult<User> {
        tenancy::get_user(self.reader(), utility, id).await
    }

    async fn get_user_by_username(&self, utility: UtilityId, username: &str) -> StoreResult<User> {
        tenancy::get_user_by_username(self.reader(), utility, username).await
    }

    async fn list_users(&self, utility: UtilityId) -> StoreResult<Vec<User>> {
        tenancy::list_users(self.reader(), utility).await
    }

    async fn set_user_active(&self, utility: UtilityId, id: Uuid, active: bool) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tenancy::set_user_active(&mut tx, utility, id, active).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_user_password_hash(
        &self,
        utility: UtilityId,
        id: Uuid,
        password_hash: &str,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tenancy::set_user_password_hash(&mut tx, utility, id, password_hash).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tenancy::insert_signing_key(&mut tx, key).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_active_signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        tenancy::list_signing_keys(self.reader(), true).await
    }

    async fn list_signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        tenancy::list_signing_keys(self.reader(), false).await
    }

    async fn retire_signing_key(&self, kid: &str, at: DateTime<Utc>) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tenancy::retire_signing_key(&mut tx, kid, at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_premises(&self, utility: UtilityId, rows: &[Premise]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        network::insert_premises(&mut tx, utility, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_premise(&self, utility: UtilityId, id: Uuid) -> StoreResult<Premise> {
        network::get_premise(self.reader(), utility, id).await
    }

    async fn search_premises(
        &self,
        utility: UtilityId,
        query: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<Premise>> {
        network::search_premises(self.reader(), utility, query, page).await
    }

    async fn insert_accounts(&self, utility: UtilityId, rows: &[Account]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        network::insert_accounts(&mut tx, utility, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_account(&self, utility: UtilityId, id: Uuid) -> StoreResult<Account> {
        network::get_account(self.reader(), utility, id).await
    }

    async fn record_meter_exchange(
        &self,
        utility: UtilityId,
        exchange: &MeterExchange,
    ) -> StoreResult<Meter> {
        let mut tx = self.begin_write().await?;
        let installed = network::record_meter_exchange(&mut tx, utility, exchange).await?;
        tx.commit().await?;
        network::get_meter(self.reader(), utility, installed).await
    }

    async fn correct_meter(
        &self,
        utility: UtilityId,
        correction: &MeterCorrection,
    ) -> StoreResult<Meter> {
        let mut tx = self.begin_write().await?;
        network::correct_meter(&mut tx, utility, correction).await?;
        tx.commit().await?;
        network::get_meter(self.reader(), utility, correction.before.id).await
    }

    async fn correct_meter_for_order(
        &self,
        utility: UtilityId,
        correction: &MeterCorrection,
        order: Uuid,
        expected_version: i64,
        update: &OrderUpdate,
    ) -> StoreResult<VersionedWrite> {
        let mut tx = self.begin_write().await?;
        // The order first (feed position, then its row, the lock order of every writer), so a
        // moved version is known before the meter is touched; dropping `tx` rolls back.
        let position =
            match orders::lock_version(&mut tx, utility, order, expected_version, update).await? {
                orders::Locked::At(position) => position,
                orders::Locked::Moved => return Ok(VersionedWrite::OrderMoved),
            };
        network::correct_meter(&mut tx, utility, correction).await?;
        let done =
            orders::update_order_at(&mut tx, utility, order, expected_version, update, position)
                .await?;
        tx.commit().await?;
        Ok(VersionedWrite::Stored(Box::new(done)))
    }

    async fn record_notice_served(
        &self,
        utility: UtilityId,
        account: Uuid,
        served_at: DateTime<Utc>,
    ) -> StoreResult<Account> {
        let mut tx = self.begin_write().await?;
        let account = network::record_notice_served(&mut tx, utility, account, served_at).await?;
        tx.commit().await?;
        Ok(account)
    }

    async fn accounts_for_premise(
        &self,
        utility: UtilityId,
        premise: Uuid,
    ) -> StoreResult<Vec<Account>> {
        network::accounts_for_premise(self.reader(), utility, premise).await
    }

    async fn insert_meters(&self, utility: UtilityId, rows: &[Meter]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        network::insert_meters(&mut tx, utility, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_meter(&self, utility: UtilityId, id: Uuid) -> StoreResult<Meter> {
        network::get_meter(self.reader(), utility, id).await
    }

    async fn get_meter_by_serial(&self, utility: UtilityId, serial: &str) -> StoreResult<Meter> {
        network::get_meter_by_serial(self.reader(), utility, serial).await
    }

    async fn search_meters(
        &self,
        utility: UtilityId,
        serial_prefix: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<Meter>> {
        network::search_meters(self.reader(), utility, serial_prefix, page).await
    }

    async fn meters_for_premise(
        &self,
        utility: UtilityId,
        premise: Uuid,
    ) -> StoreResult<Vec<Meter>> {
        network::meters_for_premise(self.reader(), utility, premise).await
    }

    async fn insert_meter_reads(&self, utility: UtilityId, rows: &[MeterRead]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        network::insert_meter_reads(&mut tx, utility, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn meter_reads(&self, utility: UtilityId, meter: Uuid) -> StoreResult<Vec<MeterRead>> {
        network::meter_reads(self.reader(), utility, meter).await
    }

    async fn insert_routes(&self, utility: UtilityId, rows: &[Route]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        network::insert_routes(&mut tx, utility, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_route(&self, utility: UtilityId, id: Uuid) -> StoreResult<Route> {
        network::get_route(self.reader(), utility, id).await
    }

    async fn get_route_by_code(&self, utility: UtilityId, code: &str) -> StoreResult<Route> {
        network::get_route_by_code(self.reader(), utility, code).await
    }

    async fn list_routes(&self, utility: UtilityId) -> StoreResult<Vec<Route>> {
        network::list_routes(self.reader(), utility).await
    }

    async fn insert_order(
        &self,
        utility: UtilityId,
        order: &NewOrder,
    ) -> StoreResult<OrderSummary> {
        let mut tx = self.begin_write().await?;
        let mut done = orders::insert_orders(&mut tx, utility, std::slice::from_ref(order)).await?;
        tx.commit().await?;
        done.pop()
            .ok_or_else(|| crate::store::StoreError::Invalid("order was not inserted".into()))
    }

    async fn insert_orders(
        &self,
        utility: UtilityId,
        new: &[NewOrder],
    ) -> StoreResult<Vec<OrderSummary>> {
        let mut tx = self.begin_write().await?;
        let done = orders::insert_orders(&mut tx, utility, new).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn get_order(&self, utility: UtilityId, id: Uuid) -> StoreResult<StoredOrder> {
        orders::get_order(self.reader(), utility, id).await
    }

    async fn get_orders(&self, utility: UtilityId, ids: &[Uuid]) -> StoreResult<Vec<StoredOrder>> {
        orders::get_orders(self.reader(), utility, ids).await
    }

    async fn get_order_by_number(
        &self,
        utility: UtilityId,
        number: i64,
    ) -> StoreResult<StoredOrder> {
        orders::get_order_by_number(self.reader(), utility, number).await
    }

    async fn list_orders(
        &self,
        utility: UtilityId,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> StoreResult<Page<OrderSummary>> {
        orders::list_orders(self.reader(), utility, filter, page).await
    }

    async fn update_order(
        &self,
        utility: UtilityId,
        id: Uuid,
        expected_version: i64,
        update: &OrderUpdate,
    ) -> StoreResult<OrderSummary> {
        let mut tx = self.begin_write().await?;
        let done = orders::update_order(&mut tx, utility, id, expected_version, update).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn order_history(&self, utility: UtilityId, id: Uuid) -> StoreResult<Vec<ChangeRecord>> {
        orders::order_history(self.reader(), utility, id).await
    }

    async fn register_device(
        &self,
        utility: UtilityId,
        new: &NewDevice,
    ) -> StoreResult<Registration> {
        let mut tx = self.begin_write().await?;
        let outcome = devices::register_device(&mut tx, utility, new).await?;
        if matches!(outcome, Registration::Registered(_)) {
            tx.commit().await?;
        }
        Ok(outcome)
    }

    async fn get_device(&self, utility: UtilityId, id: Uuid) -> StoreResult<Device> {
        devices::get_device(self.reader(), utility, id).await
    }

    async fn device_actors(
        &self,
        utility: UtilityId,
        device: Uuid,
    ) -> StoreResult<Vec<ActorBinding>> {
        devices::device_actors(self.reader(), utility, device).await
    }

    async fn touch_device(
        &self,
        utility: UtilityId,
        id: Uuid,
        app_version: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        devices::touch_device(&mut tx, utility, id, app_version, at).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_devices(&self, utility: UtilityId) -> StoreResult<Vec<Device>> {
        tokens::list_devices(self.reader(), utility).await
    }

    async fn revoke_device(
        &self,
        utility: UtilityId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<Device> {
        let mut tx = self.begin_write().await?;
        let device = tokens::revoke_device(&mut tx, utility, id, at).await?;
        tx.commit().await?;
        Ok(device)
    }

    async fn start_refresh_family(
        &self,
        utility: UtilityId,
        new: &NewRefreshToken,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        tokens::start_refresh_family(&mut tx, utility, new).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_refresh_token(&self, token_hash: &[u8]) -> StoreResult<Option<RefreshToken>> {
        tokens::find_refresh_token(self.reader(), token_hash).await
    }

    async fn rotate_refresh_token(
        &self,
        utility: UtilityId,
        old_hash: &[u8],
        next: &NewRefreshToken,
        at: DateTime<Utc>,
    ) -> StoreResult<Rotation> {
        let mut tx = self.begin_write().await?;
        let rotation = tokens::rotate_refresh_token(&mut tx, utility, old_hash, next, at).await?;
        tx.commit().await?;
        Ok(rotation)
    }

    async fn revoke_refresh_family(
        &self,
        utility: UtilityId,
        family: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let revoked = tokens::revoke_refresh_family(&mut tx, utility, family, at).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    async fn feed_head(&self, utility: UtilityId) -> StoreResult<u64> {
        feed::feed_head(self.reader(), utility).await
    }

    async fn feed_since(
        &self,
        utility: UtilityId,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<FeedEntry>> {
        feed::feed_since(self.reader(), utility, after, limit).await
    }

    async fn feed_for_user(
        &self,
        utility: UtilityId,
        user: Uuid,
        after: u64,
        up_to: u64,
        limit: u32,
    ) -> StoreResult<Vec<FeedEntry>> {
        feed::feed_for_user(self.reader(), utility, user, after, up_to, limit).await
    }

    async fn order_changes_after(
        &self,
        utility: UtilityId,
        order: Uuid,
        after: u64,
        up_to: u64,
    ) -> StoreResult<Vec<LoggedChange>> {
        feed::order_changes_after(self.reader(), utility, order, after, up_to).await
    }

    async fn apply_uploads(
        &self,
        utility: UtilityId,
        batch: &[UploadedOrder],
    ) -> StoreResult<Vec<OrderSummary>> {
        let mut tx = self.begin_write().await?;
        let done = orders::apply_uploads(&mut tx, utility, batch).await?;
        tx.commit().await?;
        Ok(done)
    }

    async fn quarantine_changes(
        &self,
        utility: UtilityId,
        rows: &[QuarantinedChange],
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        quarantine::insert(&mut tx, utility, rows).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn insert_follow_up(
        &self,
        utility: UtilityId,
        link: &FollowUpLink,
        order: &NewOrder,
    ) -> StoreResult<Option<OrderSummary>> {
        let mut tx = self.begin_write().await?;
        let created = follow_ups::insert_follow_up(&mut tx, utility, link, order).await?;
        if created.is_some() {
            tx.commit().await?;
        }
        Ok(created)
    }

    async fn follow_ups_of(
        &self,
        utility: UtilityId,
        origin: Uuid,
    ) -> StoreResult<Vec<FollowUpLink>> {
        follow_ups::follow_ups_of(self.reader(), utility, origin).await
    }

    async fn follow_up_origin(
        &self,
        utility: UtilityId,
        order: Uuid,
    ) -> StoreResult<Option<FollowUpLink>> {
        follow_ups::follow_up_origin(self.reader(), utility, order).await
    }

    async fn post_payment(&self, utility: UtilityId, payment: &NewPayment) -> StoreResult<Account> {
        let mut tx = self.begin_write().await?;
        let account = payments::post_payment(&mut tx, utility, payment).await?;
        tx.commit().await?;
        Ok(account)
    }

    async fn account_orders(
        &self,
        utility: UtilityId,
        account: Uuid,
        order_type: fieldline_core::OrderType,
    ) -> StoreResult<Vec<OrderSummary>> {
        payments::account_orders(self.reader(), utility, account, order_type).await
    }

    async fn open_orders_of(
        &self,
        utility: UtilityId,
        assignee: Uuid,
        types: &[fieldline_core::OrderType],
    ) -> StoreResult<Vec<OrderSummary>> {
        assigned::open_orders_of(self.reader(), utility, assignee, types).await
    }

    async fn record_installs(
        &self,
        utility: UtilityId,
        order: Uuid,
        installs: &[crate::store::Install],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<crate::store::InstalledElsewhere>> {
        if installs.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin_write().await?;
        let found = equipment::record_installs(&mut tx, utility, order, installs, at).await?;
        tx.commit().await?;
        Ok(found)
    }

    async fn installed_elsewhere(
        &self,
        utility: UtilityId,
        order: Uuid,
        installs: &[crate::store::Install],
    ) -> StoreResult<Vec<crate::store::InstalledElsewhere>> {
        equipment::installed_elsewhere(self.reader(), utility, order, installs).await
    }

    async fn seals_installed_at(
        &self,
        utility: UtilityId,
        place: crate::store::EquipmentPlace,
        order_types: &[fieldline_core::OrderType],
        limit: u32,
    ) -> StoreResult<Vec<crate::store::InstalledSeal>> {
        equipment::seals_installed_at(self.reader(), utility, place, order_types, limit).await
    }

    async fn insert_re_read(
        &self,
        utility: UtilityId,
        order: &NewOrder,
        hidden: &[HiddenRegister],
    ) -> StoreResult<OrderSummary> {
        let mut tx = self.begin_write().await?;
        let summary = re_reads::insert_re_read(&mut tx, utility, order, hidden).await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn re_read_values(
        &self,
        utility: UtilityId,
        order: Uuid,
    ) -> StoreResult<Vec<HiddenRegister>> {
        re_reads::re_read_values(self.reader(), utility, order).await
    }

    async fn record_re_read_outcome(
        &self,
        utility: UtilityId,
        outcome: &ReReadOutcome,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        re_reads::record_re_read_outcome(&mut tx, utility, outcome).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_quarantine(
        &self,
        utility: UtilityId,
        page: PageRequest,
    ) -> StoreResult<Page<QuarantinedChange>> {
        quarantine::list(self.reader(), utility, page).await
    }

    async fn re_read_outcome(
        &self,
        utility: UtilityId,
        order: Uuid,
    ) -> StoreResult<Option<ReReadOutcome>> {
        re_reads::re_read_outcome(self.reader(), utility, order).await
    }

    async fn insert_reference_version(
        &self,
        utility: UtilityId,
        new: &StoredReference,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        reference::insert_reference_version(&mut tx, utility, new).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn reference_version(
        &self,
        utility: UtilityId,
        version: Option<u32>,
    ) -> StoreResult<Option<StoredReference>> {
        reference::reference_version(self.reader(), utility, version).await
    }

    #[cfg(test)]
    async fn hold_feed_position(
        &self,
        utility: UtilityId,
        order: Uuid,
    ) -> StoreResult<Box<dyn crate::store::HeldPosition>> {
        let mut tx = self.begin_write().await?;
        let position = feed::take_positions(&mut tx, utility, 1).await?;
        feed::insert_entries(
            &mut tx,
            utility,
            &[(position, order, None, None)],
            Utc::now(),
        )
        .await?;
        let position = u64::try_from(position)
            .map_err(|_| crate::store::StoreError::Invalid("feed position".into()))?;
        Ok(Box::new(Held { tx, position }))
    }
}

/// A write transaction holding a feed position (the late-commit test hook).
#[cfg(test)]
struct Held {
    tx: sqlx::Transaction<'static, Db>,
    position: u64,
}

#[cfg(test)]
#[async_trait]
impl crate::store::HeldPosition for Held {
    fn position(&self) -> u64 {
        self.position
    }

    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}
