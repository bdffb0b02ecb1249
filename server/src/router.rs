//! The one route table of the BFF. Everything lives under the base path (default `/ui`).

use crate::{
    handlers::{health, k8s, listing, login_form, session, site, vault_proxy},
    middleware::{forget_ended_sessions, refuse_cross_site},
    state::AppState,
};
use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderValue},
    routing::{any, get, post},
    Router,
};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

pub fn routes(state: AppState) -> Router {
    let base = state.base_path().to_string();
    let api = Router::new()
        .route("/health", get(health::get_health))
        .route("/ready", get(health::get_readiness))
        .route(
            "/session",
            get(session::get_session)
                .post(session::create_session)
                .delete(session::delete_session),
        )
        .route("/vault/v1/{*path}", any(vault_proxy::forward_to_vault))
        .route("/list/v1/{*path}", get(listing::list_page))
        .route("/search/v1/{*path}", get(listing::search_folders))
        .route("/k8s/cluster", get(k8s::get_cluster))
        .route("/k8s/namespaces", get(k8s::list_namespaces))
        .route(
            "/k8s/namespaces/{namespace}/serviceaccounts",
            get(k8s::list_service_accounts).post(k8s::create_service_account),
        )
        .route("/k8s/test-login", post(k8s::test_login))
        .route("/k8s/workloads", get(k8s::list_workloads))
        .route("/k8s/token-abilities", post(k8s::token_abilities))
        .route("/k8s/set-up", post(k8s::set_up))
        .route("/delivery/settings", get(k8s::get_delivery_settings))
        .route("/delivery/prove", post(k8s::prove_delivery))
        .route("/tools/certificate", post(k8s::inspect_certificate))
        .route("/tools/role-rules", post(k8s::check_role_rules))
        .fallback(|| async { crate::error::ApiError::NotFound })
        .layer(axum::middleware::from_fn(refuse_cross_site))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            forget_ended_sessions,
        ));

    // The bundle's names carry a content hash, so browsers may keep them for a year; only
    // the files themselves (and a 304, which refreshes a kept file's headers), though: a 404
    // (an old pod asked for a new build's file during an upgrade) kept for a year would
    // break the app for that long.
    let bundle = ServeDir::new(state.site.root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    let bundle = tower::ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            |response: &axum::http::Response<_>| {
                let status = response.status();
                (status.is_success() || status == axum::http::StatusCode::NOT_MODIFIED)
                    .then(|| HeaderValue::from_static("public, max-age=31536000, immutable"))
            },
        ))
        // The same name answers Brotli, gzip or plain bytes by Accept-Encoding; a shared
        // cache must keep them apart (tower-http's ServeDir says so only from 0.7).
        .layer(SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
        .service(bundle);

    let mut router = Router::new()
        .nest(&format!("{base}/api"), api)
        .nest_service(&format!("{base}/pkg"), bundle)
        .route(&format!("{base}/"), get(site::serve_file_or_page))
        // The login page's form, posted by the browser itself (the page runs no WASM).
        .route(
            &format!("{base}/login"),
            get(site::serve_file_or_page).post(login_form::log_in_by_form),
        )
        .route(&format!("{base}/{{*path}}"), get(site::serve_file_or_page));
    if !base.is_empty() {
        router = router
            .route(&base, get(site::redirect_to_base))
            .route("/", get(site::redirect_root_to_base));
    }
    // The body limit is enforced once, by the middleware stack, with a JSON 413.
    router.layer(DefaultBodyLimit::disable()).with_state(state)
}
