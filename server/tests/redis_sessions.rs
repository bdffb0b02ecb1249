//! Sessions in Redis survive a restart of the BFF (and are shared by replicas), against a
//! real `redis-server` from Debian (installed by `cargo xtask setup`).

mod common;

use common::{lab, vaultdeck};
use std::process::{Child, Command, Stdio};

struct RedisServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn redis_server() -> RedisServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
        ])
        .arg(dir.path())
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server is installed (cargo xtask setup installs Debian's redis-server)");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return RedisServer {
                child,
                port,
                _dir: dir,
            };
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("redis-server did not start on port {port}");
}

#[tokio::test]
async fn a_session_outlives_the_bff_that_created_it() {
    let redis = redis_server().await;
    let store = format!("redis://127.0.0.1:{}/0", redis.port);
    let (lab, root) = lab().await;

    let first = vaultdeck(&lab.url(), &["--session-store", &store]).await;
    let cookie = first.login_with_token(&root).await;
    first
        .call("GET", "session", Some(&cookie), None)
        .await
        .expect(200);
    first.running.stop().await.unwrap();

    let second = vaultdeck(&lab.url(), &["--session-store", &store]).await;
    let who = second
        .call("GET", "session", Some(&cookie), None)
        .await
        .expect(200)
        .json();
    assert_eq!(who["policies"], serde_json::json!(["root"]));
    second
        .call(
            "GET",
            "vault/v1/auth/token/lookup-self",
            Some(&cookie),
            None,
        )
        .await
        .expect(200);
    second
        .call("DELETE", "session", Some(&cookie), None)
        .await
        .expect(200);
    second
        .call("GET", "session", Some(&cookie), None)
        .await
        .expect(401);
}

/// Reviewer finding (stop 28): records were JSON in the clear, so whoever could read Redis
/// (a dump, a backup, a shared instance) had every user's live Vault token.
#[tokio::test]
async fn redis_holds_no_usable_token() {
    let redis = redis_server().await;
    let store = format!("redis://127.0.0.1:{}/0", redis.port);
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &["--session-store", &store]).await;
    let cookie = deck.login_with_token(&root).await;
    deck.call("GET", "session", Some(&cookie), None)
        .await
        .expect(200);

    let mut redis_client = redis::Client::open(store.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("vaultdeck:session:*")
        .query_async(&mut redis_client)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let stored: Vec<u8> = redis::cmd("GET")
        .arg(&keys[0])
        .query_async(&mut redis_client)
        .await
        .unwrap();
    let token = root.as_bytes();
    assert!(
        !stored.windows(token.len()).any(|w| w == token),
        "the token is in Redis as it is: {}",
        String::from_utf8_lossy(&stored)
    );
    let cookie_value = cookie.split_once('=').unwrap().1.as_bytes();
    assert!(!stored
        .windows(cookie_value.len())
        .any(|w| w == cookie_value));
}

/// A record an earlier version wrote in the clear is not read (its user logs in again), and
/// it is removed when its cookie comes back, so its token does not stay readable in Redis.
#[tokio::test]
async fn a_record_written_in_the_clear_is_removed_not_read() {
    use sha2::Digest;
    let redis = redis_server().await;
    let store = format!("redis://127.0.0.1:{}/0", redis.port);
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &["--session-store", &store]).await;
    let cookie_value = "A".repeat(43);
    let key = format!(
        "vaultdeck:session:{}",
        hex::encode(sha2::Sha256::digest(cookie_value.as_bytes()))
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // A live record, as the version before sealing wrote it.
    let record = serde_json::json!({
        "token": root, "accessor": "", "display_name": "token", "policies": ["root"],
        "method": "token", "mount": "", "expire_time": null, "granted_ttl": 0,
        "renewable": false, "renewed_at": now, "last_active": now,
    });
    let mut redis_client = redis::Client::open(store.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(record.to_string())
        .query_async(&mut redis_client)
        .await
        .unwrap();

    let cookie = format!("vaultdeck_session={cookie_value}");
    deck.call("GET", "session", Some(&cookie), None)
        .await
        .expect(401);
    let left: Option<String> = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut redis_client)
        .await
        .unwrap();
    assert_eq!(left, None, "the clear record is still in Redis");
}

/// Redis going away is a part being unavailable (503, and not ready), not a server error.
#[tokio::test]
async fn redis_down_is_503_and_not_ready() {
    let redis = redis_server().await;
    let store = format!("redis://127.0.0.1:{}/0", redis.port);
    let (lab, root) = lab().await;
    let deck = vaultdeck(lab.url(), &["--session-store", &store]).await;
    let cookie = deck.login_with_token(&root).await;
    deck.call("GET", "ready", None, None).await.expect(200);
    drop(redis);

    let refused = deck
        .call("GET", "session", Some(&cookie), None)
        .await
        .expect(503);
    assert!(
        refused.text.contains("session store is unavailable"),
        "{}",
        refused.text
    );
    let ready = deck
        .call("GET", "ready", None, None)
        .await
        .expect(503)
        .json();
    assert_eq!(ready["session_store_reachable"], false, "{ready}");
    assert_eq!(ready["vault_reachable"], true);
}

#[tokio::test]
async fn one_token_cannot_fill_redis() {
    let redis = redis_server().await;
    let store = format!("redis://127.0.0.1:{}/0", redis.port);
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &["--session-store", &store]).await;
    let token = common::create_token(
        &lab.url(),
        &root,
        serde_json::json!({ "policies": ["default"] }),
    )
    .await;
    common::check_a_tokens_sessions_are_bounded(&deck, &token, &root).await;
    // Each token's index expires with its sessions, also after a single login (review:
    // the first login's index was made by ZADD after its EXPIRE, and kept for ever).
    let mut redis_client = redis::Client::open(store.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let indexes: Vec<String> = redis::cmd("KEYS")
        .arg("vaultdeck:token:*")
        .query_async(&mut redis_client)
        .await
        .unwrap();
    assert_eq!(indexes.len(), 2, "{indexes:?}");
    for index in indexes {
        let ttl: i64 = redis::cmd("TTL")
            .arg(&index)
            .query_async(&mut redis_client)
            .await
            .unwrap();
        assert!(ttl > 0, "{index} expires in {ttl}");
    }
}
