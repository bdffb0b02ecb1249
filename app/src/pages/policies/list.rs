//! `/access/policies`: every ACL policy, with a filter.

use crate::routes::AppRoute;
use crate::{
    components::{error_notice::ErrorNotice, guard::RequireLogin},
    state::permissions::use_permissions,
};
use leptos::prelude::*;
use leptos_router::components::A;
use vaultdeck_policy::Capability;

#[component]
pub fn PolicyListPage() -> impl IntoView {
    view! { <RequireLogin><PolicyList /></RequireLogin> }
}

#[component]
fn PolicyList() -> impl IntoView {
    let permissions = use_permissions();
    let names = LocalResource::new(|| async { super::policy_names().await });
    let filter = RwSignal::new(String::new());
    let can_create =
        move || permissions.can_somewhere_under("sys/policies/acl/", &[Capability::Update]);
    view! {
        <section class="card">
            <div class="card-head">
                <h1>"ACL policies"</h1>
                <div class="actions">
                    <A href=AppRoute::PolicyTester.link() attr:class="button" attr:data-testid="open-tester">"Test policies"</A>
                    <Show when=can_create>
                        <A href=AppRoute::PolicyCreate.link() attr:class="button button-primary" attr:data-testid="create-policy">"Create policy"</A>
                    </Show>
                </div>
            </div>
            <label class="field field-inline">
                <span>"Filter"</span>
                <input type="search" bind:value=filter placeholder="policy name" data-testid="policy-filter" />
            </label>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || names.get().map(|answer| match answer {
                    Err(error) => view! { <ErrorNotice error context="Could not list the policies." /> }.into_any(),
                    Ok(names) => {
                        let needle = filter.get().to_lowercase();
                        let shown: Vec<String> = names.into_iter().filter(|n| n.contains(&needle)).collect();
                        if shown.is_empty() {
                            return view! { <p class="muted">"Nothing matches the filter."</p> }.into_any();
                        }
                        view! {
                            <ul class="policy-list" data-testid="policy-list">
                                {shown.into_iter().map(|name| {
                                    let note = match name.as_str() {
                                        "root" => Some("built in: grants everything; read-only"),
                                        "default" => Some("given to every token unless it opts out"),
                                        _ => None,
                                    };
                                    let link = AppRoute::Policy(name.clone()).link();
                                    let label = name.clone();
                                    view! {
                                        <li data-testid="policy-row" data-name=name.clone()>
                                            <A href=link>{label}</A>
                                            {note.map(|n| view! { <span class="muted">{format!(" — {n}")}</span> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}
