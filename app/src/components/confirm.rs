//! A dialog that asks to type a value (a path, a name) before a destructive action.

use leptos::prelude::*;

#[component]
pub fn TypedConfirm(
    /// Whether the dialog shows.
    open: RwSignal<bool>,
    title: String,
    /// What will happen, in words.
    explanation: String,
    /// What the user must type.
    expected: String,
    action_label: String,
    /// Runs when the user confirms.
    on_confirm: Callback<()>,
    /// True while the action runs.
    #[prop(into)]
    busy: Signal<bool>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let expected_value = StoredValue::new(expected.clone());
    let matches = move || typed.with(|t| expected_value.with_value(|e| t.trim() == e));
    let close = move || {
        open.set(false);
        typed.set(String::new());
    };
    let input_ref = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if open.get() {
            if let Some(input) = input_ref.get() {
                let _ = input.focus();
            }
        }
    });
    view! {
        <Show when=move || open.get()>
            <div class="modal-backdrop" on:click=move |_| close()>
                <div
                    class="modal"
                    role="dialog"
                    aria-modal="true"
                    aria-labelledby="confirm-title"
                    on:click=|ev| ev.stop_propagation()
                    on:keydown=move |ev| if ev.key() == "Escape" { close() }
                >
                    <h2 id="confirm-title">{title.clone()}</h2>
                    <p>{explanation.clone()}</p>
                    <form on:submit=move |ev| {
                        ev.prevent_default();
                        if matches() && !busy.get() {
                            on_confirm.run(());
                        }
                    }>
                        <label class="field">
                            <span>"Type " <code>{expected.clone()}</code> " to confirm"</span>
                            <input
                                node_ref=input_ref
                                type="text"
                                autocomplete="off"
                                bind:value=typed
                                data-testid="confirm-input"
                            />
                        </label>
                        <div class="actions">
                            <button type="button" class="button" on:click=move |_| close()>"Cancel"</button>
                            <button
                                type="submit"
                                class="button button-danger"
                                disabled=move || !matches() || busy.get()
                                data-testid="confirm-action"
                            >
                                {action_label.clone()}
                            </button>
                        </div>
                    </form>
                </div>
            </div>
        </Show>
    }
}
