//! Pages that need a logged-in user: while the session is unknown, wait; without one, go
//! to the login page and come back here afterwards.

use crate::state::session::use_session;
use leptos::prelude::*;
use leptos_router::{
    hooks::{use_location, use_navigate},
    NavigateOptions,
};

#[component]
pub fn RequireLogin(children: ChildrenFn) -> impl IntoView {
    let session = use_session();
    let location = use_location();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if session.loaded.get()
            && !session.is_logged_in()
            && session.ended.get_untracked().is_none()
        {
            let here = crate::base::app_path(&location.pathname.get_untracked());
            let back = crate::routes::with_search(&here, &location.search.get_untracked());
            let target = crate::routes::AppRoute::Login {
                reason: None,
                back: Some(back),
                tab: None,
            }
            .href();
            navigate(
                &target,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    let children = StoredValue::new(children);
    view! {
        <Show
            when=move || session.is_logged_in()
            fallback=|| view! { <p class="muted">"Checking your session…"</p> }
        >
            {children.read_value()()}
        </Show>
    }
}
