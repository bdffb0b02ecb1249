//! The KV secrets engine, version 1 and version 2, and cubbyhole — against Vault's docs and
//! the kv plugin's source.

mod common;

use common::{differences, keys_of, Lab};
use serde_json::{json, Value};

fn sorted(items: &[&str]) -> Vec<String> {
    let mut items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    items.sort();
    items
}

/// Values of every JSON type, with `big` as the one number that tells how they are kept:
/// KV v1 gives numbers back exactly; KV v2 decodes versions into Go's float64, so an
/// integer beyond 2^53 comes back rounded.
fn typed_values(big: u64) -> Value {
    json!({
        "string": "text",
        "integer": 5432,
        "negative": -7,
        "float": 0.25,
        "big": big,
        "bool": true,
        "null": null,
        "list": [1, "two", false, null, { "three": 3 }],
        "nested": { "a": { "b": { "c": "deep" } }, "empty": {} },
        "unicode": "päss wörd ✓",
    })
}

// --- KV version 1 ---------------------------------------------------------------------

#[tokio::test]
async fn v1_write_then_read_with_the_default_lease() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 1).await;
    let written = lab
        .root(
            "POST",
            "kv/app",
            Some(json!({ "password": "hunter2", "user": "app" })),
        )
        .await
        .expect(204);
    assert_eq!(written.body, Value::Null);
    let read = lab.root("GET", "kv/app", None).await.expect(200);
    assert_eq!(
        read.data(),
        &json!({ "password": "hunter2", "user": "app" })
    );
    assert_eq!(read.body["lease_duration"], 2764800);
    assert_eq!(read.body["lease_id"], "");
    assert_eq!(read.body["renewable"], false);
    read.assert_mount_type(lab.flavor(), "kv");
    assert_eq!(read.body["auth"], Value::Null);
    assert_eq!(read.body["warnings"], Value::Null);
    // PUT is the same as POST, and a write replaces the whole entry.
    lab.root("PUT", "kv/app", Some(json!({ "password": "changed" })))
        .await
        .expect(204);
    let read = lab.root("GET", "kv/app", None).await.expect(200);
    assert_eq!(read.data(), &json!({ "password": "changed" }));
}

#[tokio::test]
async fn v1_a_ttl_field_sets_the_lease_and_stays_in_the_data() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 1).await;
    lab.root("POST", "kv/short", Some(json!({ "a": "b", "ttl": "1h" })))
        .await
        .expect(204);
    let read = lab.root("GET", "kv/short", None).await.expect(200);
    assert_eq!(read.body["lease_duration"], 3600);
    assert_eq!(read.data(), &json!({ "a": "b", "ttl": "1h" }));
    lab.root("POST", "kv/seconds", Some(json!({ "ttl": 90 })))
        .await
        .expect(204);
    let read = lab.root("GET", "kv/seconds", None).await.expect(200);
    assert_eq!(read.body["lease_duration"], 90);
}

#[tokio::test]
async fn v1_values_of_every_type_come_back_exactly() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 1).await;
    lab.root("POST", "kv/typed", Some(typed_values(9007199254740993)))
        .await
        .expect(204);
    let read = lab.root("GET", "kv/typed", None).await.expect(200);
    assert_eq!(read.data(), &typed_values(9007199254740993));
}

#[tokio::test]
async fn v1_refuses_a_write_without_data() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 1).await;
    for body in [None, Some(json!({}))] {
        let answer = lab.root("POST", "kv/empty", body).await.expect(400);
        assert_eq!(answer.body, json!({ "errors": ["missing data fields"] }));
    }
    let folder = lab
        .root("POST", "kv/folder/", Some(json!({ "a": "b" })))
        .await
        .expect(400);
    assert_eq!(
        folder.errors(),
        vec!["cannot write to a path ending in '/'"]
    );
}

#[tokio::test]
async fn v1_delete_answers_204_whether_or_not_the_key_existed() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 1).await;
    lab.root("POST", "kv/app", Some(json!({ "a": "b" })))
        .await
        .expect(204);
    let deleted = lab.root("DELETE", "kv/app", None).await.expect(204);
    assert_eq!(deleted.body, Value::Null);
    let missing = lab.root("GET", "kv/app", None).await.expect(404);
    assert_eq!(missing.body, json!({ "errors": [] }));
    lab.root("DELETE", "kv/app", None).await.expect(204);
}

#[tokio::test]
async fn v1_list_shows_keys_and_folders() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 1).await;
    for key in ["a", "b/c", "b/d/e", "z"] {
        lab.root("POST", &format!("kv/{key}"), Some(json!({ "k": key })))
            .await
            .expect(204);
    }
    let top = lab.root("LIST", "kv", None).await.expect(200);
    assert_eq!(top.data(), &json!({ "keys": ["a", "b/", "z"] }));
    assert_eq!(top.body["lease_duration"], 0);
    let folder = lab.root("LIST", "kv/b", None).await.expect(200);
    assert_eq!(folder.data(), &json!({ "keys": ["c", "d/"] }));
    let by_query = lab.root("GET", "kv/b/?list=true", None).await.expect(200);
    assert_eq!(by_query.data(), folder.data());
    let by_query = lab.root("GET", "kv/b?list=true", None).await.expect(200);
    assert_eq!(by_query.data(), folder.data());
    let empty = lab.root("LIST", "kv/nothing", None).await.expect(404);
    assert_eq!(empty.body, json!({ "errors": [] }));
    // A folder has no value of its own.
    lab.root("GET", "kv/b", None).await.expect(404);
}

#[tokio::test]
async fn v1_has_no_patch() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 1).await;
    lab.root("POST", "kv/app", Some(json!({ "a": "b" })))
        .await
        .expect(204);
    lab.patch("kv/app", &lab.root, json!({ "a": "c" }))
        .await
        .expect(405);
}

// --- KV version 2 ---------------------------------------------------------------------

const VERSION_METADATA: &[&str] = &[
    "created_time",
    "custom_metadata",
    "deletion_time",
    "destroyed",
    "version",
];

#[tokio::test]
async fn v2_write_answers_with_the_versions_metadata() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    let written = lab
        .root(
            "POST",
            "kv/data/app",
            Some(json!({ "data": { "password": "hunter2" } })),
        )
        .await
        .expect(200);
    let data = written.data();
    assert_eq!(keys_of(data), sorted(VERSION_METADATA));
    assert_eq!(data["version"], 1);
    assert_eq!(data["deletion_time"], "");
    assert_eq!(data["destroyed"], false);
    assert_eq!(data["custom_metadata"], Value::Null);
    let created = data["created_time"].as_str().unwrap();
    assert!(
        chrono_like_rfc3339(created),
        "created_time is RFC 3339 UTC: {created}"
    );
    let second = lab
        .root(
            "PUT",
            "kv/data/app",
            Some(json!({ "data": { "password": "second" } })),
        )
        .await
        .expect(200);
    assert_eq!(second.data()["version"], 2);
}

fn chrono_like_rfc3339(text: &str) -> bool {
    text.len() >= 20
        && text.ends_with('Z')
        && text.as_bytes()[4] == b'-'
        && text.as_bytes()[10] == b'T'
}

#[tokio::test]
async fn v2_read_gives_data_and_metadata_and_any_version() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    for password in ["first", "second"] {
        lab.root(
            "POST",
            "kv/data/app",
            Some(json!({ "data": { "password": password } })),
        )
        .await
        .expect(200);
    }
    let latest = lab.root("GET", "kv/data/app", None).await.expect(200);
    assert_eq!(keys_of(latest.data()), vec!["data", "metadata"]);
    assert_eq!(latest.data()["data"], json!({ "password": "second" }));
    assert_eq!(
        keys_of(&latest.data()["metadata"]),
        sorted(VERSION_METADATA)
    );
    assert_eq!(latest.data()["metadata"]["version"], 2);
    assert_eq!(latest.body["lease_duration"], 0);
    latest.assert_mount_type(lab.flavor(), "kv");
    let first = lab
        .root("GET", "kv/data/app?version=1", None)
        .await
        .expect(200);
    assert_eq!(first.data()["data"], json!({ "password": "first" }));
    assert_eq!(first.data()["metadata"]["version"], 1);
    let current = lab
        .root("GET", "kv/data/app?version=0", None)
        .await
        .expect(200);
    assert_eq!(current.data()["metadata"]["version"], 2);
    for path in ["kv/data/app?version=9", "kv/data/missing"] {
        let missing = lab.root("GET", path, None).await.expect(404);
        assert_eq!(missing.body, json!({ "errors": [] }), "{path}");
    }
}

#[tokio::test]
async fn v2_values_of_every_type_come_back_as_go_decodes_them() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.root(
        "POST",
        "kv/data/typed",
        Some(json!({ "data": typed_values(9007199254740993) })),
    )
    .await
    .expect(200);
    let read = lab.root("GET", "kv/data/typed", None).await.expect(200);
    assert_eq!(read.data()["data"], typed_values(9007199254740992));
    // An empty object is data too.
    lab.root("POST", "kv/data/empty", Some(json!({ "data": {} })))
        .await
        .expect(200);
    let empty = lab.root("GET", "kv/data/empty", None).await.expect(200);
    assert_eq!(empty.data()["data"], json!({}));
}

#[tokio::test]
async fn v2_a_write_needs_data() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    for body in [json!({}), json!({ "password": "not wrapped in data" })] {
        let answer = lab
            .root("POST", "kv/data/app", Some(body.clone()))
            .await
            .expect(400);
        assert_eq!(answer.errors(), vec!["no data provided"], "{body}");
    }
    // An explicit null is given data to the framework: a version whose data is null.
    let null = lab
        .root("POST", "kv/data/app", Some(json!({ "data": null })))
        .await
        .expect(200);
    assert_eq!(null.data()["version"], 1);
    let read = lab.root("GET", "kv/data/app", None).await.expect(200);
    assert_eq!(read.data()["data"], Value::Null);
}

#[tokio::test]
async fn v2_check_and_set() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    let write = |cas: Value| {
        let lab = &lab;
        async move {
            lab.root(
                "POST",
                "kv/data/app",
                Some(json!({ "options": { "cas": cas }, "data": { "v": 1 } })),
            )
            .await
        }
    };
    write(json!(0)).await.expect(200);
    let mismatch = write(json!(0)).await.expect(400);
    assert_eq!(
        mismatch.errors(),
        vec!["check-and-set parameter did not match the current version"]
    );
    write(json!(1)).await.expect(200);
    write(json!("2")).await.expect(200);
    let unparsable = write(json!("two")).await.expect(400);
    assert_eq!(
        unparsable.errors(),
        vec!["error parsing check-and-set parameter"]
    );
    // A soft-deleted key still has its versions: cas must name the current one.
    lab.root("DELETE", "kv/data/app", None).await.expect(204);
    write(json!(0)).await.expect(400);
    let after_delete = write(json!(3)).await.expect(200);
    assert_eq!(after_delete.data()["version"], 4);
}

#[tokio::test]
async fn v2_cas_required_by_the_mount_or_the_key() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.enable_kv("strict", 2).await;
    let required = "check-and-set parameter required for this call";

    lab.root(
        "POST",
        "strict/config",
        Some(json!({ "cas_required": true })),
    )
    .await
    .expect(204);
    let refused = lab
        .root(
            "POST",
            "strict/data/app",
            Some(json!({ "data": { "v": 1 } })),
        )
        .await
        .expect(400);
    assert_eq!(refused.errors(), vec![required]);
    lab.root(
        "POST",
        "strict/data/app",
        Some(json!({ "options": { "cas": 0 }, "data": { "v": 1 } })),
    )
    .await
    .expect(200);
    // The key cannot opt out of what the mount requires.
    let warned = lab
        .root(
            "POST",
            "strict/metadata/app",
            Some(json!({ "cas_required": false })),
        )
        .await
        .expect(200);
    assert_eq!(
        warned.warnings(),
        vec!["\"cas_required\" set to false, but is mandated by backend config. This value will be ignored."]
    );
    lab.root(
        "POST",
        "strict/data/app",
        Some(json!({ "data": { "v": 2 } })),
    )
    .await
    .expect(400);

    lab.root("POST", "kv/data/free", Some(json!({ "data": { "v": 1 } })))
        .await
        .expect(200);
    lab.root(
        "POST",
        "kv/metadata/guarded",
        Some(json!({ "cas_required": true })),
    )
    .await
    .expect(204);
    let refused = lab
        .root(
            "POST",
            "kv/data/guarded",
            Some(json!({ "data": { "v": 1 } })),
        )
        .await
        .expect(400);
    assert_eq!(refused.errors(), vec![required]);
    lab.root(
        "POST",
        "kv/data/guarded",
        Some(json!({ "options": { "cas": 0 }, "data": { "v": 1 } })),
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn v2_patch_merges_into_a_new_version() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.root(
        "POST",
        "kv/data/app",
        Some(json!({ "data": {
            "keep": "same",
            "change": "old",
            "remove": "gone soon",
            "nested": { "a": 1, "b": 2 },
            "list": [1, 2, 3],
        } })),
    )
    .await
    .expect(200);
    let patched = lab
        .patch(
            "kv/data/app",
            &lab.root,
            json!({ "data": {
                "change": "new",
                "remove": null,
                "nested": { "b": null, "c": 3 },
                "list": [4],
                "added": true,
            } }),
        )
        .await
        .expect(200);
    assert_eq!(keys_of(patched.data()), sorted(VERSION_METADATA));
    assert_eq!(patched.data()["version"], 2);
    let read = lab.root("GET", "kv/data/app", None).await.expect(200);
    assert_eq!(
        read.data()["data"],
        json!({
            "keep": "same",
            "change": "new",
            "nested": { "a": 1, "c": 3 },
            "list": [4],
            "added": true,
        })
    );
    let with_cas = lab
        .patch(
            "kv/data/app",
            &lab.root,
            json!({ "options": { "cas": 1 }, "data": { "x": 1 } }),
        )
        .await
        .expect(400);
    assert_eq!(
        with_cas.errors(),
        vec!["check-and-set parameter did not match the current version"]
    );
    let no_data = lab
        .patch("kv/data/app", &lab.root, json!({ "options": {} }))
        .await
        .expect(400);
    assert_eq!(no_data.errors(), vec!["no data provided"]);
}

#[tokio::test]
async fn v2_patch_wants_merge_patch_json_and_an_existing_key() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.root("POST", "kv/data/app", Some(json!({ "data": { "a": 1 } })))
        .await
        .expect(200);
    let body = json!({ "data": { "a": 2 } }).to_string();
    let wrong_type = lab
        .send(
            "PATCH",
            "kv/data/app",
            &[
                ("X-Vault-Token", &lab.root),
                ("Content-Type", "application/json"),
            ],
            Some(&body),
        )
        .await
        .expect(415);
    assert_eq!(
        wrong_type.errors(),
        vec!["PATCH requires Content-Type of application/merge-patch+json, provided application/json"]
    );
    let no_type = lab
        .send(
            "PATCH",
            "kv/data/app",
            &[("X-Vault-Token", &lab.root)],
            Some(&body),
        )
        .await
        .expect(400);
    assert_eq!(no_type.errors(), vec!["mime: no media type"]);
    let missing = lab
        .patch("kv/data/missing", &lab.root, json!({ "data": { "a": 2 } }))
        .await
        .expect(404);
    assert_eq!(missing.body, Value::Null, "Vault sends no body here");
    // A deleted current version cannot be patched; the 404 carries its metadata.
    lab.root("DELETE", "kv/data/app", None).await.expect(204);
    let deleted = lab
        .patch("kv/data/app", &lab.root, json!({ "data": { "a": 2 } }))
        .await
        .expect(404);
    assert_eq!(deleted.data()["version"], 1);
    assert_ne!(deleted.data()["deletion_time"], "");
}

#[tokio::test]
async fn v2_patch_needs_the_patch_capability() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.root("POST", "kv/data/app", Some(json!({ "data": { "a": 1 } })))
        .await
        .expect(200);
    lab.write_policy(
        "writer",
        r#"path "kv/data/*" { capabilities = ["create", "read", "update"] }"#,
    )
    .await;
    lab.write_policy(
        "patcher",
        r#"path "kv/data/*" { capabilities = ["patch"] }"#,
    )
    .await;
    let writer = lab.token_with(&["writer"]).await;
    let denied = lab
        .patch("kv/data/app", &writer, json!({ "data": { "a": 2 } }))
        .await
        .expect(403);
    assert_eq!(
        denied.errors(),
        vec!["1 error occurred:\n\t* permission denied\n\n"]
    );
    let patcher = lab.token_with(&["patcher"]).await;
    lab.patch("kv/data/app", &patcher, json!({ "data": { "a": 2 } }))
        .await
        .expect(200);
}

#[tokio::test]
async fn v2_delete_is_a_soft_delete_of_the_latest_version() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    for v in [1, 2] {
        lab.root("POST", "kv/data/app", Some(json!({ "data": { "v": v } })))
            .await
            .expect(200);
    }
    let deleted = lab.root("DELETE", "kv/data/app", None).await.expect(204);
    assert_eq!(deleted.body, Value::Null);
    let read = lab.root("GET", "kv/data/app", None).await.expect(404);
    assert_eq!(read.data()["data"], Value::Null);
    let metadata = &read.data()["metadata"];
    assert_eq!(metadata["version"], 2);
    assert_eq!(metadata["destroyed"], false);
    assert!(chrono_like_rfc3339(
        metadata["deletion_time"].as_str().unwrap()
    ));
    // Older versions are untouched.
    let first = lab
        .root("GET", "kv/data/app?version=1", None)
        .await
        .expect(200);
    assert_eq!(first.data()["data"], json!({ "v": 1 }));
    // Deleting again, or a key that never existed, is still 204.
    lab.root("DELETE", "kv/data/app", None).await.expect(204);
    lab.root("DELETE", "kv/data/never", None).await.expect(204);
}

#[tokio::test]
async fn v2_delete_undelete_and_destroy_versions() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    for v in [1, 2, 3] {
        lab.root("POST", "kv/data/app", Some(json!({ "data": { "v": v } })))
            .await
            .expect(200);
    }
    lab.root("POST", "kv/delete/app", Some(json!({ "versions": [1, 2] })))
        .await
        .expect(204);
    for v in [1, 2] {
        lab.root("GET", &format!("kv/data/app?version={v}"), None)
            .await
            .expect(404);
    }
    lab.root("GET", "kv/data/app", None).await.expect(200);
    lab.root(
        "POST",
        "kv/undelete/app",
        Some(json!({ "versions": "1,2" })),
    )
    .await
    .expect(204);
    let restored = lab
        .root("GET", "kv/data/app?version=2", None)
        .await
        .expect(200);
    assert_eq!(restored.data()["data"], json!({ "v": 2 }));
    assert_eq!(restored.data()["metadata"]["deletion_time"], "");

    lab.root("PUT", "kv/destroy/app", Some(json!({ "versions": [1] })))
        .await
        .expect(204);
    let destroyed = lab
        .root("GET", "kv/data/app?version=1", None)
        .await
        .expect(404);
    assert_eq!(destroyed.data()["data"], Value::Null);
    assert_eq!(destroyed.data()["metadata"]["destroyed"], true);
    // A destroyed version cannot come back.
    lab.root("POST", "kv/undelete/app", Some(json!({ "versions": [1] })))
        .await
        .expect(204);
    lab.root("GET", "kv/data/app?version=1", None)
        .await
        .expect(404);
    let metadata = lab.root("GET", "kv/metadata/app", None).await.expect(200);
    assert_eq!(metadata.data()["versions"]["1"]["destroyed"], true);
    assert_eq!(metadata.data()["current_version"], 3);

    // Note the capital N on delete and undelete, as Vault writes them.
    for (path, message) in [
        ("kv/delete/app", "No version number provided"),
        ("kv/undelete/app", "No version number provided"),
        ("kv/destroy/app", "no version number provided"),
    ] {
        let answer = lab.root("POST", path, Some(json!({}))).await.expect(400);
        assert_eq!(answer.errors(), vec![message], "{path}");
    }
    // Unknown keys are no error.
    lab.root("POST", "kv/delete/never", Some(json!({ "versions": [1] })))
        .await
        .expect(204);
}

#[tokio::test]
async fn v2_metadata_read_and_list() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    for key in ["app", "app", "team/db", "team/cache/redis"] {
        lab.root(
            "POST",
            &format!("kv/data/{key}"),
            Some(json!({ "data": { "k": key } })),
        )
        .await
        .expect(200);
    }
    let metadata = lab.root("GET", "kv/metadata/app", None).await.expect(200);
    let data = metadata.data();
    let extra = differences::openbao_only_kv_metadata_fields(lab.flavor());
    assert_eq!(
        keys_of(&differences::without_fields(data, extra)),
        sorted(&[
            "cas_required",
            "created_time",
            "current_version",
            "custom_metadata",
            "delete_version_after",
            "max_versions",
            "oldest_version",
            "updated_time",
            "versions",
        ])
    );
    assert_eq!(data["cas_required"], false);
    assert_eq!(data["current_version"], 2);
    assert_eq!(data["custom_metadata"], Value::Null);
    assert_eq!(data["delete_version_after"], "0s");
    assert_eq!(data["max_versions"], 0);
    assert_eq!(data["oldest_version"], 0);
    assert_eq!(keys_of(&data["versions"]), vec!["1", "2"]);
    assert_eq!(
        keys_of(&data["versions"]["1"]),
        vec!["created_time", "deletion_time", "destroyed"]
    );
    assert_eq!(data["updated_time"], data["versions"]["2"]["created_time"]);
    assert_eq!(data["created_time"], data["versions"]["1"]["created_time"]);

    let top = lab.root("LIST", "kv/metadata", None).await.expect(200);
    assert_eq!(top.data(), &json!({ "keys": ["app", "team/"] }));
    let team = lab
        .root("GET", "kv/metadata/team?list=true", None)
        .await
        .expect(200);
    assert_eq!(team.data(), &json!({ "keys": ["cache/", "db"] }));
    let empty = lab
        .root("LIST", "kv/metadata/nothing", None)
        .await
        .expect(404);
    assert_eq!(empty.body, json!({ "errors": [] }));
    let missing = lab
        .root("GET", "kv/metadata/nothing", None)
        .await
        .expect(404);
    assert_eq!(missing.body, json!({ "errors": [] }));
}

#[tokio::test]
async fn v2_metadata_write_patch_and_delete() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    // Metadata may come first: no version yet, so nothing to read.
    lab.root(
        "POST",
        "kv/metadata/app",
        Some(json!({ "custom_metadata": { "owner": "jdoe", "team": "web" } })),
    )
    .await
    .expect(204);
    let fresh = lab.root("GET", "kv/metadata/app", None).await.expect(200);
    assert_eq!(fresh.data()["current_version"], 0);
    assert_eq!(fresh.data()["versions"], json!({}));
    lab.root("GET", "kv/data/app", None).await.expect(404);

    let written = lab
        .root("POST", "kv/data/app", Some(json!({ "data": { "a": 1 } })))
        .await
        .expect(200);
    assert_eq!(
        written.data()["custom_metadata"],
        json!({ "owner": "jdoe", "team": "web" })
    );
    lab.patch(
        "kv/metadata/app",
        &lab.root,
        json!({ "custom_metadata": { "owner": null, "env": "prod" }, "max_versions": 4 }),
    )
    .await
    .expect(204);
    let patched = lab.root("GET", "kv/metadata/app", None).await.expect(200);
    assert_eq!(
        patched.data()["custom_metadata"],
        json!({ "env": "prod", "team": "web" })
    );
    assert_eq!(patched.data()["max_versions"], 4);
    let read = lab.root("GET", "kv/data/app", None).await.expect(200);
    assert_eq!(
        read.data()["metadata"]["custom_metadata"],
        json!({ "env": "prod", "team": "web" })
    );
    // A write replaces the whole map.
    lab.root(
        "POST",
        "kv/metadata/app",
        Some(json!({ "custom_metadata": { "only": "this" } })),
    )
    .await
    .expect(204);
    let replaced = lab.root("GET", "kv/metadata/app", None).await.expect(200);
    assert_eq!(
        replaced.data()["custom_metadata"],
        json!({ "only": "this" })
    );
    assert_eq!(replaced.data()["max_versions"], 4, "unsent fields are kept");
    let missing = lab
        .patch(
            "kv/metadata/missing",
            &lab.root,
            json!({ "max_versions": 1 }),
        )
        .await
        .expect(404);
    assert_eq!(missing.body, Value::Null, "Vault sends no body here");

    let deleted = lab
        .root("DELETE", "kv/metadata/app", None)
        .await
        .expect(204);
    assert_eq!(deleted.body, Value::Null);
    lab.root("GET", "kv/metadata/app", None).await.expect(404);
    lab.root("GET", "kv/data/app?version=1", None)
        .await
        .expect(404);
    lab.root("DELETE", "kv/metadata/app", None)
        .await
        .expect(204);
    // Versions start again from 1.
    let again = lab
        .root("POST", "kv/data/app", Some(json!({ "data": { "a": 2 } })))
        .await
        .expect(200);
    assert_eq!(again.data()["version"], 1);
}

#[tokio::test]
async fn v2_max_versions_prunes_the_oldest() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.root(
        "POST",
        "kv/metadata/app",
        Some(json!({ "max_versions": 2 })),
    )
    .await
    .expect(204);
    for v in 1..=4 {
        lab.root("POST", "kv/data/app", Some(json!({ "data": { "v": v } })))
            .await
            .expect(200);
    }
    let metadata = lab.root("GET", "kv/metadata/app", None).await.expect(200);
    assert_eq!(keys_of(&metadata.data()["versions"]), vec!["3", "4"]);
    assert_eq!(metadata.data()["oldest_version"], 3);
    assert_eq!(metadata.data()["current_version"], 4);
    lab.root("GET", "kv/data/app?version=2", None)
        .await
        .expect(404);
    let third = lab
        .root("GET", "kv/data/app?version=3", None)
        .await
        .expect(200);
    assert_eq!(third.data()["data"], json!({ "v": 3 }));

    // Without settings, ten versions are kept.
    for v in 1..=11 {
        lab.root("POST", "kv/data/many", Some(json!({ "data": { "v": v } })))
            .await
            .expect(200);
    }
    let many = lab.root("GET", "kv/metadata/many", None).await.expect(200);
    assert_eq!(many.data()["versions"].as_object().unwrap().len(), 10);
    assert_eq!(many.data()["oldest_version"], 2);
    // The mount's setting applies to every key.
    lab.root("POST", "kv/config", Some(json!({ "max_versions": 3 })))
        .await
        .expect(204);
    lab.root("POST", "kv/data/other", Some(json!({ "data": { "v": 0 } })))
        .await
        .expect(200);
    for v in 1..=4 {
        lab.root("POST", "kv/data/other", Some(json!({ "data": { "v": v } })))
            .await
            .expect(200);
    }
    let other = lab.root("GET", "kv/metadata/other", None).await.expect(200);
    assert_eq!(keys_of(&other.data()["versions"]), vec!["3", "4", "5"]);
}

#[tokio::test]
async fn v2_custom_metadata_limits() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    let too_many: serde_json::Map<String, Value> =
        (0..65).map(|i| (format!("k{i}"), json!("v"))).collect();
    let long_key = "k".repeat(129);
    let cases = [
        (
            json!(too_many),
            "payload must contain at most 64 keys, provided 65".to_string(),
        ),
        (
            json!({ "k": "" }),
            "length of value for key \"k\" is 0 but must be 0 < len(value) <= 512".to_string(),
        ),
        (
            json!({ "k": "v".repeat(513) }),
            "length of value for key \"k\" is 513 but must be 0 < len(value) <= 512".to_string(),
        ),
        (
            json!({ long_key.clone(): "v" }),
            format!("length of key \"{long_key}\" is 129 but must be 0 < len(key) <= 128"),
        ),
    ];
    for (custom, problem) in cases {
        let answer = lab
            .root(
                "POST",
                "kv/metadata/app",
                Some(json!({ "custom_metadata": custom })),
            )
            .await
            .expect(400);
        assert_eq!(
            answer.errors(),
            vec![format!(
                "1 error occurred:\n\t* custom_metadata validation failed: {problem}\n\n"
            )]
        );
    }
    let at_limit: serde_json::Map<String, Value> =
        (0..64).map(|i| (format!("k{i}"), json!("v"))).collect();
    lab.root(
        "POST",
        "kv/metadata/app",
        Some(json!({ "custom_metadata": at_limit })),
    )
    .await
    .expect(204);
}

#[tokio::test]
async fn v2_subkeys_show_the_shape_without_values() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.root(
        "POST",
        "kv/data/app",
        Some(json!({ "data": {
            "foo": "secret",
            "bar": { "baz": 1, "deep": { "x": true } },
            "empty": {},
        } })),
    )
    .await
    .expect(200);
    let all = lab.root("GET", "kv/subkeys/app", None).await.expect(200);
    assert_eq!(
        all.data()["subkeys"],
        json!({ "foo": null, "bar": { "baz": null, "deep": { "x": null } }, "empty": null })
    );
    assert_eq!(all.data()["metadata"]["version"], 1);
    assert_eq!(keys_of(&all.data()["metadata"]), sorted(VERSION_METADATA));
    let shallow = lab
        .root("GET", "kv/subkeys/app?depth=1", None)
        .await
        .expect(200);
    assert_eq!(
        shallow.data()["subkeys"],
        json!({ "foo": null, "bar": null, "empty": null })
    );
    let two = lab
        .root("GET", "kv/subkeys/app?depth=2", None)
        .await
        .expect(200);
    assert_eq!(
        two.data()["subkeys"],
        json!({ "foo": null, "bar": { "baz": null, "deep": null }, "empty": null })
    );
    lab.root("GET", "kv/subkeys/missing", None)
        .await
        .expect(404);
    lab.root("DELETE", "kv/data/app", None).await.expect(204);
    let deleted = lab.root("GET", "kv/subkeys/app", None).await.expect(404);
    assert_eq!(deleted.data()["subkeys"], Value::Null);
    assert_eq!(deleted.data()["metadata"]["version"], 1);
}

#[tokio::test]
async fn v2_config_read_and_partial_update() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    let fresh = lab.root("GET", "kv/config", None).await.expect(200);
    let extra = differences::openbao_only_kv_metadata_fields(lab.flavor());
    assert_eq!(
        differences::without_fields(fresh.data(), extra),
        json!({ "cas_required": false, "delete_version_after": "0s", "max_versions": 0 })
    );
    lab.root(
        "POST",
        "kv/config",
        Some(json!({ "max_versions": 5, "delete_version_after": "1h" })),
    )
    .await
    .expect(204);
    lab.root("POST", "kv/config", Some(json!({ "cas_required": true })))
        .await
        .expect(204);
    let updated = lab.root("GET", "kv/config", None).await.expect(200);
    assert_eq!(
        differences::without_fields(updated.data(), extra),
        json!({ "cas_required": true, "delete_version_after": "1h0m0s", "max_versions": 5 })
    );
}

#[tokio::test]
async fn v2_delete_version_after_schedules_the_deletion() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.root(
        "POST",
        "kv/metadata/app",
        Some(json!({ "delete_version_after": "1h" })),
    )
    .await
    .expect(204);
    let written = lab
        .root("POST", "kv/data/app", Some(json!({ "data": { "a": 1 } })))
        .await
        .expect(200);
    let deletion = written.data()["deletion_time"].as_str().unwrap();
    assert!(chrono_like_rfc3339(deletion), "{deletion}");
    // A deletion in the future does not hide the version yet.
    let read = lab.root("GET", "kv/data/app", None).await.expect(200);
    assert_eq!(read.data()["data"], json!({ "a": 1 }));
    let metadata = lab.root("GET", "kv/metadata/app", None).await.expect(200);
    assert_eq!(metadata.data()["delete_version_after"], "1h0m0s");
}

#[tokio::test]
async fn v2_paths_outside_its_api_are_a_404_with_a_warning() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.root("POST", "kv/data/app", Some(json!({ "data": { "a": 1 } })))
        .await
        .expect(200);
    let (product, cli) = differences::kv_cli_names(lab.flavor());
    let invalid = |verb: &str| {
        format!("Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the {product} CLI, use '{cli} kv {verb}' for this operation.")
    };
    for (method, path, body, verb) in [
        ("GET", "kv/app", None, "get"),
        ("POST", "kv/app", Some(json!({ "a": 1 })), "put"),
        ("DELETE", "kv/app", None, "delete"),
        ("LIST", "kv/app", None, "list"),
    ] {
        let answer = lab.root(method, path, body).await.expect(404);
        assert_eq!(answer.warnings(), vec![invalid(verb)], "{method} {path}");
        assert_eq!(answer.data(), &Value::Null);
    }
    let root = lab.root("GET", "kv/data", None).await.expect(404);
    assert_eq!(
        root.warnings(),
        vec!["Non-listing operations on the root of a K/V v2 mount are not supported."]
    );
}

#[tokio::test]
async fn v2_a_trailing_slash_finds_the_metadata_but_not_the_data() {
    let lab = Lab::new().await;
    lab.enable_kv("kv", 2).await;
    lab.root("POST", "kv/data/app", Some(json!({ "data": { "a": 1 } })))
        .await
        .expect(200);
    // KV's encrypted key storage drops the empty last segment, the version key does not.
    let read = lab.root("GET", "kv/data/app/", None).await.expect(500);
    assert_eq!(
        read.errors(),
        ["1 error occurred:\n\t* could not find version data\n\n"]
    );
    lab.root("GET", "kv/data/nothing/", None).await.expect(404);
    let metadata = lab.root("GET", "kv/metadata/app/", None).await.expect(200);
    assert_eq!(metadata.data()["current_version"], 1);
    lab.root("DELETE", "kv/data/app/", None).await.expect(204);
    let deleted = lab.root("GET", "kv/data/app", None).await.expect(404);
    assert_ne!(deleted.data()["metadata"]["deletion_time"], "");
}

// --- Cubbyhole ------------------------------------------------------------------------

#[tokio::test]
async fn cubbyhole_is_private_to_each_token() {
    let lab = Lab::new().await;
    let alice = lab.token_with(&["default"]).await;
    let bob = lab.token_with(&["default"]).await;
    lab.call(
        "POST",
        "cubbyhole/notes/today",
        Some(&alice),
        Some(json!({ "note": "alice's", "count": 3 })),
    )
    .await
    .expect(204);
    let read = lab
        .call("GET", "cubbyhole/notes/today", Some(&alice), None)
        .await
        .expect(200);
    assert_eq!(read.data(), &json!({ "note": "alice's", "count": 3 }));
    assert_eq!(read.body["lease_duration"], 0);
    read.assert_mount_type(lab.flavor(), "cubbyhole");
    let listed = lab
        .call("LIST", "cubbyhole/notes", Some(&alice), None)
        .await
        .expect(200);
    assert_eq!(listed.data(), &json!({ "keys": ["today"] }));
    let top = lab
        .call("LIST", "cubbyhole", Some(&alice), None)
        .await
        .expect(200);
    assert_eq!(top.data(), &json!({ "keys": ["notes/"] }));

    // Bob, and even root, see nothing of Alice's.
    for token in [&bob, &lab.root] {
        let hidden = lab
            .call("GET", "cubbyhole/notes/today", Some(token), None)
            .await
            .expect(404);
        assert_eq!(hidden.body, json!({ "errors": [] }));
        lab.call("LIST", "cubbyhole/notes", Some(token), None)
            .await
            .expect(404);
    }
    lab.call(
        "POST",
        "cubbyhole/notes/today",
        Some(&bob),
        Some(json!({ "note": "bob's" })),
    )
    .await
    .expect(204);
    let still_alices = lab
        .call("GET", "cubbyhole/notes/today", Some(&alice), None)
        .await
        .expect(200);
    assert_eq!(still_alices.data()["note"], "alice's");
    lab.call("DELETE", "cubbyhole/notes/today", Some(&alice), None)
        .await
        .expect(204);
    lab.call("GET", "cubbyhole/notes/today", Some(&alice), None)
        .await
        .expect(404);
    let bobs = lab
        .call("GET", "cubbyhole/notes/today", Some(&bob), None)
        .await
        .expect(200);
    assert_eq!(bobs.data()["note"], "bob's");
}

#[tokio::test]
async fn cubbyhole_refuses_an_empty_write() {
    let lab = Lab::new().await;
    let answer = lab.root("POST", "cubbyhole/x", None).await.expect(500);
    assert!(
        answer.errors()[0].contains("missing data fields"),
        "{:?}",
        answer.errors()
    );
}
