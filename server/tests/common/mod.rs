//! The BFF's integration harness: a real Vault (OpenBao or labvault), a real vaultdeck,
//! HTTP between them.

#![allow(dead_code)]

pub mod kube;
pub mod recorder;

use clap::Parser;
use reqwest::{header, Method};
use serde_json::{json, Value};
use vaultdeck::{config::Config, Running};

pub struct Answer {
    pub status: u16,
    pub headers: header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
    #[track_caller]
    pub fn expect(self, status: u16) -> Answer {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }
    pub fn set_cookie(&self) -> Option<String> {
        self.headers
            .get(header::SET_COOKIE)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

/// A dev server of the flavor `VAULTDECK_TEST_VAULT` names (OpenBao unless it says
/// `labvault`): initialized, unsealed, `secret/` as KV v2, and its root token.
pub async fn lab() -> (testvault::TestVault, String) {
    let vault = testvault::TestVault::dev()
        .await
        .expect("a test Vault starts");
    let root = vault.root_token().to_string();
    (vault, root)
}

/// A site directory with an empty bundle: enough for the API.
pub fn site_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("pkg")).unwrap();
    dir
}

pub struct Deck {
    pub running: Running,
    pub base: String,
    pub http: reqwest::Client,
    _site: tempfile::TempDir,
}

pub async fn vaultdeck(vault_addr: &str, extra: &[&str]) -> Deck {
    let site = site_dir();
    let mut args = vec![
        "vaultdeck",
        "--vault-addr",
        vault_addr,
        "--listen",
        "127.0.0.1:0",
        "--site-dir",
        site.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let config = Config::try_parse_from(args).expect("valid test configuration");
    let running = vaultdeck::start(config).await.expect("vaultdeck starts");
    let base = format!("http://{}/ui/api", running.addr);
    Deck {
        running,
        base,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        _site: site,
    }
}

impl Deck {
    /// A request as the app sends it (with the CSRF header), with an optional session cookie.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        cookie: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self
            .http
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                format!("{}/{path}", self.base),
            )
            .header("X-Requested-With", "vaultdeck");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("vaultdeck answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        Answer {
            status,
            headers,
            text,
        }
    }

    /// `GET` as the app's own polling sends it: a background request, not user activity.
    pub async fn poll(&self, path: &str, cookie: &str) -> Answer {
        let response = self
            .http
            .get(format!("{}/{path}", self.base))
            .header(header::COOKIE, cookie)
            .header("X-Requested-With", "vaultdeck")
            .header("X-Vaultdeck-Activity", "background")
            .send()
            .await
            .expect("vaultdeck answers");
        Answer {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            text: response.text().await.unwrap_or_default(),
        }
    }

    /// Logs in and returns the `Cookie` header value for the new session.
    pub async fn login(&self, body: Value) -> String {
        let answer = self
            .call("POST", "session", None, Some(body))
            .await
            .expect(200);
        cookie_pair(&answer.set_cookie().expect("a session cookie"))
    }

    pub async fn login_with_token(&self, token: &str) -> String {
        self.login(json!({ "method": "token", "token": token }))
            .await
    }
}

/// `name=value` from a `Set-Cookie` header.
pub fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().trim().to_string()
}

/// Calls Vault directly (as an operator's CLI would).
pub async fn vault(
    lab_url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut request = client.request(
        Method::from_bytes(method.as_bytes()).unwrap(),
        format!("{lab_url}/v1/{path}"),
    );
    if let Some(token) = token {
        request = request.header("X-Vault-Token", token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A token created directly in Vault with the given parameters.
pub async fn create_token(lab_url: &str, root: &str, params: Value) -> String {
    let (status, body) = vault(
        lab_url,
        "POST",
        "auth/token/create",
        Some(root),
        Some(params),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["auth"]["client_token"].as_str().unwrap().to_string()
}

/// One token, logged in with again and again (a token login costs Vault nothing new):
/// the sessions it holds stay bounded, the oldest ending first, and another token's
/// session is untouched. Sessions that ended already do not count.
pub async fn check_a_tokens_sessions_are_bounded(deck: &Deck, token: &str, other_token: &str) {
    let most = vaultdeck::MOST_SESSIONS_PER_TOKEN;
    let other = deck.login_with_token(other_token).await;
    let mut cookies = Vec::new();
    for _ in 0..most + 2 {
        cookies.push(deck.login_with_token(token).await);
    }
    for (n, cookie) in cookies.iter().enumerate() {
        let expected = if n < 2 { 401 } else { 200 };
        let status = deck.call("GET", "session", Some(cookie), None).await.status;
        assert_eq!(status, expected, "session {n} of {}", most + 2);
    }
    deck.call("GET", "session", Some(&other), None)
        .await
        .expect(200);
    // A session that ended (logout) no longer counts: the next login ends none.
    deck.call("DELETE", "session", Some(&cookies[5]), None)
        .await
        .expect(200);
    deck.login_with_token(token).await;
    deck.call("GET", "session", Some(&cookies[2]), None)
        .await
        .expect(200);
}
