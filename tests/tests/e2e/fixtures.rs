//! Shared fixtures of the end-to-end tests: the utility's network as the billing system would
//! have loaded it.

use chrono::Utc;
use fieldline_server::store::{Account, Meter, MeterRegister, Premise, Utility};
use fieldline_tests::TestServer;
use uuid::Uuid;

/// A premise with an active account and a one-register meter, stored in `utility`.
pub async fn metered_premise(server: &TestServer, utility: &Utility) -> (Premise, Meter) {
    let premise = Premise {
        id: Uuid::new_v4(),
        utility_id: utility.id,
        address: "12 Elm St".into(),
        city: "Riverton".into(),
        lat: Some(44.97),
        lon: Some(-93.26),
        access_notes: Some("gate code 1234".into()),
        hazards: vec![],
        service_area: None,
        book: None,
    };
    let store = server.store();
    store
        .insert_premises(utility.id, std::slice::from_ref(&premise))
        .await
        .expect("premise");
    let account = Account {
        id: Uuid::new_v4(),
        utility_id: utility.id,
        number: format!("100-{}", &Uuid::new_v4().to_string()[..6]),
        premise_id: premise.id,
        customer_name: "J. Smith".into(),
        status: fieldline_core::AccountStatus::Active,
        balance_cents: 0,
        past_due_cents: 0,
        notice_served_at: None,
        medical_hold: false,
        life_support: false,
        payment_plan: false,
        as_of: Utc::now(),
    };
    store
        .insert_accounts(utility.id, &[account])
        .await
        .expect("account");
    let meter = Meter {
        id: Uuid::new_v4(),
        utility_id: utility.id,
        serial: format!("SN-{}", &Uuid::new_v4().to_string()[..8]),
        premise_id: Some(premise.id),
        size: "5/8\"".into(),
        location_code: None,
        status: "active".into(),
        installed_at: None,
        registers: vec![MeterRegister {
            number: 1,
            dials_left: 5,
            dials_right: 0,
            multiplier: 1,
            unit: "CCF".into(),
            last_read: Some("1000".into()),
            last_read_at: Some(Utc::now() - chrono::Duration::days(30)),
            low_limit: Some(1010.0),
            high_limit: Some(1100.0),
        }],
    };
    store
        .insert_meters(utility.id, std::slice::from_ref(&meter))
        .await
        .expect("meter");
    (premise, meter)
}
