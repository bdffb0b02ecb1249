//! The conformance harness: the same checks against a real OpenBao and against labvault
//! (`VAULTDECK_TEST_VAULT=openbao|labvault`, OpenBao by default), spoken to over HTTP only.
//! Where the two are meant to differ, the check asks `differences::expected` for the
//! difference's reason; every other difference is a labvault bug.

#![allow(dead_code)]

pub mod differences;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use testvault::TestVault;

pub struct Lab {
    pub vault: TestVault,
    pub http: reqwest::Client,
    pub root: String,
    pub keys: Vec<String>,
}

/// An answer: status and JSON body (`Null` when there was none).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn errors(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
    pub fn warnings(&self) -> Vec<String> {
        self.body["warnings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|w| w.as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
    /// `auth.client_token` of a login or token-creation answer.
    pub fn client_token(&self) -> String {
        self.body["auth"]["client_token"]
            .as_str()
            .expect("the answer carries a client token")
            .to_string()
    }
    /// `mount_type` in the envelope names the mount that answered, where the server puts it
    /// there at all (a listed difference).
    #[track_caller]
    pub fn assert_mount_type(&self, flavor: testvault::Flavor, mount_type: &str) {
        let expected = match differences::mount_type_in_envelope(flavor) {
            true => json!(mount_type),
            false => Value::Null,
        };
        assert_eq!(self.body["mount_type"], expected, "{}", self.body);
    }

    #[track_caller]
    pub fn expect(self, status: u16) -> Answer {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }
}

/// A fresh server: uninitialized and sealed, its data on disk (a restart seals it again).
pub async fn start() -> TestVault {
    TestVault::fresh().await.expect("a test Vault starts")
}

/// The keys of a JSON object, sorted (for asserting a shape exactly).
pub fn keys_of(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

async fn answer_of(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer { status, body }
}

pub async fn call_at(
    http: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut request = http.request(
        Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{base}/v1/{path}"),
    );
    if let Some(token) = token {
        request = request.header("X-Vault-Token", token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer_of(request.send().await.expect("Vault answers")).await
}

impl Lab {
    /// A dev server: initialized, unsealed, `secret/` as KV v2.
    pub async fn new() -> Lab {
        let vault = TestVault::dev().await.expect("a test Vault starts");
        let root = vault.root_token().to_string();
        Lab {
            vault,
            http: reqwest::Client::new(),
            root,
            keys: Vec::new(),
        }
    }

    /// A fresh server, initialized with `shares`/`threshold` and unsealed.
    pub async fn initialized(shares: u8, threshold: u8) -> Lab {
        let vault = TestVault::initialized(shares, threshold)
            .await
            .expect("a test Vault starts");
        Lab::of(vault)
    }

    /// A harness around a server that is initialized and unsealed.
    pub fn of(vault: TestVault) -> Lab {
        Lab {
            root: vault.root_token().to_string(),
            keys: vault.unseal_keys().to_vec(),
            vault,
            http: reqwest::Client::new(),
        }
    }

    pub fn flavor(&self) -> testvault::Flavor {
        self.vault.flavor()
    }

    pub fn url(&self) -> String {
        self.vault.url().to_string()
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        call_at(&self.http, &self.url(), method, path, token, body).await
    }

    /// A request with its own headers and a raw body, for what `call` cannot say
    /// (`Authorization`, a `Content-Type` other than JSON).
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Answer {
        let mut request = self.http.request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}/v1/{path}", self.url()),
        );
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body.to_string());
        }
        answer_of(request.send().await.expect("Vault answers")).await
    }

    /// `PATCH` with `Content-Type: application/merge-patch+json`, as Vault requires.
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.send(
            "PATCH",
            path,
            &[
                ("X-Vault-Token", token),
                ("Content-Type", "application/merge-patch+json"),
            ],
            Some(&body.to_string()),
        )
        .await
    }

    /// As root.
    pub async fn root(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.call(method, path, Some(&self.root), body).await
    }

    pub async fn write_policy(&self, name: &str, text: &str) {
        self.root(
            "PUT",
            &format!("sys/policies/acl/{name}"),
            Some(json!({ "policy": text })),
        )
        .await
        .expect(204);
    }

    /// A token holding `policies` (plus `default`).
    pub async fn token_with(&self, policies: &[&str]) -> String {
        let answer = self
            .root(
                "POST",
                "auth/token/create",
                Some(json!({ "policies": policies })),
            )
            .await
            .expect(200);
        answer.body["auth"]["client_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A token created by root with the given creation parameters.
    pub async fn token(&self, params: Value) -> String {
        self.root("POST", "auth/token/create", Some(params))
            .await
            .expect(200)
            .client_token()
    }

    pub async fn enable_userpass(&self, path: &str) {
        self.root(
            "POST",
            &format!("sys/auth/{path}"),
            Some(json!({ "type": "userpass" })),
        )
        .await
        .expect(204);
    }

    /// A dev server has KV v2 at `secret/`, as `bao server -dev` does: checks that want
    /// another version there disable it first.
    pub async fn replace_secret_with_kv(&self, version: u8) {
        self.root("DELETE", "sys/mounts/secret", None)
            .await
            .expect(204);
        self.enable_kv("secret", version).await;
    }

    pub async fn enable_kv(&self, path: &str, version: u8) {
        self.root(
            "POST",
            &format!("sys/mounts/{path}"),
            Some(json!({ "type": "kv", "options": { "version": version.to_string() } })),
        )
        .await
        .expect(204);
        if version == 2 {
            testvault::wait_for_kv_v2(self.vault.url(), &self.root, path)
                .await
                .expect("the new KV v2 mount serves");
        }
    }
}

pub fn status_is(status: StatusCode, expected: u16) -> bool {
    status.as_u16() == expected
}
