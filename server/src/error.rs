//! The BFF's error type. Every error leaves as Vault's shape, `{"errors": ["..."]}`, with
//! a status that says what happened: Vault's own status when Vault answered, 502 when it
//! could not be reached, 504 when it did not answer in time.

use crate::session::SessionEnd;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use vaultdeck_app::wire::{ErrorBody, SessionEnded as SessionEndedBody};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Vault unreachable at {addr}: {detail}")]
    VaultUnreachable { addr: String, detail: String },
    #[error("Vault at {addr} did not answer within {seconds} s")]
    VaultTimeout { addr: String, seconds: u64 },
    #[error(
        "Vault at {addr} answered {status}, a redirect to {to}. Vaultdeck does not follow \
         redirects, so that your token goes nowhere but the configured Vault address. A \
         standby node that does not forward requests answers this way: point VAULT_ADDR at \
         the active node (the Helm chart's `-active` service)."
    )]
    VaultRedirected {
        addr: String,
        status: u16,
        to: String,
    },
    /// Vault answered, but not in a form Vaultdeck may pass on.
    #[error("{0}")]
    Unrelayable(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Internal(String),
    /// Vault refused: its status and its own error text, passed on unchanged.
    #[error("{}", errors.join("; "))]
    Vault { status: u16, errors: Vec<String> },
    /// The Kubernetes API server refused: its status and message.
    #[error("Kubernetes: {message}")]
    Kubernetes { status: u16, message: String },
    /// The request's session is over (401), with the reason.
    #[error("{}", .0.message())]
    SessionEnded(SessionEnd),
    /// The caller's Vault token lacks a capability this Vaultdeck feature needs.
    #[error("{0}")]
    Forbidden(String),
    /// A part Vaultdeck depends on (other than Vault) is not available, with why.
    #[error("{0}")]
    Unavailable(String),
    /// What the request would create exists already, and is not Vaultdeck's to use.
    #[error("{0}")]
    Conflict(String),
    #[error("cross-site request refused: the API answers Vaultdeck's own pages only")]
    Csrf,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::VaultUnreachable { .. }
            | ApiError::VaultRedirected { .. }
            | ApiError::Unrelayable(_) => StatusCode::BAD_GATEWAY,
            ApiError::VaultTimeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Vault { status, .. } | ApiError::Kubernetes { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY)
            }
            ApiError::SessionEnded(_) => StatusCode::UNAUTHORIZED,
            ApiError::Csrf | ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::SessionEnded(end) => {
                let body = SessionEndedBody {
                    errors: vec![end.message().to_string()],
                    session: end.code().to_string(),
                };
                let mut response = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
                response.extensions_mut().insert(SessionIsOver);
                response
            }
            ApiError::Vault { status, errors } => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
                (status, Json(ErrorBody { errors })).into_response()
            }
            other => error_response(other.status(), other.to_string()),
        }
    }
}

/// Marks a response that told the browser its session is over: the cookie is then
/// dropped too (see `middleware::forget_ended_sessions`), so that the next requests go
/// through without a session — seal status, unseal and login must keep working.
#[derive(Clone, Copy, Debug)]
pub struct SessionIsOver;

/// A JSON error response in Vault's shape.
pub fn error_response(status: StatusCode, message: impl Into<String>) -> Response {
    let body = ErrorBody {
        errors: vec![message.into()],
    };
    (status, Json(body)).into_response()
}
