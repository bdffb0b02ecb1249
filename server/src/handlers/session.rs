//! `api/session`: log in (the token stays here), who am I, log out.

use crate::{
    error::ApiError,
    session::{clear_cookie, now_unix, session_cookie, CurrentSession, SessionId, SessionRecord},
    state::AppState,
    vault::VaultToken,
};
use axum::{
    extract::State,
    http::{header, HeaderMap},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;
use vaultdeck_app::wire::{LoginRequest, LogoutResult, SessionInfo, TokenFate, TokenLookup};

/// `POST api/session`.
pub async fn create_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    previous: Result<CurrentSession, ApiError>,
    Json(login): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let (id, info) = log_in(&state, &headers, previous, login).await?;
    let cookie = session_cookie(
        &id,
        &state.cookie_path(&headers),
        state.config.secure_cookies(),
    );
    Ok(([(header::SET_COOKIE, cookie)], Json(info)).into_response())
}

/// Logs in as `login` says and begins a session: its id, for the cookie, and who it is.
/// Shared by the API and the login form (`login_form`).
pub async fn log_in(
    state: &AppState,
    headers: &HeaderMap,
    previous: Result<CurrentSession, ApiError>,
    login: LoginRequest,
) -> Result<(SessionId, SessionInfo), ApiError> {
    let method = login.method();
    let outcome = begin_session(state, headers, previous, login).await;
    crate::metrics::login(method, outcome.is_ok());
    outcome
}

async fn begin_session(
    state: &AppState,
    headers: &HeaderMap,
    previous: Result<CurrentSession, ApiError>,
    login: LoginRequest,
) -> Result<(SessionId, SessionInfo), ApiError> {
    // With two session cookies of ours the login would work and every call after it be
    // refused.
    let cookies = crate::session::session_ids_from(headers);
    state.sessions.named_by(cookies).await?;
    let obtained = obtain_token(state, &login).await?;
    let info = match state.vault.lookup_self(&obtained.token).await {
        Ok(info) => info,
        Err(refusal) => return Err(unusable_token(state, &obtained, refusal).await),
    };
    let record = record_from_lookup(obtained.token, login.method(), obtained.mount, info);
    // A new id at every login: a session id known before login is worthless after it. The
    // session before ends as at logout: a token Vaultdeck obtained for it is revoked (best
    // effort: the new login stands either way).
    if let Ok(CurrentSession(Some(previous))) = previous {
        if previous.record.obtained_by_login() {
            if let Err(error) = state.vault.revoke_self(&previous.record.token).await {
                tracing::warn!("the token of the session before could not be revoked: {error}");
            }
        }
        state.sessions.end(&previous.id).await?;
    }
    let info = record.info(now_unix(), state.sessions.idle_timeout.as_secs());
    let id = state.sessions.begin(record).await?;
    tracing::info!(method = login.method(), display_name = %info.display_name, "logged in");
    Ok((id, info))
}

/// A token to start a session with, and how it came.
struct Obtained {
    token: VaultToken,
    /// The auth mount used; empty for a token the user brought.
    mount: String,
    /// Whether Vaultdeck logged in to get it (then it is Vaultdeck's to revoke).
    by_login: bool,
}

/// Logs in to Vault with the given method, or takes the token the user brought.
async fn obtain_token(state: &AppState, login: &LoginRequest) -> Result<Obtained, ApiError> {
    let (mount, path, body) = match login {
        LoginRequest::Token { token } => {
            if token.expose().trim().is_empty() {
                return Err(ApiError::BadRequest("a token is required".into()));
            }
            return Ok(Obtained {
                token: VaultToken::new(token.expose().trim()),
                mount: String::new(),
                by_login: false,
            });
        }
        LoginRequest::Userpass {
            mount,
            username,
            password,
        } => {
            let mount = mount_or(mount, "userpass")?;
            let path = format!("auth/{mount}/login/{}", path_segment(username)?);
            (mount, path, json!({ "password": password.expose() }))
        }
        LoginRequest::Approle {
            mount,
            role_id,
            secret_id,
        } => {
            let mount = mount_or(mount, "approle")?;
            let path = format!("auth/{mount}/login");
            (
                mount,
                path,
                json!({ "role_id": role_id, "secret_id": secret_id.expose() }),
            )
        }
        LoginRequest::Kubernetes { mount, role, jwt } | LoginRequest::Jwt { mount, role, jwt } => {
            let mount = mount_or(mount, login.method())?;
            let path = format!("auth/{mount}/login");
            (mount, path, json!({ "role": role, "jwt": jwt.expose() }))
        }
    };
    let auth = state
        .vault
        .login(&path, &body)
        .await
        .map_err(login_refused)?;
    Ok(Obtained {
        token: auth.client_token,
        mount,
        by_login: true,
    })
}

/// Vault's refusal of a login, as the browser gets it: Vault's status and words.
fn login_refused(error: ApiError) -> ApiError {
    match error {
        ApiError::Vault { status, errors }
            if errors.iter().all(|e| e.starts_with("Vault answered HTTP")) =>
        {
            ApiError::Vault {
                status,
                errors: vec![format!("Vault refused the login (HTTP {status})")],
            }
        }
        other => other,
    }
}

/// A token that cannot look itself up cannot hold a session: Vaultdeck would not know its
/// policies or expiry. One Vaultdeck obtained is revoked at once rather than left behind;
/// one the user brought stays theirs.
async fn unusable_token(state: &AppState, obtained: &Obtained, refusal: ApiError) -> ApiError {
    let ApiError::Vault { status, errors } = refusal else {
        return refusal;
    };
    let why = errors.join("; ");
    let outcome = if !obtained.by_login {
        "It was not revoked: it is the token you brought.".to_string()
    } else {
        match state.vault.revoke_self(&obtained.token).await {
            Ok(()) => "Vaultdeck revoked the token it had obtained.".to_string(),
            Err(error) => format!("Revoking it failed too ({error}); it expires with its TTL."),
        }
    };
    ApiError::Vault {
        status,
        errors: vec![format!(
            "Vault issued a token, but the token may not look itself up \
             (auth/token/lookup-self: {why}), which Vaultdeck needs to know its policies and \
             expiry. Give it the default policy or read on auth/token/lookup-self. {outcome}"
        )],
    }
}

fn mount_or(mount: &Option<String>, default: &str) -> Result<String, ApiError> {
    let mount = mount
        .as_deref()
        .map(|m| m.trim().trim_matches('/'))
        .filter(|m| !m.is_empty())
        .unwrap_or(default);
    if mount
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
        || mount.contains(['?', '#'])
    {
        return Err(ApiError::BadRequest(format!(
            "{mount:?} is not a valid mount path"
        )));
    }
    Ok(mount.to_string())
}

/// A user name placed in a URL path, percent-encoded so that it is one segment whatever
/// it holds; no separators, no traversal.
fn path_segment(value: &str) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.contains(['/', '\\']) || value == "." || value == ".." {
        return Err(ApiError::BadRequest("a valid user name is required".into()));
    }
    Ok(crate::vault_path::encode_segment(value))
}

fn record_from_lookup(
    token: VaultToken,
    method: &str,
    mount: String,
    info: TokenLookup,
) -> SessionRecord {
    let now = now_unix();
    // Vault's `expire_time` is exact; its `ttl` is rounded down, and whole seconds added to a
    // truncated "now" could end a short-lived session up to two seconds early.
    let expire_time = info
        .expire_time
        .as_deref()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp())
        .or((info.ttl > 0).then_some(now + info.ttl as i64));
    SessionRecord {
        token,
        accessor: info.accessor,
        display_name: info.display_name,
        policies: info.policies,
        method: method.to_string(),
        mount,
        expire_time,
        granted_ttl: info.ttl,
        renewable: info.renewable && expire_time.is_some(),
        renewed_at: now,
        last_active: now,
    }
}

/// `GET api/session`: the session's details; `204 No Content` when there is no session
/// cookie (nobody is logged in, which is not an error); 401 with the reason when the
/// cookie's session has ended.
pub async fn get_session(State(state): State<AppState>, session: CurrentSession) -> Response {
    match session.0 {
        Some(active) => {
            let info = active
                .record
                .info(now_unix(), state.sessions.idle_timeout.as_secs());
            Json(info).into_response()
        }
        None => axum::http::StatusCode::NO_CONTENT.into_response(),
    }
}

/// `DELETE api/session`: forget the session, and revoke its token in Vault if Vaultdeck
/// obtained it by logging in. A token the user brought (a token login: the root token from
/// initialization, say) is left as it was: revoking it would destroy what the user owns.
pub async fn delete_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Result<CurrentSession, ApiError>,
) -> Result<Response, ApiError> {
    let result = match session {
        Ok(CurrentSession(Some(active))) => {
            let fate = if active.record.obtained_by_login() {
                state.vault.revoke_self(&active.record.token).await
            } else {
                Ok(())
            };
            state.sessions.end(&active.id).await?;
            logout_result(active.record.obtained_by_login(), fate)
        }
        // No session, or one already over: nothing to revoke.
        Ok(_) => LogoutResult {
            token: TokenFate::NoSession,
            message: "Logged out.".into(),
        },
        Err(_) => end_every_named_session(&state, &headers).await?,
    };
    let cookie = clear_cookie(&state.cookie_path(&headers), state.config.secure_cookies());
    Ok(([(header::SET_COOKIE, cookie)], Json(result)).into_response())
}

/// A logout whose session could not be told (several session cookies, or one that has
/// ended): which is the user's is not known, so every session the cookies name ends, and no
/// token is revoked — a session left behind would keep its token usable by whoever holds
/// its cookie.
async fn end_every_named_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<LogoutResult, ApiError> {
    let ids = crate::session::session_ids_from(headers);
    let several = ids.len() > 1;
    for id in ids.iter().take(crate::session::MOST_SESSION_COOKIES) {
        state.sessions.end(id).await?;
    }
    let message = if several {
        "Logged out. Your browser sent more than one Vaultdeck session cookie: every session \
         they named was ended, and no token was revoked. Clear this site's cookies."
    } else {
        "Logged out."
    };
    Ok(LogoutResult {
        token: TokenFate::NoSession,
        message: message.into(),
    })
}

fn logout_result(obtained_by_login: bool, revocation: Result<(), ApiError>) -> LogoutResult {
    let (token, message) = match (obtained_by_login, revocation) {
        (false, _) => (
            TokenFate::Kept,
            "Logged out. The token you logged in with was not revoked: it stays valid.".into(),
        ),
        (true, Ok(())) => (
            TokenFate::Revoked,
            "Logged out; the token Vaultdeck obtained at login was revoked.".into(),
        ),
        (true, Err(error)) => (
            TokenFate::NotRevoked,
            format!(
                "Logged out, but the token Vaultdeck obtained could not be revoked ({error}): \
                 it stays valid until it expires."
            ),
        ),
    };
    LogoutResult { token, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_and_names_cannot_escape_their_path() {
        assert_eq!(mount_or(&None, "userpass").unwrap(), "userpass");
        assert_eq!(
            mount_or(&Some("/corp/up/".into()), "userpass").unwrap(),
            "corp/up"
        );
        assert!(mount_or(&Some("../sys".into()), "userpass").is_err());
        assert!(path_segment("alice/../../sys").is_err());
        assert_eq!(path_segment(" alice ").unwrap(), "alice");
        assert_eq!(path_segment("a%2e%2e b").unwrap(), "a%252e%252e%20b");
    }

    #[test]
    fn the_record_keeps_what_lookup_self_says_of_the_token() {
        let data = serde_json::json!({
            "accessor": "8609694a-cdbc-db9b-d345-e782dbb562ed",
            "display_name": "userpass-alice",
            "policies": ["default", "webapp-one-read"],
            "ttl": 3600,
            "renewable": true,
        });
        let info = serde_json::from_value(data).unwrap();
        let record = record_from_lookup(VaultToken::new("hvs.x"), "userpass", "up".into(), info);
        assert_eq!(record.accessor, "8609694a-cdbc-db9b-d345-e782dbb562ed");
        assert_eq!(record.policies, ["default", "webapp-one-read"]);
        assert_eq!(record.granted_ttl, 3600);
        assert!(record.renewable);
        assert!(
            !format!("{record:?}").contains("hvs.x"),
            "the token is redacted"
        );
    }

    #[test]
    fn the_expiry_comes_from_vaults_exact_expire_time() {
        let info = serde_json::from_value(serde_json::json!({
            "ttl": 3,
            "expire_time": "2030-01-01T00:00:04.999Z",
            "renewable": true,
        }))
        .unwrap();
        let record = record_from_lookup(VaultToken::new("t"), "token", String::new(), info);
        assert_eq!(record.expire_time, Some(1_893_456_004));
    }

    #[test]
    fn only_tokens_vaultdeck_obtained_are_revoked_at_logout() {
        assert_eq!(logout_result(false, Ok(())).token, TokenFate::Kept);
        assert_eq!(logout_result(true, Ok(())).token, TokenFate::Revoked);
        let failed = logout_result(true, Err(ApiError::Internal("down".into())));
        assert_eq!(failed.token, TokenFate::NotRevoked);
        assert!(failed.message.contains("stays valid until it expires"));
    }
}
