//! The token auth method (`auth/token/*`): creation, lookup, renewal, revocation, expiry
//! and use limits, and how a request's token is found — against Vault's docs and source.

mod common;

use common::{differences, keys_of, Lab};
use serde_json::{json, Value};

/// A policy letting a token create child tokens (but not orphans or periodic ones).
const CREATOR: &str = r#"path "auth/token/create*" { capabilities = ["update"] }"#;

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

#[tokio::test]
async fn create_answers_with_an_auth_block() {
    let lab = Lab::new().await;
    let answer = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "policies": ["web"], "meta": { "user": "armon" }, "ttl": "1h" })),
        )
        .await
        .expect(200);
    assert_eq!(answer.data(), &Value::Null);
    let auth = &answer.body["auth"];
    assert_eq!(
        keys_of(auth),
        sorted(
            [
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
                "mfa_requirement",
                "num_uses",
            ]
            .map(String::from)
            .to_vec()
        )
    );
    let prefix = differences::service_token_prefix(lab.flavor());
    assert!(auth["client_token"].as_str().unwrap().starts_with(prefix));
    assert_eq!(auth["accessor"].as_str().unwrap().len(), 24);
    assert_eq!(auth["policies"], json!(["default", "web"]));
    assert_eq!(auth["token_policies"], json!(["default", "web"]));
    assert_eq!(auth["metadata"], json!({ "user": "armon" }));
    assert_eq!(auth["lease_duration"], 3600);
    assert_eq!(auth["renewable"], true);
    assert_eq!(auth["entity_id"], "");
    assert_eq!(auth["token_type"], "service");
    assert_eq!(auth["orphan"], false);
    assert_eq!(auth["num_uses"], 0);
    answer.assert_mount_type(lab.flavor(), "token");
}

#[tokio::test]
async fn policies_are_sanitized_and_default_is_added() {
    let lab = Lab::new().await;
    let answer = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "policies": [" Web ", "db", "web", "DB"] })),
        )
        .await
        .expect(200);
    assert_eq!(
        answer.body["auth"]["policies"],
        json!(["db", "default", "web"])
    );
    let bare = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "policies": "web", "no_default_policy": true })),
        )
        .await
        .expect(200);
    assert_eq!(bare.body["auth"]["policies"], json!(["web"]));
}

#[tokio::test]
async fn a_warning_names_each_missing_policy() {
    let lab = Lab::new().await;
    lab.write_policy("web", r#"path "kv/*" { capabilities = ["read"] }"#)
        .await;
    let answer = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "policies": ["web", "stage", "prod"] })),
        )
        .await
        .expect(200);
    assert_eq!(
        answer.warnings(),
        vec![
            "Policy \"prod\" does not exist",
            "Policy \"stage\" does not exist"
        ]
    );
    let none_missing = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "policies": ["web"] })),
        )
        .await
        .expect(200);
    assert_eq!(none_missing.body["warnings"], Value::Null);
}

#[tokio::test]
async fn root_creating_a_token_without_policies_makes_a_root_token() {
    let lab = Lab::new().await;
    let answer = lab
        .root("POST", "auth/token/create", Some(json!({})))
        .await
        .expect(200);
    let auth = &answer.body["auth"];
    assert_eq!(auth["policies"], json!(["root"]));
    assert_eq!(auth["lease_duration"], 0);
    assert_eq!(auth["renewable"], false);
    let token = answer.client_token();
    let lookup = lab
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(200);
    assert_eq!(lookup.data()["expire_time"], Value::Null);
    assert_eq!(lookup.data()["ttl"], 0);
    assert_eq!(lookup.data()["policies"], json!(["root"]));
}

#[tokio::test]
async fn root_tokens_are_still_bound_by_an_explicit_max_ttl() {
    let lab = Lab::new().await;
    let answer = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "explicit_max_ttl": "1h" })),
        )
        .await
        .expect(200);
    assert_eq!(answer.body["auth"]["policies"], json!(["root"]));
    assert_eq!(answer.body["auth"]["lease_duration"], 3600);
}

#[tokio::test]
async fn an_expiring_root_token_cannot_create_a_non_expiring_one() {
    let lab = Lab::new().await;
    let expiring_root = lab.token(json!({ "ttl": "1h" })).await;
    let refused = lab
        .call(
            "POST",
            "auth/token/create",
            Some(&expiring_root),
            Some(json!({})),
        )
        .await
        .expect(400);
    assert_eq!(
        refused.errors(),
        vec!["expiring root tokens cannot create non-expiring root tokens"]
    );
}

#[tokio::test]
async fn a_child_without_policies_inherits_the_parents_without_adding_default() {
    let lab = Lab::new().await;
    lab.write_policy("creator", CREATOR).await;
    let parent = lab
        .token(json!({ "policies": ["creator"], "no_default_policy": true }))
        .await;
    for params in [json!({}), json!({ "policies": ["creator"] })] {
        let child = lab
            .call("POST", "auth/token/create", Some(&parent), Some(params))
            .await
            .expect(200);
        assert_eq!(child.body["auth"]["policies"], json!(["creator"]));
    }
    let with_default = lab.token_with(&["creator"]).await;
    let child = lab
        .call(
            "POST",
            "auth/token/create",
            Some(&with_default),
            Some(json!({ "no_default_policy": true })),
        )
        .await
        .expect(200);
    assert_eq!(child.body["auth"]["policies"], json!(["creator"]));
}

#[tokio::test]
async fn a_child_of_a_non_root_parent_gets_a_subset_of_its_policies() {
    let lab = Lab::new().await;
    lab.write_policy("creator", CREATOR).await;
    lab.write_policy("app", r#"path "kv/*" { capabilities = ["read"] }"#)
        .await;
    let parent = lab.token_with(&["creator", "app"]).await;
    let child = lab
        .call(
            "POST",
            "auth/token/create",
            Some(&parent),
            Some(json!({ "policies": ["app"] })),
        )
        .await
        .expect(200);
    assert_eq!(child.body["auth"]["policies"], json!(["app", "default"]));
    for requested in [json!(["other"]), json!(["app", "other"]), json!(["root"])] {
        let refused = lab
            .call(
                "POST",
                "auth/token/create",
                Some(&parent),
                Some(json!({ "policies": requested })),
            )
            .await
            .expect(400);
        assert_eq!(
            refused.errors(),
            vec!["child policies must be subset of parent"]
        );
    }
    // Without `default` in the parent, asking for it is asking for more than it has.
    let bare_parent = lab
        .token(json!({ "policies": ["creator"], "no_default_policy": true }))
        .await;
    let refused = lab
        .call(
            "POST",
            "auth/token/create",
            Some(&bare_parent),
            Some(json!({ "policies": ["default"] })),
        )
        .await
        .expect(400);
    assert_eq!(
        refused.errors(),
        vec!["child policies must be subset of parent"]
    );
}

#[tokio::test]
async fn sudo_lifts_the_subset_rule_but_not_the_root_rule() {
    let lab = Lab::new().await;
    lab.write_policy(
        "sudo-creator",
        r#"path "auth/token/create" { capabilities = ["update", "sudo"] }"#,
    )
    .await;
    let parent = lab.token_with(&["sudo-creator"]).await;
    let child = lab
        .call(
            "POST",
            "auth/token/create",
            Some(&parent),
            Some(json!({ "policies": ["other"] })),
        )
        .await
        .expect(200);
    assert_eq!(child.body["auth"]["policies"], json!(["default", "other"]));
    let root_child = lab
        .call(
            "POST",
            "auth/token/create",
            Some(&parent),
            Some(json!({ "policies": ["root"] })),
        )
        .await
        .expect(400);
    assert_eq!(
        root_child.errors(),
        vec!["root tokens may not be created without parent token being root"]
    );
}

#[tokio::test]
async fn orphans_and_periods_need_sudo_except_through_create_orphan() {
    let lab = Lab::new().await;
    lab.write_policy("creator", CREATOR).await;
    let parent = lab.token_with(&["creator"]).await;
    let orphan = lab
        .call(
            "POST",
            "auth/token/create",
            Some(&parent),
            Some(json!({ "no_parent": true })),
        )
        .await
        .expect(400);
    assert_eq!(
        orphan.errors(),
        vec!["root or sudo privileges required to create orphan token"]
    );
    let periodic = lab
        .call(
            "POST",
            "auth/token/create",
            Some(&parent),
            Some(json!({ "period": "1h" })),
        )
        .await
        .expect(400);
    assert_eq!(
        periodic.errors(),
        vec!["root or sudo privileges required to create periodic token"]
    );
    let via_endpoint = lab
        .call(
            "POST",
            "auth/token/create-orphan",
            Some(&parent),
            Some(json!({})),
        )
        .await
        .expect(200);
    assert_eq!(via_endpoint.body["auth"]["orphan"], true);
    let lookup = lab
        .call(
            "GET",
            "auth/token/lookup-self",
            Some(&via_endpoint.client_token()),
            None,
        )
        .await
        .expect(200);
    assert_eq!(lookup.data()["path"], "auth/token/create-orphan");
}

#[tokio::test]
async fn display_names_follow_vaults_rules() {
    let lab = Lab::new().await;
    for (given, expected) in [
        (None, "token"),
        (Some("base_token"), "token-base-token"),
        (Some("ci job!"), "token-ci-job"),
        (Some("web-01"), "token-web-01"),
    ] {
        let mut params = json!({ "policies": ["default"] });
        if let Some(name) = given {
            params["display_name"] = json!(name);
        }
        let token = lab.token(params).await;
        let lookup = lab
            .call("GET", "auth/token/lookup-self", Some(&token), None)
            .await
            .expect(200);
        assert_eq!(lookup.data()["display_name"], expected, "for {given:?}");
    }
}

#[tokio::test]
async fn lookup_self_shows_the_tokens_fields() {
    let lab = Lab::new().await;
    let created = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({
                "policies": ["web"],
                "meta": { "user": "armon" },
                "ttl": "1h",
                "explicit_max_ttl": "2h",
                "display_name": "ci",
            })),
        )
        .await
        .expect(200);
    let token = created.client_token();
    let lookup = lab
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(200);
    let data = lookup.data();
    for field in [
        "accessor",
        "creation_time",
        "creation_ttl",
        "display_name",
        "entity_id",
        "expire_time",
        "explicit_max_ttl",
        "id",
        "issue_time",
        "meta",
        "num_uses",
        "orphan",
        "path",
        "policies",
        "renewable",
        "ttl",
        "type",
    ] {
        assert!(data.get(field).is_some(), "lookup lacks {field}: {data}");
    }
    assert_eq!(data["id"], token.as_str());
    assert_eq!(data["accessor"], created.body["auth"]["accessor"]);
    assert!(data["creation_time"].is_i64());
    assert_eq!(data["creation_ttl"], 3600);
    assert_eq!(data["display_name"], "token-ci");
    assert_eq!(data["entity_id"], "");
    assert!(data["expire_time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(data["explicit_max_ttl"], 7200);
    assert_eq!(data["meta"], json!({ "user": "armon" }));
    assert_eq!(data["num_uses"], 0);
    assert_eq!(data["orphan"], false);
    assert_eq!(data["path"], "auth/token/create");
    assert_eq!(data["policies"], json!(["default", "web"]));
    assert_eq!(data["renewable"], true);
    let ttl = data["ttl"].as_u64().unwrap();
    assert!((3590..=3600).contains(&ttl), "ttl {ttl}");
    assert_eq!(data["type"], "service");
    // lookup-self answers POST too, but that is an update, which the default policy
    // (read only) does not grant.
    let posted = lab
        .call("POST", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(403);
    assert_eq!(
        posted.errors(),
        vec!["1 error occurred:\n\t* permission denied\n\n"]
    );
    lab.root("POST", "auth/token/lookup-self", None)
        .await
        .expect(200);
}

#[tokio::test]
async fn the_root_token_looks_like_vaults() {
    // `sys/init` makes the root token itself.
    let lab = Lab::initialized(1, 1).await;
    let data = root_lookup(&lab).await;
    assert_eq!(data["path"], "auth/token/root");
    assert_eq!(data["display_name"], "root");
    // A dev server with a chosen root token ID creates it through `auth/token/create`
    // (as `bao server -dev-root-token-id` does) and revokes the generated one.
    let dev = Lab::new().await;
    let data = root_lookup(&dev).await;
    assert_eq!(data["path"], "auth/token/create");
    assert_eq!(data["display_name"], "token");
}

/// lookup-self of a lab's root token, with what every root token has in common.
async fn root_lookup(lab: &Lab) -> Value {
    let lookup = lab
        .root("GET", "auth/token/lookup-self", None)
        .await
        .expect(200);
    let data = lookup.data().clone();
    assert_eq!(data["id"], lab.root.as_str());
    assert_eq!(data["policies"], json!(["root"]));
    assert_eq!(data["expire_time"], Value::Null);
    assert_eq!(data["ttl"], 0);
    assert_eq!(data["creation_ttl"], 0);
    assert_eq!(data["orphan"], true);
    assert_eq!(data["meta"], Value::Null);
    data
}

#[tokio::test]
async fn lookup_and_lookup_accessor_show_another_token() {
    let lab = Lab::new().await;
    let created = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "policies": ["web"] })),
        )
        .await
        .expect(200);
    let token = created.client_token();
    let accessor = created.body["auth"]["accessor"].as_str().unwrap();
    let by_token = lab
        .root("POST", "auth/token/lookup", Some(json!({ "token": token })))
        .await
        .expect(200);
    assert_eq!(by_token.data()["id"], token.as_str());
    assert_eq!(by_token.data()["policies"], json!(["default", "web"]));
    let by_accessor = lab
        .root(
            "POST",
            "auth/token/lookup-accessor",
            Some(json!({ "accessor": accessor })),
        )
        .await
        .expect(200);
    assert_eq!(by_accessor.data()["id"], "", "the token itself is withheld");
    assert_eq!(by_accessor.data()["accessor"], accessor);
    assert_eq!(by_accessor.data()["policies"], json!(["default", "web"]));

    let bad = lab
        .root(
            "POST",
            "auth/token/lookup",
            Some(json!({ "token": "hvs.nonexistent" })),
        )
        .await
        .expect(403);
    assert_eq!(bad.errors(), vec!["bad token"]);
    let missing_accessor = lab
        .root("POST", "auth/token/lookup-accessor", Some(json!({})))
        .await
        .expect(400);
    assert!(missing_accessor.errors()[0].contains("missing accessor"));
    let unknown_accessor = lab
        .root(
            "POST",
            "auth/token/lookup-accessor",
            Some(json!({ "accessor": "nope" })),
        )
        .await
        .expect(400);
    assert!(unknown_accessor.errors()[0].contains("invalid accessor"));
}

#[tokio::test]
async fn renew_self_extends_by_the_increment() {
    let lab = Lab::new().await;
    let token = lab
        .token(json!({ "policies": ["default"], "ttl": "10m" }))
        .await;
    let renewed = lab
        .call(
            "POST",
            "auth/token/renew-self",
            Some(&token),
            Some(json!({ "increment": "30m" })),
        )
        .await
        .expect(200);
    let auth = &renewed.body["auth"];
    assert_eq!(auth["client_token"], token.as_str());
    assert_eq!(auth["lease_duration"], 1800);
    assert_eq!(auth["renewable"], true);
    assert_eq!(auth["policies"], json!(["default"]));
    assert_eq!(renewed.body["warnings"], Value::Null);
    let in_seconds = lab
        .call(
            "POST",
            "auth/token/renew-self",
            Some(&token),
            Some(json!({ "increment": 600 })),
        )
        .await
        .expect(200);
    assert_eq!(in_seconds.body["auth"]["lease_duration"], 600);
    let lookup = lab
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(200);
    let ttl = lookup.data()["ttl"].as_u64().unwrap();
    assert!((590..=600).contains(&ttl), "ttl {ttl}");
}

#[tokio::test]
async fn renewal_is_capped_by_the_explicit_max_ttl_with_a_warning() {
    let lab = Lab::new().await;
    let token = lab
        .token(json!({ "policies": ["default"], "ttl": "10m", "explicit_max_ttl": "1h" }))
        .await;
    let renewed = lab
        .call(
            "POST",
            "auth/token/renew-self",
            Some(&token),
            Some(json!({ "increment": "2h" })),
        )
        .await
        .expect(200);
    let lease = renewed.body["auth"]["lease_duration"].as_u64().unwrap();
    assert!((3590..=3600).contains(&lease), "lease {lease}");
    let warnings = renewed.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    // The SDK's humanDuration drops zero units: "2h", not Go's "2h0m0s".
    assert!(
        warnings[0].starts_with("TTL of \"2h\" exceeded the effective max_ttl of \"")
            && warnings[0].ends_with("\"; TTL value is capped accordingly"),
        "{warnings:?}"
    );
}

#[tokio::test]
async fn tokens_that_never_expire_or_refuse_renewal_are_not_renewable() {
    let lab = Lab::new().await;
    let root = lab
        .root("POST", "auth/token/renew-self", Some(json!({})))
        .await
        .expect(400);
    assert_eq!(root.errors(), vec!["lease is not renewable"]);
    let fixed = lab
        .token(json!({ "policies": ["default"], "renewable": false }))
        .await;
    let created = lab
        .call("GET", "auth/token/lookup-self", Some(&fixed), None)
        .await
        .expect(200);
    assert_eq!(created.data()["renewable"], false);
    let refused = lab
        .call(
            "POST",
            "auth/token/renew-self",
            Some(&fixed),
            Some(json!({})),
        )
        .await
        .expect(400);
    assert_eq!(refused.errors(), vec!["lease is not renewable"]);
}

#[tokio::test]
async fn renew_names_the_token_in_the_body() {
    let lab = Lab::new().await;
    let token = lab
        .token(json!({ "policies": ["default"], "ttl": "10m" }))
        .await;
    let renewed = lab
        .root(
            "POST",
            "auth/token/renew",
            Some(json!({ "token": token, "increment": "20m" })),
        )
        .await
        .expect(200);
    assert_eq!(renewed.body["auth"]["lease_duration"], 1200);
    let missing = lab
        .root("POST", "auth/token/renew", Some(json!({})))
        .await
        .expect(400);
    assert_eq!(missing.errors(), vec!["missing token ID"]);
    let unknown = lab
        .root(
            "POST",
            "auth/token/renew",
            Some(json!({ "token": "hvs.nonexistent" })),
        )
        .await
        .expect(400);
    assert_eq!(unknown.errors(), vec!["token not found"]);
}

async fn assert_revoked(lab: &Lab, token: &str) {
    let answer = lab
        .call("GET", "auth/token/lookup-self", Some(token), None)
        .await
        .expect(403);
    assert_eq!(
        answer.errors(),
        differences::invalid_token_errors(lab.flavor())
    );
}

#[tokio::test]
async fn revoke_self_revoke_and_revoke_accessor() {
    let lab = Lab::new().await;
    let own = lab.token_with(&["default"]).await;
    let answer = lab
        .call("POST", "auth/token/revoke-self", Some(&own), None)
        .await
        .expect(204);
    assert_eq!(answer.body, Value::Null);
    assert_revoked(&lab, &own).await;

    let other = lab.token_with(&["default"]).await;
    lab.root("POST", "auth/token/revoke", Some(json!({ "token": other })))
        .await
        .expect(204);
    assert_revoked(&lab, &other).await;
    // Revoking what does not exist (any more) still succeeds.
    lab.root("POST", "auth/token/revoke", Some(json!({ "token": other })))
        .await
        .expect(204);
    let missing = lab
        .root("POST", "auth/token/revoke", Some(json!({})))
        .await
        .expect(400);
    assert_eq!(missing.errors(), vec!["missing token ID"]);

    let created = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "policies": ["default"] })),
        )
        .await
        .expect(200);
    let accessor = created.body["auth"]["accessor"].as_str().unwrap();
    lab.root(
        "POST",
        "auth/token/revoke-accessor",
        Some(json!({ "accessor": accessor })),
    )
    .await
    .expect(204);
    assert_revoked(&lab, &created.client_token()).await;
    let again = lab
        .root(
            "POST",
            "auth/token/revoke-accessor",
            Some(json!({ "accessor": accessor })),
        )
        .await
        .expect(200);
    assert_eq!(again.warnings(), ["No token found with this accessor"]);
    let no_accessor = lab
        .root("POST", "auth/token/revoke-accessor", Some(json!({})))
        .await
        .expect(400);
    assert!(no_accessor.errors()[0].contains("missing accessor"));
}

#[tokio::test]
async fn revoking_a_parent_revokes_its_children_but_not_orphans() {
    let lab = Lab::new().await;
    lab.write_policy("creator", CREATOR).await;
    let parent = lab.token_with(&["creator"]).await;
    let create = |token: String, path: &'static str| {
        let lab = &lab;
        async move {
            lab.call("POST", path, Some(&token), Some(json!({})))
                .await
                .expect(200)
                .client_token()
        }
    };
    let child = create(parent.clone(), "auth/token/create").await;
    let grandchild = create(child.clone(), "auth/token/create").await;
    let orphan = create(parent.clone(), "auth/token/create-orphan").await;
    lab.root(
        "POST",
        "auth/token/revoke",
        Some(json!({ "token": parent })),
    )
    .await
    .expect(204);
    for token in [&parent, &child, &grandchild] {
        assert_revoked(&lab, token).await;
    }
    lab.call("GET", "auth/token/lookup-self", Some(&orphan), None)
        .await
        .expect(200);
}

#[tokio::test]
async fn a_token_is_rejected_once_its_ttl_has_passed() {
    let lab = Lab::new().await;
    let created = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "policies": ["default"], "ttl": "1s" })),
        )
        .await
        .expect(200);
    assert_eq!(created.body["auth"]["lease_duration"], 1);
    let token = created.client_token();
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_revoked(&lab, &token).await;
    let lookup = lab
        .root("POST", "auth/token/lookup", Some(json!({ "token": token })))
        .await
        .expect(403);
    assert_eq!(lookup.errors(), vec!["bad token"]);
}

#[tokio::test]
async fn a_limited_use_token_is_gone_after_its_last_use() {
    let lab = Lab::new().await;
    let created = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "policies": ["default"], "num_uses": 3 })),
        )
        .await
        .expect(200);
    assert_eq!(created.body["auth"]["num_uses"], 3);
    let token = created.client_token();
    let first = lab
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(200);
    assert_eq!(first.data()["num_uses"], 2, "this request used one");
    lab.call(
        "POST",
        "cubbyhole/note",
        Some(&token),
        Some(json!({ "a": "b" })),
    )
    .await
    .expect(204);
    // The last use may look at itself: Vault shows the pending revocation as -1.
    let last = lab
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(200);
    assert_eq!(last.data()["num_uses"], -1);
    assert_revoked(&lab, &token).await;
    // capabilities-self looks the token up afresh, and on its last use it is already gone.
    let once = lab.token(json!({ "num_uses": 1 })).await;
    let capabilities = lab
        .call(
            "POST",
            "sys/capabilities-self",
            Some(&once),
            Some(json!({ "paths": ["cubbyhole/note"] })),
        )
        .await
        .expect(400);
    assert_eq!(
        capabilities.errors(),
        ["1 error occurred:\n\t* invalid token\n\n"]
    );
    assert_revoked(&lab, &once).await;
    // A use-limited token may not create children that would escape its limit.
    lab.write_policy("creator", CREATOR).await;
    let limited = lab
        .token(json!({ "policies": ["creator"], "num_uses": 5 }))
        .await;
    let refused = lab
        .call("POST", "auth/token/create", Some(&limited), Some(json!({})))
        .await
        .expect(400);
    assert_eq!(
        refused.errors(),
        vec!["restricted use token cannot generate child tokens"]
    );
}

#[tokio::test]
async fn the_token_may_come_as_a_bearer_token() {
    let lab = Lab::new().await;
    let bearer = format!("Bearer {}", lab.root);
    let answer = lab
        .send(
            "GET",
            "auth/token/lookup-self",
            &[("Authorization", &bearer)],
            None,
        )
        .await
        .expect(200);
    assert_eq!(answer.data()["id"], lab.root.as_str());
    // Other schemes are not tokens.
    let basic = lab
        .send(
            "GET",
            "auth/token/lookup-self",
            &[("Authorization", "Basic dXNlcjpwYXNz")],
            None,
        )
        .await
        .expect(403);
    assert_eq!(basic.errors(), vec!["permission denied"]);
}

#[tokio::test]
async fn no_token_is_permission_denied() {
    let lab = Lab::new().await;
    for (method, path) in [
        ("GET", "auth/token/lookup-self"),
        ("POST", "auth/token/create"),
        ("GET", "sys/mounts"),
        ("GET", "cubbyhole/x"),
    ] {
        let answer = lab.call(method, path, None, None).await.expect(403);
        assert_eq!(answer.body, json!({ "errors": ["permission denied"] }));
    }
}

// --- Renewals and warnings ------------------------------------------------------------------

#[tokio::test]
async fn renew_and_renew_accessor_take_an_increment() {
    let lab = Lab::new().await;
    let token = lab
        .token(json!({ "policies": ["default"], "ttl": "10m" }))
        .await;
    let renewed = lab
        .root(
            "POST",
            "auth/token/renew",
            Some(json!({ "token": token, "increment": "20m" })),
        )
        .await
        .expect(200);
    assert_eq!(renewed.body["auth"]["lease_duration"], 1200);
    assert_eq!(renewed.body["auth"]["client_token"], token.as_str());
    assert_eq!(renewed.body["warnings"], Value::Null);
    // Without an increment a renewal asks for the lease's last TTL again.
    let again = lab
        .call(
            "POST",
            "auth/token/renew-self",
            Some(&token),
            Some(json!({})),
        )
        .await
        .expect(200);
    assert_eq!(again.body["auth"]["lease_duration"], 1200);
    let accessor = lab
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(200)
        .data()["accessor"]
        .clone();
    let by_accessor = lab
        .root(
            "POST",
            "auth/token/renew-accessor",
            Some(json!({ "accessor": accessor, "increment": 300 })),
        )
        .await
        .expect(200);
    assert_eq!(by_accessor.body["auth"]["lease_duration"], 300);
    // The token itself is not handed to whoever holds only its accessor.
    assert_eq!(by_accessor.body["auth"]["client_token"], "");
    let missing = lab
        .root("POST", "auth/token/renew", Some(json!({})))
        .await
        .expect(400);
    assert_eq!(missing.errors(), ["missing token ID"]);
    for (body, refusal) in [
        (json!({}), "missing accessor"),
        (json!({ "accessor": "nope" }), "invalid accessor"),
    ] {
        let refused = lab
            .root("POST", "auth/token/renew-accessor", Some(body))
            .await
            .expect(400);
        assert_eq!(
            refused.errors(),
            [format!("1 error occurred:\n\t* {refusal}\n\n")]
        );
    }
}

#[tokio::test]
async fn a_token_created_not_renewable_refuses_every_renewal() {
    let lab = Lab::new().await;
    let token = lab
        .token(json!({ "policies": ["default"], "ttl": "1h", "renewable": false }))
        .await;
    let own = lab
        .call(
            "POST",
            "auth/token/renew-self",
            Some(&token),
            Some(json!({})),
        )
        .await
        .expect(400);
    assert_eq!(own.errors(), ["lease is not renewable"]);
    let by_root = lab
        .root("POST", "auth/token/renew", Some(json!({ "token": token })))
        .await
        .expect(400);
    assert_eq!(by_root.errors(), ["lease is not renewable"]);
}

#[tokio::test]
async fn creation_warns_when_it_caps_a_ttl_or_takes_a_custom_id() {
    let lab = Lab::new().await;
    for (params, warning, lease) in [
        (
            json!({ "ttl": "2h", "explicit_max_ttl": "1h" }),
            "TTL of \"2h\" exceeded the effective max_ttl of \"1h\"; TTL value is capped accordingly",
            3600,
        ),
        (
            json!({ "ttl": "1000h" }),
            "TTL of \"1000h\" exceeded the effective max_ttl of \"768h\"; TTL value is capped accordingly",
            2764800,
        ),
        (
            json!({ "period": "1000h" }),
            "period of \"1000h\" exceeded the effective max_ttl of \"768h\"; period value is capped accordingly",
            2764800,
        ),
    ] {
        let mut params = params;
        params["policies"] = json!(["default"]);
        let created = lab
            .root("POST", "auth/token/create", Some(params.clone()))
            .await
            .expect(200);
        assert_eq!(created.warnings(), [warning], "{params}");
        assert_eq!(created.body["auth"]["lease_duration"], lease, "{params}");
    }
    let custom = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "id": "my-custom-id", "policies": ["default"] })),
        )
        .await
        .expect(200);
    assert_eq!(custom.client_token(), "my-custom-id");
    assert_eq!(
        custom.warnings(),
        ["Supplying a custom ID for the token uses the weaker SHA1 hashing instead of the more secure SHA2-256 HMAC for token obfuscation. SHA1 hashed tokens on the wire leads to less secure lookups."]
    );
    // Policy names are lowercased without a word; only a missing policy is warned about.
    let upper = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "policies": ["Default", "WEB"] })),
        )
        .await
        .expect(200);
    assert_eq!(upper.body["auth"]["policies"], json!(["default", "web"]));
    assert_eq!(upper.warnings(), ["Policy \"web\" does not exist"]);
}
