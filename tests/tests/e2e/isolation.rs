//! One server, two utilities: a user of one never sees the other's data.

use fieldline_core::model::Role;
use fieldline_server::store::{Premise, Utility};
use fieldline_tests::{PASSWORD, TestServer};
use uuid::Uuid;

fn premise(utility: &Utility, address: &str) -> Premise {
    Premise {
        id: Uuid::new_v4(),
        utility_id: utility.id,
        address: address.to_string(),
        city: "Riverton".to_string(),
        lat: Some(45.0),
        lon: Some(-122.0),
        access_notes: None,
        hazards: Vec::new(),
        service_area: None,
        book: None,
    }
}

fn usernames(users: &serde_json::Value) -> Vec<String> {
    users
        .as_array()
        .map(|users| {
            users
                .iter()
                .filter_map(|u| u["username"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_dispatcher_of_one_utility_never_sees_anothers_users_or_premises() {
    let server = TestServer::start().await;
    let beta = server.add_utility("beta").await;
    server
        .add_user(&beta, "beta-dispatcher", Role::Dispatcher)
        .await;
    // The same username in both utilities: sign-in tells them apart by password or slug.
    server.add_user(&beta, "shared", Role::Reader).await;
    server
        .add_user(&server.utility, "shared", Role::Reader)
        .await;

    let alpha_premise = premise(&server.utility, "1 Alpha St");
    let beta_premise = premise(&beta, "2 Beta St");
    server
        .store()
        .insert_premises(server.utility.id, std::slice::from_ref(&alpha_premise))
        .await
        .expect("alpha premise");
    server
        .store()
        .insert_premises(beta.id, std::slice::from_ref(&beta_premise))
        .await
        .expect("beta premise");

    let alpha = server.login("dispatcher", PASSWORD).await;
    let users = server.get("/api/v1/users", Some(&alpha)).await;
    assert_eq!(users.status, 200, "{}", users.text);
    let names = usernames(&users.json());
    assert!(names.contains(&"dispatcher".to_string()), "{names:?}");
    assert!(!names.contains(&"beta-dispatcher".to_string()), "{names:?}");

    let premises = server.get("/api/v1/premises?q=St", Some(&alpha)).await;
    assert_eq!(premises.status, 200, "{}", premises.text);
    let body = premises.json();
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["items"][0]["address"], "1 Alpha St");

    let theirs = server
        .get(
            &format!("/api/v1/premises/{}", beta_premise.id),
            Some(&alpha),
        )
        .await;
    assert_eq!(theirs.status, 404, "{}", theirs.text);
    let ours = server
        .get(
            &format!("/api/v1/premises/{}", alpha_premise.id),
            Some(&alpha),
        )
        .await;
    assert_eq!(ours.status, 200, "{}", ours.text);

    let beta_token = server.login("beta-dispatcher", PASSWORD).await;
    let beta_users = server.get("/api/v1/users", Some(&beta_token)).await;
    assert_eq!(usernames(&beta_users.json()), ["beta-dispatcher", "shared"]);
    server.stop().await;
}

#[tokio::test]
async fn a_username_in_two_utilities_needs_the_utility_slug() {
    let server = TestServer::start().await;
    let beta = server.add_utility("beta").await;
    server.add_user(&beta, "shared", Role::Reader).await;
    server
        .add_user(&server.utility, "shared", Role::Reader)
        .await;

    let ambiguous = server
        .post_json(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"username": "shared", "password": PASSWORD}),
        )
        .await;
    assert_eq!(ambiguous.status, 400, "{}", ambiguous.text);
    assert_eq!(ambiguous.error_code(), "utility_required");

    let chosen = server
        .post_json(
            "/api/v1/auth/login",
            None,
            &serde_json::json!({"username": "shared", "password": PASSWORD, "utility": "beta"}),
        )
        .await;
    assert_eq!(chosen.status, 200, "{}", chosen.text);
    assert_eq!(chosen.json()["user"]["utility"], "beta");
    server.stop().await;
}
