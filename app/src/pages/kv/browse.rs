//! A KV folder: breadcrumbs, "go to path", a filter applied by the server, and the keys in
//! a virtualized list that loads pages as it scrolls — so 100,000 keys stay smooth.

use super::{search::SearchPanel, KvMount};
use crate::pages::mounts::MountKind;
use crate::routes::{AppRoute, KvView};
use crate::wire::listing::{self, ListingPage, Match, PageRequest};
use crate::{
    api::{self, ApiError},
    base::href,
    components::{
        error_notice::{needs, ErrorNotice},
        virtual_list::VirtualList,
    },
    state::permissions::use_permissions,
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};
use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};
use vaultdeck_policy::Capability;

/// Keys per request to the BFF.
const PAGE: usize = 200;
const ROW_HEIGHT: f64 = 36.0;
const LIST_HEIGHT: f64 = 480.0;
/// Typing pauses this long before the filter is sent.
const DEBOUNCE: Duration = Duration::from_millis(150);

#[component]
pub fn Breadcrumbs(mount: String, path: String) -> impl IntoView {
    let mut crumbs = vec![(format!("{mount}/"), AppRoute::kv_list(&mount, "").href())];
    let mut so_far = String::new();
    let segments: Vec<&str> = path.split_inclusive('/').collect();
    for (index, segment) in segments.iter().enumerate() {
        so_far.push_str(segment);
        let last = index + 1 == segments.len();
        let target = if segment.ends_with('/') {
            AppRoute::kv_list(&mount, &so_far).href()
        } else {
            AppRoute::kv_show(&mount, &so_far).href()
        };
        crumbs.push((
            segment.to_string(),
            if last { String::new() } else { target },
        ));
    }
    view! {
        <nav class="breadcrumb" aria-label="Breadcrumb" data-testid="breadcrumb">
            <A href=AppRoute::Mounts(MountKind::Secrets).link()>"Secrets"</A>
            {crumbs.into_iter().map(|(label, target)| view! {
                <span class="crumb-sep" aria-hidden="true">"›"</span>
                {if target.is_empty() {
                    view! { <span aria-current="page">{label}</span> }.into_any()
                } else {
                    view! { <A href=href(&target)>{label}</A> }.into_any()
                }}
            }).collect_view()}
        </nav>
    }
}

/// Open any path by typing it — for policies that allow reading a secret but not listing
/// its folder.
#[component]
pub fn GoToPath(mount: String, start: String) -> impl IntoView {
    let navigate = use_navigate();
    let typed = RwSignal::new(start);
    let go = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let path = typed
            .get_untracked()
            .trim()
            .trim_start_matches('/')
            .to_string();
        let target = if path.is_empty() || path.ends_with('/') {
            AppRoute::kv_list(&mount, &path).href()
        } else {
            AppRoute::kv_show(&mount, &path).href()
        };
        navigate(&target, Default::default());
    };
    view! {
        <form class="goto" on:submit=go>
            <label class="field field-inline">
                <span>"Go to path"</span>
                <input type="text" bind:value=typed placeholder="folder/ or folder/secret" data-testid="goto-path" />
                <button type="submit" class="button">"Open"</button>
            </label>
        </form>
    }
}

#[component]
pub fn Browse(mount: KvMount, folder: String) -> impl IntoView {
    let permissions = use_permissions();
    let list_path = mount.list_path(&folder);
    let list_denied = needs("list", &list_path);
    let typed = RwSignal::new(String::new());
    let applied = RwSignal::new(String::new());
    let total = RwSignal::new(None::<usize>);
    let unfiltered = RwSignal::new(0usize);
    let pages = RwSignal::new(HashMap::<usize, Vec<String>>::new());
    let requested = StoredValue::new(HashSet::<usize>::new());
    let generation = RwSignal::new(0u64);
    let error = RwSignal::new(None::<ApiError>);

    // The filter follows typing after a short pause; what is typed is never touched.
    Effect::new(move |_| {
        let text = typed.get();
        crate::state::tasks::after(DEBOUNCE, move || {
            if typed.get_untracked() == text && applied.get_untracked() != text {
                applied.set(text);
            }
        });
    });

    let fetch_page = {
        let list_path = list_path.clone();
        move |page: usize, refresh: bool| {
            let requested_before = requested.with_value(|r| r.contains(&page));
            if requested_before && !refresh {
                return;
            }
            requested.update_value(|r| {
                r.insert(page);
            });
            let wanted = generation.get_untracked();
            let filter = applied.get_untracked();
            let request = PageRequest {
                offset: page * PAGE,
                limit: PAGE,
                filter: &filter,
                how: Match::Contains,
                refresh,
            };
            let url = match listing::urls::list_page(&list_path, &request) {
                Ok(url) => url,
                Err(refused) => return error.set(Some(ApiError::local(refused))),
            };
            crate::state::tasks::spawn_owned(async move {
                let answer = api::get_json::<ListingPage>(&url).await;
                if generation.get_untracked() != wanted {
                    return; // the filter changed meanwhile
                }
                match answer {
                    Ok(answer) => {
                        total.set(Some(answer.total));
                        unfiltered.set(answer.unfiltered);
                        pages.update(|p| {
                            p.insert(page, answer.keys);
                        });
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        }
    };
    let first_load = fetch_page.clone();
    Effect::new(move |previous: Option<()>| {
        applied.track();
        generation.update(|g| *g += 1);
        requested.set_value(HashSet::new());
        pages.set(HashMap::new());
        error.set(None);
        // A fresh listing on arrival (others may have written since); kept for paging.
        first_load(0, previous.is_none());
    });
    let on_range = Callback::new(move |(start, end): (usize, usize)| {
        if end == 0 {
            return;
        }
        for page in (start / PAGE)..=((end - 1) / PAGE) {
            fetch_page(page, false);
        }
    });
    let row_mount = mount.path.clone();
    let row_folder = folder.clone();
    let row = Callback::new(move |index: usize| {
        let key = pages.with(|p| {
            p.get(&(index / PAGE))
                .and_then(|keys| keys.get(index % PAGE))
                .cloned()
        });
        match key {
            Some(key) => {
                let full = format!("{row_folder}{key}");
                let (target, class, icon) = if key.ends_with('/') {
                    (
                        AppRoute::kv_list(&row_mount, &full).href(),
                        "kv-row kv-folder",
                        "📁",
                    )
                } else {
                    (
                        AppRoute::kv_show(&row_mount, &full).href(),
                        "kv-row kv-secret",
                        "🔑",
                    )
                };
                let label = key.clone();
                view! {
                    <A href=href(&target) attr:class=class attr:data-testid="kv-row" attr:data-key=key>
                        <span aria-hidden="true">{icon}</span> " " {label}
                    </A>
                }
                .into_any()
            }
            None => view! { <span class="kv-row muted">"…"</span> }.into_any(),
        }
    });
    // For the benchmark and for people: when the first rows are on screen.
    Effect::new(move |_| {
        if pages.with(|p| p.contains_key(&0)) {
            leptos::prelude::request_animation_frame(|| {
                if let Some(performance) = window().performance() {
                    let _ = performance.mark("vaultdeck:kv-rows");
                }
            });
        }
    });
    let can_create = {
        let data_prefix = mount.data_path(&folder);
        move || {
            permissions.can_somewhere_under(&data_prefix, &[Capability::Create])
                || permissions.can_somewhere_under(&data_prefix, &[Capability::Update])
        }
    };
    let create_href = AppRoute::Kv {
        mount: mount.path.clone(),
        view: KvView::Create {
            folder: Some(folder.clone()),
            name: None,
        },
    }
    .link();
    let reset = Signal::derive(move || generation.get());
    let has_rows = move || total.get().unwrap_or(0) > 0;
    view! {
        <section class="card">
            <Breadcrumbs mount=mount.path.clone() path=folder.clone() />
            <div class="card-head">
                <h1>{format!("{}/{}", mount.path, folder)}</h1>
                <span class="badge">{format!("KV v{}", mount.version)}</span>
                <Show when=can_create.clone()>
                    <A href=create_href.clone() attr:class="button button-primary" attr:data-testid="create-secret">"Create secret"</A>
                </Show>
            </div>
            <GoToPath mount=mount.path.clone() start=folder.clone() />
            <label class="field field-inline">
                <span>"Filter"</span>
                <input type="search" bind:value=typed placeholder="part of a name" autocomplete="off" data-testid="kv-filter" />
            </label>
            <p class="muted" data-testid="kv-count" aria-live="polite">
                {move || match (total.get(), applied.get().is_empty()) {
                    (None, _) => "Listing…".to_string(),
                    (Some(n), true) => format!("{n} entries"),
                    (Some(n), false) => format!("{n} of {} entries match", unfiltered.get()),
                }}
            </p>
            {move || error.get().map(|error| {
                let denied = error.is_permission_denied();
                view! {
                    <ErrorNotice error context="This folder could not be listed." denied=list_denied.clone() />
                    {denied.then(|| view! {
                        <p class="muted" data-testid="list-denied">
                            "If you know a secret's path, type it above to open it."
                        </p>
                    })}
                }
            })}
            <Show when=move || total.get() == Some(0) && error.get().is_none()>
                <p class="muted" data-testid="kv-empty">
                    {move || if applied.get().is_empty() { "This folder is empty." } else { "Nothing matches the filter." }}
                </p>
            </Show>
            <Show when=has_rows>
                <VirtualList
                    total=Signal::derive(move || total.get().unwrap_or(0))
                    row_height=ROW_HEIGHT
                    height=LIST_HEIGHT
                    on_range
                    row
                    reset
                    test_id="kv-list"
                />
            </Show>
        </section>
        <SearchPanel mount=mount.clone() folder=folder.clone() />
    }
}
