//! Office lookups (meters, routes) and what field roles may see of them: a handheld never gets
//! previous reads, limits or read history (blind re-reads stay blind).

use chrono::{Duration, Utc};
use fieldline_server::store::{Meter, MeterRead, MeterRegister, ReadKind, Route};
use fieldline_tests::{PASSWORD, TestServer};
use uuid::Uuid;

async fn a_meter_with_history(server: &TestServer) -> Meter {
    let now = Utc::now();
    let meter = Meter {
        id: Uuid::new_v4(),
        utility_id: server.utility.id,
        serial: "SN-0042".to_string(),
        premise_id: None,
        size: "5/8\"".to_string(),
        location_code: Some("curb box front".to_string()),
        status: "active".to_string(),
        installed_at: Some(now - Duration::days(900)),
        registers: vec![MeterRegister {
            number: 1,
            dials_left: 5,
            dials_right: 1,
            multiplier: 1,
            unit: "CCF".to_string(),
            last_read: Some("01234.5".to_string()),
            last_read_at: Some(now - Duration::days(30)),
            low_limit: Some(1240.0),
            high_limit: Some(1290.0),
        }],
    };
    let store = server.store();
    store
        .insert_meters(server.utility.id, std::slice::from_ref(&meter))
        .await
        .expect("meter");
    store
        .insert_meter_reads(
            server.utility.id,
            &[MeterRead {
                meter_id: meter.id,
                register: 1,
                value: "01234.5".to_string(),
                read_at: now - Duration::days(30),
                kind: ReadKind::Actual,
            }],
        )
        .await
        .expect("read");
    meter
}

#[tokio::test]
async fn office_roles_see_meter_history_and_limits_field_roles_do_not() {
    let server = TestServer::start().await;
    let meter = a_meter_with_history(&server).await;
    let path = format!("/api/v1/meters/{}", meter.id);

    let dispatcher = server.login("dispatcher", PASSWORD).await;
    let office = server.get(&path, Some(&dispatcher)).await;
    assert_eq!(office.status, 200, "{}", office.text);
    let body = office.json();
    assert_eq!(body["serial"], "SN-0042");
    assert_eq!(body["registers"][0]["high_limit"], 1290.0);
    assert_eq!(body["registers"][0]["last_read"], "01234.5");
    assert_eq!(body["reads"][0]["value"], "01234.5");

    let reader = server.login("reader1", PASSWORD).await;
    let field = server.get(&path, Some(&reader)).await;
    assert_eq!(field.status, 200, "{}", field.text);
    let body = field.json();
    assert_eq!(body["registers"][0]["dials_left"], 5);
    for hidden in ["high_limit", "low_limit", "last_read", "last_read_at"] {
        assert!(
            body["registers"][0].get(hidden).is_none(),
            "{hidden}: {body}"
        );
    }
    assert!(body.get("reads").is_none(), "{body}");

    let by_serial = server
        .get("/api/v1/meters?serial=SN-00", Some(&reader))
        .await;
    assert_eq!(by_serial.status, 200, "{}", by_serial.text);
    assert_eq!(by_serial.json()["total"], 1);
    assert!(!by_serial.text.contains("1290"), "{}", by_serial.text);
    server.stop().await;
}

#[tokio::test]
async fn routes_list_for_the_office() {
    let server = TestServer::start().await;
    let route = Route {
        id: Uuid::new_v4(),
        utility_id: server.utility.id,
        code: "C01-B01".to_string(),
        name: "Elm St".to_string(),
        cycle: Some("01".to_string()),
        book: Some("B01".to_string()),
        scheduled_day: None,
        default_assignee: None,
    };
    server
        .store()
        .insert_routes(server.utility.id, std::slice::from_ref(&route))
        .await
        .expect("route");
    let supervisor = server.login("supervisor", PASSWORD).await;
    let response = server.get("/api/v1/routes", Some(&supervisor)).await;
    assert_eq!(response.status, 200, "{}", response.text);
    assert_eq!(response.json()[0]["code"], "C01-B01");
    server.stop().await;
}
