//! A field holding several values (service account names, namespaces, policies): each
//! value a removable chip, new ones typed with suggestions. Enter, comma or leaving the
//! field adds what was typed, so nothing typed is lost when the form is saved.

use leptos::prelude::*;

#[component]
pub fn MultiValueInput(
    label: &'static str,
    values: RwSignal<Vec<String>>,
    /// Offered while typing; free text is always allowed.
    #[prop(into)]
    suggestions: Signal<Vec<String>>,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] placeholder: &'static str,
    /// `data-testid` of the text input; chips get `{test_id}-chip`.
    test_id: &'static str,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let list_id = format!("{test_id}-suggestions");
    let add_typed = move || {
        let text = typed.get_untracked();
        let new: Vec<String> = text
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if new.is_empty() {
            return;
        }
        values.update(|all| {
            for value in new {
                if !all.contains(&value) {
                    all.push(value);
                }
            }
        });
        typed.set(String::new());
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Enter" | "," => {
            ev.prevent_default();
            add_typed();
        }
        "Backspace" if typed.with_untracked(String::is_empty) => {
            values.update(|all| {
                all.pop();
            });
        }
        _ => {}
    };
    let offered = move || {
        let chosen = values.get();
        suggestions
            .get()
            .into_iter()
            .filter(|s| !chosen.contains(s))
            .collect::<Vec<_>>()
    };
    view! {
        <div class="field">
            <span>{label}</span>
            <div class="chips" data-testid=format!("{test_id}-chips")>
                <For each=move || values.get() key=|v| v.clone() let:value>
                    <span class="chip" data-testid=format!("{test_id}-chip")>
                        <span class="mono">{value.clone()}</span>
                        <button
                            type="button"
                            class="chip-remove"
                            aria-label=format!("Remove {value}")
                            on:click={
                                let value = value.clone();
                                move |_| values.update(|all| all.retain(|v| v != &value))
                            }
                        >
                            "×"
                        </button>
                    </span>
                </For>
                <input
                    type="text"
                    aria-label=label
                    list=list_id.clone()
                    placeholder=placeholder
                    autocomplete="off"
                    bind:value=typed
                    on:keydown=on_key
                    on:change=move |_| add_typed()
                    on:blur=move |_| add_typed()
                    data-testid=test_id
                />
            </div>
            <datalist id=list_id>
                <For each=offered key=|s| s.clone() let:suggestion>
                    <option value=suggestion></option>
                </For>
            </datalist>
            {(!hint.is_empty()).then(|| view! { <small class="muted">{hint}</small> })}
        </div>
    }
}
