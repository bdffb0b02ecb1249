//! "Delete role", behind a confirmation where the user types the role's name: the same for
//! a Kubernetes auth method's roles and a Kubernetes secrets engine's.

use crate::{
    api::{self, Method},
    components::confirm::TypedConfirm,
    routes::AppRoute,
    state::{permissions::use_permissions, toasts::use_toasts},
};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use serde_json::Value;
use vaultdeck_policy::Capability;

/// Offered when the user's token may delete `path`; afterwards the page goes to `after`.
#[component]
pub fn DeleteRole(
    /// The role's Vault path, e.g. `auth/kubernetes/role/webapp-one`.
    path: String,
    role: String,
    /// What deleting it does to what already exists, for the confirmation.
    explanation: &'static str,
    after: AppRoute,
) -> impl IntoView {
    let toasts = use_toasts();
    let permissions = use_permissions();
    let navigate = use_navigate();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let can_delete = {
        let path = path.clone();
        move || permissions.can(&path, Capability::Delete)
    };
    let confirm = Callback::new({
        let (role, path) = (role.clone(), path.clone());
        move |()| {
            busy.set(true);
            let (role, path, after) = (role.clone(), path.clone(), after.href());
            let navigate = navigate.clone();
            crate::state::tasks::spawn_owned(async move {
                match api::vault_write::<Value>(Method::DELETE, &path, None).await {
                    Ok(_) => {
                        toasts.success(format!("Role {role} deleted."));
                        open.set(false);
                        navigate(&after, Default::default());
                    }
                    Err(e) => {
                        toasts.error(format!("Could not delete role {role}: {}", e.message()))
                    }
                }
                busy.set(false);
            });
        }
    });
    view! {
        {move || can_delete().then(|| view! {
            <div class="actions">
                <button type="button" class="button button-danger" on:click=move |_| open.set(true) data-testid="delete-role">"Delete role"</button>
            </div>
        })}
        <TypedConfirm
            open
            title=format!("Delete the role {role}?")
            explanation=explanation.to_string()
            expected=role.clone()
            action_label="Delete".to_string()
            on_confirm=confirm
            busy
        />
    }
}
