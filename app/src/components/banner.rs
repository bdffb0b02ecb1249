//! A banner across every page when Vault is sealed, uninitialized or unreachable.

use crate::{base::href, state::health::use_vault_health};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn VaultBanner() -> impl IntoView {
    let health = use_vault_health();
    move || {
        let status = health.status.get()?;
        let (class, text, link): (&str, String, Option<(&str, &str)>) = match status {
            Err(error) if error.is_vault_unreachable() => {
                ("banner banner-error", error.message(), None)
            }
            Err(_) => return None,
            Ok(seal) if !seal.initialized => (
                "banner banner-warn",
                "Vault is not initialized.".into(),
                Some(("/init", "Initialize it")),
            ),
            Ok(seal) if seal.sealed => (
                "banner banner-warn",
                format!(
                    "Vault is sealed. Unseal progress: {} of {} key shares.",
                    seal.progress, seal.t
                ),
                Some(("/unseal", "Unseal it")),
            ),
            Ok(_) => return None,
        };
        Some(view! {
            <div class=class role="status" data-testid="vault-banner">
                <span>{text}</span>
                {link.map(|(path, label)| view! { " " <A href=href(path)>{label}</A> })}
            </div>
        })
    }
}
