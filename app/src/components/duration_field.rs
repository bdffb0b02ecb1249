//! A TTL field that takes `1h`, `30m`, `768h` or seconds, and says what it understood.

use crate::durations;
use leptos::prelude::*;

#[component]
pub fn DurationField(
    label: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] test_id: &'static str,
) -> impl IntoView {
    let parsed = move || durations::parse(&value.get());
    view! {
        <label class="field">
            <span>{label}</span>
            <input type="text" inputmode="text" placeholder="e.g. 1h, 30m, 768h" bind:value=value data-testid=test_id />
            {move || match parsed() {
                Ok(Some(seconds)) => view! { <small class="muted">{format!("{} seconds", seconds)}</small> }.into_any(),
                Ok(None) => view! { <small class="muted">{hint}</small> }.into_any(),
                Err(message) => view! { <small class="field-error" role="alert">{message}</small> }.into_any(),
            }}
        </label>
    }
}
