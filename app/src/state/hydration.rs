//! Whether the app runs yet: false while the server's HTML is all there is, true once the
//! WASM has hydrated it. Forms that carry credentials keep their submit button disabled
//! until then — a native submit before hydration would put the fields in the URL.

use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Hydration {
    pub done: RwSignal<bool>,
}

pub fn provide_hydration() {
    let done = RwSignal::new(false);
    provide_context(Hydration { done });
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| done.set(true));
}

/// True once the app is interactive.
pub fn is_hydrated() -> bool {
    use_context::<Hydration>().is_some_and(|h| h.done.get())
}
