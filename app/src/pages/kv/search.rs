//! Searching for secret paths under a folder and its sub-folders: the BFF walks the folders
//! the token may list, bounded in depth, count and time, and streams matches as it finds
//! them; Cancel stops it.

use super::KvMount;
use crate::routes::AppRoute;
use crate::wire::listing::{self, SearchDone, SearchEvent, StopReason};
use crate::{api, base::href};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn SearchPanel(mount: KvMount, folder: String) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let depth = RwSignal::new("6".to_string());
    let found = RwSignal::new(Vec::<String>::new());
    let status = RwSignal::new(None::<String>);
    let running = RwSignal::new(false);
    let abort = StoredValue::new_local(None::<web_sys::AbortController>);
    let list_path = mount.list_path(&folder);
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = query.get_untracked().trim().to_string();
        if q.is_empty() || running.get_untracked() {
            return;
        }
        let depth = depth.get_untracked().parse().unwrap_or(6);
        let url = match listing::urls::search(&list_path, &q, depth, 500, 20) {
            Ok(url) => url,
            Err(refused) => return status.set(Some(refused)),
        };
        let Ok(controller) = web_sys::AbortController::new() else {
            return;
        };
        let signal = controller.signal();
        abort.set_value(Some(controller));
        found.set(Vec::new());
        status.set(Some("Searching…".into()));
        running.set(true);
        crate::state::tasks::spawn_owned(async move {
            let outcome = api::stream_lines(&url, &signal, |line| {
                match serde_json::from_str::<SearchEvent>(line) {
                    Ok(SearchEvent::Match(path)) => found.update(|f| f.push(path)),
                    Ok(SearchEvent::Progress(progress)) => status.set(Some(format!(
                        "Searching… {} folders so far",
                        progress.folders
                    ))),
                    Ok(SearchEvent::Done(done)) => status.set(Some(summary(&done))),
                    Err(_) => {}
                }
            })
            .await;
            if let Err(error) = outcome {
                if !signal.aborted() {
                    status.set(Some(format!("The search failed: {}", error.message())));
                }
            }
            running.set(false);
        });
    };
    let cancel = move |_| {
        abort.with_value(|controller| {
            if let Some(controller) = controller {
                controller.abort();
            }
        });
        running.set(false);
        status.set(Some(format!(
            "Cancelled after {} matches.",
            found.with_untracked(Vec::len)
        )));
    };
    let result_mount = mount.path.clone();
    let result_folder = folder.clone();
    view! {
        <section class="card">
            <h2>"Search sub-folders"</h2>
            <form class="actions" on:submit=start>
                <input type="search" bind:value=query placeholder="part of a path, e.g. db-password" data-testid="search-query" />
                <label class="field-inline">
                    <span>"Depth"</span>
                    <select bind:value=depth data-testid="search-depth">
                        {["1", "2", "3", "6", "10", "20"].into_iter().map(|d| view! { <option value=d>{d}</option> }).collect_view()}
                    </select>
                </label>
                <button type="submit" class="button" disabled=move || running.get() data-testid="search-start">"Search"</button>
                <Show when=move || running.get()>
                    <button type="button" class="button" on:click=cancel data-testid="search-cancel">"Cancel"</button>
                </Show>
            </form>
            {move || status.get().map(|text| view! { <p class="muted" data-testid="search-status" aria-live="polite">{text}</p> })}
            <ul class="search-results" data-testid="search-results">
                {move || found.get().into_iter().map(|path| {
                    let full = format!("{result_folder}{path}");
                    let target = if path.ends_with('/') { AppRoute::kv_list(&result_mount, &full).href() } else { AppRoute::kv_show(&result_mount, &full).href() };
                    view! { <li><A href=href(&target) attr:data-testid="search-result">{full}</A></li> }
                }).collect_view()}
            </ul>
        </section>
    }
}

fn summary(done: &SearchDone) -> String {
    let why = match done.stopped {
        StopReason::Limit => " (stopped at the result limit)",
        StopReason::Depth => " (deeper folders were not searched)",
        StopReason::Time => " (stopped at the time limit)",
        StopReason::Complete => "",
    };
    let denied = done.denied;
    let denied = if denied > 0 {
        format!("; {denied} folders could not be listed with your policy")
    } else {
        String::new()
    };
    format!(
        "{} matches in {} folders{why}{denied}.",
        done.matches, done.folders
    )
}
