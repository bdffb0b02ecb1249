//! Who is logged in, as the BFF tells it (never the token), and the hook through which any
//! API call that meets a 401 ends the session in the app.

use crate::{api, wire::SessionInfo};
use leptos::prelude::*;
use std::cell::Cell;

#[derive(Clone, Copy)]
pub struct SessionState {
    pub info: RwSignal<Option<SessionInfo>>,
    /// Whether the first `GET api/session` has answered.
    pub loaded: RwSignal<bool>,
    /// When `info` was fetched (ms since the epoch), for counting its TTL down.
    pub fetched_at: RwSignal<f64>,
    /// Set when a call was refused because the session is over: (reason code, message).
    pub ended: RwSignal<Option<(String, String)>>,
}

thread_local! {
    // The browser runs the app on one thread; API calls report here without needing the
    // reactive owner they were started under.
    static CURRENT: Cell<Option<SessionState>> = const { Cell::new(None) };
}

pub fn provide_session_state() -> SessionState {
    let state = SessionState {
        info: RwSignal::new(None),
        loaded: RwSignal::new(false),
        fetched_at: RwSignal::new(0.0),
        ended: RwSignal::new(None),
    };
    CURRENT.with(|cell| cell.set(Some(state)));
    provide_context(state);
    state
}

pub fn use_session() -> SessionState {
    expect_context::<SessionState>()
}

/// Called by the API client on a 401 that says the session is over. It matters only if the
/// app thought it had a session; a visitor who never logged in is simply not logged in.
pub fn report_session_ended(reason: &str, message: String) {
    if let Some(state) = CURRENT.with(Cell::get) {
        if state.info.with_untracked(Option::is_some) {
            state.ended.set(Some((reason.to_string(), message)));
        }
    }
}

pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl SessionState {
    /// Asks the BFF who is logged in. A cookie whose session ended (expired, idle,
    /// revoked) is reported, so the login page can say why.
    pub async fn refresh(self) {
        match api::send_json::<SessionInfo, ()>(api::Method::GET, "api/session", None).await {
            Ok(info) => self.set_info(info),
            Err(error) => {
                self.set_info(None);
                if let Some(reason) = error.session_ended.clone().filter(|r| r != "missing") {
                    self.ended.set(Some((reason, error.message())));
                }
            }
        }
        self.loaded.set(true);
    }

    /// Reads the session again without it counting as activity, so the countdown shows
    /// renewals the BFF made meanwhile. A session found over is reported like any 401.
    pub async fn follow(self) {
        match api::poll_json::<SessionInfo>("api/session").await {
            Ok(Some(info)) => self.set_info(Some(info)),
            Ok(None) => report_session_ended(
                "missing",
                "You are not logged in, or your session has ended.".into(),
            ),
            // A 401 has been reported on the way; anything else: try again next time.
            Err(_) => {}
        }
    }

    pub fn set_info(self, info: Option<SessionInfo>) {
        if info.is_some() {
            self.ended.set(None);
        }
        self.info.set(info);
        self.fetched_at.set(now_ms());
    }

    pub fn is_logged_in(self) -> bool {
        self.info.with(Option::is_some)
    }
}
