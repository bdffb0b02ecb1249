//! Whether the app runs yet: false while the server's HTML is all there is, true once the
//! WASM has hydrated it. The login form keeps its submit button disabled until then: a
//! native submit before hydration reloads the page and drops what was typed (the inputs
//! have no `name`, so nothing reaches the URL), and the click looks ignored.

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
