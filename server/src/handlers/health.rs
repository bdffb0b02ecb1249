//! Liveness and readiness.

use crate::state::AppState;
use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use vaultdeck_app::wire::Readiness;

/// `GET api/health`: the process is up and serving.
pub async fn get_health() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

/// `GET api/ready`: 200 when Vault answers, 503 with the reason when it does not.
pub async fn get_readiness(State(state): State<AppState>) -> impl IntoResponse {
    let vault_addr = state
        .vault
        .addr()
        .as_str()
        .trim_end_matches('/')
        .to_string();
    match state.vault.reachable().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Readiness {
                vault_reachable: true,
                vault_addr,
                reason: None,
            }),
        ),
        Err(error) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Readiness {
                vault_reachable: false,
                vault_addr,
                reason: Some(error.to_string()),
            }),
        ),
    }
}
