//! The policy editor: HCL with syntax highlighting and line numbers, checked as you type
//! (the parser runs here, compiled to WebAssembly), diagnostics at their line with one-click
//! fixes, and each rule's path explained segment by segment on hover.

use leptos::prelude::*;
use vaultdeck_policy::{highlight, validate, Diagnostic, MountHint, Severity, Validation};

#[component]
pub fn PolicyEditor(
    text: RwSignal<String>,
    /// The mounts the user can see, for path checks.
    #[prop(into)]
    mounts: Signal<Vec<MountHint>>,
    /// Published so the page can block saving on errors.
    validation: RwSignal<Validation>,
    #[prop(optional)] readonly: bool,
) -> impl IntoView {
    Effect::new(move |_| {
        let checked = validate(&text.get(), &mounts.get());
        validation.set(checked);
    });
    let textarea = NodeRef::<leptos::html::Textarea>::new();
    let highlight_ref = NodeRef::<leptos::html::Pre>::new();
    let gutter_ref = NodeRef::<leptos::html::Div>::new();
    let sync_scroll = move |_| {
        if let (Some(area), Some(pre), Some(gutter)) =
            (textarea.get(), highlight_ref.get(), gutter_ref.get())
        {
            pre.set_scroll_top(area.scroll_top());
            pre.set_scroll_left(area.scroll_left());
            gutter.set_scroll_top(area.scroll_top());
        }
    };
    let go_to = move |line: usize, column: usize| {
        if let Some(area) = textarea.get() {
            let offset = utf16_offset(&text.get_untracked(), line, column) as u32;
            let _ = area.focus();
            let _ = area.set_selection_range(offset, offset);
        }
    };
    let apply_fix = move |diagnostic: Diagnostic| {
        if let Some(fix) = diagnostic.fix {
            text.update(|t| {
                if fix.range.end <= t.len()
                    && t.is_char_boundary(fix.range.start)
                    && t.is_char_boundary(fix.range.end)
                {
                    t.replace_range(fix.range.clone(), &fix.replacement);
                }
            });
        }
    };
    let line_marks = move || {
        let lines = text.with(|t| t.split('\n').count());
        let marks = validation.with(|v| {
            v.diagnostics
                .iter()
                .map(|d| (d.position.line, d.severity))
                .collect::<Vec<_>>()
        });
        (1..=lines)
            .map(|line| {
                let worst = marks
                    .iter()
                    .filter(|(l, _)| *l == line)
                    .map(|(_, s)| *s)
                    .min_by_key(|s| severity_rank(*s));
                let class = match worst {
                    Some(Severity::Error) => "gutter-line gutter-error",
                    Some(Severity::Warning) => "gutter-line gutter-warn",
                    Some(Severity::Note) => "gutter-line gutter-note",
                    None => "gutter-line",
                };
                view! { <div class=class>{line}</div> }
            })
            .collect_view()
    };
    let highlighted = move || {
        text.with(|t| {
            let mut pieces: Vec<_> = highlight::tokens(t)
                .into_iter()
                .map(|(kind, range)| view! { <span class=kind.class()>{t[range].to_string()}</span> })
                .collect();
            // A trailing newline needs a line to show, as the textarea has one.
            pieces.push(view! { <span class="">{"\n".to_string()}</span> });
            pieces.collect_view()
        })
    };
    view! {
        <div class="editor" data-testid="policy-editor">
            <div class="editor-gutter" node_ref=gutter_ref aria-hidden="true">{line_marks}</div>
            <div class="editor-code">
                <pre class="editor-highlight" node_ref=highlight_ref aria-hidden="true"><code>{highlighted}</code></pre>
                <textarea
                    class="editor-input"
                    node_ref=textarea
                    spellcheck="false"
                    autocapitalize="off"
                    autocomplete="off"
                    wrap="off"
                    aria-label="Policy (HCL)"
                    readonly=readonly
                    bind:value=text
                    on:scroll=sync_scroll
                    on:input=sync_scroll
                    data-testid="policy-text"
                ></textarea>
            </div>
        </div>
        <ul class="diagnostics" data-testid="diagnostics">
            {move || validation.get().diagnostics.into_iter().map(|diagnostic| {
                let (line, column) = (diagnostic.position.line, diagnostic.position.column);
                let label = diagnostic.fix.as_ref().map(|f| f.label.clone());
                let class = match diagnostic.severity {
                    Severity::Error => "diagnostic diagnostic-error",
                    Severity::Warning => "diagnostic diagnostic-warn",
                    Severity::Note => "diagnostic diagnostic-note",
                };
                let severity = match diagnostic.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                    Severity::Note => "note",
                };
                let message = diagnostic.message.clone();
                view! {
                    <li class=class data-testid="diagnostic" data-severity=severity data-line=line>
                        <button type="button" class="link-button" on:click=move |_| go_to(line, column)>
                            {format!("line {line}, column {column}")}
                        </button>
                        " " <strong>{severity}</strong> ": " <span data-testid="diagnostic-message">{message}</span>
                        {label.map(|label| {
                            let diagnostic = diagnostic.clone();
                            view! {
                                " "
                                <button type="button" class="button button-small" on:click=move |_| apply_fix(diagnostic.clone()) data-testid="apply-fix">
                                    {label}
                                </button>
                            }
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
        <RuleList validation />
    }
}

/// The rules the policy makes, each path segment explained on hover where it is a wildcard.
#[component]
fn RuleList(validation: RwSignal<Validation>) -> impl IntoView {
    view! {
        <Show when=move || validation.with(|v| !v.rules.is_empty())>
            <h3>"Rules in this policy"</h3>
            <ul class="rules" data-testid="rules">
                {move || validation.get().rules.into_iter().map(|rule| view! {
                    <li>
                        <code class="rule-path">
                            {rule.segments.into_iter().map(|segment| match segment.meaning {
                                Some(meaning) => view! { <span class="wildcard" title=meaning.clone() tabindex="0" data-testid="wildcard">{segment.text}</span> }.into_any(),
                                None => view! { <span>{segment.text}</span> }.into_any(),
                            }).collect_view()}
                        </code>
                        " → " {if rule.capabilities.is_empty() { "nothing".to_string() } else { rule.capabilities.join(", ") }}
                        {rule.mount.map(|m| view! { <span class="muted">{format!(" (mount {m})")}</span> })}
                    </li>
                }).collect_view()}
            </ul>
        </Show>
    }
}

fn severity_rank(severity: Severity) -> u8 {
    match severity {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Note => 2,
    }
}

/// The textarea offset (UTF-16 code units) of a 1-based line and column (in characters).
pub fn utf16_offset(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (index, content) in text.split('\n').enumerate() {
        if index + 1 == line {
            return offset
                + content
                    .chars()
                    .take(column.saturating_sub(1))
                    .map(char::len_utf16)
                    .sum::<usize>();
        }
        offset += content.encode_utf16().count() + 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    #[test]
    fn offsets_for_the_textarea() {
        let text = "ab\nçd\n";
        assert_eq!(super::utf16_offset(text, 1, 1), 0);
        assert_eq!(super::utf16_offset(text, 2, 2), 4);
        assert_eq!(super::utf16_offset("😀x", 1, 2), 2);
    }
}
