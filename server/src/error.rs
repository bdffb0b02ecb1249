//! The BFF's error type. Every error leaves as Vault's shape, `{"errors": ["..."]}`, with
//! a status that says what happened: Vault's own status when Vault answered, 502 when it
//! could not be reached, 504 when it did not answer in time.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use vaultdeck_app::wire::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Vault unreachable at {addr}: {detail}")]
    VaultUnreachable { addr: String, detail: String },
    #[error("Vault at {addr} did not answer within {seconds} s")]
    VaultTimeout { addr: String, seconds: u64 },
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::VaultUnreachable { .. } => StatusCode::BAD_GATEWAY,
            ApiError::VaultTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(self.status(), self.to_string())
    }
}

/// A JSON error response in Vault's shape.
pub fn error_response(status: StatusCode, message: impl Into<String>) -> Response {
    let body = ErrorBody {
        errors: vec![message.into()],
    };
    (status, Json(body)).into_response()
}
