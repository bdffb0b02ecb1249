//! Copy a value to the clipboard.

use crate::state::toasts::use_toasts;
use leptos::prelude::*;

#[component]
pub fn CopyButton(
    /// What to copy.
    #[prop(into)]
    value: Signal<String>,
    /// What it is, for the button's accessible name and the toast.
    label: String,
) -> impl IntoView {
    let toasts = use_toasts();
    let copied_label = label.clone();
    let copy = move |_| {
        let text = value.get_untracked();
        let what = copied_label.clone();
        crate::state::tasks::spawn_owned(async move {
            let clipboard = window().navigator().clipboard();
            match wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text)).await {
                Ok(_) => toasts.success(format!("Copied {what}.")),
                Err(_) => toasts.error(format!(
                    "Could not copy {what}: the browser refused clipboard access."
                )),
            }
        });
    };
    view! {
        <button type="button" class="button button-small" on:click=copy aria-label=format!("Copy {label}")>
            "Copy"
        </button>
    }
}
