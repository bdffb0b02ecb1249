//! Paged, cached, filtered LISTs and the streamed sub-folder search, against labvault.

mod common;

use common::{create_token, lab, vault, vaultdeck, Deck};
use serde_json::{json, Value};

async fn seed(lab_url: &str, root: &str, paths: &[String]) {
    let client = reqwest::Client::new();
    let writes = paths.iter().map(|path| {
        client
            .post(format!("{lab_url}/v1/secret/data/{path}"))
            .header("X-Vault-Token", root)
            .json(&json!({ "data": { "k": "v" } }))
            .send()
    });
    for answer in futures_util::future::join_all(writes).await {
        assert!(answer.unwrap().status().is_success());
    }
}

#[tokio::test]
async fn a_big_folder_comes_in_sorted_filtered_pages() {
    let (lab, root) = lab().await;
    let mut paths: Vec<String> = (0..1500).map(|i| format!("big/app-{i:05}")).collect();
    paths.extend(["big/zeta/x".to_string(), "big/alpha/x".to_string()]);
    seed(&lab.url(), &root, &paths).await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let cookie = deck.login_with_token(&root).await;

    let first = deck
        .call(
            "GET",
            "list/v1/secret/metadata/big?offset=0&limit=5",
            Some(&cookie),
            None,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(first["total"], 1502);
    assert_eq!(first["folders"], 2);
    assert_eq!(
        first["keys"],
        json!(["alpha/", "zeta/", "app-00000", "app-00001", "app-00002"])
    );

    let last = deck
        .call(
            "GET",
            "list/v1/secret/metadata/big/?offset=1500&limit=200",
            Some(&cookie),
            None,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(last["keys"], json!(["app-01498", "app-01499"]));

    let contains = deck
        .call(
            "GET",
            "list/v1/secret/metadata/big?filter=149&limit=50",
            Some(&cookie),
            None,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        contains["total"], 12,
        "app-00149, app-01149 and app-01490..app-01499: {contains}"
    );
    let prefix = deck
        .call(
            "GET",
            "list/v1/secret/metadata/big?filter=APP-0149&match=prefix",
            Some(&cookie),
            None,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(prefix["total"], 10);
    assert_eq!(prefix["unfiltered"], 1502);
}

#[tokio::test]
async fn listings_are_kept_briefly_per_session_and_refreshed_on_request() {
    let (lab, root) = lab().await;
    seed(&lab.url(), &root, &["shared/one".to_string()]).await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let cookie = deck.login_with_token(&root).await;
    let before = deck
        .call("GET", "list/v1/secret/metadata/shared", Some(&cookie), None)
        .await
        .expect(200)
        .json();
    assert_eq!(before["total"], 1);
    seed(&lab.url(), &root, &["shared/two".to_string()]).await;
    let cached = deck
        .call("GET", "list/v1/secret/metadata/shared", Some(&cookie), None)
        .await
        .expect(200)
        .json();
    assert_eq!(cached["total"], 1, "the kept listing is reused");
    let fresh = deck
        .call(
            "GET",
            "list/v1/secret/metadata/shared?refresh=true",
            Some(&cookie),
            None,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(fresh["total"], 2);
    // Another spelling of the folder is the same kept listing, not one more copy of it
    // (review, stop 29: 64 spellings of a 2-million-key folder filled memory).
    seed(&lab.url(), &root, &["shared/three".to_string()]).await;
    let respelled = deck
        .call(
            "GET",
            "list/v1/secret/metadata/%73hared/",
            Some(&cookie),
            None,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(respelled["total"], 2, "{respelled}");

    // Another user's session never sees the kept listing: Vault decides for them.
    let narrow = create_token(&lab.url(), &root, json!({ "policies": ["default"] })).await;
    let other = deck.login_with_token(&narrow).await;
    let denied = deck
        .call("GET", "list/v1/secret/metadata/shared", Some(&other), None)
        .await
        .expect(403);
    assert!(denied.text.contains("permission denied"));
}

#[tokio::test]
async fn an_empty_folder_is_an_empty_page_not_an_error() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let cookie = deck.login_with_token(&root).await;
    let empty = deck
        .call(
            "GET",
            "list/v1/secret/metadata/nothing",
            Some(&cookie),
            None,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        (empty["total"].clone(), empty["keys"].clone()),
        (json!(0), json!([]))
    );
}

/// A lab with a secret at each of `paths` (URL text under `secret/data/`), and Vaultdeck
/// logged in as root: the lab, its root token, the deck and the session's cookie.
async fn searchable(paths: &[&str]) -> (testvault::TestVault, String, Deck, String) {
    let (lab, root) = lab().await;
    let paths: Vec<String> = paths.iter().map(|s| s.to_string()).collect();
    seed(&lab.url(), &root, &paths).await;
    let deck = vaultdeck(&lab.url(), &[]).await;
    let cookie = deck.login_with_token(&root).await;
    (lab, root, deck, cookie)
}

/// `GET search/v1/secret/metadata/{query}`: its NDJSON lines, parsed.
async fn search(deck: &Deck, query: &str, cookie: &str) -> Vec<Value> {
    let path = format!("search/v1/secret/metadata/{query}");
    let answer = deck
        .call("GET", &path, Some(cookie), None)
        .await
        .expect(200);
    answer
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test]
async fn search_walks_sub_folders_within_bounds_and_skips_what_it_may_not_list() {
    let (lab, root, deck, cookie) = searchable(&[
        "apps/web/db-password",
        "apps/web/api-key",
        "apps/batch/db-password",
        "apps/deep/a/b/c/db-password",
        "ops/db-admin",
    ])
    .await;

    let found = search(&deck, "apps?q=DB-pass", &cookie).await;
    let matches: Vec<&str> = found.iter().filter_map(|l| l["match"].as_str()).collect();
    assert_eq!(matches.len(), 3, "{found:?}");
    assert!(matches.contains(&"deep/a/b/c/db-password"));
    let done = found.last().unwrap()["done"].clone();
    assert_eq!(done["stopped"], "complete");

    let shallow = search(&deck, "apps?q=db&depth=2", &cookie).await;
    assert_eq!(shallow.iter().filter(|l| l["match"].is_string()).count(), 2);
    assert_eq!(shallow.last().unwrap()["done"]["stopped"], "depth");

    let limited = search(&deck, "apps?q=db&limit=1", &cookie).await;
    assert_eq!(limited.last().unwrap()["done"]["stopped"], "limit");

    // A token that may list the top but not apps/web/: that folder is counted as denied.
    vault(&lab.url(), "PUT", "sys/policies/acl/partial", Some(&root), Some(json!({
        "policy": "path \"secret/metadata/apps/\" { capabilities = [\"list\"] }\npath \"secret/metadata/apps/batch/\" { capabilities = [\"list\"] }"
    }))).await;
    let partial = create_token(&lab.url(), &root, json!({ "policies": ["partial"] })).await;
    let partial_cookie = deck.login_with_token(&partial).await;
    let seen = search(&deck, "apps?q=db", &partial_cookie).await;
    let matches: Vec<&str> = seen.iter().filter_map(|l| l["match"].as_str()).collect();
    assert_eq!(matches, vec!["batch/db-password"]);
    assert_eq!(
        seen.last().unwrap()["done"]["denied"],
        2,
        "web/ and deep/ could not be listed"
    );

    deck.call(
        "GET",
        "search/v1/secret/metadata/apps?q=",
        Some(&cookie),
        None,
    )
    .await
    .expect(400);
    deck.call(
        "GET",
        "search/v1/secret/metadata/ops?q=x",
        Some(&partial_cookie),
        None,
    )
    .await
    .expect(403);
}

/// Vault's keys are names, not URL text: a folder called `a%41` is searched as itself, not
/// as `aA` (nor one with a space as something else).
#[tokio::test]
async fn search_reads_folder_names_as_names() {
    let (_lab, _, deck, cookie) =
        searchable(&["odd/a%2541/db-password", "odd/b%20c/db-password"]).await;

    let found = search(&deck, "odd?q=db", &cookie).await;
    let mut matches: Vec<&str> = found.iter().filter_map(|l| l["match"].as_str()).collect();
    matches.sort();
    assert_eq!(
        matches,
        vec!["a%41/db-password", "b c/db-password"],
        "{found:?}"
    );
    assert_eq!(found.last().unwrap()["done"]["denied"], 0, "{found:?}");
}
