//! ACL policies: the policy endpoints (`sys/policies/acl`, legacy `sys/policy`), how
//! policies are enforced (Vault's path priority, `+`, deny, list, create vs update, sudo),
//! and the endpoints that report capabilities — against Vault's docs and source.

mod common;

use common::{differences, keys_of, Lab};
use serde_json::{json, Value};

const DENIED: &str = "1 error occurred:\n\t* permission denied\n\n";

fn assert_denied(answer: common::Answer) {
    let answer = answer.expect(403);
    assert_eq!(answer.errors(), vec![DENIED]);
}

#[tokio::test]
async fn listing_policies_puts_root_last() {
    let lab = Lab::new().await;
    for name in ["zeta", "alpha"] {
        lab.write_policy(name, r#"path "kv/*" { capabilities = ["read"] }"#)
            .await;
    }
    let listed = lab.root("LIST", "sys/policies/acl", None).await.expect(200);
    assert_eq!(
        listed.data(),
        &json!({ "keys": ["alpha", "default", "zeta", "root"] })
    );
    assert!(
        listed.body.get("keys").is_none(),
        "sys/policies/acl is not an injected route"
    );
    let queried = lab
        .root("GET", "sys/policies/acl?list=true", None)
        .await
        .expect(200);
    assert_eq!(queried.data(), listed.data());
    lab.root("GET", "sys/policies/acl", None).await.expect(405);
}

#[tokio::test]
async fn reading_a_policy() {
    let lab = Lab::new().await;
    let text = "# app\npath \"kv/data/app\" {\n  capabilities = [\"read\"]\n}\n";
    lab.write_policy("app", text).await;
    let read = lab
        .root("GET", "sys/policies/acl/app", None)
        .await
        .expect(200);
    let extra = differences::openbao_only_policy_fields(lab.flavor());
    assert_eq!(
        differences::without_fields(read.data(), extra),
        json!({ "name": "app", "policy": text })
    );
    let default = lab
        .root("GET", "sys/policies/acl/default", None)
        .await
        .expect(200);
    assert!(default.data()["policy"]
        .as_str()
        .unwrap()
        .contains("path \"auth/token/lookup-self\""));
    let root = lab
        .root("GET", "sys/policies/acl/root", None)
        .await
        .expect(200);
    assert_eq!(
        differences::without_fields(root.data(), extra),
        json!({ "name": "root", "policy": "" })
    );
    let missing = lab
        .root("GET", "sys/policies/acl/missing", None)
        .await
        .expect(404);
    assert_eq!(missing.body, json!({ "errors": [] }));
}

#[tokio::test]
async fn writing_policies_and_their_errors() {
    let lab = Lab::new().await;
    let answer = lab
        .root(
            "PUT",
            "sys/policies/acl/app",
            Some(json!({ "policy": r#"path "kv/*" { capabilities = ["read"] }"# })),
        )
        .await
        .expect(204);
    assert_eq!(answer.body, Value::Null);
    // JSON policies and base64-encoded text are accepted too.
    lab.root(
        "PUT",
        "sys/policies/acl/as-json",
        Some(json!({ "policy": r#"{"path": {"kv/*": {"capabilities": ["read"]}}}"# })),
    )
    .await
    .expect(204);
    lab.root(
        "PUT",
        "sys/policies/acl/as-base64",
        // path "kv/*" { capabilities = ["read"] }
        Some(json!({ "policy": "cGF0aCAia3YvKiIgeyBjYXBhYmlsaXRpZXMgPSBbInJlYWQiXSB9" })),
    )
    .await
    .expect(204);
    let decoded = lab
        .root("GET", "sys/policies/acl/as-base64", None)
        .await
        .expect(200);
    assert_eq!(
        decoded.data()["policy"],
        r#"path "kv/*" { capabilities = ["read"] }"#
    );
    let upper = lab
        .root(
            "PUT",
            "sys/policies/acl/MyApp",
            Some(json!({ "policy": r#"path "kv/*" { capabilities = ["read"] }"# })),
        )
        .await;
    let warning = differences::policy_name_converted_warning(lab.flavor(), "myapp");
    assert_eq!(upper.status, if warning.is_some() { 200 } else { 204 });
    assert_eq!(upper.warnings(), Vec::from_iter(warning));
    lab.root("GET", "sys/policies/acl/myapp", None)
        .await
        .expect(200);

    let root = lab
        .root(
            "PUT",
            "sys/policies/acl/root",
            Some(json!({ "policy": r#"path "*" { capabilities = ["read"] }"# })),
        )
        .await
        .expect(400);
    assert_eq!(root.errors(), vec!["cannot update \"root\" policy"]);
    let empty = lab
        .root("PUT", "sys/policies/acl/app", Some(json!({ "policy": "" })))
        .await
        .expect(400);
    assert_eq!(
        empty.errors(),
        vec!["'policy' parameter not supplied or empty"]
    );
    let bad_capability = lab
        .root(
            "PUT",
            "sys/policies/acl/app",
            Some(json!({ "policy": r#"path "secret/*" { capabilities = ["reed"] }"# })),
        )
        .await
        .expect(400);
    let message = &bad_capability.errors()[0];
    assert!(
        message.starts_with("failed to parse policy: ")
            && message.contains("path \"secret/*\": invalid capability \"reed\""),
        "{message}"
    );
    let syntax = lab
        .root(
            "PUT",
            "sys/policies/acl/app",
            Some(json!({ "policy": "path \"a\" {\n  capabilities = [\"read\"\n" })),
        )
        .await
        .expect(400);
    assert!(syntax.errors()[0].starts_with("failed to parse policy: "));
    // A failed write leaves the policy as it was.
    let kept = lab
        .root("GET", "sys/policies/acl/app", None)
        .await
        .expect(200);
    assert_eq!(
        kept.data()["policy"],
        r#"path "kv/*" { capabilities = ["read"] }"#
    );
}

#[tokio::test]
async fn deleting_policies() {
    let lab = Lab::new().await;
    lab.write_policy("app", r#"path "kv/*" { capabilities = ["read"] }"#)
        .await;
    lab.root("DELETE", "sys/policies/acl/app", None)
        .await
        .expect(204);
    lab.root("GET", "sys/policies/acl/app", None)
        .await
        .expect(404);
    lab.root("DELETE", "sys/policies/acl/app", None)
        .await
        .expect(204);
    let default = lab
        .root("DELETE", "sys/policies/acl/default", None)
        .await
        .expect(400);
    assert_eq!(default.errors(), vec!["cannot delete default policy"]);
    let root = lab
        .root("DELETE", "sys/policies/acl/root", None)
        .await
        .expect(400);
    assert_eq!(root.errors(), vec!["cannot delete \"root\" policy"]);
}

#[tokio::test]
async fn a_deleted_policy_stops_granting_at_once() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 1).await;
    lab.root("POST", "kv/app", Some(json!({ "a": "b" })))
        .await
        .expect(204);
    lab.write_policy("reader", r#"path "kv/*" { capabilities = ["read"] }"#)
        .await;
    let token = lab.token_with(&["reader"]).await;
    lab.call("GET", "kv/app", Some(&token), None)
        .await
        .expect(200);
    lab.root("DELETE", "sys/policies/acl/reader", None)
        .await
        .expect(204);
    assert_denied(lab.call("GET", "kv/app", Some(&token), None).await);
}

#[tokio::test]
async fn the_legacy_policy_endpoints_have_their_own_shapes() {
    let lab = Lab::new().await;
    lab.write_policy("app", r#"path "kv/*" { capabilities = ["read"] }"#)
        .await;
    let listed = lab.root("GET", "sys/policy", None).await.expect(200);
    let names = json!(["app", "default", "root"]);
    assert_eq!(listed.data(), &json!({ "keys": names, "policies": names }));
    assert_eq!(listed.body["keys"], names, "injected at the top level");
    assert_eq!(listed.body["policies"], names);
    let read = lab.root("GET", "sys/policy/app", None).await.expect(200);
    let extra = differences::openbao_only_policy_fields(lab.flavor());
    assert_eq!(
        differences::without_fields(read.data(), extra),
        json!({ "name": "app", "rules": r#"path "kv/*" { capabilities = ["read"] }"# })
    );
    assert_eq!(read.body["name"], "app");
    assert_eq!(read.body["rules"], read.data()["rules"]);
    lab.root(
        "PUT",
        "sys/policy/other",
        Some(json!({ "policy": r#"path "x" { capabilities = ["read"] }"# })),
    )
    .await
    .expect(204);
    let deprecated = lab
        .root(
            "PUT",
            "sys/policy/older",
            Some(json!({ "rules": r#"path "x" { capabilities = ["read"] }"# })),
        )
        .await
        .expect(200);
    assert_eq!(
        deprecated.warnings(),
        vec!["'rules' is deprecated, please use 'policy' instead"]
    );
    lab.root("DELETE", "sys/policy/other", None)
        .await
        .expect(204);
    let default = lab
        .root("DELETE", "sys/policy/default", None)
        .await
        .expect(400);
    assert_eq!(default.errors(), vec!["cannot delete default policy"]);
}

#[tokio::test]
async fn an_exact_path_beats_a_glob_and_the_longer_glob_wins() {
    let lab = Lab::new().await;
    lab.replace_secret_with_kv(1).await;
    for key in ["locked", "team/x", "other"] {
        lab.root("POST", &format!("secret/{key}"), Some(json!({ "v": key })))
            .await
            .expect(204);
    }
    lab.write_policy(
        "layered",
        r#"
path "secret/*" { capabilities = ["create", "read", "update"] }
path "secret/locked" { capabilities = ["read"] }
path "secret/team/*" { capabilities = ["deny"] }
"#,
    )
    .await;
    let token = lab.token_with(&["layered"]).await;
    lab.call(
        "POST",
        "secret/other",
        Some(&token),
        Some(json!({ "v": 2 })),
    )
    .await
    .expect(204);
    lab.call("GET", "secret/locked", Some(&token), None)
        .await
        .expect(200);
    assert_denied(
        lab.call(
            "POST",
            "secret/locked",
            Some(&token),
            Some(json!({ "v": 2 })),
        )
        .await,
    );
    assert_denied(lab.call("GET", "secret/team/x", Some(&token), None).await);
}

#[tokio::test]
async fn plus_stands_for_exactly_one_segment() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    for key in ["app1/config", "app1/other", "a/b/config"] {
        lab.root(
            "POST",
            &format!("kv/data/{key}"),
            Some(json!({ "data": { "k": "v" } })),
        )
        .await
        .expect(200);
    }
    lab.write_policy(
        "configs",
        r#"path "kv/data/+/config" { capabilities = ["read"] }"#,
    )
    .await;
    let token = lab.token_with(&["configs"]).await;
    lab.call("GET", "kv/data/app1/config", Some(&token), None)
        .await
        .expect(200);
    assert_denied(
        lab.call("GET", "kv/data/app1/other", Some(&token), None)
            .await,
    );
    assert_denied(
        lab.call("GET", "kv/data/a/b/config", Some(&token), None)
            .await,
    );
}

#[tokio::test]
async fn the_highest_priority_rule_decides_between_plus_and_glob() {
    let lab = Lab::new().await;
    lab.replace_secret_with_kv(1).await;
    lab.root("POST", "secret/foo/bar", Some(json!({ "a": "b" })))
        .await
        .expect(204);
    // Vault's docs: the first wildcard of "secret/foo/*" comes later than the `+` of
    // "secret/+/bar", so it wins for "secret/foo/bar" — though it grants less here.
    lab.write_policy(
        "both",
        r#"
path "secret/+/bar" { capabilities = ["read"] }
path "secret/foo/*" { capabilities = ["list"] }
"#,
    )
    .await;
    let token = lab.token_with(&["both"]).await;
    assert_denied(lab.call("GET", "secret/foo/bar", Some(&token), None).await);
    let caps = lab
        .call(
            "POST",
            "sys/capabilities-self",
            Some(&token),
            Some(json!({ "paths": ["secret/foo/bar", "secret/baz/bar"] })),
        )
        .await
        .expect(200);
    assert_eq!(caps.data()["secret/foo/bar"], json!(["list"]));
    assert_eq!(caps.data()["secret/baz/bar"], json!(["read"]));
}

#[tokio::test]
async fn deny_in_another_policy_on_the_same_path_wins() {
    let lab = Lab::new().await;
    lab.replace_secret_with_kv(1).await;
    lab.root("POST", "secret/x", Some(json!({ "a": "b" })))
        .await
        .expect(204);
    lab.write_policy("reader", r#"path "secret/*" { capabilities = ["read"] }"#)
        .await;
    lab.write_policy("blocker", r#"path "secret/*" { capabilities = ["deny"] }"#)
        .await;
    lab.write_policy("writer", r#"path "secret/*" { capabilities = ["update"] }"#)
        .await;
    let combined = lab.token_with(&["reader", "writer"]).await;
    let caps = lab
        .call(
            "POST",
            "sys/capabilities-self",
            Some(&combined),
            Some(json!({ "paths": ["secret/x"] })),
        )
        .await
        .expect(200);
    assert_eq!(caps.data()["capabilities"], json!(["read", "update"]));
    let blocked = lab.token_with(&["reader", "blocker"]).await;
    assert_denied(lab.call("GET", "secret/x", Some(&blocked), None).await);
    let caps = lab
        .call(
            "POST",
            "sys/capabilities-self",
            Some(&blocked),
            Some(json!({ "paths": ["secret/x"] })),
        )
        .await
        .expect(200);
    assert_eq!(caps.data()["capabilities"], json!(["deny"]));
}

#[tokio::test]
async fn listing_needs_list_on_the_path_with_its_trailing_slash() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.root(
        "POST",
        "kv/data/webapps/app_one",
        Some(json!({ "data": { "k": "v" } })),
    )
    .await
    .expect(200);
    lab.write_policy(
        "read-only",
        r#"path "kv/metadata/webapps/*" { capabilities = ["read"] }"#,
    )
    .await;
    lab.write_policy(
        "top-lister",
        r#"path "kv/metadata/" { capabilities = ["list"] }"#,
    )
    .await;
    lab.write_policy(
        "exact-lister",
        r#"path "kv/metadata/webapps" { capabilities = ["list"] }"#,
    )
    .await;
    let reader = lab.token_with(&["read-only"]).await;
    assert_denied(
        lab.call("LIST", "kv/metadata/webapps", Some(&reader), None)
            .await,
    );
    let top = lab.token_with(&["top-lister"]).await;
    let listed = lab
        .call("LIST", "kv/metadata", Some(&top), None)
        .await
        .expect(200);
    assert_eq!(listed.data()["keys"], json!(["webapps/"]));
    assert_denied(
        lab.call("LIST", "kv/metadata/webapps", Some(&top), None)
            .await,
    );
    // Vault lets a LIST of `p/` use an exact rule written as `p`.
    let exact = lab.token_with(&["exact-lister"]).await;
    let listed = lab
        .call("GET", "kv/metadata/webapps?list=true", Some(&exact), None)
        .await
        .expect(200);
    assert_eq!(listed.data()["keys"], json!(["app_one"]));
}

#[tokio::test]
async fn writing_a_new_key_needs_create_and_an_existing_one_update() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.root(
        "POST",
        "kv/data/existing",
        Some(json!({ "data": { "v": 1 } })),
    )
    .await
    .expect(200);
    lab.write_policy(
        "create-only",
        r#"path "kv/data/*" { capabilities = ["create"] }"#,
    )
    .await;
    lab.write_policy(
        "update-only",
        r#"path "kv/data/*" { capabilities = ["update"] }"#,
    )
    .await;
    let creator = lab.token_with(&["create-only"]).await;
    let updater = lab.token_with(&["update-only"]).await;
    let body = || Some(json!({ "data": { "v": 2 } }));
    assert_denied(
        lab.call("POST", "kv/data/fresh", Some(&updater), body())
            .await,
    );
    lab.call("POST", "kv/data/fresh", Some(&creator), body())
        .await
        .expect(200);
    assert_denied(
        lab.call("POST", "kv/data/fresh", Some(&creator), body())
            .await,
    );
    lab.call("POST", "kv/data/existing", Some(&updater), body())
        .await
        .expect(200);
    assert_denied(
        lab.call("POST", "kv/data/existing", Some(&creator), body())
            .await,
    );
}

#[tokio::test]
async fn sys_auth_paths_need_sudo_and_sys_mounts_paths_do_not() {
    let lab = Lab::new().await;
    lab.write_policy(
        "mounter",
        r#"
path "sys/auth/*" { capabilities = ["update"] }
path "sys/mounts/*" { capabilities = ["update"] }
path "sys/auth" { capabilities = ["read"] }
"#,
    )
    .await;
    lab.write_policy(
        "auth-admin",
        r#"path "sys/auth/*" { capabilities = ["update", "sudo"] }"#,
    )
    .await;
    let mounter = lab.token_with(&["mounter"]).await;
    lab.call(
        "POST",
        "sys/mounts/kv",
        Some(&mounter),
        Some(json!({ "type": "kv" })),
    )
    .await
    .expect(204);
    assert_denied(
        lab.call(
            "POST",
            "sys/auth/userpass",
            Some(&mounter),
            Some(json!({ "type": "userpass" })),
        )
        .await,
    );
    // The list itself is not root-protected.
    lab.call("GET", "sys/auth", Some(&mounter), None)
        .await
        .expect(200);
    let admin = lab.token_with(&["auth-admin"]).await;
    lab.call(
        "POST",
        "sys/auth/userpass",
        Some(&admin),
        Some(json!({ "type": "userpass" })),
    )
    .await
    .expect(204);
}

#[tokio::test]
async fn capabilities_self_answers_per_path_and_injects_them() {
    let lab = Lab::new().await;
    lab.write_policy(
        "app",
        r#"path "kv/data/app" { capabilities = ["update", "read", "list"] }"#,
    )
    .await;
    let token = lab.token_with(&["app"]).await;
    let one = lab
        .call(
            "POST",
            "sys/capabilities-self",
            Some(&token),
            Some(json!({ "paths": ["kv/data/app"] })),
        )
        .await
        .expect(200);
    let expected = json!({
        "capabilities": ["list", "read", "update"],
        "kv/data/app": ["list", "read", "update"],
    });
    assert_eq!(one.data(), &expected);
    assert_eq!(one.body["capabilities"], expected["capabilities"]);
    assert_eq!(one.body["kv/data/app"], expected["kv/data/app"]);
    let several = lab
        .call(
            "POST",
            "sys/capabilities-self",
            Some(&token),
            Some(json!({ "paths": ["kv/data/app", "kv/data/other", "cubbyhole/x"] })),
        )
        .await
        .expect(200);
    assert_eq!(
        several.data(),
        &json!({
            "kv/data/app": ["list", "read", "update"],
            "kv/data/other": ["deny"],
            "cubbyhole/x": ["create", "delete", "list", "read", "update"],
        })
    );
    let root = lab
        .root(
            "POST",
            "sys/capabilities-self",
            Some(json!({ "paths": "kv/data/app" })),
        )
        .await
        .expect(200);
    assert_eq!(root.data()["capabilities"], json!(["root"]));
    let none = lab
        .call(
            "POST",
            "sys/capabilities-self",
            Some(&token),
            Some(json!({})),
        )
        .await
        .expect(400);
    assert_eq!(none.errors(), vec!["paths must be supplied"]);
}

#[tokio::test]
async fn capabilities_of_another_token_or_accessor() {
    let lab = Lab::new().await;
    lab.write_policy("app", r#"path "kv/data/app" { capabilities = ["read"] }"#)
        .await;
    let created = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "policies": ["app"] })),
        )
        .await
        .expect(200);
    let token = created.client_token();
    let accessor = created.body["auth"]["accessor"].as_str().unwrap();
    let by_token = lab
        .root(
            "POST",
            "sys/capabilities",
            Some(json!({ "token": token, "paths": ["kv/data/app"] })),
        )
        .await
        .expect(200);
    assert_eq!(by_token.data()["capabilities"], json!(["read"]));
    assert_eq!(by_token.body["kv/data/app"], json!(["read"]));
    let by_accessor = lab
        .root(
            "POST",
            "sys/capabilities-accessor",
            Some(json!({ "accessor": accessor, "paths": ["kv/data/app", "kv/data/x"] })),
        )
        .await
        .expect(200);
    assert_eq!(
        by_accessor.data(),
        &json!({ "kv/data/app": ["read"], "kv/data/x": ["deny"] })
    );
    let bad_token = lab
        .root(
            "POST",
            "sys/capabilities",
            Some(json!({ "token": "hvs.nope", "paths": ["x"] })),
        )
        .await
        .expect(400);
    // Vault's capabilities handlers return these refusals as errors, in go-multierror's text.
    assert_eq!(
        bad_token.errors(),
        vec!["1 error occurred:\n\t* invalid token\n\n"]
    );
    let bad_accessor = lab
        .root(
            "POST",
            "sys/capabilities-accessor",
            Some(json!({ "accessor": "nope", "paths": ["x"] })),
        )
        .await
        .expect(400);
    assert_eq!(
        bad_accessor.errors(),
        vec!["1 error occurred:\n\t* invalid accessor\n\n"]
    );
    // The default policy allows only capabilities-self.
    assert_denied(
        lab.call(
            "POST",
            "sys/capabilities",
            Some(&token),
            Some(json!({ "token": token, "paths": ["x"] })),
        )
        .await,
    );
}

#[tokio::test]
async fn the_resultant_acl_lists_exact_and_glob_rules() {
    let lab = Lab::new().await;
    lab.write_policy(
        "app",
        r#"
path "kv/data/app" { capabilities = ["read", "update"] }
path "kv/metadata/*" { capabilities = ["list"] }
path "kv/data/secret" { capabilities = ["deny"] }
"#,
    )
    .await;
    let token = lab.token_with(&["app"]).await;
    let acl = lab
        .call("GET", "sys/internal/ui/resultant-acl", Some(&token), None)
        .await
        .expect(200);
    let data = acl.data();
    assert_eq!(keys_of(data), vec!["exact_paths", "glob_paths", "root"]);
    assert_eq!(data["root"], false);
    assert_eq!(
        data["exact_paths"]["kv/data/app"],
        json!({ "capabilities": ["read", "update"] })
    );
    assert_eq!(
        data["exact_paths"]["kv/data/secret"],
        json!({ "capabilities": ["deny"] })
    );
    assert_eq!(
        data["exact_paths"]["auth/token/lookup-self"],
        json!({ "capabilities": ["read"] })
    );
    assert_eq!(
        data["glob_paths"]["kv/metadata/"],
        json!({ "capabilities": ["list"] })
    );
    assert_eq!(
        data["glob_paths"]["cubbyhole/"],
        json!({ "capabilities": ["create", "delete", "list", "read", "update"] })
    );
    // The default policy's templated identity paths need an entity, which this token
    // lacks: Vault leaves them out.
    assert!(
        !data["exact_paths"]
            .as_object()
            .unwrap()
            .keys()
            .any(|path| path.contains("{{")),
        "{}",
        data["exact_paths"]
    );
    let root = lab
        .root("GET", "sys/internal/ui/resultant-acl", None)
        .await
        .expect(200);
    assert_eq!(root.data(), &json!({ "root": true }));
    lab.call("GET", "sys/internal/ui/resultant-acl", None, None)
        .await
        .expect(403);
}

#[tokio::test]
async fn ui_mounts_lists_unauth_mounts_without_a_token() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    let nothing = lab
        .call("GET", "sys/internal/ui/mounts", None, None)
        .await
        .expect(200);
    assert_eq!(nothing.data(), &json!({ "auth": {}, "secret": {} }));
    lab.root(
        "POST",
        "sys/mounts/kv/tune",
        Some(json!({ "listing_visibility": "unauth", "description": "team secrets" })),
    )
    .await
    .expect(204);
    let listed = lab
        .call("GET", "sys/internal/ui/mounts", None, None)
        .await
        .expect(200);
    assert_eq!(
        listed.data(),
        &json!({
            "auth": {},
            "secret": { "kv/": {
                "type": "kv",
                "description": "team secrets",
                "options": { "version": "2" },
            } },
        })
    );
    assert!(listed.body.get("secret").is_none(), "not injected");
    lab.call("GET", "sys/internal/ui/mounts", Some("hvs.nope"), None)
        .await
        .expect(403);
}

#[tokio::test]
async fn ui_mounts_with_a_token_lists_the_mounts_it_can_use() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.enable_kv("other", 1).await;
    let root = lab
        .root("GET", "sys/internal/ui/mounts", None)
        .await
        .expect(200);
    for mount in ["cubbyhole/", "identity/", "kv/", "other/", "sys/"] {
        assert!(
            root.data()["secret"].get(mount).is_some(),
            "root sees {mount}: {}",
            root.data()
        );
    }
    assert_eq!(root.data()["secret"]["kv/"]["type"], "kv");
    assert!(root.data()["secret"]["kv/"]["accessor"]
        .as_str()
        .unwrap()
        .starts_with("kv_"));
    assert_eq!(root.data()["auth"]["token/"]["type"], "token");

    lab.write_policy(
        "kv-reader",
        r#"path "kv/data/app" { capabilities = ["read"] }"#,
    )
    .await;
    let token = lab.token_with(&["kv-reader"]).await;
    let mine = lab
        .call("GET", "sys/internal/ui/mounts", Some(&token), None)
        .await
        .expect(200);
    let secret = &mine.data()["secret"];
    assert!(secret.get("kv/").is_some(), "{secret}");
    assert!(secret.get("cubbyhole/").is_some(), "{secret}");
    assert!(secret.get("other/").is_none(), "{secret}");
    assert!(mine.data()["auth"].get("token/").is_some());
}

#[tokio::test]
async fn ui_mount_detail_tells_the_kv_version_to_a_token_with_access() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.enable_kv("legacy", 1).await;
    lab.write_policy(
        "kv-reader",
        r#"path "kv/data/webapps/*" { capabilities = ["read"] }"#,
    )
    .await;
    let token = lab.token_with(&["kv-reader"]).await;
    let detail = lab
        .call(
            "GET",
            "sys/internal/ui/mounts/kv/webapps/app_one",
            Some(&token),
            None,
        )
        .await
        .expect(200);
    let data = detail.data();
    assert_eq!(data["path"], "kv/");
    assert_eq!(data["type"], "kv");
    assert_eq!(data["options"], json!({ "version": "2" }));
    for field in [
        "accessor",
        "config",
        "description",
        "local",
        "seal_wrap",
        "uuid",
    ] {
        assert!(data.get(field).is_some(), "detail lacks {field}: {data}");
    }
    let legacy = lab
        .root("GET", "sys/internal/ui/mounts/legacy", None)
        .await
        .expect(200);
    assert_eq!(legacy.data()["options"], json!({ "version": "1" }));
    assert_eq!(legacy.data()["path"], "legacy/");

    let no_access = lab
        .call("GET", "sys/internal/ui/mounts/legacy/x", Some(&token), None)
        .await
        .expect(403);
    assert_eq!(
        no_access.errors(),
        vec!["preflight capability check returned 403, please ensure client's policies grant access to path \"legacy/x/\""]
    );
    let no_mount = lab
        .root("GET", "sys/internal/ui/mounts/nope/deep", None)
        .await
        .expect(403);
    assert_eq!(
        no_mount.errors(),
        vec!["preflight capability check returned 403, please ensure client's policies grant access to path \"nope/deep/\""]
    );
    let anonymous = lab
        .call("GET", "sys/internal/ui/mounts/kv", None, None)
        .await
        .expect(403);
    assert_eq!(anonymous.errors(), vec!["permission denied"]);
}

/// The training lab's check: a service reads exactly its own secret.
#[tokio::test]
async fn lab_scenario_webapp_one_reads_only_app_one() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    for app in ["app_one", "app_two"] {
        lab.root(
            "POST",
            &format!("kv/data/webapps/{app}"),
            Some(json!({ "data": { "password": format!("{app}-secret") } })),
        )
        .await
        .expect(200);
    }
    lab.write_policy(
        "webapp-one-read",
        r#"path "kv/data/webapps/app_one" {
  capabilities = ["read"]
}"#,
    )
    .await;
    let token = lab.token_with(&["webapp-one-read"]).await;
    let read = lab
        .call("GET", "kv/data/webapps/app_one", Some(&token), None)
        .await
        .expect(200);
    assert_eq!(read.data()["data"], json!({ "password": "app_one-secret" }));
    assert_denied(
        lab.call("GET", "kv/data/webapps/app_two", Some(&token), None)
            .await,
    );
    assert_denied(
        lab.call("GET", "kv/webapps/app_one", Some(&token), None)
            .await,
    );
    assert_denied(
        lab.call(
            "POST",
            "kv/data/webapps/app_one",
            Some(&token),
            Some(json!({ "data": { "password": "changed" } })),
        )
        .await,
    );
    let caps = lab
        .call(
            "POST",
            "sys/capabilities-self",
            Some(&token),
            Some(json!({ "paths": ["kv/data/webapps/app_one"] })),
        )
        .await
        .expect(200);
    assert_eq!(caps.data()["capabilities"], json!(["read"]));
}

// --- Authorization before routing -------------------------------------------------------

/// Vault checks the token and its policies before it looks for the mount, so a stranger
/// cannot learn which mounts exist: "no handler for route" only for a token whose
/// policies cover the path (root among them).
#[tokio::test]
async fn a_path_under_no_mount_is_authorized_before_it_is_routed() {
    let lab = Lab::new().await;
    let anonymous = lab.call("GET", "nomount/x", None, None).await.expect(403);
    assert_eq!(anonymous.errors(), ["permission denied"]);
    let stranger = lab
        .call("GET", "nomount/x", Some("no-such-token"), None)
        .await;
    assert_eq!(
        (stranger.status, stranger.errors()),
        (
            403,
            as_strings(&differences::invalid_token_errors(lab.flavor()))
        )
    );
    let defaulted = lab.token_with(&["default"]).await;
    assert_denied(lab.call("GET", "nomount/x", Some(&defaulted), None).await);
    let no_auth_mount = lab.call("POST", "auth/nomount/login", None, None).await;
    assert_eq!(
        (no_auth_mount.status, no_auth_mount.errors()),
        (403, vec!["permission denied".to_string()])
    );

    lab.write_policy("covers", r#"path "nomount/*" { capabilities = ["read"] }"#)
        .await;
    let covered = lab.token_with(&["covers"]).await;
    for (token, method, path) in [
        (covered.as_str(), "GET", "nomount/x"),
        (lab.root.as_str(), "GET", "nomount/x"),
        (lab.root.as_str(), "LIST", "nomount/x/"),
        (lab.root.as_str(), "POST", "auth/nomount/login"),
    ] {
        let answer = lab.call(method, path, Some(token), None).await.expect(404);
        assert_eq!(
            answer.errors(),
            [format!(
                "no handler for route \"{path}\". route entry not found."
            )],
            "{method} {path}"
        );
    }
}

fn as_strings(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|t| t.to_string()).collect()
}

// --- create vs update: existence checks ----------------------------------------------------

/// A token holding only `create` on every path below, and not `default` (whose cubbyhole
/// rule grants both create and update).
async fn create_only_token(lab: &Lab) -> String {
    lab.write_policy(
        "create-only",
        r#"
path "sys/policies/acl/*" { capabilities = ["create"] }
path "kv1/*" { capabilities = ["create"] }
path "kv2/data/*" { capabilities = ["create"] }
path "kv2/metadata/*" { capabilities = ["create"] }
path "auth/userpass/users/*" { capabilities = ["create"] }
path "cubbyhole/*" { capabilities = ["create"] }
path "auth/kubernetes/role/*" { capabilities = ["create"] }
"#,
    )
    .await;
    lab.token(json!({ "policies": ["create-only"], "no_default_policy": true }))
        .await
}

/// Where the backend has an existence check, a write to a new path is a `create` and to an
/// existing one an `update`: `create` alone writes each path once.
#[tokio::test]
async fn create_alone_writes_a_new_path_once_where_the_backend_checks_existence() {
    let lab = Lab::new().await;
    lab.enable_kv("kv1", 1).await;
    lab.enable_kv("kv2", 2).await;
    lab.enable_userpass("userpass").await;
    lab.root(
        "POST",
        "sys/auth/kubernetes",
        Some(json!({ "type": "kubernetes" })),
    )
    .await
    .expect(204);
    let token = create_only_token(&lab).await;
    for (path, body, created) in [
        ("kv1/app", json!({ "a": 1 }), 204),
        ("kv2/data/app", json!({ "data": { "a": 1 } }), 200),
        ("kv2/metadata/meta-only", json!({ "max_versions": 3 }), 204),
        (
            "auth/userpass/users/alice",
            json!({ "password": "pw" }),
            204,
        ),
        ("cubbyhole/note", json!({ "a": 1 }), 204),
        (
            "auth/kubernetes/role/web",
            json!({ "bound_service_account_names": "web",
                    "bound_service_account_namespaces": "lab", "audience": "vault" }),
            204,
        ),
    ] {
        lab.call("POST", path, Some(&token), Some(body.clone()))
            .await
            .expect(created);
        assert_denied(lab.call("POST", path, Some(&token), Some(body)).await);
    }
}

/// `sys/policies/acl/NAME` has no existence check: every write is an `update`, so
/// `create` alone may neither add a policy nor replace one.
#[tokio::test]
async fn policy_writes_are_always_updates() {
    let lab = Lab::new().await;
    let token = create_only_token(&lab).await;
    let policy = json!({ "policy": r#"path "x" { capabilities = ["read"] }"# });
    for name in ["brand-new", "create-only"] {
        assert_denied(
            lab.call(
                "PUT",
                &format!("sys/policies/acl/{name}"),
                Some(&token),
                Some(policy.clone()),
            )
            .await,
        );
    }
    lab.write_policy(
        "updater",
        r#"path "sys/policies/acl/*" { capabilities = ["update"] }"#,
    )
    .await;
    let updater = lab.token_with(&["updater"]).await;
    lab.call(
        "PUT",
        "sys/policies/acl/brand-new",
        Some(&updater),
        Some(policy),
    )
    .await
    .expect(204);
}
