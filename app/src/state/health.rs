//! Vault's seal status, polled through the BFF for the whole app (the banner, the status
//! page, the init and unseal flows).

use crate::{api, api::ApiError, wire::SealStatus};
use leptos::prelude::*;
use std::time::Duration;

const POLL_EVERY: Duration = Duration::from_secs(5);

#[derive(Clone, Copy)]
pub struct VaultHealth {
    pub status: RwSignal<Option<Result<SealStatus, ApiError>>>,
}

pub fn provide_vault_health() -> VaultHealth {
    // The login page, drawn by the server alone, shows the seal status the server asked for.
    let known = use_context::<crate::pages::login::LoginPageFacts>()
        .and_then(|facts| facts.seal)
        .map(Ok);
    let health = VaultHealth {
        status: RwSignal::new(known),
    };
    provide_context(health);
    // Only the browser polls; the server renders "asking Vault…".
    Effect::new(move |_| {
        health.refresh();
        if let Ok(handle) = set_interval_with_handle(move || health.refresh(), POLL_EVERY) {
            on_cleanup(move || handle.clear());
        }
    });
    health
}

pub fn use_vault_health() -> VaultHealth {
    expect_context::<VaultHealth>()
}

impl VaultHealth {
    pub fn refresh(self) {
        crate::state::tasks::spawn_owned(async move {
            let url = api::vault_url("sys/seal-status");
            let answer = match url {
                Ok(url) => api::poll_json::<SealStatus>(&url).await,
                Err(refused) => Err(refused),
            }
            .and_then(|status| status.ok_or_else(|| ApiError::local("Vault sent no seal status")));
            self.status.set(Some(answer));
        });
    }

    pub fn set(self, status: SealStatus) {
        self.status.set(Some(Ok(status)));
    }

    /// The last status if Vault answered.
    pub fn seal(self) -> Option<SealStatus> {
        self.status
            .with(|s| s.as_ref().and_then(|r| r.as_ref().ok().cloned()))
    }
}
