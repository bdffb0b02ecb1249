//! Secrets engines (`sys/mounts`) and auth methods (`sys/auth`): listing, enabling,
//! reading, tuning and disabling — against Vault's docs and source.

mod common;

use common::{differences, Lab};
use serde_json::{json, Value};

/// The fields Vault shows for every mount (`mountInfo`).
const MOUNT_FIELDS: &[&str] = &[
    "accessor",
    "config",
    "description",
    "external_entropy_access",
    "local",
    "options",
    "plugin_version",
    "running_plugin_version",
    "running_sha256",
    "seal_wrap",
    "type",
    "uuid",
];

fn assert_mount_info(info: &Value) {
    for field in MOUNT_FIELDS {
        assert!(
            info.get(*field).is_some(),
            "mount info lacks {field}: {info}"
        );
    }
}

#[tokio::test]
async fn the_default_mounts_are_listed_and_injected() {
    // Initialized, not dev: a dev server adds KV at `secret/`.
    let lab = Lab::initialized(1, 1).await;
    let listed = lab.root("GET", "sys/mounts", None).await.expect(200);
    let data = listed.data().as_object().unwrap();
    let mut paths: Vec<&String> = data.keys().collect();
    paths.sort();
    assert_eq!(paths, ["cubbyhole/", "identity/", "sys/"]);
    for (path, info) in data {
        assert_mount_info(info);
        assert_eq!(
            &listed.body[path], info,
            "{path} is injected at the top level"
        );
        assert_eq!(info["config"]["default_lease_ttl"], 0);
        assert_eq!(info["config"]["max_lease_ttl"], 0);
        assert_eq!(info["config"]["force_no_cache"], false);
        assert!(
            info.get("deprecation_status").is_none(),
            "core mounts have no deprecation status: {path}"
        );
    }
    let cubbyhole = &data["cubbyhole/"];
    assert_eq!(cubbyhole["type"], "cubbyhole");
    assert_eq!(cubbyhole["description"], "per-token private secret storage");
    assert_eq!(cubbyhole["local"], true);
    assert_eq!(cubbyhole["options"], Value::Null);
    assert!(cubbyhole["accessor"]
        .as_str()
        .unwrap()
        .starts_with("cubbyhole_"));
    assert_eq!(data["sys/"]["type"], "system");
    assert!(data["sys/"]["accessor"]
        .as_str()
        .unwrap()
        .starts_with("system_"));
    assert_eq!(
        data["sys/"]["config"]["passthrough_request_headers"],
        json!(["Accept"])
    );
    assert_eq!(data["identity/"]["type"], "identity");
    assert_eq!(
        data["identity/"]["config"]["passthrough_request_headers"],
        json!(["Authorization"])
    );
    // LIST asks for `sys/mounts/`, a path the system backend does not have.
    let listed = lab.root("LIST", "sys/mounts", None).await.expect(404);
    assert_eq!(
        listed.errors(),
        ["1 error occurred:\n\t* unsupported path\n\n"]
    );
    lab.root("DELETE", "sys/mounts", None).await.expect(405);
}

#[tokio::test]
async fn enabling_kv_with_its_versions_and_aliases() {
    let lab = Lab::new().await;
    for (path, body, options) in [
        // The framework reads an absent `options` as an empty map, and keeps it.
        ("plain", json!({ "type": "kv" }), json!({})),
        (
            "v1",
            json!({ "type": "kv", "options": { "version": "1" } }),
            json!({ "version": "1" }),
        ),
        (
            "v2",
            json!({ "type": "kv", "options": { "version": "2" } }),
            json!({ "version": "2" }),
        ),
        (
            "alias-v2",
            json!({ "type": "kv-v2" }),
            json!({ "version": "2" }),
        ),
        (
            "alias-v1",
            json!({ "type": "kv-v1" }),
            json!({ "version": "1" }),
        ),
    ] {
        let answer = lab
            .root("POST", &format!("sys/mounts/{path}"), Some(body))
            .await
            .expect(204);
        assert_eq!(answer.body, Value::Null);
        let info = lab
            .root("GET", &format!("sys/mounts/{path}"), None)
            .await
            .expect(200);
        assert_eq!(info.data()["type"], "kv", "{path}");
        assert_eq!(info.data()["options"], options, "{path}");
    }
    let described = lab
        .root(
            "POST",
            "sys/mounts/team/secrets",
            Some(json!({ "type": "kv-v2", "description": "team secrets" })),
        )
        .await
        .expect(204);
    assert_eq!(described.body, Value::Null);
    let listed = lab.root("GET", "sys/mounts", None).await.expect(200);
    let team = &listed.data()["team/secrets/"];
    assert_mount_info(team);
    assert_eq!(team["description"], "team secrets");
    assert_eq!(team["deprecation_status"], "supported");
    let accessor = team["accessor"].as_str().unwrap();
    assert!(
        accessor.starts_with("kv_") && accessor.len() == "kv_".len() + 8,
        "{accessor}"
    );
    // The new mount serves requests at once, nested path and all.
    lab.root(
        "POST",
        "team/secrets/data/app",
        Some(json!({ "data": { "a": "b" } })),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn enabling_refuses_what_vault_refuses() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    let cases = [
        (
            "nope",
            json!({ "type": "nonexistent" }),
            "plugin not found in the catalog: nonexistent",
        ),
        (
            "kv",
            json!({ "type": "kv" }),
            "path is already in use at kv/",
        ),
        (
            "kv/nested",
            json!({ "type": "kv" }),
            "path is already in use at kv/",
        ),
        ("sys/x", json!({ "type": "kv" }), "cannot mount \"sys/x/\""),
        (
            "cubbyhole",
            json!({ "type": "kv" }),
            "cannot mount \"cubbyhole/\"",
        ),
        (
            "auth/x",
            json!({ "type": "kv" }),
            "cannot mount \"auth/x/\"",
        ),
        (
            "second-cubbyhole",
            json!({ "type": "cubbyhole" }),
            "mount type of \"cubbyhole\" is not mountable",
        ),
        (
            "untyped",
            json!({ "description": "no type" }),
            "backend type must be specified as a string",
        ),
        (
            "bad-visibility",
            json!({ "type": "kv", "config": { "listing_visibility": "everyone" } }),
            "invalid listing_visibility everyone",
        ),
        (
            "bad-ttls",
            json!({ "type": "kv", "config": { "default_lease_ttl": "2h", "max_lease_ttl": "1h" } }),
            "given default lease TTL greater than given max lease TTL",
        ),
    ];
    for (path, body, message) in cases {
        let answer = lab
            .root("POST", &format!("sys/mounts/{path}"), Some(body))
            .await
            .expect(400);
        assert_eq!(answer.errors(), vec![message], "enabling at {path}");
    }
}

#[tokio::test]
async fn reading_one_mount_finds_it_by_longest_prefix() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    let direct = lab.root("GET", "sys/mounts/kv", None).await.expect(200);
    assert_mount_info(direct.data());
    assert_eq!(direct.body["type"], "kv", "injected at the top level");
    let deep = lab
        .root("GET", "sys/mounts/kv/data/some/secret", None)
        .await
        .expect(200);
    assert_eq!(deep.data()["uuid"], direct.data()["uuid"]);
    let missing = lab.root("GET", "sys/mounts/nope", None).await.expect(400);
    assert_eq!(missing.errors(), vec!["No secret engine mount at nope/"]);
}

#[tokio::test]
async fn tune_shows_effective_settings() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    let tune = lab
        .root("GET", "sys/mounts/kv/tune", None)
        .await
        .expect(200);
    assert_eq!(
        tune.data(),
        &json!({
            "description": "",
            "default_lease_ttl": 2764800,
            "max_lease_ttl": 2764800,
            "force_no_cache": false,
            "options": { "version": "2" },
        })
    );
    assert_eq!(tune.body["default_lease_ttl"], 2764800, "injected");
    let missing = lab
        .root("GET", "sys/mounts/nope/tune", None)
        .await
        .expect(400);
    assert_eq!(
        missing.errors(),
        vec!["cannot fetch sysview for path \"nope/\""]
    );
}

#[tokio::test]
async fn tuning_takes_duration_strings_and_visibility() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 1).await;
    lab.root(
        "POST",
        "sys/mounts/kv/tune",
        Some(json!({
            "default_lease_ttl": "1h",
            "max_lease_ttl": "2h",
            "description": "tuned",
            "listing_visibility": "unauth",
        })),
    )
    .await
    .expect(204);
    let tune = lab
        .root("GET", "sys/mounts/kv/tune", None)
        .await
        .expect(200);
    assert_eq!(tune.data()["default_lease_ttl"], 3600);
    assert_eq!(tune.data()["max_lease_ttl"], 7200);
    assert_eq!(tune.data()["description"], "tuned");
    assert_eq!(tune.data()["listing_visibility"], "unauth");
    let listed = lab.root("GET", "sys/mounts", None).await.expect(200);
    let config = &listed.data()["kv/"]["config"];
    assert_eq!(config["default_lease_ttl"], 3600);
    assert_eq!(config["listing_visibility"], "unauth");
    // KV v1 reads carry the tuned default lease.
    lab.root("POST", "kv/app", Some(json!({ "a": "b" })))
        .await
        .expect(204);
    let read = lab.root("GET", "kv/app", None).await.expect(200);
    assert_eq!(read.body["lease_duration"], 3600);
    // "system" goes back to the system default.
    lab.root(
        "POST",
        "sys/mounts/kv/tune",
        Some(json!({ "default_lease_ttl": "system", "max_lease_ttl": "system" })),
    )
    .await
    .expect(204);
    let tune = lab
        .root("GET", "sys/mounts/kv/tune", None)
        .await
        .expect(200);
    assert_eq!(tune.data()["default_lease_ttl"], 2764800);
    assert_eq!(tune.data()["max_lease_ttl"], 2764800);

    for (path, body, message) in [
        (
            "kv",
            json!({ "default_lease_ttl": "3h", "max_lease_ttl": "1h" }),
            // Tuning words it otherwise than enabling does (handleTuneWriteCommon).
            "backend max lease TTL of 3600 would be less than backend default lease TTL of 10800",
        ),
        (
            "kv",
            json!({ "listing_visibility": "everyone" }),
            "invalid listing_visibility everyone",
        ),
        (
            "nope",
            json!({ "description": "x" }),
            "tune of path \"nope/\" failed: no mount entry found",
        ),
    ] {
        let answer = lab
            .root("POST", &format!("sys/mounts/{path}/tune"), Some(body))
            .await
            .expect(400);
        assert_eq!(answer.errors(), vec![message], "tuning {path}");
    }
    for untunable in ["sys/", "cubbyhole/"] {
        let answer = lab
            .root(
                "POST",
                &format!("sys/mounts/{untunable}tune"),
                Some(json!({ "description": "x" })),
            )
            .await
            .expect(400);
        let refusal = differences::untunable_mount_error(lab.flavor(), untunable, "description");
        assert_eq!(answer.errors(), vec![refusal], "tuning {untunable}");
    }
}

#[tokio::test]
async fn upgrading_kv_v1_to_v2_keeps_the_data_as_version_1() {
    let lab = Lab::new().await;
    lab.enable_kv("legacy", 1).await;
    lab.root(
        "POST",
        "legacy/app",
        Some(json!({ "password": "hunter2", "port": 5432 })),
    )
    .await
    .expect(204);
    lab.root("POST", "legacy/team/db", Some(json!({ "user": "admin" })))
        .await
        .expect(204);
    let upgraded = lab
        .root(
            "POST",
            "sys/mounts/legacy/tune",
            Some(json!({ "options": { "version": "2" } })),
        )
        .await
        .expect(200);
    assert_eq!(
        upgraded.warnings(),
        vec![differences::kv_upgrade_warning(lab.flavor())]
    );
    let read = lab.root("GET", "legacy/data/app", None).await.expect(200);
    assert_eq!(
        read.data()["data"],
        json!({ "password": "hunter2", "port": 5432 })
    );
    assert_eq!(read.data()["metadata"]["version"], 1);
    assert_eq!(read.data()["metadata"]["deletion_time"], "");
    let nested = lab
        .root("GET", "legacy/data/team/db", None)
        .await
        .expect(200);
    assert_eq!(nested.data()["data"], json!({ "user": "admin" }));
    let listed = lab.root("LIST", "legacy/metadata", None).await.expect(200);
    assert_eq!(listed.data()["keys"], json!(["app", "team/"]));
    let options = lab.root("GET", "sys/mounts/legacy", None).await.expect(200);
    assert_eq!(options.data()["options"], json!({ "version": "2" }));
    let downgrade = lab
        .root(
            "POST",
            "sys/mounts/legacy/tune",
            Some(json!({ "options": { "version": "1" } })),
        )
        .await
        .expect(400);
    assert_eq!(
        downgrade.errors(),
        vec!["cannot downgrade mount from version 2"]
    );
}

#[tokio::test]
async fn disabling_a_mount_removes_its_data() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 1).await;
    lab.root("POST", "kv/app", Some(json!({ "a": "b" })))
        .await
        .expect(204);
    let answer = lab.root("DELETE", "sys/mounts/kv", None).await.expect(204);
    assert_eq!(answer.body, Value::Null);
    let gone = lab.root("GET", "kv/app", None).await.expect(404);
    assert!(gone.errors()[0].starts_with("no handler for route \"kv/app\""));
    // Disabling what is not mounted succeeds too, so as not to reveal what exists.
    lab.root("DELETE", "sys/mounts/kv", None).await.expect(204);
    lab.enable_kv("kv", 1).await;
    lab.root("GET", "kv/app", None).await.expect(404);
    for path in ["sys", "cubbyhole", "identity"] {
        let refused = lab
            .root("DELETE", &format!("sys/mounts/{path}"), None)
            .await
            .expect(400);
        assert_eq!(
            refused.errors(),
            vec![format!("cannot unmount \"{path}/\"")]
        );
    }
}

#[tokio::test]
async fn auth_methods_are_listed_enabled_and_read() {
    let lab = Lab::new().await;
    let listed = lab.root("GET", "sys/auth", None).await.expect(200);
    let token = &listed.data()["token/"];
    assert_mount_info(token);
    assert_eq!(token["type"], "token");
    assert_eq!(token["description"], "token based credentials");
    assert_eq!(token["config"]["token_type"], "default-service");
    assert!(token["accessor"]
        .as_str()
        .unwrap()
        .starts_with("auth_token_"));
    assert_eq!(&listed.body["token/"], token, "injected at the top level");

    lab.enable_userpass("userpass").await;
    let read = lab.root("GET", "sys/auth/userpass", None).await.expect(200);
    assert_mount_info(read.data());
    assert_eq!(read.data()["type"], "userpass");
    assert_eq!(read.body["type"], "userpass");
    assert_eq!(read.data()["config"]["token_type"], "default-service");
    assert!(read.data()["accessor"]
        .as_str()
        .unwrap()
        .starts_with("auth_userpass_"));
    let listed = lab.root("GET", "sys/auth", None).await.expect(200);
    assert_eq!(listed.data()["userpass/"]["uuid"], read.data()["uuid"]);

    for (method, path, body, message) in [
        (
            "POST",
            "sys/auth/userpass",
            Some(json!({ "type": "userpass" })),
            "path is already in use at userpass/",
        ),
        (
            "POST",
            "sys/auth/other-token",
            Some(json!({ "type": "token" })),
            "token credential backend cannot be instantiated",
        ),
        (
            "POST",
            "sys/auth/ldap",
            Some(json!({ "type": "ldap-nonexistent" })),
            "plugin not found in the catalog: ldap-nonexistent",
        ),
        ("GET", "sys/auth/nope", None, "No auth engine at nope/"),
        (
            "DELETE",
            "sys/auth/token",
            None,
            "token credential backend cannot be disabled",
        ),
    ] {
        let answer = lab.root(method, path, body).await.expect(400);
        assert_eq!(answer.errors(), vec![message], "{method} {path}");
    }
    lab.root("DELETE", "sys/auth/nope", None).await.expect(204);
    lab.root("DELETE", "sys/auth/userpass", None)
        .await
        .expect(204);
    lab.root("GET", "sys/auth/userpass", None).await.expect(400);
}

#[tokio::test]
async fn disabling_an_auth_method_revokes_the_tokens_it_issued() {
    let lab = Lab::new().await;
    lab.enable_userpass("userpass").await;
    lab.root(
        "POST",
        "auth/userpass/users/alice",
        Some(json!({ "password": "pw" })),
    )
    .await
    .expect(204);
    let token = lab
        .call(
            "POST",
            "auth/userpass/login/alice",
            None,
            Some(json!({ "password": "pw" })),
        )
        .await
        .expect(200)
        .client_token();
    let other = lab.token_with(&["default"]).await;
    lab.call("GET", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(200);
    lab.root("DELETE", "sys/auth/userpass", None)
        .await
        .expect(204);
    let revoked = lab
        .call("GET", "auth/token/lookup-self", Some(&token), None)
        .await
        .expect(403);
    assert_eq!(
        revoked.errors(),
        differences::invalid_token_errors(lab.flavor())
    );
    lab.call("GET", "auth/token/lookup-self", Some(&other), None)
        .await
        .expect(200);
    // Its users are gone with it.
    lab.enable_userpass("userpass").await;
    lab.call(
        "POST",
        "auth/userpass/login/alice",
        None,
        Some(json!({ "password": "pw" })),
    )
    .await
    .expect(400);
}

#[tokio::test]
async fn an_auth_method_is_tuned_without_sudo_through_sys_mounts() {
    let lab = Lab::new().await;
    lab.enable_userpass("userpass").await;
    lab.write_policy(
        "auth-tuner",
        r#"
path "sys/mounts/auth/userpass/tune" { capabilities = ["read", "update"] }
path "sys/auth/userpass/tune" { capabilities = ["read", "update"] }
"#,
    )
    .await;
    let token = lab.token_with(&["auth-tuner"]).await;
    let before = lab
        .call("GET", "sys/mounts/auth/userpass/tune", Some(&token), None)
        .await
        .expect(200);
    assert_eq!(
        before.data(),
        &json!({
            "description": "",
            "default_lease_ttl": 2764800,
            "max_lease_ttl": 2764800,
            "force_no_cache": false,
            "token_type": "default-service",
        })
    );
    lab.call(
        "POST",
        "sys/mounts/auth/userpass/tune",
        Some(&token),
        Some(json!({ "default_lease_ttl": "1h" })),
    )
    .await
    .expect(204);
    // sys/auth/… is root-protected: the same capabilities without sudo are not enough.
    let denied = lab
        .call("GET", "sys/auth/userpass/tune", Some(&token), None)
        .await
        .expect(403);
    assert_eq!(
        denied.errors(),
        vec!["1 error occurred:\n\t* permission denied\n\n"]
    );
    let after = lab
        .root("GET", "sys/auth/userpass/tune", None)
        .await
        .expect(200);
    assert_eq!(after.data()["default_lease_ttl"], 3600);
    // Logins get the tuned default.
    lab.root(
        "POST",
        "auth/userpass/users/alice",
        Some(json!({ "password": "pw" })),
    )
    .await
    .expect(204);
    let login = lab
        .call(
            "POST",
            "auth/userpass/login/alice",
            None,
            Some(json!({ "password": "pw" })),
        )
        .await
        .expect(200);
    assert_eq!(login.body["auth"]["lease_duration"], 3600);
}

#[tokio::test]
async fn the_plugin_catalog_lists_what_can_be_mounted() {
    let lab = Lab::new().await;
    let catalog = lab
        .root("GET", "sys/plugins/catalog", None)
        .await
        .expect(200);
    for (kind, name) in [
        ("auth", "userpass"),
        ("auth", "kubernetes"),
        ("secret", "kv"),
    ] {
        let names = catalog.data()[kind].as_array().unwrap();
        assert!(
            names.contains(&json!(name)),
            "{kind}/{name} missing: {}",
            catalog.body
        );
        let detailed = catalog.data()["detailed"].as_array().unwrap();
        assert!(
            detailed
                .iter()
                .any(|p| p["name"] == name && p["type"] == kind && p["builtin"] == true),
            "{}",
            catalog.body
        );
    }
    let listed = lab
        .root("LIST", "sys/plugins/catalog/secret", None)
        .await
        .expect(200);
    assert!(listed.data()["keys"]
        .as_array()
        .unwrap()
        .contains(&json!("kv")));
    let kv = lab
        .root("GET", "sys/plugins/catalog/secret/kv", None)
        .await
        .expect(200);
    assert_eq!(kv.data()["builtin"], true);
    assert_eq!(kv.data()["name"], "kv");
    lab.root("GET", "sys/plugins/catalog/secret/nosuch", None)
        .await
        .expect(404);
    // Every type the catalog lists mounts.
    for name in catalog.data()["secret"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        if name == "kv" {
            continue; // mounted by the dev server already, and tested on its own
        }
        lab.root(
            "POST",
            &format!("sys/mounts/catalog-{name}"),
            Some(json!({ "type": name })),
        )
        .await
        .expect(204);
    }
    let nobody = lab.token_with(&["default"]).await;
    lab.call("GET", "sys/plugins/catalog", Some(&nobody), None)
        .await
        .expect(403);
}
