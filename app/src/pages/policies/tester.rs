//! `/access/policies/tester`: which capabilities a set of policies (and a draft) gives on
//! which paths, computed here with the same matcher labvault enforces with, and confirmed
//! with Vault for a token (by accessor, or the user's own) where the user may ask.

use super::{policy_names, read_policy};
use crate::{
    api::{self, ApiError, Method},
    components::{error_notice::ErrorNotice, guard::RequireLogin},
};
use leptos::prelude::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use vaultdeck_policy::{parse, Acl, MatchKind, Policy};

#[component]
pub fn PolicyTesterPage() -> impl IntoView {
    view! { <RequireLogin><Tester /></RequireLogin> }
}

/// One row of the result: what our evaluation says, and how it got there.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub path: String,
    pub capabilities: Vec<String>,
    pub explanation: String,
}

/// Evaluates `paths` against named policies and an optional draft, as Vault would.
pub fn evaluate(policies: &[(String, Policy)], paths: &[String]) -> Vec<Answer> {
    let acl = if policies.iter().any(|(name, _)| name == "root") {
        Acl::root()
    } else {
        Acl::new(policies.iter().map(|(_, p)| p))
    };
    paths
        .iter()
        .map(|path| {
            let decision = acl.capabilities(path);
            let from = |rule: &str| {
                let names: Vec<&str> = policies
                    .iter()
                    .filter(|(_, p)| p.rules.iter().any(|r| r.path == rule))
                    .map(|(n, _)| n.as_str())
                    .collect();
                names.join(", ")
            };
            let explanation = match (&decision.kind, &decision.rule) {
                (MatchKind::Root, _) => "the root policy allows everything".to_string(),
                (MatchKind::NoMatch, _) => {
                    "no rule matches this path: denied by default".to_string()
                }
                (MatchKind::Exact, Some(rule)) => {
                    format!("exact rule “{rule}” from {}", from(rule))
                }
                (MatchKind::ExactWithoutTrailingSlash, Some(rule)) => {
                    format!("exact rule “{rule}” (for LIST) from {}", from(rule))
                }
                (MatchKind::Pattern, Some(rule)) => {
                    format!("best-matching pattern “{rule}” from {}", from(rule))
                }
                _ => String::new(),
            };
            Answer {
                path: path.clone(),
                capabilities: decision.reported(),
                explanation,
            }
        })
        .collect()
}

fn paths_of(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim().trim_start_matches('/').to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[component]
fn Tester() -> impl IntoView {
    let names = LocalResource::new(|| async { policy_names().await });
    let selected = RwSignal::new(Vec::<String>::new());
    let draft = RwSignal::new(String::new());
    let paths = RwSignal::new(String::new());
    let fetched = RwSignal::new(BTreeMap::<String, String>::new());
    let load_error = RwSignal::new(None::<ApiError>);

    // Fetch the text of each policy the first time it is ticked.
    Effect::new(move |_| {
        for name in selected.get() {
            if name == "root" || fetched.with_untracked(|f| f.contains_key(&name)) {
                continue;
            }
            crate::state::tasks::spawn_owned(async move {
                match read_policy(&name).await {
                    Ok(policy) => fetched.update(|f| {
                        f.insert(name, policy.policy);
                    }),
                    Err(error) => load_error.set(Some(error)),
                }
            });
        }
    });

    let parsed = Memo::new(move |_| {
        let texts = fetched.get();
        let mut policies: Vec<(String, Policy)> = Vec::new();
        let mut problems = Vec::new();
        for name in selected.get() {
            if name == "root" {
                policies.push((name, Policy::default()));
                continue;
            }
            match texts.get(&name).map(|t| parse(t)) {
                Some(Ok(policy)) => policies.push((name, policy)),
                Some(Err(error)) => problems.push(format!("{name}: {error}")),
                None => {}
            }
        }
        let draft_text = draft.get();
        if !draft_text.trim().is_empty() {
            match parse(&draft_text) {
                Ok(policy) => policies.push(("the draft".to_string(), policy)),
                Err(error) => problems.push(format!("the draft: {error}")),
            }
        }
        (policies, problems)
    });
    let answers = move || parsed.with(|(policies, _)| evaluate(policies, &paths_of(&paths.get())));

    view! {
        <section class="card">
            <h1>"Policy tester"</h1>
            <p>
                "Pick policies (and paste a draft if you like), list paths, and see what a token "
                "holding them may do — " <strong>"as Vault would evaluate it"</strong>
                ": the exact rule if there is one, else the highest-priority glob or “+” rule; "
                "“deny” wins; no match means no access."
            </p>
            <div class="tester-grid">
                <fieldset>
                    <legend>"Policies"</legend>
                    <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || names.get().map(|answer| match answer {
                            Err(error) => view! { <ErrorNotice error context="Could not list the policies." /> }.into_any(),
                            Ok(names) => names.into_iter().map(|name| {
                                let value = name.clone();
                                view! {
                                    <label class="checkbox">
                                        <input
                                            type="checkbox"
                                            data-testid=format!("tester-policy-{name}")
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                let value = value.clone();
                                                selected.update(|s| {
                                                    s.retain(|n| n != &value);
                                                    if on { s.push(value); }
                                                });
                                            }
                                        />
                                        {format!(" {name}")}
                                    </label>
                                }
                            }).collect_view().into_any(),
                        })}
                    </Suspense>
                </fieldset>
                <label class="field">
                    <span>"Draft policy (optional)"</span>
                    <textarea rows="8" bind:value=draft spellcheck="false" data-testid="tester-draft" placeholder="path \"kv/data/app\" { capabilities = [\"read\"] }"></textarea>
                </label>
            </div>
            <label class="field">
                <span>"Paths, one per line"</span>
                <textarea rows="4" bind:value=paths spellcheck="false" data-testid="tester-paths" placeholder="kv/data/webapps/app_one"></textarea>
            </label>
            {move || load_error.get().map(|error| view! { <ErrorNotice error context="Could not read a policy." /> })}
            {move || parsed.with(|(_, problems)| problems.clone()).into_iter().map(|p| view! { <p class="field-error">{p}</p> }).collect_view()}
            <table class="table" data-testid="tester-results">
                <thead><tr><th>"Path"</th><th>"Capabilities"</th><th>"Why"</th></tr></thead>
                <tbody>
                    {move || answers().into_iter().map(|answer| view! {
                        <tr data-testid="tester-row" data-path=answer.path.clone()>
                            <td class="mono">{answer.path.clone()}</td>
                            <td data-testid="tester-capabilities">{answer.capabilities.join(", ")}</td>
                            <td class="muted">{answer.explanation.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <ConfirmWithVault paths />
    }
}

/// Asks Vault itself, with `sys/capabilities-self` (your token) or
/// `sys/capabilities-accessor` (another token, by accessor: no token is typed here).
#[component]
fn ConfirmWithVault(paths: RwSignal<String>) -> impl IntoView {
    let accessor = RwSignal::new(String::new());
    let result = RwSignal::new(None::<Result<BTreeMap<String, Vec<String>>, ApiError>>);
    let ask = move |endpoint: &'static str| {
        let list = paths_of(&paths.get_untracked());
        if list.is_empty() {
            return;
        }
        let body = if endpoint == "sys/capabilities-accessor" {
            json!({ "accessor": accessor.get_untracked().trim(), "paths": list })
        } else {
            json!({ "paths": list })
        };
        crate::state::tasks::spawn_owned(async move {
            let answer = api::vault_send::<Value, _>(Method::POST, endpoint, Some(&body))
                .await
                .map(|v| {
                    let data = v.map(|v| v["data"].clone()).unwrap_or(Value::Null);
                    list.iter()
                        .map(|p| {
                            (
                                p.clone(),
                                data[p]
                                    .as_array()
                                    .map(|a| {
                                        a.iter()
                                            .filter_map(|c| c.as_str().map(str::to_string))
                                            .collect()
                                    })
                                    .unwrap_or_default(),
                            )
                        })
                        .collect::<BTreeMap<_, _>>()
                });
            result.set(Some(answer));
        });
    };
    view! {
        <section class="card">
            <h2>"Confirm with Vault"</h2>
            <p class="muted">"Vault's own answer for a real token: yours, or another one by its accessor."</p>
            <div class="actions">
                <button type="button" class="button" on:click=move |_| ask("sys/capabilities-self") data-testid="confirm-self">"For my token"</button>
                <input type="text" placeholder="token accessor" bind:value=accessor data-testid="confirm-accessor" />
                <button type="button" class="button" on:click=move |_| ask("sys/capabilities-accessor") data-testid="confirm-by-accessor">"For this accessor"</button>
            </div>
            {move || result.get().map(|answer| match answer {
                Err(error) => view! { <ErrorNotice error context="Vault did not answer." /> }.into_any(),
                Ok(answer) => view! {
                    <table class="table" data-testid="vault-results">
                        <thead><tr><th>"Path"</th><th>"Vault says"</th></tr></thead>
                        <tbody>
                            {answer.into_iter().map(|(path, caps)| view! {
                                <tr data-path=path.clone()><td class="mono">{path.clone()}</td><td data-testid="vault-capabilities">{caps.join(", ")}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lab_policy_reads_one_app_only() {
        let policy =
            parse(r#"path "kv/data/webapps/app_one" { capabilities = ["read"] }"#).unwrap();
        let answers = evaluate(
            &[("webapp-one-read".into(), policy)],
            &[
                "kv/data/webapps/app_one".into(),
                "kv/data/webapps/app_two".into(),
            ],
        );
        assert_eq!(answers[0].capabilities, vec!["read"]);
        assert!(answers[0].explanation.contains("webapp-one-read"));
        assert_eq!(answers[1].capabilities, vec!["deny"]);
        assert!(answers[1].explanation.contains("no rule matches"));
    }
}
