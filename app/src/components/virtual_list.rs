//! A list of any length with only the visible rows in the DOM: a tall spacer gives the
//! scrollbar its range, rows are placed by offset, and the rows around the viewport are
//! asked for as the user scrolls.

use leptos::prelude::*;

/// Rows drawn above and below the viewport, so fast scrolling does not show blanks.
const OVERSCAN: usize = 12;

#[component]
pub fn VirtualList(
    #[prop(into)] total: Signal<usize>,
    /// Each row's height in pixels (rows are all the same height).
    row_height: f64,
    /// The list's own height in pixels.
    height: f64,
    /// Told which rows (start, end exclusive) should be ready to show.
    on_range: Callback<(usize, usize)>,
    /// Draws row `index`.
    row: Callback<usize, AnyView>,
    /// Scrolls back to the top whenever it changes.
    #[prop(into)]
    reset: Signal<u64>,
    #[prop(optional)] test_id: &'static str,
) -> impl IntoView {
    let scroll_top = RwSignal::new(0.0);
    let viewport = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        reset.track();
        scroll_top.set(0.0);
        if let Some(element) = viewport.get_untracked() {
            element.set_scroll_top(0);
        }
    });
    let range = Memo::new(move |_| {
        let first = (scroll_top.get() / row_height).floor() as usize;
        let visible = (height / row_height).ceil() as usize + 1;
        let start = first.saturating_sub(OVERSCAN);
        let end = (first + visible + OVERSCAN).min(total.get());
        (start, end.max(start))
    });
    Effect::new(move |_| on_range.run(range.get()));
    view! {
        <div
            class="vlist"
            node_ref=viewport
            style:height=format!("{height}px")
            on:scroll=move |ev| scroll_top.set(event_target::<web_sys::HtmlElement>(&ev).scroll_top() as f64)
            data-testid=test_id
            role="list"
        >
            <div class="vlist-spacer" style:height=move || format!("{}px", total.get() as f64 * row_height)>
                <For each=move || { let (start, end) = range.get(); start..end } key=|index| *index let:index>
                    <div
                        class="vlist-row"
                        role="listitem"
                        style:height=format!("{row_height}px")
                        style:transform=format!("translateY({}px)", index as f64 * row_height)
                    >
                        {move || row.run(index)}
                    </div>
                </For>
            </div>
        </div>
    }
}
