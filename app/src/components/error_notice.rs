//! An error from Vault or the BFF, shown in words (Vault's own text where it gave one).

use crate::api::ApiError;
use leptos::prelude::*;

#[component]
pub fn ErrorNotice(error: ApiError, #[prop(optional)] context: &'static str) -> impl IntoView {
    let message = error.message();
    let hint = match error.status {
        403 => Some("Your token's policies do not allow this."),
        502 | 504 => Some("Vaultdeck could not reach Vault."),
        503 => Some("Vault is sealed or not ready."),
        _ => None,
    };
    view! {
        <div class="alert alert-error" role="alert" data-testid="error">
            {(!context.is_empty()).then(|| view! { <strong>{context}</strong> " " })}
            <span data-testid="error-message">{message}</span>
            {hint.map(|h| view! { <p class="muted">{h}</p> })}
        </div>
    }
}
