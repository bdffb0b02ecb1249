//! The login page without the app's code: its form posted by the browser itself to
//! `POST {base}/login`, and pages for logged-in users sending a browser without a session
//! there first. Over HTTP against a real Vault.

mod common;

use common::{cookie_pair, lab, vault, vaultdeck, Deck};
use serde_json::json;

/// What a browser sends with the login page's form, posted from the page itself.
const SAME_ORIGIN: (&str, &str) = ("sec-fetch-site", "same-origin");

struct Posted {
    status: u16,
    location: Option<String>,
    set_cookie: Option<String>,
    text: String,
}

fn site(deck: &Deck) -> String {
    deck.base.trim_end_matches("/api").to_string()
}

async fn post_form(deck: &Deck, headers: &[(&str, &str)], fields: &[(&str, &str)]) -> Posted {
    let mut request = deck.http.post(format!("{}/login", site(deck))).form(fields);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    answered(request).await
}

async fn get_page(deck: &Deck, path: &str, cookie: Option<&str>) -> Posted {
    let mut request = deck.http.get(format!("{}{path}", site(deck)));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    answered(request).await
}

/// Sends the request and keeps what the tests read of the answer.
async fn answered(request: reqwest::RequestBuilder) -> Posted {
    let response = request.send().await.expect("vaultdeck answers");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    Posted {
        status: response.status().as_u16(),
        location: header("location"),
        set_cookie: header("set-cookie"),
        text: response.text().await.unwrap_or_default(),
    }
}

#[tokio::test]
async fn the_login_page_works_without_the_app_and_goes_back_where_asked() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(lab.url(), &[]).await;
    let page = get_page(&deck, "/login?return=%2Fsecrets%2Fkv%2Flist%2F", None).await;
    assert_eq!(page.status, 200);
    // Leptos' streaming leaves two inline lines of bookkeeping; nothing loads the app.
    for code in [".js", ".wasm", "import("] {
        assert!(
            !page.text.contains(code),
            "{code} on the login page: {}",
            page.text
        );
    }
    assert!(page.text.contains(r#"method="post""#), "{}", page.text);
    assert!(page.text.contains(r#"name="first""#));
    assert!(page.text.contains(r#"value="/secrets/kv/list/""#));

    let posted = post_form(
        &deck,
        &[SAME_ORIGIN],
        &[
            ("method", "token"),
            ("tab", "token"),
            ("first", root.as_str()),
            ("return", "/secrets/kv/list/"),
        ],
    )
    .await;
    assert_eq!(posted.status, 303, "{}", posted.text);
    assert_eq!(posted.location.as_deref(), Some("./secrets/kv/list/"));
    let cookie = posted.set_cookie.expect("a session cookie");
    assert!(!cookie.contains(&root), "the token leaked into the cookie");
    for attribute in ["HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    // No path: the browser keeps it for the directory it posted to, prefix and all.
    assert!(!cookie.contains("Path="), "{cookie}");
    let who = deck
        .call("GET", "session", Some(&cookie_pair(&cookie)), None)
        .await
        .expect(200);
    assert_eq!(who.json()["method"], "token");
}

#[tokio::test]
async fn a_login_form_posted_from_another_site_is_refused() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(lab.url(), &[]).await;
    let fields = [("method", "token"), ("first", root.as_str())];
    let attacks: [&[(&str, &str)]; 5] = [
        &[("sec-fetch-site", "cross-site")],
        // A sibling host (`evil.corp.example` beside `vault.corp.example`) is the same site.
        &[("sec-fetch-site", "same-site")],
        &[("origin", "http://evil.example")],
        &[("origin", "null")],
        // A client that says nothing of where the post comes from.
        &[],
    ];
    for headers in attacks {
        let posted = post_form(&deck, headers, &fields).await;
        assert_eq!(posted.status, 403, "{headers:?}: {}", posted.text);
        assert!(posted.set_cookie.is_none(), "{headers:?} got a session");
    }
    // A browser without `Sec-Fetch-Site` that names this host as the origin may log in.
    let host = deck.base.split('/').nth(2).unwrap().to_string();
    let origin = format!("http://{host}");
    let posted = post_form(&deck, &[("origin", origin.as_str())], &fields).await;
    assert_eq!(posted.status, 303, "{}", posted.text);
}

#[tokio::test]
async fn the_form_never_sends_the_browser_to_another_site() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(lab.url(), &[]).await;
    for (target, expected) in [
        ("//evil.example/", "./"),
        ("/\\evil.example/", "./"),
        ("https://evil.example/", "./"),
        ("/\t/evil.example/", "./"),
        // A scheme in the first segment is only a path behind `./`.
        ("/https:evil.example", "./https:evil.example"),
        (
            "/secrets/kv/show/a b?version=2",
            "./secrets/kv/show/a%20b?version=2",
        ),
        // Out of the base path: behind `kubectl proxy` every service of the cluster shares
        // the origin, so `..` would log the user in and hand them to another one.
        ("/../../other-app/", "./"),
        ("/%2e%2E/%2e%2e/other-app/", "./"),
        ("/secrets/./../../x", "./"),
    ] {
        let posted = post_form(
            &deck,
            &[SAME_ORIGIN],
            &[
                ("method", "token"),
                ("first", root.as_str()),
                ("return", target),
            ],
        )
        .await;
        assert_eq!(posted.status, 303, "{target:?}: {}", posted.text);
        assert_eq!(posted.location.as_deref(), Some(expected), "{target:?}");
    }
}

#[tokio::test]
async fn a_refused_form_login_draws_the_page_again_with_vaults_words_and_no_secret() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(lab.url(), &[]).await;
    vault(
        lab.url(),
        "POST",
        "sys/auth/userpass",
        Some(&root),
        Some(json!({ "type": "userpass" })),
    )
    .await;
    vault(
        lab.url(),
        "POST",
        "auth/userpass/users/alice",
        Some(&root),
        Some(json!({ "password": "right-password" })),
    )
    .await;
    let posted = post_form(
        &deck,
        &[SAME_ORIGIN],
        &[
            ("method", "userpass"),
            ("tab", "userpass"),
            ("mount", "userpass"),
            ("first", "alice"),
            ("second", "wrong-password-typed"),
            ("return", "/access/policies"),
        ],
    )
    .await;
    assert_eq!(posted.status, 400, "{}", posted.text);
    assert!(posted.set_cookie.is_none());
    assert!(posted.text.contains("Login failed."), "{}", posted.text);
    assert!(
        posted.text.contains("invalid username or password"),
        "Vault's own words: {}",
        posted.text
    );
    assert!(
        posted.text.contains(r#"value="alice""#),
        "the user name is kept: {}",
        posted.text
    );
    assert!(
        posted.text.contains(r#"value="/access/policies""#),
        "so is the way back"
    );
    assert!(
        !posted.text.contains("wrong-password-typed"),
        "the password is not"
    );

    let posted = post_form(
        &deck,
        &[SAME_ORIGIN],
        &[
            ("method", "token"),
            ("tab", "token"),
            ("first", "s.not-a-real-token-typed"),
        ],
    )
    .await;
    assert_eq!(posted.status, 403, "{}", posted.text);
    assert!(posted.text.contains("Login failed."), "{}", posted.text);
    assert!(
        !posted.text.contains("not-a-real-token-typed"),
        "a token is never drawn back"
    );
}

#[tokio::test]
async fn a_page_for_logged_in_users_sends_a_browser_without_a_session_to_log_in_first() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(lab.url(), &[]).await;
    let page = get_page(&deck, "/secrets/kv/list/a%20b/?view=all", None).await;
    assert_eq!(page.status, 303);
    assert_eq!(
        page.location.as_deref(),
        Some("../../../../login?return=%2Fsecrets%2Fkv%2Flist%2Fa%2520b%2F%3Fview%3Dall")
    );
    let home = get_page(&deck, "/", None).await;
    assert_eq!(home.location.as_deref(), Some("./login?return=%2F"));
    // A link followed from another site comes without the `SameSite=Strict` cookie: the
    // app is served, and finds the session itself, instead of asking for a login that
    // would end the one the user has.
    let from_a_link = deck
        .http
        .get(format!("{}/secrets/kv/list/", site(&deck)))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(from_a_link.status(), 200);
    // An address a proxy may read with more segments than the browser did is not
    // answered with a relative redirect that could climb out of the base path.
    for odd in [
        "/secrets//kv/list/",
        "/secrets/kv%2Flist/",
        "/secrets/kv%2flist/",
    ] {
        let page = get_page(&deck, odd, None).await;
        assert_eq!(page.status, 200, "{odd}: {:?}", page.location);
    }
    // Pages that work before anyone logs in are drawn as they are.
    for open in ["/status", "/unseal", "/init"] {
        let page = get_page(&deck, open, None).await;
        assert_eq!(page.status, 200, "{open}");
    }
    // With a session, the page itself, with the app's code.
    let cookie = deck.login_with_token(&root).await;
    let page = get_page(&deck, "/secrets/kv/list/a%20b/", Some(&cookie)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains(".wasm"),
        "the app's pages bring its code"
    );
}

#[tokio::test]
async fn a_sealed_vault_keeps_the_apps_way_to_unseal() {
    let (lab, root) = lab().await;
    let deck = vaultdeck(lab.url(), &[]).await;
    vault(lab.url(), "PUT", "sys/seal", Some(&root), None).await;
    let home = get_page(&deck, "/", None).await;
    assert_eq!(
        home.status, 200,
        "the app leads to unseal: {:?}",
        home.location
    );
    let login = get_page(&deck, "/login", None).await;
    assert!(login.text.contains("Vault is sealed"), "{}", login.text);
}
