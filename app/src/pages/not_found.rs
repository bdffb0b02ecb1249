//! Any path the route table does not know.

use crate::routes::AppRoute;
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let location = use_location();
    view! {
        <section class="card narrow" data-testid="not-found">
            <h1>"Page not found"</h1>
            <p>
                "There is no page at " <code>{move || location.pathname.get()}</code> "."
            </p>
            <p>
                <A href=AppRoute::Home.link()>"Back to the start page"</A>
            </p>
        </section>
    }
}
