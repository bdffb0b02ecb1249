//! `api/session`: log in (the token stays here), who am I, log out.

use crate::{
    error::ApiError,
    session::{clear_cookie, now_unix, session_cookie, CurrentSession, SessionRecord},
    state::AppState,
    vault::{VaultAnswer, VaultToken},
};
use axum::{
    extract::State,
    http::{header, HeaderMap, Method},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::{json, Value};
use vaultdeck_app::wire::{LoginRequest, LogoutResult};

/// `POST api/session`.
pub async fn create_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    previous: Result<CurrentSession, ApiError>,
    Json(login): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let (token, mount) = obtain_token(&state, &login).await?;
    let lookup = state
        .vault
        .call_json(Method::GET, "auth/token/lookup-self", Some(&token), None)
        .await?;
    if lookup.status != 200 {
        return Err(vault_refusal(lookup));
    }
    let record = record_from_lookup(token, login.method(), mount, &lookup.body["data"]);
    // A new id at every login: a session id known before login is worthless after it.
    if let Ok(CurrentSession(Some(previous))) = previous {
        state.sessions.end(&previous.id).await?;
    }
    let info = record.info(now_unix(), state.sessions.idle_timeout.as_secs());
    let id = state.sessions.begin(record).await?;
    tracing::info!(method = login.method(), display_name = %info.display_name, "logged in");
    let cookie = session_cookie(
        &id,
        &state.cookie_path(&headers),
        state.config.secure_cookies(),
    );
    Ok(([(header::SET_COOKIE, cookie)], Json(info)).into_response())
}

/// Logs in to Vault with the given method; returns the token and the mount used.
async fn obtain_token(
    state: &AppState,
    login: &LoginRequest,
) -> Result<(VaultToken, String), ApiError> {
    let (mount, path, body) = match login {
        LoginRequest::Token { token } => {
            if token.expose().trim().is_empty() {
                return Err(ApiError::BadRequest("a token is required".into()));
            }
            return Ok((VaultToken::new(token.expose().trim()), String::new()));
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
    let answer = state
        .vault
        .call_json(Method::POST, &path, None, Some(&body))
        .await?;
    match answer.body["auth"]["client_token"].as_str() {
        Some(token) if answer.status == 200 => Ok((VaultToken::new(token), mount)),
        _ => Err(vault_refusal(answer)),
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

/// A user name placed in a URL path: no separators, no traversal.
fn path_segment(value: &str) -> Result<&str, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.contains(['/', '?', '#']) || value == "." || value == ".." {
        return Err(ApiError::BadRequest("a valid user name is required".into()));
    }
    Ok(value)
}

/// Vault's refusal as the browser gets it: Vault's status and words.
fn vault_refusal(answer: VaultAnswer) -> ApiError {
    let mut errors = answer.errors();
    if errors.is_empty() {
        errors.push(format!("Vault refused the login (HTTP {})", answer.status));
    }
    ApiError::Vault {
        status: answer.status,
        errors,
    }
}

fn record_from_lookup(
    token: VaultToken,
    method: &str,
    mount: String,
    data: &Value,
) -> SessionRecord {
    let now = now_unix();
    let ttl = data["ttl"].as_u64().unwrap_or(0);
    SessionRecord {
        token,
        accessor: data["accessor"].as_str().unwrap_or_default().to_string(),
        display_name: data["display_name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        policies: data["policies"]
            .as_array()
            .map(|p| {
                p.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        method: method.to_string(),
        mount,
        // A TTL of 0 is a token that never expires (root tokens).
        expire_time: (ttl > 0).then_some(now + ttl as i64),
        granted_ttl: ttl,
        renewable: data["renewable"].as_bool().unwrap_or(false) && ttl > 0,
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

/// `DELETE api/session`: revoke the token in Vault, then forget the session — even when
/// Vault cannot be reached, in which case the answer says so.
pub async fn delete_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Result<CurrentSession, ApiError>,
) -> Result<Response, ApiError> {
    let result = match session {
        Ok(CurrentSession(Some(active))) => {
            let revoked = state
                .vault
                .call_json(
                    Method::POST,
                    "auth/token/revoke-self",
                    Some(&active.record.token),
                    None,
                )
                .await;
            state.sessions.end(&active.id).await?;
            match revoked {
                Ok(answer) if answer.status == 204 || answer.status == 200 => LogoutResult {
                    revoked: true,
                    warning: None,
                },
                Ok(answer) => LogoutResult {
                    revoked: false,
                    warning: Some(format!(
                        "Vault did not revoke the token: {}",
                        answer.errors().join("; ")
                    )),
                },
                Err(error) => LogoutResult {
                    revoked: false,
                    warning: Some(format!(
                        "The token could not be revoked: {error}. It stays valid until it expires."
                    )),
                },
            }
        }
        // No session, or one already over: nothing to revoke.
        _ => LogoutResult {
            revoked: false,
            warning: None,
        },
    };
    let cookie = clear_cookie(&state.cookie_path(&headers), state.config.secure_cookies());
    Ok(([(header::SET_COOKIE, cookie)], Json(result)).into_response())
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
        let record = record_from_lookup(VaultToken::new("hvs.x"), "userpass", "up".into(), &data);
        assert_eq!(record.accessor, "8609694a-cdbc-db9b-d345-e782dbb562ed");
        assert_eq!(record.policies, ["default", "webapp-one-read"]);
        assert_eq!(record.granted_ttl, 3600);
        assert!(record.renewable);
        assert!(
            !format!("{record:?}").contains("hvs.x"),
            "the token is redacted"
        );
    }
}
