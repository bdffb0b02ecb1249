//! An error from Vault or the BFF, shown in words (Vault's own text where it gave one).

use crate::api::ApiError;
use leptos::prelude::*;

/// What a refused request needed, for a 403's explanation: `needs("update", "kv/data/app")`.
pub fn needs(capability: &str, path: &str) -> String {
    format!("Your token's policies do not allow “{capability}” on {path}.")
}

/// A refusal in one line, for toasts: Vault's words, and for a 403 what was needed.
pub fn refusal_text(error: &ApiError, capability: &str, path: &str) -> String {
    if error.status == 403 {
        format!("{} — {}", error.message(), needs(capability, path))
    } else {
        error.message()
    }
}

#[component]
pub fn ErrorNotice(
    error: ApiError,
    #[prop(optional)] context: &'static str,
    /// For a 403: what the request needed (see [`needs`]); else a general explanation.
    #[prop(optional, into)]
    denied: Option<String>,
) -> impl IntoView {
    let message = error.message();
    let denied = denied.unwrap_or_else(|| "Your token's policies do not allow this.".into());
    let hint = match error.status {
        403 => Some(denied),
        502 | 504 => Some("Vaultdeck could not reach Vault.".to_string()),
        503 => Some("Vault is sealed or not ready.".to_string()),
        _ => None,
    };
    view! {
        <div class="alert alert-error" role="alert" data-testid="error">
            {(!context.is_empty()).then(|| view! { <strong>{context}</strong> " " })}
            <span data-testid="error-message">{message}</span>
            {hint.map(|h| view! { <p class="muted" data-testid="error-hint">{h}</p> })}
        </div>
    }
}
