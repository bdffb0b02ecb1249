//! Serving the app: server-rendered pages, the hashed WASM/JS/CSS bundle and static files.

use crate::{
    handlers::login_form, middleware::content_security_policy, prefix::forwarded_prefix,
    session::CurrentSession, state::AppState,
};
use axum::{
    body::Body,
    extract::{FromRequestParts, Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use leptos::prelude::*;
use tower::ServiceExt;
use tower_http::services::ServeDir;
use vaultdeck_app::{
    base::app_path_under, pages::login::LoginPageFacts, routes::AppRoute, shell, BaseHref, PageCode,
};

/// `GET {base}` without the trailing slash: a relative redirect, so that whatever prefix a
/// proxy put in front stays in the browser's URL.
pub async fn redirect_to_base(State(state): State<AppState>) -> Redirect {
    let last_segment = state.base_path().rsplit('/').next().unwrap_or_default();
    Redirect::temporary(&format!("{last_segment}/"))
}

/// `GET /` when the base path is not `/`.
pub async fn redirect_root_to_base(State(state): State<AppState>) -> Redirect {
    Redirect::temporary(&format!("{}/", state.base_path().trim_start_matches('/')))
}

/// Any other `GET` under the base path: a file from the site directory if there is one,
/// else the app, which renders the page for the path (or its not-found page, with 404).
pub async fn serve_file_or_page(State(state): State<AppState>, request: Request) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    if let Some(file) = static_file(&state, method, &path).await {
        return file;
    }
    serve_page(state, request).await
}

/// The page for the address: the login page without the app's code; a page for
/// logged-in users, without a session, as a redirect to the login page; any other, the
/// app.
async fn serve_page(state: AppState, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let route = AppRoute::of_address(state.base_path(), &path);
    if matches!(route, AppRoute::Login { .. }) {
        let facts = login_form::login_page_facts(&state, None).await;
        return render_login_page(state, request, facts, StatusCode::OK).await;
    }
    if route.needs_login() {
        let (mut parts, body) = request.into_parts();
        let session = CurrentSession::from_request_parts(&mut parts, &state).await;
        let app_path = app_path_under(state.base_path(), &path);
        let query = parts.uri.query().map(str::to_string);
        let to_login =
            login_form::login_first(&state, &parts.headers, session, &app_path, query.as_deref())
                .await;
        if let Some(redirect) = to_login {
            return redirect;
        }
        return render_page(state, Request::from_parts(parts, body), Rendering::app()).await;
    }
    render_page(state, request, Rendering::app()).await
}

/// The login page, drawn by the server alone (no WASM): its form posts itself.
pub async fn render_login_page(
    state: AppState,
    request: Request,
    facts: LoginPageFacts,
    status: StatusCode,
) -> Response {
    let rendering = Rendering {
        code: PageCode::HtmlOnly,
        login_facts: Some(facts),
        status,
    };
    render_page(state, request, rendering).await
}

/// How to draw a page.
struct Rendering {
    code: PageCode,
    /// What the server knows for the login page (only it reads them).
    login_facts: Option<LoginPageFacts>,
    status: StatusCode,
}

impl Rendering {
    fn app() -> Rendering {
        Rendering {
            code: PageCode::Hydrated,
            login_facts: None,
            status: StatusCode::OK,
        }
    }
}

async fn static_file(state: &AppState, method: Method, path: &str) -> Option<Response> {
    let relative = path.strip_prefix(state.base_path())?;
    if relative.is_empty() || relative == "/" {
        return None;
    }
    let file_request = Request::builder()
        .method(method)
        .uri(relative)
        .body(Body::empty())
        .ok()?;
    let files = ServeDir::new(&state.site.root).append_index_html_on_directories(false);
    let response = files.oneshot(file_request).await.ok()?;
    if response.status() == StatusCode::NOT_FOUND {
        return None;
    }
    let mut response = response.map(Body::new);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Some(response)
}

/// Server-renders the app for this request, with a per-response CSP nonce for the one
/// inline hydration script (when the page has one).
async fn render_page(state: AppState, mut request: Request, rendering: Rendering) -> Response {
    let prefix = forwarded_prefix(request.headers()).to_string();
    let base_href = BaseHref(format!("{prefix}{}/", state.base_path()));
    // The router matches the URL the browser sees, prefix included, as it will after hydration.
    if !prefix.is_empty() {
        if let Ok(uri) = format!("{prefix}{}", request.uri()).parse() {
            *request.uri_mut() = uri;
        }
    }
    let options = state.site.leptos_options.clone();
    let Rendering {
        code,
        login_facts,
        status,
    } = rendering;
    let handler = leptos_axum::render_app_to_stream_with_context(
        move || {
            if let Some(facts) = login_facts.clone() {
                provide_context(facts);
            }
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                if status != StatusCode::OK {
                    response.set_status(status);
                }
                let nonce = leptos::nonce::use_nonce().map(|n| n.to_string());
                let policy = content_security_policy(nonce.as_deref());
                if let Ok(value) = HeaderValue::from_str(&policy) {
                    response.insert_header(header::CONTENT_SECURITY_POLICY, value);
                }
                response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
        },
        move || shell(options.clone(), base_href.clone(), code),
    );
    handler(request).await.into_response()
}
