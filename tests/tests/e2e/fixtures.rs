//! Shared fixtures of the end-to-end tests: the utility's network as the billing system would
//! have loaded it.

use fieldline_server::store::{Meter, Premise, Store, Utility, testing};
use fieldline_tests::TestServer;

/// A premise with an active account and a one-register meter, stored in `utility`.
pub async fn metered_premise(server: &TestServer, utility: &Utility) -> (Premise, Meter) {
    metered_premise_in(server.store(), utility).await
}

/// [`metered_premise`] through any store connection (the crash tests' server is another process).
/// The register's limits are 1010..1100 after a previous read of 1000.
pub async fn metered_premise_in(store: &dyn Store, utility: &Utility) -> (Premise, Meter) {
    let (premise, _, meter) = testing::metered_premise(store, utility.id)
        .await
        .expect("a metered premise");
    (premise, meter)
}
