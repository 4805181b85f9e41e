//! Storage: one trait, SQLite and PostgreSQL implementations over sqlx, chosen from the URL.
//! Every method takes the utility it acts for, so one utility never sees another's rows.
//!
//! Both backends share their query code (`sql/`, compiled once per backend) and pass the same
//! conformance suite (`conformance.rs`).

mod error;
mod postgres;
mod sqlite;
pub mod testing;
mod types;

#[cfg(test)]
mod conformance;

pub use error::{StoreError, StoreResult};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use types::*;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use uuid::Uuid;

/// The server's storage. Used as `Arc<dyn Store>`; open one with [`open`].
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Applies the backend's pending migrations.
    async fn migrate(&self) -> StoreResult<()>;
    /// Checks that the database answers (readiness).
    async fn ping(&self) -> StoreResult<()>;
    /// Which backend this is (`sqlite`, `postgres`), for logs.
    fn backend(&self) -> &'static str;

    // --- utilities ---
    /// Creates a utility; `Conflict` if the slug is taken.
    async fn create_utility(&self, new: &NewUtility) -> StoreResult<Utility>;
    /// The utility with this id.
    async fn get_utility(&self, id: UtilityId) -> StoreResult<Utility>;
    /// The utility with this slug.
    async fn get_utility_by_slug(&self, slug: &str) -> StoreResult<Utility>;
    /// Every utility, by slug.
    async fn list_utilities(&self) -> StoreResult<Vec<Utility>>;

    // --- users ---
    /// Creates a user; `Conflict` if the username is taken in that utility.
    async fn create_user(&self, utility: UtilityId, new: &NewUser) -> StoreResult<User>;
    /// Sign-in lookup: the users with this username in every utility, or only in the utility
    /// with `utility_slug`. Inactive users are included (the caller refuses them).
    async fn find_users_by_username(
        &self,
        username: &str,
        utility_slug: Option<&str>,
    ) -> StoreResult<Vec<User>>;
    /// The user with this id in this utility.
    async fn get_user(&self, utility: UtilityId, id: Uuid) -> StoreResult<User>;
    /// The user with this username in this utility.
    async fn get_user_by_username(&self, utility: UtilityId, username: &str) -> StoreResult<User>;
    /// Every user of the utility, by username.
    async fn list_users(&self, utility: UtilityId) -> StoreResult<Vec<User>>;
    /// Activates or deactivates a user.
    async fn set_user_active(&self, utility: UtilityId, id: Uuid, active: bool) -> StoreResult<()>;
    /// Replaces a user's password hash (Argon2 PHC string).
    async fn set_user_password_hash(
        &self,
        utility: UtilityId,
        id: Uuid,
        password_hash: &str,
    ) -> StoreResult<()>;

    // --- signing keys (server-wide) ---
    /// Stores a new signing key; `Conflict` if the kid exists.
    async fn insert_signing_key(&self, key: &SigningKey) -> StoreResult<()>;
    /// Keys not retired, newest first.
    async fn list_active_signing_keys(&self) -> StoreResult<Vec<SigningKey>>;
    /// Every key, retired ones too (tokens signed by a recently retired key may still verify).
    async fn list_signing_keys(&self) -> StoreResult<Vec<SigningKey>>;
    /// Marks a key retired at `at`.
    async fn retire_signing_key(&self, kid: &str, at: DateTime<Utc>) -> StoreResult<()>;

    // --- premises, accounts, meters, reads, routes ---
    /// Inserts premises in one transaction; their `utility_id` must be `utility`.
    async fn insert_premises(&self, utility: UtilityId, rows: &[Premise]) -> StoreResult<()>;
    /// The premise with this id.
    async fn get_premise(&self, utility: UtilityId, id: Uuid) -> StoreResult<Premise>;
    /// Premises whose address contains `query` (case-insensitive), by address.
    async fn search_premises(
        &self,
        utility: UtilityId,
        query: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<Premise>>;
    /// Inserts accounts in one transaction.
    async fn insert_accounts(&self, utility: UtilityId, rows: &[Account]) -> StoreResult<()>;
    /// The account with this id.
    async fn get_account(&self, utility: UtilityId, id: Uuid) -> StoreResult<Account>;
    /// Records that a disconnect notice was served on the account at `served_at`: moves its
    /// `notice_served_at` forward to that time, never back (a notice synced late, or twice,
    /// does not restart an older notice period). Returns the account after; `NotFound`
    /// without it.
    async fn record_notice_served(
        &self,
        utility: UtilityId,
        account: Uuid,
        served_at: DateTime<Utc>,
    ) -> StoreResult<Account>;
    /// The accounts at a premise, newest `as_of` first.
    async fn accounts_for_premise(
        &self,
        utility: UtilityId,
        premise: Uuid,
    ) -> StoreResult<Vec<Account>>;
    /// In one transaction, records a meter exchange: the old meter is taken out (status
    /// `removed`, no premise) with its final reads added to its history and kept as its
    /// registers' last reads; the new meter is installed where `exchange.new_meter` says (an
    /// existing meter with its serial, in stock, is moved there with the new registers;
    /// otherwise it is inserted). Recording the same exchange again changes nothing. Returns
    /// the installed meter. `NotFound` without the old meter, `Conflict` when the new serial
    /// is installed at another premise.
    async fn record_meter_exchange(
        &self,
        utility: UtilityId,
        exchange: &MeterExchange,
    ) -> StoreResult<Meter>;
    /// In one transaction, applies an office-accepted meter-record correction: the meter's
    /// serial, size, location and registers become `correction.after`, and the premise's access
    /// notes the corrected ones. Returns the corrected meter. `NotFound` without the meter or
    /// premise; `Conflict` naming what changed when the record no longer reads
    /// `correction.before`, or when the new serial is another meter's. Nothing is written then.
    async fn correct_meter(
        &self,
        utility: UtilityId,
        correction: &MeterCorrection,
    ) -> StoreResult<Meter>;
    /// In one transaction, applies an accepted meter-record correction as [`Self::correct_meter`]
    /// does (with its checks) and stores the order update that records the decision as
    /// [`Self::update_order`] does, if the order's version is still `expected_version`. When the
    /// version moved, returns [`VersionedWrite::OrderMoved`] with nothing written (the meter
    /// untouched). `Conflict` naming what changed when the meter record no longer reads
    /// `correction.before` or the new serial is another meter's; `NotFound` without the order,
    /// meter or premise. On any error nothing is written: the record is never corrected without
    /// the decision in the order's log, nor the other way round.
    async fn correct_meter_for_order(
        &self,
        utility: UtilityId,
        correction: &MeterCorrection,
        order: Uuid,
        expected_version: i64,
        update: &OrderUpdate,
    ) -> StoreResult<VersionedWrite>;
    /// Inserts meters with their registers in one transaction.
    async fn insert_meters(&self, utility: UtilityId, rows: &[Meter]) -> StoreResult<()>;
    /// The meter with this id, with its registers.
    async fn get_meter(&self, utility: UtilityId, id: Uuid) -> StoreResult<Meter>;
    /// The meter with this serial, with its registers.
    async fn get_meter_by_serial(&self, utility: UtilityId, serial: &str) -> StoreResult<Meter>;
    /// Meters whose serial starts with `serial_prefix`, by serial, with their registers.
    async fn search_meters(
        &self,
        utility: UtilityId,
        serial_prefix: Option<&str>,
        page: PageRequest,
    ) -> StoreResult<Page<Meter>>;
    /// The meters installed at a premise.
    async fn meters_for_premise(
        &self,
        utility: UtilityId,
        premise: Uuid,
    ) -> StoreResult<Vec<Meter>>;
    /// Inserts historical reads in one transaction.
    async fn insert_meter_reads(&self, utility: UtilityId, rows: &[MeterRead]) -> StoreResult<()>;
    /// A meter's read history, oldest first (register, then time).
    async fn meter_reads(&self, utility: UtilityId, meter: Uuid) -> StoreResult<Vec<MeterRead>>;
    /// Inserts routes in one transaction.
    async fn insert_routes(&self, utility: UtilityId, rows: &[Route]) -> StoreResult<()>;
    /// The route with this id.
    async fn get_route(&self, utility: UtilityId, id: Uuid) -> StoreResult<Route>;
    /// The route with this code.
    async fn get_route_by_code(&self, utility: UtilityId, code: &str) -> StoreResult<Route>;
    /// Every route of the utility, by code.
    async fn list_routes(&self, utility: UtilityId) -> StoreResult<Vec<Route>>;

    // --- orders ---
    /// Inserts an order and appends its changes to the log, in one transaction. The store
    /// assigns the office number. `Conflict` if the id exists.
    async fn insert_order(&self, utility: UtilityId, order: &NewOrder)
    -> StoreResult<OrderSummary>;
    /// Inserts many orders (and their changes) in one transaction, numbered in slice order.
    async fn insert_orders(
        &self,
        utility: UtilityId,
        orders: &[NewOrder],
    ) -> StoreResult<Vec<OrderSummary>>;
    /// The order with its document.
    async fn get_order(&self, utility: UtilityId, id: Uuid) -> StoreResult<StoredOrder>;
    /// The orders among `ids` this utility holds, with their documents, in one read (a sync
    /// batch's orders). Ids it does not hold are left out; the order of the result is
    /// unspecified.
    async fn get_orders(&self, utility: UtilityId, ids: &[Uuid]) -> StoreResult<Vec<StoredOrder>>;
    /// The order with this office number, with its document.
    async fn get_order_by_number(
        &self,
        utility: UtilityId,
        number: i64,
    ) -> StoreResult<StoredOrder>;
    /// Orders matching `filter`, by number (by walk sequence when filtered to a route).
    async fn list_orders(
        &self,
        utility: UtilityId,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> StoreResult<Page<OrderSummary>>;
    /// Stores a new state of an order if its version is still `expected_version`, appending the
    /// changes to its log in the same transaction. `Conflict` when the version moved (re-read
    /// and retry), `NotFound` when there is no such order. On any error nothing is written.
    async fn update_order(
        &self,
        utility: UtilityId,
        id: Uuid,
        expected_version: i64,
        update: &OrderUpdate,
    ) -> StoreResult<OrderSummary>;
    /// The order's audit trail, in log order. `NotFound` when there is no such order.
    async fn order_history(&self, utility: UtilityId, id: Uuid) -> StoreResult<Vec<ChangeRecord>>;

    // --- devices and the change feed (sync) ---
    /// Registers a device to `new.user_id` (or updates its name and versions) and binds its
    /// actors, in one transaction. Writes nothing when the device belongs to another user or an
    /// actor to another device (see [`Registration`]).
    async fn register_device(
        &self,
        utility: UtilityId,
        new: &NewDevice,
    ) -> StoreResult<Registration>;
    /// The device with this id.
    async fn get_device(&self, utility: UtilityId, id: Uuid) -> StoreResult<Device>;
    /// The actors bound to a device.
    async fn device_actors(
        &self,
        utility: UtilityId,
        device: Uuid,
    ) -> StoreResult<Vec<ActorBinding>>;
    /// Records a sync of the device (its last sync time and announced app version).
    async fn touch_device(
        &self,
        utility: UtilityId,
        id: Uuid,
        app_version: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    // --- device revocation and refresh tokens ---
    /// Every device of the utility, revoked ones too, by registration time.
    async fn list_devices(&self, utility: UtilityId) -> StoreResult<Vec<Device>>;
    /// Revokes a device at `at` (keeping an earlier revocation time) and every refresh token
    /// bound to it, in one transaction; returns the device. Nothing it uploaded is touched.
    /// `NotFound` when there is no such device.
    async fn revoke_device(
        &self,
        utility: UtilityId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<Device>;
    /// Starts a refresh token family for a device: stores its first token and revokes the
    /// device's earlier families (a device holds one sign-in), in one transaction. `Invalid` when
    /// the device or user does not exist, `Conflict` when the hash exists.
    async fn start_refresh_family(
        &self,
        utility: UtilityId,
        new: &NewRefreshToken,
    ) -> StoreResult<()>;
    /// The refresh token with this SHA-256, in any utility (a token names none).
    async fn find_refresh_token(&self, token_hash: &[u8]) -> StoreResult<Option<RefreshToken>>;
    /// In one transaction: marks `old_hash` used at `at` and stores `next` (same family), if
    /// the old token is still unused and unrevoked; else writes nothing ([`Rotation::Stale`]).
    async fn rotate_refresh_token(
        &self,
        utility: UtilityId,
        old_hash: &[u8],
        next: &NewRefreshToken,
        at: DateTime<Utc>,
    ) -> StoreResult<Rotation>;
    /// Revokes every token of a family not revoked yet; returns how many it revoked.
    async fn revoke_refresh_family(
        &self,
        utility: UtilityId,
        family: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<u64>;
    /// The utility's last feed position (0 before any change). Every entry up to it is visible.
    async fn feed_head(&self, utility: UtilityId) -> StoreResult<u64>;
    /// Up to `limit` feed entries after position `after`, in position order.
    async fn feed_since(
        &self,
        utility: UtilityId,
        after: u64,
        limit: u32,
    ) -> StoreResult<Vec<FeedEntry>>;
    /// Up to `limit` feed entries in `(after, up_to]` whose assignee before or after is `user`,
    /// in position order.
    async fn feed_for_user(
        &self,
        utility: UtilityId,
        user: Uuid,
        after: u64,
        up_to: u64,
        limit: u32,
    ) -> StoreResult<Vec<FeedEntry>>;
    /// The changes appended to an order by feed positions in `(after, up_to]`, in log order.
    async fn order_changes_after(
        &self,
        utility: UtilityId,
        order: Uuid,
        after: u64,
        up_to: u64,
    ) -> StoreResult<Vec<LoggedChange>>;
    /// Stores a sync batch in one transaction, each order with its own feed entry: all or
    /// nothing. `Conflict` when any order's version moved or a created id exists (re-read and
    /// retry).
    async fn apply_uploads(
        &self,
        utility: UtilityId,
        batch: &[UploadedOrder],
    ) -> StoreResult<Vec<OrderSummary>>;

    // --- quarantine (trusted merge) ---
    /// Keeps refused changes (each once: a change quarantined again is a no-op), in one
    /// transaction.
    async fn quarantine_changes(
        &self,
        utility: UtilityId,
        rows: &[QuarantinedChange],
    ) -> StoreResult<()>;
    /// Quarantined changes, newest first.
    async fn list_quarantine(
        &self,
        utility: UtilityId,
        page: PageRequest,
    ) -> StoreResult<Page<QuarantinedChange>>;

    // --- follow-ups ---
    /// In one transaction: records the follow-up link and inserts its order (with a feed
    /// entry), unless a link with the same `(origin_order_id, origin_entry_id, kind)` exists;
    /// then writes nothing and returns `None`. `link.order_id` must be `order.id`.
    async fn insert_follow_up(
        &self,
        utility: UtilityId,
        link: &FollowUpLink,
        order: &NewOrder,
    ) -> StoreResult<Option<OrderSummary>>;
    /// The follow-ups an order's field entries created, oldest first.
    async fn follow_ups_of(
        &self,
        utility: UtilityId,
        origin: Uuid,
    ) -> StoreResult<Vec<FollowUpLink>>;
    /// The link that created `order`, when it is a follow-up.
    async fn follow_up_origin(
        &self,
        utility: UtilityId,
        order: Uuid,
    ) -> StoreResult<Option<FollowUpLink>>;

    // --- payments ---
    /// In one transaction: records a payment and lowers the account's balance and past-due
    /// amount (not below zero) by it, stamping the account `as_of` the posting time; returns
    /// the account after. `NotFound` without the account, `Conflict` when the payment's
    /// reference was already posted to it, `Invalid` for an amount that is not positive.
    async fn post_payment(&self, utility: UtilityId, payment: &NewPayment) -> StoreResult<Account>;
    /// The account's orders of `order_type`, by number.
    async fn account_orders(
        &self,
        utility: UtilityId,
        account: Uuid,
        order_type: fieldline_core::OrderType,
    ) -> StoreResult<Vec<OrderSummary>>;
    /// The orders assigned to `assignee` whose type is one of `types` and that are still open
    /// (not completed, not done, cancelled or closed), by number.
    async fn open_orders_of(
        &self,
        utility: UtilityId,
        assignee: Uuid,
        types: &[fieldline_core::OrderType],
    ) -> StoreResult<Vec<OrderSummary>>;

    // --- installed seals and meters ---
    /// In one transaction: records the seals and meters `order`'s field entries installed (each
    /// `(number, order, entry)` once: recording it again is a no-op) and returns the installs
    /// of the same numbers on other orders of the utility. A concurrent install of one of the
    /// numbers on another order either sees this one or is seen by it.
    async fn record_installs(
        &self,
        utility: UtilityId,
        order: Uuid,
        installs: &[Install],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<InstalledElsewhere>>;
    /// The recorded installs of the numbers of `installs` on orders other than `order`, by kind,
    /// number and order number.
    async fn installed_elsewhere(
        &self,
        utility: UtilityId,
        order: Uuid,
        installs: &[Install],
    ) -> StoreResult<Vec<InstalledElsewhere>>;
    /// The seals installed by orders at `place` whose type is one of `order_types` (any type
    /// when empty), newest install first (then the higher order number), at most `limit`.
    async fn seals_installed_at(
        &self,
        utility: UtilityId,
        place: EquipmentPlace,
        order_types: &[fieldline_core::OrderType],
        limit: u32,
    ) -> StoreResult<Vec<InstalledSeal>>;

    // --- blind re-reads ---
    /// Inserts a re-read order (its document already blind) and the values kept from the
    /// device, in one transaction.
    async fn insert_re_read(
        &self,
        utility: UtilityId,
        order: &NewOrder,
        hidden: &[HiddenRegister],
    ) -> StoreResult<OrderSummary>;
    /// The values a re-read keeps from the device, by register (empty for other orders).
    async fn re_read_values(
        &self,
        utility: UtilityId,
        order: Uuid,
    ) -> StoreResult<Vec<HiddenRegister>>;
    /// Records a re-read's comparison, replacing an earlier one.
    async fn record_re_read_outcome(
        &self,
        utility: UtilityId,
        outcome: &ReReadOutcome,
    ) -> StoreResult<()>;
    /// A re-read's comparison, once judged.
    async fn re_read_outcome(
        &self,
        utility: UtilityId,
        order: Uuid,
    ) -> StoreResult<Option<ReReadOutcome>>;

    // --- reference data ---
    /// Stores a new version of the utility's reference data; `Conflict` when that version
    /// exists (two admins publishing at once: one wins).
    async fn insert_reference_version(
        &self,
        utility: UtilityId,
        new: &StoredReference,
    ) -> StoreResult<()>;
    /// The utility's reference data at `version`, or its highest version when `None`.
    async fn reference_version(
        &self,
        utility: UtilityId,
        version: Option<u32>,
    ) -> StoreResult<Option<StoredReference>>;

    /// Test hook for the late-commit case: opens a write transaction that takes the next feed
    /// position (an entry for `order`) and leaves it uncommitted until the caller commits.
    #[cfg(test)]
    async fn hold_feed_position(
        &self,
        utility: UtilityId,
        order: Uuid,
    ) -> StoreResult<Box<dyn HeldPosition>>;
}

/// A write transaction holding a feed position, uncommitted (tests only).
#[cfg(test)]
#[async_trait]
pub trait HeldPosition: Send {
    /// The position it took.
    fn position(&self) -> u64;
    /// Commits it.
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// Opens the store a URL names: `postgres://` / `postgresql://` for PostgreSQL; `sqlite:` URLs
/// (`sqlite://path?mode=rwc`) or a plain file path for SQLite, creating the file and its
/// directory if missing. Does not migrate: call [`Store::migrate`].
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else if url.contains("://") && !url.starts_with("sqlite:") {
        Err(StoreError::UnsupportedUrl(redact_url(url)))
    } else {
        Ok(Arc::new(SqliteStore::open(url).await?))
    }
}

/// The URL without its password, for errors and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
