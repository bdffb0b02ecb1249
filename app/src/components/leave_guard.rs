//! Unsaved edits are not lost by accident: while `dirty`, leaving the page — by a link in
//! the app, by the browser's back or forward buttons, or by closing or reloading the tab —
//! asks first.

use leptos::prelude::*;

/// Ask before leaving the current page while `dirty` is true.
pub fn use_leave_guard(dirty: Signal<bool>) {
    #[cfg(not(feature = "ssr"))]
    browser::install(dirty);
    #[cfg(feature = "ssr")]
    let _ = dirty;
}

/// Must run before the router is created (in `App`, ahead of `<Router>`): a back or forward
/// step can only be stopped by a `popstate` listener that runs before the router's, and
/// listeners on the window run in the order they were added — capturing or not.
pub fn watch_history_steps() {
    #[cfg(not(feature = "ssr"))]
    browser::watch_history_steps();
}

#[cfg(not(feature = "ssr"))]
mod browser {
    use leptos::prelude::*;
    use leptos_router::{hooks::use_location, location::Location};
    use std::cell::RefCell;
    use wasm_bindgen::{closure::Closure, JsCast};

    pub const QUESTION: &str = "You have unsaved changes. Leave this page and lose them?";

    /// The guarded page on screen, if any: its `dirty` flag and the router's view of its
    /// address (the router has not yet heard of a history step when we are asked).
    struct GuardedPage {
        id: u64,
        dirty: Signal<bool>,
        address: Location,
    }

    thread_local! {
        static GUARDED: RefCell<Vec<GuardedPage>> = const { RefCell::new(Vec::new()) };
    }

    pub fn install(dirty: Signal<bool>) {
        let address = use_location();
        Effect::new(move |_| {
            let id = register(dirty, address.clone());
            let unload = window_event_listener(leptos::ev::beforeunload, move |event| {
                if dirty.get_untracked() {
                    event.prevent_default();
                    event.set_return_value("");
                }
            });
            let clicks = capture_on_document("click", move |event| guard_link_click(dirty, event));
            on_cleanup(move || {
                unregister(id);
                unload.remove();
                clicks.remove();
            });
        });
    }

    fn register(dirty: Signal<bool>, address: Location) -> u64 {
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        GUARDED.with_borrow_mut(|pages| pages.push(GuardedPage { id, dirty, address }));
        id
    }

    fn unregister(id: u64) {
        GUARDED.with_borrow_mut(|pages| pages.retain(|page| page.id != id));
    }

    /// A link inside the app: ask before the router's own click handling sees it.
    fn guard_link_click(dirty: Signal<bool>, event: web_sys::MouseEvent) {
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
    }

    /// Back or forward: the browser has already moved to the other history entry when
    /// `popstate` fires, and that cannot be cancelled. If the user stays, the router never
    /// hears of the step and the address it still shows is pushed again, so the page and
    /// the address bar agree. Staying after "back" costs the forward entry, which was this
    /// page anyway.
    pub fn watch_history_steps() {
        let steps = window_event_listener(leptos::ev::popstate, |event| {
            let Some(address) = dirty_page_address() else {
                return;
            };
            if window().confirm_with_message(QUESTION).unwrap_or(true) {
                return;
            }
            event.stop_immediate_propagation();
            let history = window().history().expect("a window has a history");
            let _ =
                history.push_state_with_url(&wasm_bindgen::JsValue::UNDEFINED, "", Some(&address));
        });
        on_cleanup(move || steps.remove());
    }

    /// The address of a guarded page with unsaved edits, as the router still has it.
    fn dirty_page_address() -> Option<String> {
        GUARDED.with_borrow(|pages| {
            pages
                .iter()
                .find(|page| page.dirty.try_get_untracked() == Some(true))
                .map(|page| {
                    let here = &page.address;
                    let path = crate::routes::with_search(
                        &here.pathname.get_untracked(),
                        &here.search.get_untracked(),
                    );
                    format!("{path}{}", here.hash.get_untracked())
                })
        })
    }

    /// A capturing listener on the document (runs before the router's click handling on
    /// the window) and its removal.
    fn capture_on_document(
        name: &'static str,
        handler: impl Fn(web_sys::MouseEvent) + 'static,
    ) -> CaptureHandle {
        let callback = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
            handler(event.unchecked_into())
        });
        let options = web_sys::AddEventListenerOptions::new();
        options.set_capture(true);
        let _ = document().add_event_listener_with_callback_and_add_event_listener_options(
            name,
            callback.as_ref().unchecked_ref(),
            &options,
        );
        CaptureHandle {
            callback: send_wrapper::SendWrapper::new(callback),
            name,
        }
    }

    struct CaptureHandle {
        callback: send_wrapper::SendWrapper<Closure<dyn Fn(web_sys::Event)>>,
        name: &'static str,
    }

    impl CaptureHandle {
        fn remove(self) {
            let callback = self.callback.take();
            let _ = document().remove_event_listener_with_callback_and_bool(
                self.name,
                callback.as_ref().unchecked_ref(),
                true,
            );
        }
    }
}
