//! What the core answers: Vault's response envelope, raw JSON for the `sys` endpoints that
//! answer without it, `204 No Content`, or an error `{"errors": [...]}`.

use serde::Serialize;
use serde_json::{json, Value};

/// The `auth` block of a login or token-creation response.
#[derive(Clone, Debug, Serialize)]
pub struct AuthBlock {
    pub client_token: String,
    pub accessor: String,
    pub policies: Vec<String>,
    pub token_policies: Vec<String>,
    /// `omitempty` in the SDK's `HTTPAuth` (sdk/logical/translate_response.go): absent
    /// unless an entity grants policies, which labvault's tokens never have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity_policies: Option<Vec<String>>,
    pub metadata: Option<serde_json::Map<String, Value>>,
    pub lease_duration: u64,
    pub renewable: bool,
    pub entity_id: String,
    pub token_type: String,
    pub orphan: bool,
    pub mfa_requirement: Option<Value>,
    pub num_uses: u64,
}

/// A leased secret: what the client sees, and what the lease keeps for revoking it.
#[derive(Clone, Debug)]
pub struct SecretReply {
    pub data: Value,
    pub warnings: Vec<String>,
    pub secret: crate::leases::Secret,
    /// Empty until the core has registered the lease.
    pub lease_id: String,
}

#[derive(Clone, Debug)]
pub enum Reply {
    /// The standard envelope around `data` (and `auth`, `warnings`).
    Envelope {
        status: u16,
        data: Option<Value>,
        auth: Option<AuthBlock>,
        warnings: Vec<String>,
        lease_duration: u64,
        renewable: bool,
    },
    /// A body without the envelope (`sys/seal-status`, `sys/init`, `sys/health`, …).
    Raw { status: u16, body: Value },
    /// A secret under a lease, as a secrets engine answers (Vault's `resp.Secret`): the core
    /// registers the lease and fills in its ID before the reply is rendered.
    Secret(Box<SecretReply>),
    /// 204 No Content.
    NoContent,
    /// Another status with no body at all, as Vault answers when a handler returns
    /// `logical.RespondWithStatusCode(nil, req, code)` (e.g. KV v2's PATCH of a missing key).
    Bodiless(u16),
}

impl Reply {
    pub fn data(data: Value) -> Reply {
        Reply::Envelope {
            status: 200,
            data: Some(data),
            auth: None,
            warnings: Vec::new(),
            lease_duration: 0,
            renewable: false,
        }
    }

    pub fn auth(auth: AuthBlock) -> Reply {
        Reply::Envelope {
            status: 200,
            data: None,
            auth: Some(auth),
            warnings: Vec::new(),
            lease_duration: 0,
            renewable: false,
        }
    }

    pub fn raw(body: Value) -> Reply {
        Reply::Raw { status: 200, body }
    }

    pub fn with_warning(mut self, warning: impl Into<String>) -> Reply {
        if let Reply::Envelope { warnings, .. } = &mut self {
            warnings.push(warning.into());
        }
        self
    }

    pub fn with_status(mut self, new_status: u16) -> Reply {
        match &mut self {
            Reply::Envelope { status, .. } | Reply::Raw { status, .. } => *status = new_status,
            Reply::Bodiless(status) => *status = new_status,
            Reply::NoContent | Reply::Secret(_) => {}
        }
        self
    }

    /// The status code and JSON body to send (no body for 204).
    pub fn render(self, request_id: &str, mount_type: &str) -> (u16, Option<Value>) {
        match self {
            Reply::NoContent => (204, None),
            Reply::Bodiless(status) => (status, None),
            Reply::Raw { status, body } => (status, Some(body)),
            Reply::Secret(secret) => {
                let mut body = envelope(
                    request_id,
                    mount_type,
                    Some(secret.data),
                    None,
                    secret.warnings,
                );
                body["lease_id"] = json!(secret.lease_id);
                body["renewable"] = json!(secret.secret.renewable);
                body["lease_duration"] = json!(secret.secret.ttl);
                (200, Some(body))
            }
            Reply::Envelope {
                status,
                data,
                auth,
                warnings,
                lease_duration,
                renewable,
            } => {
                let mut body = envelope(request_id, mount_type, data, auth, warnings);
                body["renewable"] = json!(renewable);
                body["lease_duration"] = json!(lease_duration);
                (status, Some(body))
            }
        }
    }
}

/// Vault's response envelope, without a lease.
fn envelope(
    request_id: &str,
    mount_type: &str,
    data: Option<Value>,
    auth: Option<AuthBlock>,
    warnings: Vec<String>,
) -> Value {
    json!({
        "request_id": request_id,
        "lease_id": "",
        "renewable": false,
        "lease_duration": 0,
        "data": data,
        "wrap_info": null,
        "warnings": if warnings.is_empty() { Value::Null } else { json!(warnings) },
        "auth": auth,
        "mount_type": mount_type,
    })
}

/// An error answer: a status and Vault's `{"errors": [...]}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {}", errors.join("; "))]
pub struct VaultError {
    pub status: u16,
    pub errors: Vec<String>,
}

impl VaultError {
    pub fn new(status: u16, message: impl Into<String>) -> VaultError {
        VaultError {
            status,
            errors: vec![message.into()],
        }
    }
    pub fn bad_request(message: impl Into<String>) -> VaultError {
        VaultError::new(400, message)
    }
    /// No token where one is needed.
    pub fn permission_denied() -> VaultError {
        VaultError::new(403, "permission denied")
    }
    /// A token that does not exist (never did, revoked, or expired).
    pub fn invalid_token() -> VaultError {
        VaultError {
            status: 403,
            errors: vec!["permission denied".into(), "invalid token".into()],
        }
    }
    /// A valid token whose policies do not allow the request. Vault wraps this one in
    /// go-multierror's text, and clients see it that way.
    pub fn denied_by_policy() -> VaultError {
        VaultError::new(403, multierror("permission denied"))
    }
    /// 404 with an empty error list, as Vault answers a read of a missing secret.
    pub fn not_found() -> VaultError {
        VaultError {
            status: 404,
            errors: Vec::new(),
        }
    }
    pub fn unsupported_path() -> VaultError {
        VaultError::new(404, multierror("unsupported path"))
    }
    pub fn unsupported_operation() -> VaultError {
        VaultError::new(405, multierror("unsupported operation"))
    }
    /// A Vault feature labvault leaves out, said plainly (400) rather than answered as if
    /// the path did not exist or the request had not asked for it.
    pub fn left_out(feature: &str) -> VaultError {
        VaultError::bad_request(format!("{feature} not supported by labvault"))
    }
    pub fn sealed() -> VaultError {
        VaultError::new(503, "Vault is sealed")
    }
    pub fn internal(message: impl Into<String>) -> VaultError {
        VaultError::new(500, message)
    }

    pub fn body(&self) -> Value {
        json!({ "errors": self.errors })
    }
}

/// go-multierror's rendering of a single error, which Vault sends for errors a backend
/// returned rather than built as a response.
pub fn multierror(message: &str) -> String {
    format!("1 error occurred:\n\t* {message}\n\n")
}

/// A name the storage cannot hold is the client's to fix (400). An I/O failure is logged
/// with its detail — the data directory's path among it — and answered without it.
impl From<crate::storage::StorageError> for VaultError {
    fn from(error: crate::storage::StorageError) -> Self {
        use crate::storage::StorageError::{Corrupt, Io, NameTooLong};
        match error {
            NameTooLong { .. } => VaultError::bad_request(error.to_string()),
            Corrupt { .. } => {
                tracing::error!("{error}");
                VaultError::internal(error.to_string())
            }
            Io { .. } => {
                tracing::error!("{error}");
                VaultError::internal("internal error: labvault's storage failed (its log says why)")
            }
        }
    }
}

pub type VaultResult<T = Reply> = Result<T, VaultError>;
