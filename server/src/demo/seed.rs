//! Storing the demo: the utility, its users, and the generated rows, each kind in one bulk
//! transaction. The orders are returned, not stored: documents are the order service's job.

use super::{DEMO_USERS, DemoOrder, generate};
use crate::store::{NewUser, NewUtility, Route, Store, StoreError, StoreResult, User, Utility};
use chrono::NaiveDate;
use fieldline_core::model::Role;

/// What to seed.
#[derive(Debug, Clone)]
pub struct SeedOptions<'a> {
    /// The utility's sign-in slug (`riverton`); seeding fails with `Conflict` if it exists.
    pub slug: &'a str,
    /// The utility's name.
    pub name: &'a str,
    /// The generator's seed.
    pub seed: u64,
    /// The day the routes and orders are for.
    pub today: NaiveDate,
    /// Argon2 PHC hash of the demo password, given to every demo user.
    pub password_hash: &'a str,
}

/// What [`seed`] stored, and the orders still to create.
#[derive(Debug, Clone)]
pub struct SeededDemo {
    /// The new utility.
    pub utility: Utility,
    /// The demo users, in [`DEMO_USERS`] order.
    pub users: Vec<User>,
    /// Number of premises stored.
    pub premises: usize,
    /// Number of accounts stored.
    pub accounts: usize,
    /// Number of meters stored.
    pub meters: usize,
    /// Number of historical reads stored.
    pub reads: usize,
    /// The routes stored, with their readers set as default assignees.
    pub routes: Vec<Route>,
    /// Today's orders, for the order service to create (assignees are usernames of `users`).
    pub orders: Vec<DemoOrder>,
}

impl SeededDemo {
    /// The demo user with this username (to resolve a [`DemoOrder`]'s assignee, or the
    /// `dispatcher` who created the orders).
    pub fn user(&self, username: &str) -> Option<&User> {
        self.users.iter().find(|u| u.username == username)
    }
}

/// Creates the demo utility and its users and stores its premises, accounts, meters, read
/// history and routes. Not one transaction overall: run it on a fresh database.
pub async fn seed(store: &dyn Store, options: &SeedOptions<'_>) -> StoreResult<SeededDemo> {
    let utility = store
        .create_utility(&NewUtility {
            slug: options.slug.into(),
            name: options.name.into(),
        })
        .await?;
    let mut users = Vec::with_capacity(DEMO_USERS.len());
    for &(username, role, display_name) in DEMO_USERS {
        let role =
            Role::parse(role).ok_or_else(|| StoreError::Invalid(format!("demo role {role:?}")))?;
        let user = store
            .create_user(
                utility.id,
                &NewUser {
                    username: username.into(),
                    display_name: display_name.into(),
                    role,
                    password_hash: options.password_hash.into(),
                },
            )
            .await?;
        users.push(user);
    }
    let data = generate(utility.id, options.seed, options.today);
    store.insert_premises(utility.id, &data.premises).await?;
    store.insert_accounts(utility.id, &data.accounts).await?;
    store.insert_meters(utility.id, &data.meters).await?;
    store.insert_meter_reads(utility.id, &data.reads).await?;
    let routes: Vec<Route> = data
        .routes
        .iter()
        .map(|r| Route {
            default_assignee: r
                .reader
                .as_deref()
                .and_then(|name| users.iter().find(|u| u.username == name))
                .map(|u| u.id),
            ..r.route.clone()
        })
        .collect();
    store.insert_routes(utility.id, &routes).await?;
    Ok(SeededDemo {
        utility,
        users,
        premises: data.premises.len(),
        accounts: data.accounts.len(),
        meters: data.meters.len(),
        reads: data.reads.len(),
        routes,
        orders: data.orders,
    })
}
