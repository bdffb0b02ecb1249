//! Where toasts appear (a polite live region).

use crate::state::toasts::{use_toasts, ToastKind};
use leptos::prelude::*;

#[component]
pub fn ToastArea() -> impl IntoView {
    let toasts = use_toasts();
    view! {
        <div class="toasts" aria-live="polite" data-testid="toasts">
            <For each=move || toasts.items.get() key=|toast| toast.id let:toast>
                <div
                    class=match toast.kind {
                        ToastKind::Error => "toast toast-error",
                        ToastKind::Warning => "toast toast-warn",
                        ToastKind::Success => "toast toast-ok",
                    }
                    role=if toast.kind == ToastKind::Error { "alert" } else { "status" }
                >
                    <span>{toast.text.clone()}</span>
                    <button class="toast-close" aria-label="Dismiss" on:click=move |_| toasts.dismiss(toast.id)>
                        "×"
                    </button>
                </div>
            </For>
        </div>
    }
}
