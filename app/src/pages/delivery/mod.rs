//! "Deliver to a pod": pick a Kubernetes auth role, a service account it binds, KV secrets
//! and a method; Vaultdeck checks with a real login as that account that the secrets are
//! readable, then writes the manifests (or the agent's configuration) and, when the server
//! has an agent, proves them by running it.

pub mod check;
pub mod draft;
pub mod results;

use crate::routes::AppRoute;
use crate::{
    api::{self, ApiError},
    components::{error_notice::ErrorNotice, guard::RequireLogin},
    delivery::{Format, Method, Plan},
    pages::{
        kubernetes::{pod_check::FindingView, read_role, role_names},
        kv::{detect, KvMount, Opened},
    },
    wire::delivery::{urls, DeliverySettings},
};
use check::Verdict;
use draft::{DeliveryDraft, SecretDraft};
use leptos::prelude::*;
use leptos_router::components::A;
use results::{Outputs, ProveIt};
use serde_json::Value;

/// Where pods usually reach Vault when the server knows no better.
const DEFAULT_VAULT_ADDR: &str = "http://vault.vault-system.svc:8200";

#[component]
pub fn DeliverPage() -> impl IntoView {
    view! { <RequireLogin><Deliver /></RequireLogin> }
}

/// The form's fields, each its own signal so that nothing typed is lost on any answer.
#[derive(Clone, Copy)]
struct Fields {
    vault_addr: RwSignal<String>,
    /// Vault Enterprise / OpenBao namespace the secrets live in; empty for none.
    vault_namespace: RwSignal<String>,
    auth_mount: RwSignal<String>,
    role: RwSignal<String>,
    namespace: RwSignal<String>,
    service_account: RwSignal<String>,
    workload: RwSignal<String>,
    container: RwSignal<String>,
    audience: RwSignal<String>,
    sync_secret: RwSignal<bool>,
    method: RwSignal<String>,
    secrets: RwSignal<Vec<SecretRow>>,
}

impl Fields {
    fn draft(self) -> DeliveryDraft {
        DeliveryDraft {
            vault_addr: self.vault_addr.get_untracked(),
            vault_namespace: self.vault_namespace.get_untracked(),
            auth_mount: self.auth_mount.get_untracked(),
            role: self.role.get_untracked(),
            namespace: self.namespace.get_untracked(),
            service_account: self.service_account.get_untracked(),
            workload: self.workload.get_untracked(),
            container: self.container.get_untracked(),
            audience: self.audience.get_untracked(),
            sync_secret: self.sync_secret.get_untracked(),
            secrets: self
                .secrets
                .get_untracked()
                .iter()
                .map(|row| row.draft())
                .collect(),
        }
    }

    /// Subscribes to every field that goes into the plan (not the method: each method's
    /// files come from the same checked plan).
    fn track(self) {
        for field in [
            self.vault_addr,
            self.vault_namespace,
            self.auth_mount,
            self.role,
            self.namespace,
            self.service_account,
            self.workload,
            self.container,
            self.audience,
        ] {
            field.track();
        }
        self.sync_secret.track();
        self.secrets.with(|rows| {
            for row in rows {
                row.keys.track();
                row.format.track();
                row.name.track();
            }
        });
    }

    /// Puts what the role decides into the fields (see `DeliveryDraft::follow_role`).
    fn follow(self, role: &crate::pages::kubernetes::Role) {
        let mut draft = self.draft();
        draft.follow_role(role);
        self.namespace.set(draft.namespace);
        self.service_account.set(draft.service_account);
        self.workload.set(draft.workload);
        self.container.set(draft.container);
        self.audience.set(draft.audience);
    }
}

/// One secret of the form.
#[derive(Clone, Copy)]
struct SecretRow {
    mount: StoredValue<String>,
    kv_version: u8,
    path: StoredValue<String>,
    keys: RwSignal<String>,
    format: RwSignal<String>,
    name: RwSignal<String>,
}

impl SecretRow {
    fn new(secret: SecretDraft) -> SecretRow {
        SecretRow {
            mount: StoredValue::new(secret.mount),
            kv_version: secret.kv_version,
            path: StoredValue::new(secret.path),
            keys: RwSignal::new(secret.keys),
            format: RwSignal::new(secret.format.key().to_string()),
            name: RwSignal::new(secret.name),
        }
    }

    fn draft(&self) -> SecretDraft {
        SecretDraft {
            mount: self.mount.get_value(),
            kv_version: self.kv_version,
            path: self.path.get_value(),
            keys: self.keys.get_untracked(),
            format: Format::from_key(&self.format.get_untracked()).unwrap_or(Format::EnvFile),
            name: self.name.get_untracked(),
        }
    }
}

/// The secret at `mount`/`path` with its keys (read once; the values are not kept).
async fn load_secret(mount: &str, path: &str) -> Result<SecretDraft, ApiError> {
    let mount = mount.trim().trim_matches('/');
    let path = path.trim().trim_matches('/');
    if mount.is_empty() || path.is_empty() {
        return Err(ApiError::local("Give the secret's mount and path."));
    }
    let Opened::Kv(kv) = detect(mount).await? else {
        return Err(ApiError::local(format!(
            "{mount}/ is not a key/value mount."
        )));
    };
    let keys = secret_keys(&kv, path).await?;
    Ok(SecretDraft::new(&kv.path, kv.version, path, &keys))
}

async fn secret_keys(kv: &KvMount, path: &str) -> Result<Vec<String>, ApiError> {
    let data = api::vault_data::<Value>(&kv.data_path(path)).await?;
    let fields = match kv.version {
        2 => data.get("data").cloned().unwrap_or(Value::Null),
        _ => data,
    };
    match fields {
        Value::Object(map) => Ok(map.keys().cloned().collect()),
        _ => Err(ApiError::local(format!(
            "{}/{path} has no data to deliver.",
            kv.path
        ))),
    }
}

/// What the last "Check and write" found.
#[derive(Clone)]
struct Checked {
    plan: Plan,
    verdict: Verdict,
}

#[component]
fn Deliver() -> impl IntoView {
    let query = crate::routes::use_query();
    let from = |key: &str| query.with_untracked(|q| q.get(key)).unwrap_or_default();
    let fields = Fields {
        vault_addr: RwSignal::new(String::new()),
        vault_namespace: RwSignal::new(String::new()),
        auth_mount: RwSignal::new(
            Some(from("auth"))
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| "kubernetes".into()),
        ),
        role: RwSignal::new(from("role")),
        namespace: RwSignal::new(String::new()),
        service_account: RwSignal::new(String::new()),
        workload: RwSignal::new(String::new()),
        container: RwSignal::new(String::new()),
        audience: RwSignal::new(String::new()),
        sync_secret: RwSignal::new(false),
        method: RwSignal::new(Method::Injector.key().to_string()),
        secrets: RwSignal::new(Vec::new()),
    };
    let settings = LocalResource::new(|| api::get_json::<DeliverySettings>(urls::SETTINGS));
    // The address is prefilled once, from the server's setting; what the user typed stays.
    Effect::new(move |_| {
        let Some(answer) = settings.get() else { return };
        if fields.vault_addr.get_untracked().is_empty() {
            let addr = answer.map(|s| s.vault_addr).unwrap_or_default();
            let addr = Some(addr)
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| DEFAULT_VAULT_ADDR.into());
            fields.vault_addr.set(addr);
        }
    });
    let role_error = RwSignal::new(None::<ApiError>);
    let load_role = move || {
        let (mount, name) = (
            fields.auth_mount.get_untracked(),
            fields.role.get_untracked(),
        );
        if mount.trim().is_empty() || name.trim().is_empty() {
            return;
        }
        role_error.set(None);
        crate::state::tasks::spawn_owned(async move {
            match read_role(mount.trim(), name.trim()).await {
                Ok(role) => fields.follow(&role),
                Err(e) => role_error.set(Some(e)),
            }
        });
    };
    if !fields.role.get_untracked().is_empty() {
        load_role();
    }
    let roles = LocalResource::new(move || {
        let mount = fields.auth_mount.get();
        async move {
            role_names(mount.trim().trim_matches('/'))
                .await
                .unwrap_or_default()
        }
    });

    let (start_mount, start_path) = (from("mount"), from("path"));
    let new_mount = RwSignal::new(
        Some(start_mount.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "kv".into()),
    );
    let new_path = RwSignal::new(String::new());
    let add_error = RwSignal::new(None::<ApiError>);
    // A row's signals must outlive the task that reads the secret: they belong to the page.
    let page = Owner::current().unwrap_or_default();
    let add = move |mount: String, path: String| {
        let page = page.clone();
        add_error.set(None);
        crate::state::tasks::spawn_owned(async move {
            match load_secret(&mount, &path).await {
                Ok(secret) => {
                    let taken = fields.secrets.with_untracked(|rows| {
                        rows.iter().any(|r| {
                            r.mount.get_value() == secret.mount && r.path.get_value() == secret.path
                        })
                    });
                    if !taken {
                        let row = page.with(|| SecretRow::new(secret));
                        fields.secrets.update(|rows| rows.push(row));
                    }
                    new_path.set(String::new());
                }
                Err(e) => add_error.set(Some(e)),
            }
        });
    };
    if !start_path.is_empty() {
        add(start_mount, start_path);
    }

    let method =
        Signal::derive(move || Method::from_key(&fields.method.get()).unwrap_or(Method::Injector));
    let invalid = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<ApiError>);
    let checked = RwSignal::new(None::<Checked>);
    let busy = RwSignal::new(false);
    // Files shown are those of the plan as checked: any change to it takes them away.
    Effect::new(move |_| {
        fields.track();
        checked.set(None);
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        checked.set(None);
        let plan = match fields.draft().plan() {
            Ok(plan) => plan,
            Err(message) => return invalid.set(Some(message)),
        };
        invalid.set(None);
        busy.set(true);
        crate::state::tasks::spawn_owned(async move {
            match check::check(&plan).await {
                Ok(verdict) => checked.set(Some(Checked { plan, verdict })),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let agent = move || settings.get().and_then(|s| s.ok()).and_then(|s| s.agent);

    view! {
        <h1>"Deliver to a pod"</h1>
        <p class="muted">"Pick the Kubernetes auth role a workload logs in with, the service account it runs as, the secrets it needs and how it gets them. Vaultdeck first logs in as that service account, as the pod would, and checks it may read every secret; then it writes the manifests."</p>
        <p class="muted">"Already deployed? "
            <A href=move || AppRoute::Workloads { auth: Some(fields.auth_mount.get()), namespace: Some(fields.namespace.get()).filter(|n| !n.trim().is_empty()) }.link() attr:data-testid="delivery-workloads-link">"Check the workloads"</A>
            " of a namespace against their annotations."</p>
        <form class="form card" on:submit=submit data-testid="delivery-form">
            <h2>"Who logs in"</h2>
            <label class="field">
                <span>"Kubernetes auth mount"</span>
                <input type="text" bind:value=fields.auth_mount autocomplete="off" data-testid="delivery-auth-mount" />
            </label>
            <label class="field">
                <span>"Role"</span>
                <input type="text" list="delivery-roles" bind:value=fields.role on:change=move |_| load_role() autocomplete="off" data-testid="delivery-role" />
                <datalist id="delivery-roles">
                    {move || roles.get().unwrap_or_default().into_iter().map(|r| view! { <option value=r></option> }).collect_view()}
                </datalist>
            </label>
            {move || role_error.get().map(|error| view! { <ErrorNotice error context="Could not read the role." /> })}
            <label class="field">
                <span>"Namespace"</span>
                <input type="text" bind:value=fields.namespace autocomplete="off" data-testid="delivery-namespace" />
            </label>
            <label class="field">
                <span>"Service account"</span>
                <input type="text" bind:value=fields.service_account autocomplete="off" data-testid="delivery-account" />
            </label>
            <label class="field">
                <span>"Audience of the pod's token"</span>
                <input type="text" bind:value=fields.audience autocomplete="off" data-testid="delivery-audience" />
                <small class="muted">"Empty for the API server's own; it must be the role's audience."</small>
            </label>
            <h2>"The workload"</h2>
            <label class="field">
                <span>"Deployment"</span>
                <input type="text" bind:value=fields.workload autocomplete="off" data-testid="delivery-workload" />
            </label>
            <label class="field">
                <span>"Container"</span>
                <input type="text" bind:value=fields.container autocomplete="off" data-testid="delivery-container" />
            </label>
            <label class="field">
                <span>"Vault's address from inside the cluster"</span>
                <input type="text" bind:value=fields.vault_addr autocomplete="off" data-testid="delivery-vault-addr" />
            </label>
            <label class="field">
                <span>"Vault namespace"</span>
                <input type="text" bind:value=fields.vault_namespace autocomplete="off" data-testid="delivery-vault-namespace" />
                <small class="muted">"Vault Enterprise or OpenBao only; empty when the secrets are not in a namespace."</small>
            </label>
            <h2>"Secrets"</h2>
            <SecretRows secrets=fields.secrets />
            <div class="field-row">
                <label class="field">
                    <span>"KV mount"</span>
                    <input type="text" bind:value=new_mount autocomplete="off" data-testid="delivery-new-mount" />
                </label>
                <label class="field">
                    <span>"Secret path"</span>
                    <input type="text" bind:value=new_path placeholder="e.g. webapps/app_one" autocomplete="off" data-testid="delivery-new-path" />
                </label>
                <button type="button" class="button" on:click=move |_| add(new_mount.get_untracked(), new_path.get_untracked()) data-testid="delivery-add-secret">"Add secret"</button>
            </div>
            {move || add_error.get().map(|error| view! { <ErrorNotice error context="Could not add the secret." /> })}
            <h2>"How"</h2>
            <label class="field">
                <span>"Method"</span>
                <select bind:value=fields.method data-testid="delivery-method">
                    {Method::ALL.into_iter().map(|m| view! { <option value=m.key()>{m.title()}</option> }).collect_view()}
                </select>
            </label>
            <label class="field">
                <span><input type="checkbox" bind:checked=fields.sync_secret data-testid="delivery-sync" />" Also sync a Kubernetes Secret (CSI)"</span>
            </label>
            {move || invalid.get().map(|m| view! { <p class="field-error" role="alert" data-testid="delivery-invalid">{m}</p> })}
            <div class="actions">
                <button type="submit" class="button button-primary" disabled=move || busy.get() data-testid="delivery-generate">
                    {move || if busy.get() { "Checking…" } else { "Check and write the manifests" }}
                </button>
            </div>
        </form>
        {move || error.get().map(|error| view! { <ErrorNotice error context="The check could not run." /> })}
        {move || checked.get().map(|checked| view! { <CheckedView checked method agent=Signal::derive(agent) /> })}
    }
}

#[component]
fn SecretRows(secrets: RwSignal<Vec<SecretRow>>) -> impl IntoView {
    let remove = move |index: usize| {
        secrets.update(|rows| {
            if index < rows.len() {
                rows.remove(index);
            }
        })
    };
    move || {
        let rows = secrets.get();
        if rows.is_empty() {
            return view! { <p class="muted" data-testid="delivery-no-secrets">"No secret yet: add one below."</p> }.into_any();
        }
        rows.into_iter().enumerate().map(|(index, row)| view! {
            <fieldset class="field-row" data-testid="delivery-secret">
                <legend class="mono">{format!("{}/{} (KV v{})", row.mount.get_value(), row.path.get_value(), row.kv_version)}</legend>
                <label class="field">
                    <span>"File name"</span>
                    <input type="text" bind:value=row.name autocomplete="off" data-testid="delivery-secret-name" />
                </label>
                <label class="field">
                    <span>"Keys"</span>
                    <input type="text" bind:value=row.keys autocomplete="off" data-testid="delivery-secret-keys" />
                </label>
                <label class="field">
                    <span>"Written as"</span>
                    <select bind:value=row.format data-testid="delivery-secret-format">
                        {Format::ALL.into_iter().map(|f| view! { <option value=f.key()>{f.title()}</option> }).collect_view()}
                    </select>
                </label>
                <button type="button" class="button button-small" on:click=move |_| remove(index) data-testid="delivery-secret-remove">"Remove"</button>
            </fieldset>
        }).collect_view().into_any()
    }
}

#[component]
fn CheckedView(
    checked: Checked,
    method: Signal<Method>,
    agent: Signal<Option<String>>,
) -> impl IntoView {
    let Checked { plan, verdict } = checked;
    if !verdict.passed() {
        return view! { <VerdictView verdict /> }.into_any();
    }
    let prove_plan = plan.clone();
    view! {
        <VerdictView verdict />
        <Outputs plan method />
        {move || agent.get().map(|agent| view! { <ProveIt plan=prove_plan.clone() agent /> })}
    }
    .into_any()
}

#[component]
fn VerdictView(verdict: Verdict) -> impl IntoView {
    let passed = verdict.passed();
    let body = match verdict {
        Verdict::Audience(fix) => view! {
            <p class="step-fix" data-testid="delivery-audience-fix"><strong>"Fix: "</strong>{fix}</p>
        }
        .into_any(),
        Verdict::Findings(findings) => findings
            .into_iter()
            .map(|(path, finding)| {
                let title = path.clone();
                view! {
                <div data-testid="delivery-finding" data-path=path>
                    <h3 class="mono">{title}</h3>
                    <FindingView finding />
                </div>
            }})
            .collect_view()
            .into_any(),
    };
    let headline = if passed {
        "Checked: the service account logs in to the role and may read every secret."
    } else {
        "Not written: the check failed. Fix what is shown and check again."
    };
    view! {
        <section class="card" data-testid="delivery-check">
            <h2>"The check"</h2>
            <p class=if passed { "alert alert-ok" } else { "alert alert-error" } data-testid="delivery-check-verdict">{headline}</p>
            {body}
        </section>
    }
}
