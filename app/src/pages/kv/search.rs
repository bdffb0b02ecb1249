//! Searching for secret paths under a folder and its sub-folders: the BFF walks the folders
//! the token may list, bounded in depth, count and time, and streams matches as it finds
//! them; Cancel stops it.

use super::{route, KvMount};
use crate::{api, base::href};
use leptos::prelude::*;
use leptos_router::components::A;
use serde_json::Value;

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
        let Ok(controller) = web_sys::AbortController::new() else {
            return;
        };
        let signal = controller.signal();
        abort.set_value(Some(controller));
        found.set(Vec::new());
        status.set(Some("Searching…".into()));
        running.set(true);
        let url = format!(
            "api/search/v1/{list_path}?q={}&depth={}&limit=500&seconds=20",
            crate::components::layout::encode(&q),
            depth.get_untracked()
        );
        leptos::task::spawn_local(async move {
            let outcome = api::stream_lines(&url, &signal, |line| {
                let Ok(message) = serde_json::from_str::<Value>(line) else {
                    return;
                };
                if let Some(path) = message["match"].as_str() {
                    found.update(|f| f.push(path.to_string()));
                } else if let Some(progress) = message.get("progress") {
                    status.set(Some(format!(
                        "Searching… {} folders so far",
                        progress["folders"]
                    )));
                } else if let Some(done) = message.get("done") {
                    status.set(Some(summary(done)));
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
                    let target = if path.ends_with('/') { route::list_href(&result_mount, &full) } else { route::show_href(&result_mount, &full) };
                    view! { <li><A href=href(&target) attr:data-testid="search-result">{full}</A></li> }
                }).collect_view()}
            </ul>
        </section>
    }
}

fn summary(done: &Value) -> String {
    let why = match done["stopped"].as_str() {
        Some("limit") => " (stopped at the result limit)",
        Some("depth") => " (deeper folders were not searched)",
        Some("time") => " (stopped at the time limit)",
        _ => "",
    };
    let denied = done["denied"].as_u64().unwrap_or(0);
    let denied = if denied > 0 {
        format!("; {denied} folders could not be listed with your policy")
    } else {
        String::new()
    };
    format!(
        "{} matches in {} folders{why}{denied}.",
        done["matches"], done["folders"]
    )
}
