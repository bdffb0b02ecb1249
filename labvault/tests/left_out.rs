//! What labvault leaves out answers a clear error there, and works on OpenBao: each check
//! sends the same request to both and expects OpenBao's real answer or labvault's refusal
//! (differences.rs, `left_out`).

mod common;

use common::{differences, Answer, Lab};
use serde_json::{json, Value};

/// On labvault, a 400 with exactly `refusal`; on OpenBao, `openbao_status`.
#[track_caller]
fn assert_left_out(answer: Answer, refusal: Option<String>, openbao_status: u16) -> Answer {
    match refusal {
        Some(refusal) => {
            assert_eq!(answer.errors(), [refusal], "{}", answer.body);
            answer.expect(400)
        }
        None => answer.expect(openbao_status),
    }
}

#[tokio::test]
async fn other_auth_methods_are_not_in_labvaults_catalog() {
    let lab = Lab::new().await;
    for kind in ["approle", "jwt"] {
        let answer = lab
            .root(
                "POST",
                &format!("sys/auth/{kind}"),
                Some(json!({ "type": kind })),
            )
            .await;
        assert_left_out(
            answer,
            differences::left_out_plugin(lab.flavor(), kind),
            204,
        );
    }
}

#[tokio::test]
async fn response_wrapping_is_refused_not_ignored() {
    let lab = Lab::new().await;
    let answer = lab
        .send(
            "GET",
            "auth/token/lookup-self",
            &[("X-Vault-Token", &lab.root), ("X-Vault-Wrap-TTL", "60")],
            None,
        )
        .await;
    let refusal = differences::left_out(lab.flavor(), "response wrapping is");
    let answer = assert_left_out(answer, refusal, 200);
    if answer.status == 200 {
        assert_eq!(answer.data(), &Value::Null, "the answer is wrapped");
        assert!(answer.body["wrap_info"]["token"].is_string());
    }
}

#[tokio::test]
async fn batch_tokens_and_token_roles_are_left_out() {
    let lab = Lab::new().await;
    let batch = lab
        .root(
            "POST",
            "auth/token/create",
            Some(json!({ "type": "batch", "policies": ["default"] })),
        )
        .await;
    let batch = assert_left_out(
        batch,
        differences::left_out(lab.flavor(), "batch tokens are"),
        200,
    );
    if batch.status == 200 {
        assert_eq!(batch.body["auth"]["token_type"], "batch");
    }
    let role = lab
        .root("POST", "auth/token/roles/ci", Some(json!({})))
        .await;
    assert_left_out(
        role,
        differences::left_out(lab.flavor(), "token roles are"),
        204,
    );
}

#[tokio::test]
async fn the_identity_store_is_mounted_but_left_out() {
    let lab = Lab::new().await;
    let mounts = lab.root("GET", "sys/mounts", None).await.expect(200);
    assert_eq!(mounts.data()["identity/"]["type"], "identity");
    let entity = lab
        .root("POST", "identity/entity", Some(json!({ "name": "alice" })))
        .await;
    let refusal = differences::left_out(lab.flavor(), "the identity store is");
    assert_left_out(entity, refusal, 200);
}

#[tokio::test]
async fn namespaces_are_refused_not_ignored() {
    let lab = Lab::new().await;
    let scoped = lab
        .send(
            "GET",
            "secret/data/app",
            &[("X-Vault-Token", &lab.root), ("X-Vault-Namespace", "team")],
            None,
        )
        .await;
    let refusal = differences::left_out(lab.flavor(), "namespaces are");
    // OpenBao has namespaces; "team" just does not exist yet.
    let scoped = assert_left_out(scoped, refusal.clone(), 404);
    if scoped.status == 404 {
        assert_eq!(scoped.errors(), ["namespace not found"]);
    }
    let created = lab
        .root("POST", "sys/namespaces/team", Some(json!({})))
        .await;
    assert_left_out(created, refusal, 200);
    // The root namespace, named, is no namespace at all.
    lab.send(
        "GET",
        "auth/token/lookup-self",
        &[("X-Vault-Token", &lab.root), ("X-Vault-Namespace", "root")],
        None,
    )
    .await
    .expect(200);
}

#[tokio::test]
async fn audit_devices_cannot_be_enabled_through_the_api() {
    let lab = Lab::new().await;
    let answer = lab
        .root(
            "PUT",
            "sys/audit/file",
            Some(json!({ "type": "file", "options": { "file_path": "/dev/null" } })),
        )
        .await
        .expect(400);
    // OpenBao 2.x takes audit devices only from its configuration file.
    let refusal = differences::left_out(lab.flavor(), "audit devices are").unwrap_or_else(|| {
        "cannot enable audit device via API; use declarative, config-based audit device management instead".into()
    });
    assert_eq!(answer.errors(), [refusal]);
}
