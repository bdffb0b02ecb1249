//! What the page shows once the plan passed its check: the files for the chosen method
//! (each with its command, Copy and Download), and "Prove it" with the real agent.

use super::draft::{outputs, Output};
use crate::{
    api::{self, ApiError, Method as HttpMethod},
    components::{copy::CopyButton, error_notice::ErrorNotice},
    delivery::{Method, Plan},
    pages::init::save_file,
    wire::delivery::{urls, ProofReport, ProofRequest, RenderedFile},
};
use leptos::prelude::*;

#[component]
pub fn Outputs(plan: Plan, method: Signal<Method>) -> impl IntoView {
    let plan = StoredValue::new(plan);
    let files = move || plan.with_value(|plan| outputs(plan, method.get()));
    view! {
        <section class="card" data-testid="delivery-outputs">
            <h2>{move || format!("{} for {}", method.get().title(), plan.with_value(|p| p.workload.clone()))}</h2>
            {move || files().into_iter().map(|output| view! { <OutputFile output /> }).collect_view()}
        </section>
    }
}

#[component]
fn OutputFile(output: Output) -> impl IntoView {
    let Output {
        title,
        file,
        text,
        command,
    } = output;
    let media_type = if file.ends_with(".hcl") {
        "text/plain"
    } else {
        "application/yaml"
    };
    let download = {
        let (file, text) = (file.clone(), text.clone());
        move |_| save_file(&file, media_type, &text)
    };
    let copied = Signal::stored(text.clone());
    view! {
        <div class="output-file" data-testid="delivery-file" data-file=file.clone()>
            <h3>{title}" "<code>{file.clone()}</code></h3>
            <div class="actions">
                <CopyButton value=copied label=file.clone() />
                <button type="button" class="button button-small" on:click=download data-testid="delivery-download">"Download"</button>
            </div>
            <pre class="json-view" data-testid="delivery-text">{text}</pre>
            <p class="muted">"Then: "<code data-testid="delivery-command">{command}</code></p>
        </div>
    }
}

/// "Prove it": offered when the server has an agent (`agent` names it).
#[component]
pub fn ProveIt(plan: Plan, agent: String) -> impl IntoView {
    let plan = StoredValue::new(plan);
    let report = RwSignal::new(None::<ProofReport>);
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let prove = move |_| {
        busy.set(true);
        report.set(None);
        error.set(None);
        let request = ProofRequest {
            plan: plan.get_value(),
        };
        crate::state::tasks::spawn_owned(async move {
            match api::send_json::<ProofReport, _>(HttpMethod::POST, urls::PROVE, Some(&request))
                .await
            {
                Ok(Some(answer)) => report.set(Some(answer)),
                Ok(None) => error.set(Some(ApiError::local("The proof answered nothing."))),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card" data-testid="delivery-prove">
            <h2>"Prove it"</h2>
            <p class="muted">{format!("Vaultdeck runs {agent} agent once with this configuration: it logs in with a short-lived token of the service account, as the pod would, renders each template, and checks the files against what your own token reads. The agent's Vault token is revoked afterwards.")}</p>
            <button type="button" class="button button-primary" on:click=prove disabled=move || busy.get() data-testid="delivery-prove-run">
                {move || if busy.get() { "Running the agent…" } else { "Prove it" }}
            </button>
            {move || error.get().map(|error| view! { <ErrorNotice error context="The proof could not run." /> })}
            {move || report.get().map(|report| view! { <ProofView report /> })}
        </section>
    }
}

#[component]
fn ProofView(report: ProofReport) -> impl IntoView {
    let proven = report.proven();
    let verdict = if proven {
        "Proven: the agent rendered every secret with its values."
    } else {
        "Not proven: see what failed below."
    };
    let class = if proven {
        "alert alert-ok"
    } else {
        "alert alert-error"
    };
    let binding = (!report.binding.ok).then(|| {
        let refusal = report
            .binding
            .refusal
            .map(|r| format!("{r:?}"))
            .unwrap_or_default();
        view! { <p class="field-error">{format!("The role does not bind this service account ({refusal}).")}</p> }
    });
    let token_error = report
        .token_request
        .as_ref()
        .and_then(|t| t.error.clone())
        .map(|e| view! { <p class="field-error">{format!("No token for the pod: {e}")}</p> });
    let log = report.agent.as_ref().filter(|a| !a.ok).map(|agent| {
        let exit = match (agent.timed_out, agent.exit_code) {
            (true, _) => "The agent did not finish in time.".to_string(),
            (false, Some(code)) => format!("The agent exited with {code}."),
            (false, None) => "The agent was stopped.".to_string(),
        };
        view! {
            <p class="field-error">{exit}</p>
            <pre class="json-view" data-testid="delivery-agent-log">{agent.log.join("\n")}</pre>
        }
    });
    view! {
        <p class=class data-testid="delivery-proof-verdict">{verdict}</p>
        {binding}
        {token_error}
        {log}
        {report.files.into_iter().map(|file| view! { <RenderedView file /> }).collect_view()}
        {report.revoked.map(|revoked| view! {
            <p class="muted">{if revoked { "The agent's Vault token has been revoked." } else { "The agent's Vault token could not be revoked; it expires with its TTL." }}</p>
        })}
    }
}

#[component]
fn RenderedView(file: RenderedFile) -> impl IntoView {
    let checks = file
        .checks
        .iter()
        .map(|c| format!("{}: {}", c.key, if c.found { "found" } else { "missing" }))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <div class="output-file" data-testid="delivery-rendered" data-file=file.name.clone()>
            <h3><code>{file.name.clone()}</code></h3>
            {match file.rendered {
                Some(text) => view! { <pre class="json-view secret-value" data-testid="delivery-rendered-text">{text.expose().to_string()}</pre> }.into_any(),
                None => view! { <p class="field-error">"The agent wrote no file for this secret."</p> }.into_any(),
            }}
            <p class="muted" data-testid="delivery-rendered-checks">{checks}</p>
        </div>
    }
}
