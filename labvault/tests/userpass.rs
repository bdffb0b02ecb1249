//! The userpass auth method: users, login, and renewal of the tokens it issues — against
//! Vault's docs and the userpass backend's source.

mod common;

use common::{differences, keys_of, Lab};
use serde_json::{json, Value};

async fn lab_with_userpass() -> Lab {
    let lab = Lab::new().await;
    lab.enable_userpass("userpass").await;
    lab
}

async fn login(lab: &Lab, user: &str, password: &str) -> common::Answer {
    lab.call(
        "POST",
        &format!("auth/userpass/login/{user}"),
        None,
        Some(json!({ "password": password })),
    )
    .await
}

#[tokio::test]
async fn a_user_reads_back_its_token_settings_and_never_its_password() {
    let lab = lab_with_userpass().await;
    let created = lab
        .root(
            "POST",
            "auth/userpass/users/alice",
            Some(json!({
                "password": "correct horse",
                "token_policies": ["db", "web"],
                "token_ttl": "1h",
                "token_max_ttl": 7200,
            })),
        )
        .await
        .expect(204);
    assert_eq!(created.body, Value::Null);
    let read = lab
        .root("GET", "auth/userpass/users/alice", None)
        .await
        .expect(200);
    let extra = differences::openbao_only_token_fields(lab.flavor());
    assert_eq!(
        differences::without_fields(read.data(), extra),
        json!({
            "token_bound_cidrs": [],
            "token_explicit_max_ttl": 0,
            "token_max_ttl": 7200,
            "token_no_default_policy": false,
            "token_num_uses": 0,
            "token_period": 0,
            "token_policies": ["db", "web"],
            "token_ttl": 3600,
            "token_type": "default",
        })
    );
    assert!(!read.body.to_string().contains("correct horse"));
    read.assert_mount_type(lab.flavor(), "userpass");
}

#[tokio::test]
async fn the_legacy_policies_field_is_an_alias() {
    let lab = lab_with_userpass().await;
    lab.root(
        "POST",
        "auth/userpass/users/bob",
        Some(json!({ "password": "pw", "policies": "db,web" })),
    )
    .await
    .expect(204);
    let read = lab
        .root("GET", "auth/userpass/users/bob", None)
        .await
        .expect(200);
    assert_eq!(read.data()["token_policies"], json!(["db", "web"]));
    assert_eq!(read.data()["policies"], json!(["db", "web"]));
    let token = login(&lab, "bob", "pw").await.expect(200);
    assert_eq!(
        token.body["auth"]["policies"],
        json!(["db", "default", "web"])
    );
    // Setting the new name drops the legacy one.
    lab.root(
        "POST",
        "auth/userpass/users/bob",
        Some(json!({ "token_policies": ["web"] })),
    )
    .await
    .expect(204);
    let read = lab
        .root("GET", "auth/userpass/users/bob", None)
        .await
        .expect(200);
    assert_eq!(read.data()["token_policies"], json!(["web"]));
    assert!(read.data().get("policies").is_none(), "{}", read.data());
}

#[tokio::test]
async fn updating_a_user_without_a_password_keeps_it() {
    let lab = lab_with_userpass().await;
    lab.root(
        "POST",
        "auth/userpass/users/alice",
        Some(json!({ "password": "pw" })),
    )
    .await
    .expect(204);
    lab.root(
        "POST",
        "auth/userpass/users/alice",
        Some(json!({ "token_ttl": "2h" })),
    )
    .await
    .expect(204);
    let token = login(&lab, "alice", "pw").await.expect(200);
    assert_eq!(token.body["auth"]["lease_duration"], 7200);
    lab.root(
        "POST",
        "auth/userpass/users/alice/password",
        Some(json!({ "password": "new" })),
    )
    .await
    .expect(204);
    login(&lab, "alice", "pw").await.expect(400);
    login(&lab, "alice", "new").await.expect(200);
}

#[tokio::test]
async fn user_writes_are_validated() {
    let lab = lab_with_userpass().await;
    for (body, message) in [
        (
            json!({ "token_policies": ["web"] }),
            "must provide either password or password_hash",
        ),
        (
            json!({ "password": "pw", "password_hash": "$2a$10$abcdefghijklmnopqrstuv" }),
            "only one of password or password_hash may be provided",
        ),
        (
            json!({ "password": "pw", "token_ttl": "3h", "token_max_ttl": "1h" }),
            "'token_ttl' cannot be greater than 'token_max_ttl'",
        ),
    ] {
        let answer = lab
            .root("POST", "auth/userpass/users/carol", Some(body.clone()))
            .await
            .expect(400);
        assert_eq!(answer.errors(), vec![message], "{body}");
    }
    lab.root("GET", "auth/userpass/users/carol", None)
        .await
        .expect(404);
}

#[tokio::test]
async fn users_are_listed_read_and_deleted() {
    let lab = lab_with_userpass().await;
    let empty = lab
        .root("LIST", "auth/userpass/users", None)
        .await
        .expect(404);
    assert_eq!(empty.body, json!({ "errors": [] }));
    for name in ["bob", "Alice"] {
        lab.root(
            "POST",
            &format!("auth/userpass/users/{name}"),
            Some(json!({ "password": "pw" })),
        )
        .await
        .expect(204);
    }
    let listed = lab
        .root("LIST", "auth/userpass/users", None)
        .await
        .expect(200);
    assert_eq!(listed.data(), &json!({ "keys": ["alice", "bob"] }));
    // Names are case-insensitive.
    lab.root("GET", "auth/userpass/users/ALICE", None)
        .await
        .expect(200);
    let deleted = lab
        .root("DELETE", "auth/userpass/users/bob", None)
        .await
        .expect(204);
    assert_eq!(deleted.body, Value::Null);
    let missing = lab
        .root("GET", "auth/userpass/users/bob", None)
        .await
        .expect(404);
    assert_eq!(missing.body, json!({ "errors": [] }));
    lab.root("DELETE", "auth/userpass/users/bob", None)
        .await
        .expect(204);
    let listed = lab
        .root("GET", "auth/userpass/users?list=true", None)
        .await
        .expect(200);
    assert_eq!(listed.data(), &json!({ "keys": ["alice"] }));
}

#[tokio::test]
async fn login_answers_with_an_orphan_renewable_token() {
    let lab = lab_with_userpass().await;
    lab.root(
        "POST",
        "auth/userpass/users/alice",
        Some(json!({ "password": "pw", "token_policies": "web,db" })),
    )
    .await
    .expect(204);
    let answer = login(&lab, "alice", "pw").await.expect(200);
    assert_eq!(answer.data(), &Value::Null);
    let auth = &answer.body["auth"];
    for field in [
        "client_token",
        "accessor",
        "policies",
        "token_policies",
        "metadata",
        "lease_duration",
        "renewable",
        "entity_id",
        "token_type",
        "orphan",
        "num_uses",
    ] {
        assert!(auth.get(field).is_some(), "auth lacks {field}: {auth}");
    }
    let prefix = differences::service_token_prefix(lab.flavor());
    assert!(auth["client_token"].as_str().unwrap().starts_with(prefix));
    assert_eq!(auth["policies"], json!(["db", "default", "web"]));
    assert_eq!(auth["token_policies"], json!(["db", "default", "web"]));
    assert_eq!(auth["metadata"], json!({ "username": "alice" }));
    assert_eq!(auth["lease_duration"], 2764800);
    assert_eq!(auth["renewable"], true);
    assert_eq!(auth["token_type"], "service");
    assert_eq!(auth["orphan"], true);
    assert_eq!(auth["num_uses"], 0);

    let token = answer.client_token();
    let lookup = lab
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(200);
    let data = lookup.data();
    assert_eq!(data["display_name"], "userpass-alice");
    assert_eq!(data["path"], "auth/userpass/login/alice");
    assert_eq!(data["meta"], json!({ "username": "alice" }));
    assert_eq!(data["policies"], json!(["db", "default", "web"]));
    assert_eq!(data["orphan"], true);
    assert_eq!(data["accessor"], auth["accessor"]);
}

#[tokio::test]
async fn login_names_are_case_insensitive_and_the_mount_path_names_the_token() {
    let lab = Lab::new().await;
    lab.enable_userpass("corp/up").await;
    lab.root(
        "POST",
        "auth/corp/up/users/alice",
        Some(json!({ "password": "pw" })),
    )
    .await
    .expect(204);
    let answer = lab
        .call(
            "POST",
            "auth/corp/up/login/ALICE",
            None,
            Some(json!({ "password": "pw" })),
        )
        .await
        .expect(200);
    assert_eq!(
        answer.body["auth"]["metadata"],
        json!({ "username": "alice" })
    );
    assert_eq!(answer.body["auth"]["policies"], json!(["default"]));
    let lookup = lab
        .call(
            "GET",
            "auth/token/lookup-self",
            Some(&answer.client_token()),
            None,
        )
        .await
        .expect(200);
    assert_eq!(lookup.data()["display_name"], "corp-up-alice");
    // The path is the request's as sent; only the user is found case-insensitively.
    assert_eq!(lookup.data()["path"], "auth/corp/up/login/ALICE");
}

#[tokio::test]
async fn a_user_without_default_gets_none() {
    let lab = lab_with_userpass().await;
    lab.root(
        "POST",
        "auth/userpass/users/alice",
        Some(
            json!({ "password": "pw", "token_policies": ["web"], "token_no_default_policy": true }),
        ),
    )
    .await
    .expect(204);
    let answer = login(&lab, "alice", "pw").await.expect(200);
    assert_eq!(answer.body["auth"]["policies"], json!(["web"]));
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_look_the_same() {
    let lab = lab_with_userpass().await;
    lab.root(
        "POST",
        "auth/userpass/users/alice",
        Some(json!({ "password": "pw" })),
    )
    .await
    .expect(204);
    for (user, password) in [("alice", "wrong"), ("mallory", "pw")] {
        let answer = login(&lab, user, password).await.expect(400);
        assert_eq!(
            answer.body,
            json!({ "errors": ["invalid username or password"] }),
            "{user}"
        );
    }
}

#[tokio::test]
async fn login_needs_no_token_but_managing_users_does() {
    let lab = lab_with_userpass().await;
    lab.root(
        "POST",
        "auth/userpass/users/alice",
        Some(json!({ "password": "pw" })),
    )
    .await
    .expect(204);
    let token = login(&lab, "alice", "pw").await.expect(200).client_token();
    let anonymous = lab
        .call(
            "POST",
            "auth/userpass/users/eve",
            None,
            Some(json!({ "password": "x" })),
        )
        .await
        .expect(403);
    assert_eq!(anonymous.errors(), vec!["permission denied"]);
    let as_alice = lab
        .call(
            "POST",
            "auth/userpass/users/eve",
            Some(&token),
            Some(json!({ "password": "x" })),
        )
        .await
        .expect(403);
    assert_eq!(
        as_alice.errors(),
        vec!["1 error occurred:\n\t* permission denied\n\n"]
    );
    // Creating a user needs `create`; changing one needs `update`.
    lab.write_policy(
        "user-creator",
        r#"path "auth/userpass/users/*" { capabilities = ["create"] }"#,
    )
    .await;
    let creator = lab.token_with(&["user-creator"]).await;
    lab.call(
        "POST",
        "auth/userpass/users/eve",
        Some(&creator),
        Some(json!({ "password": "x" })),
    )
    .await
    .expect(204);
    lab.call(
        "POST",
        "auth/userpass/users/eve",
        Some(&creator),
        Some(json!({ "password": "y" })),
    )
    .await
    .expect(403);
}

#[tokio::test]
async fn a_login_token_renews_until_the_users_policies_change() {
    let lab = lab_with_userpass().await;
    lab.root(
        "POST",
        "auth/userpass/users/alice",
        Some(json!({ "password": "pw", "token_policies": ["web"], "token_ttl": "10m" })),
    )
    .await
    .expect(204);
    let token = login(&lab, "alice", "pw").await.expect(200).client_token();
    let renewed = lab
        .call(
            "POST",
            "auth/token/renew-self",
            Some(&token),
            Some(json!({ "increment": "30m" })),
        )
        .await
        .expect(200);
    assert_eq!(renewed.body["auth"]["lease_duration"], 1800);
    assert_eq!(keys_of(&renewed.body["auth"]["metadata"]), vec!["username"]);
    lab.root(
        "POST",
        "auth/userpass/users/alice/policies",
        Some(json!({ "token_policies": "web,admin" })),
    )
    .await
    .expect(204);
    let refused = lab
        .call(
            "POST",
            "auth/token/renew-self",
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_eq!(refused.status, 500, "{}", refused.body);
    assert!(
        refused.errors()[0].contains("policies have changed, not renewing"),
        "{:?}",
        refused.errors()
    );
    // The token itself stays valid until it expires.
    lab.call("GET", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(200);
}

#[tokio::test]
async fn renewing_after_the_user_is_deleted_does_nothing() {
    let lab = lab_with_userpass().await;
    lab.root(
        "POST",
        "auth/userpass/users/alice",
        Some(json!({ "password": "pw", "token_ttl": "10m" })),
    )
    .await
    .expect(204);
    let token = login(&lab, "alice", "pw").await.expect(200).client_token();
    lab.root("DELETE", "auth/userpass/users/alice", None)
        .await
        .expect(204);
    // Deleting a user does not revoke its tokens; renewing one answers nothing and
    // leaves its TTL as it was.
    let renewed = lab
        .call(
            "POST",
            "auth/token/renew-self",
            Some(&token),
            Some(json!({ "increment": "1h" })),
        )
        .await
        .expect(204);
    assert_eq!(renewed.body, Value::Null);
    let lookup = lab
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(200);
    let ttl = lookup.data()["ttl"].as_u64().unwrap();
    assert!((590..=600).contains(&ttl), "ttl {ttl}");
}

#[tokio::test]
async fn password_and_policies_endpoints_need_an_existing_user() {
    let lab = lab_with_userpass().await;
    for (field, body) in [
        ("password", json!({ "password": "x" })),
        ("policies", json!({ "token_policies": "web" })),
    ] {
        let answer = lab
            .root(
                "POST",
                &format!("auth/userpass/users/nobody/{field}"),
                Some(body),
            )
            .await
            .expect(500);
        assert_eq!(
            answer.errors(),
            vec!["1 error occurred:\n\t* username does not exist\n\n"],
            "{field}"
        );
    }
    lab.root(
        "POST",
        "auth/userpass/users/alice",
        Some(json!({ "password": "pw" })),
    )
    .await
    .expect(204);
    // This endpoint lowercases, deduplicates and sorts, as Vault's ParsePolicies does.
    lab.root(
        "POST",
        "auth/userpass/users/alice/policies",
        Some(json!({ "token_policies": "Web, db,web" })),
    )
    .await
    .expect(204);
    let read = lab
        .root("GET", "auth/userpass/users/alice", None)
        .await
        .expect(200);
    assert_eq!(read.data()["token_policies"], json!(["db", "web"]));
    assert!(read.data().get("policies").is_none());
    let missing = lab
        .root(
            "POST",
            "auth/userpass/users/alice/password",
            Some(json!({})),
        )
        .await
        .expect(400);
    assert_eq!(
        missing.errors(),
        vec!["must provide either password or password_hash"]
    );
}

/// A very long user name: OpenBao's raft storage takes it; labvault's directory storage
/// cannot name a file after it and says so with a 400 that keeps the data path out.
#[tokio::test]
async fn a_very_long_user_name_meets_the_storage_limit() {
    // Initialized, not dev: its data is on disk (a labvault dev server keeps it in memory).
    let lab = Lab::initialized(1, 1).await;
    lab.enable_userpass("userpass").await;
    let name = "a".repeat(5000);
    let written = lab
        .root(
            "POST",
            &format!("auth/userpass/users/{name}"),
            Some(json!({ "password": "pw" })),
        )
        .await;
    match differences::storage_segment_limit(lab.flavor()) {
        None => {
            written.expect(204);
            login(&lab, &name, "pw").await.expect(200);
        }
        Some(limit) => {
            let refused = written.expect(400);
            let error = &refused.errors()[0];
            assert!(error.contains(&format!("at most {limit} bytes")), "{error}");
            assert!(!error.contains('/'), "no storage path in {error}");
        }
    }
}
