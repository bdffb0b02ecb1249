//! Unsaved edits are not lost by accident: while `dirty`, leaving the page — by a link in
//! the app or by closing or reloading the tab — asks first.

use leptos::prelude::*;

pub fn use_leave_guard(dirty: Signal<bool>) {
    #[cfg(not(feature = "ssr"))]
    browser::install(dirty);
    #[cfg(feature = "ssr")]
    let _ = dirty;
}

#[cfg(not(feature = "ssr"))]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::{closure::Closure, JsCast};

    pub const QUESTION: &str = "You have unsaved changes. Leave this page and lose them?";

    pub fn install(dirty: Signal<bool>) {
        Effect::new(move |_| {
            let unload = window_event_listener(leptos::ev::beforeunload, move |event| {
                if dirty.get_untracked() {
                    event.prevent_default();
                    event.set_return_value("");
                }
            });
            // Capture phase, on the document: before the router's own click handling.
            let on_click =
                Closure::<dyn Fn(web_sys::MouseEvent)>::new(move |event: web_sys::MouseEvent| {
                    if !dirty.get_untracked() || event.default_prevented() {
                        return;
                    }
                    let leaves = event
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .and_then(|e| e.closest("a[href]").ok().flatten())
                        .is_some_and(|a| !a.has_attribute("download"));
                    if leaves && !window().confirm_with_message(QUESTION).unwrap_or(true) {
                        event.prevent_default();
                        event.stop_immediate_propagation();
                    }
                });
            let options = web_sys::AddEventListenerOptions::new();
            options.set_capture(true);
            let _ = document().add_event_listener_with_callback_and_add_event_listener_options(
                "click",
                on_click.as_ref().unchecked_ref(),
                &options,
            );
            let listener = send_wrapper::SendWrapper::new(on_click);
            on_cleanup(move || {
                unload.remove();
                let listener = listener.take();
                let _ = document().remove_event_listener_with_callback_and_bool(
                    "click",
                    listener.as_ref().unchecked_ref(),
                    true,
                );
            });
        });
    }
}
