//! The one route table of the app. Paths are relative to the router base (the document's
//! base href), so `/status` is `/ui/status` when served at `/ui`.

use crate::components::layout::{Frame, Layout};
use crate::pages::{not_found::NotFound, status::StatusPage};
use leptos::prelude::*;
use leptos_router::{
    components::{ParentRoute, Route, Routes},
    path,
};

#[component]
pub fn AppRoutes() -> impl IntoView {
    view! {
        <Routes fallback=|| view! { <Frame><NotFound /></Frame> }>
            <ParentRoute path=path!("") view=Layout>
                <Route path=path!("") view=StatusPage />
                <Route path=path!("status") view=StatusPage />
            </ParentRoute>
        </Routes>
    }
}
