//! The conformance harness: a labvault started in-process, spoken to over HTTP only.

#![allow(dead_code)]

use labvault::{Server, ServerConfig, Storage};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::path::Path;

pub struct Lab {
    pub server: Server,
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

pub async fn start(storage: Storage) -> Server {
    Server::start(ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        storage,
        dev: false,
    })
    .await
    .expect("labvault starts")
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
    let response = request.send().await.expect("labvault answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Answer { status, body }
}

impl Lab {
    /// A fresh, initialized (1 share) and unsealed labvault in memory.
    pub async fn new() -> Lab {
        Lab::initialized(Storage::Memory, 1, 1).await
    }

    /// A fresh labvault, initialized with `shares`/`threshold` and unsealed.
    pub async fn initialized(storage: Storage, shares: u8, threshold: u8) -> Lab {
        let server = start(storage).await;
        let http = reqwest::Client::new();
        let init = call_at(
            &http,
            &server.url(),
            "PUT",
            "sys/init",
            None,
            Some(json!({ "secret_shares": shares, "secret_threshold": threshold })),
        )
        .await
        .expect(200);
        let keys: Vec<String> = init.body["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap().to_string())
            .collect();
        let root = init.body["root_token"].as_str().unwrap().to_string();
        let lab = Lab {
            server,
            http,
            root,
            keys,
        };
        for key in lab.keys.iter().take(threshold as usize) {
            lab.call("PUT", "sys/unseal", None, Some(json!({ "key": key })))
                .await
                .expect(200);
        }
        lab
    }

    pub fn url(&self) -> String {
        self.server.url()
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

    pub async fn enable_kv(&self, path: &str, version: u8) {
        self.root(
            "POST",
            &format!("sys/mounts/{path}"),
            Some(json!({ "type": "kv", "options": { "version": version.to_string() } })),
        )
        .await
        .expect(204);
    }
}

pub fn status_is(status: StatusCode, expected: u16) -> bool {
    status.as_u16() == expected
}

pub fn data_dir(path: &Path) -> Storage {
    Storage::Directory(path.to_path_buf())
}
