//! A button that reads a text file the user picks (a policy, a CA certificate) and hands
//! over its name and contents; nothing is uploaded anywhere.

use crate::state::toasts::use_toasts;
use leptos::prelude::*;

#[component]
pub fn TextFileButton(
    label: &'static str,
    /// The `accept` attribute: extensions and types offered by the picker.
    accept: &'static str,
    test_id: &'static str,
    /// Runs with `(file name, contents)` once the file is read.
    on_loaded: Callback<(String, String)>,
) -> impl IntoView {
    let toasts = use_toasts();
    let on_change = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        let name = file.name();
        crate::state::tasks::spawn_owned(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(contents) => on_loaded.run((name, contents.as_string().unwrap_or_default())),
                Err(_) => toasts.error(format!("Could not read {name}.")),
            }
        });
        // Picking the same file again must load it again.
        input.set_value("");
    };
    view! {
        <label class="button file-button">
            {label}
            <input type="file" accept=accept class="sr-only" on:change=on_change data-testid=test_id />
        </label>
    }
}
