//! Liveness and readiness.

use crate::state::AppState;
use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use vaultdeck_app::wire::{Health, Readiness};

/// `GET api/health`: the process is up and serving.
pub async fn get_health() -> impl IntoResponse {
    Json(Health {
        status: "ok".into(),
    })
}

/// `GET api/ready`: 200 when Vault and the session store answer, 503 with the reason when
/// either does not.
pub async fn get_readiness(State(state): State<AppState>) -> impl IntoResponse {
    let vault_addr = state.vault.addr_shown();
    let (vault, store) = tokio::join!(state.vault.reachable(), state.sessions.store.ping());
    let reasons: Vec<String> = [
        vault.as_ref().err().map(|e| e.to_string()),
        store.as_ref().err().map(|e| e.to_string()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let status = if reasons.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let readiness = Readiness {
        vault_reachable: vault.is_ok(),
        vault_addr,
        session_store_reachable: store.is_ok(),
        session_store: state.sessions.store.kind().to_string(),
        reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
    };
    (status, Json(readiness))
}
