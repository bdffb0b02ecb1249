//! Work a page starts — a request to the BFF, a save, a timer — belongs to that page: when
//! the page goes away (the user navigated), the work stops, its requests are aborted, and
//! nothing it would have done afterwards touches the page's state, which is gone.
//!
//! Without this, a request started just before a fast click on a link finished after its
//! page was disposed and read that page's signals: "Tried to access a reactive value that
//! has already been disposed", then `RuntimeError: unreachable` — the WebAssembly is dead.
//! Event handlers run with the owner of the view that declared them, so calling these from
//! a handler ties the work to that view.

use leptos::prelude::*;
use std::{future::Future, time::Duration};

/// The owner of the page on screen, provided by the router for each page it shows: work a
/// page starts belongs to the page, not to the dialog or row whose button started it (a
/// dialog that closes as it confirms must not take its own save down with it).
#[derive(Clone)]
pub struct PageWork(pub Owner);

/// Marks the current owner as the page's (the router calls this for every page).
pub fn provide_page_work() {
    if let Some(owner) = Owner::current() {
        provide_context(PageWork(owner));
    }
}

/// The abort signal of the work running under this owner; the API client attaches it to
/// every request, so leaving the page aborts requests in flight.
#[derive(Clone)]
pub struct RequestAbort(pub send_wrapper::SendWrapper<web_sys::AbortSignal>);

/// Runs `work` for the page on screen (or, outside a page, the current owner): it is
/// dropped, and its requests aborted, when the page goes away.
pub fn spawn_owned(work: impl Future<Output = ()> + 'static) {
    #[cfg(not(feature = "ssr"))]
    {
        // A child of the current owner: cleaned up with it, or as soon as the work is done.
        let page = use_context::<PageWork>()
            .map(|page| page.0)
            .or_else(Owner::current)
            .unwrap_or_default();
        let task = page.child();
        task.with(|| {
            if let Ok(controller) = web_sys::AbortController::new() {
                provide_context(RequestAbort(send_wrapper::SendWrapper::new(
                    controller.signal(),
                )));
                let controller = send_wrapper::SendWrapper::new(controller);
                on_cleanup(move || controller.abort());
            }
        });
        let finished = task.clone();
        task.with(|| {
            leptos::task::spawn_local_scoped_with_cancellation(async move {
                work.await;
                finished.cleanup();
            })
        });
    }
    #[cfg(feature = "ssr")]
    drop(work);
}

/// Runs `then` after `delay`, unless the current owner is cleaned up first.
pub fn after(delay: Duration, then: impl FnOnce() + 'static) {
    #[cfg(not(feature = "ssr"))]
    if let Ok(handle) = set_timeout_with_handle(then, delay) {
        on_cleanup(move || handle.clear());
    }
    #[cfg(feature = "ssr")]
    let _ = (delay, then);
}

/// The abort signal requests made now should carry, if they run as a page's work.
pub fn current_abort_signal() -> Option<web_sys::AbortSignal> {
    use_context::<RequestAbort>().map(|abort| abort.0.take())
}
