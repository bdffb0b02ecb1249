//! `/init`: initialize Vault. The key shares and the root token are shown exactly once,
//! each with a copy button, and offered as a download in `vault operator init -format=json`
//! shape; the user confirms they kept them before going on. Nothing is stored.

use crate::routes::AppRoute;
use crate::{
    api::{self, ApiError, Method},
    components::{copy::CopyButton, error_notice::ErrorNotice},
    state::health::use_vault_health,
    wire::{InitRequest, InitResponse},
};
use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate};
use serde_json::json;

/// Vault's rules for shares and threshold, with messages for people.
pub fn validate(shares: &str, threshold: &str) -> Result<(u32, u32), String> {
    let shares: u32 = shares
        .trim()
        .parse()
        .map_err(|_| "Key shares must be a whole number.".to_string())?;
    let threshold: u32 = threshold
        .trim()
        .parse()
        .map_err(|_| "Key threshold must be a whole number.".to_string())?;
    if !(1..=255).contains(&shares) {
        return Err("Key shares must be between 1 and 255.".into());
    }
    if threshold < 1 {
        return Err("Key threshold must be at least 1.".into());
    }
    if threshold > shares {
        return Err("Key threshold cannot be larger than key shares.".into());
    }
    if shares > 1 && threshold < 2 {
        return Err("With more than one key share, the threshold must be at least 2.".into());
    }
    Ok((shares, threshold))
}

/// The file `vault operator init -format=json` would print.
pub fn init_file(response: &InitResponse, shares: u32, threshold: u32) -> String {
    let expose = |keys: &[crate::wire::Secret]| {
        keys.iter()
            .map(|k| k.expose().to_string())
            .collect::<Vec<_>>()
    };
    let file = json!({
        "unseal_keys_b64": expose(&response.keys_base64),
        "unseal_keys_hex": expose(&response.keys),
        "unseal_shares": shares,
        "unseal_threshold": threshold,
        "recovery_keys_b64": [],
        "recovery_keys_hex": [],
        "recovery_keys_shares": 0,
        "recovery_keys_threshold": 0,
        "root_token": response.root_token.expose(),
    });
    serde_json::to_string_pretty(&file).unwrap_or_default()
}

#[component]
pub fn InitPage() -> impl IntoView {
    let health = use_vault_health();
    // Held only by this page: gone when the user leaves it.
    let result = RwSignal::new(None::<(InitResponse, u32, u32)>);
    view! {
        {move || match (result.get(), health.seal()) {
            (Some((keys, shares, threshold)), _) => view! { <KeysOnce keys shares threshold /> }.into_any(),
            (None, Some(seal)) if seal.initialized => view! {
                <section class="card narrow">
                    <h1>"Vault is initialized"</h1>
                    <p>"This Vault already has its keys. "
                        {if seal.sealed {
                            view! { <A href=AppRoute::Unseal.link()>"Unseal it"</A> }.into_any()
                        } else {
                            view! { <A href=AppRoute::login().link()>"Log in"</A> }.into_any()
                        }}
                    </p>
                </section>
            }.into_any(),
            (None, _) => view! { <InitForm result /> }.into_any(),
        }}
    }
}

#[component]
fn InitForm(result: RwSignal<Option<(InitResponse, u32, u32)>>) -> impl IntoView {
    let health = use_vault_health();
    let shares = RwSignal::new("5".to_string());
    let threshold = RwSignal::new("3".to_string());
    let error = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let checked = move || validate(&shares.get(), &threshold.get());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok((n, t)) = checked() else { return };
        busy.set(true);
        error.set(None);
        crate::state::tasks::spawn_owned(async move {
            let request = InitRequest {
                secret_shares: n,
                secret_threshold: t,
            };
            match api::vault_send::<InitResponse, _>(Method::PUT, "sys/init", Some(&request)).await
            {
                Ok(Some(keys)) => {
                    result.set(Some((keys, n, t)));
                    // The banner and the unseal page must not wait for the next poll to
                    // learn that Vault is initialized now.
                    health.refresh();
                }
                Ok(None) => error.set(Some(ApiError::local("Vault answered without keys."))),
                Err(e) => error.set(Some(e)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card narrow">
            <h1>"Initialize Vault"</h1>
            <p>
                "Vault's root key is split into key shares. Unsealing needs the threshold number of "
                "them. Give the shares to different people."
            </p>
            <form class="form" on:submit=submit>
                <label class="field">
                    <span>"Key shares"</span>
                    <input type="number" min="1" max="255" bind:value=shares data-testid="init-shares" />
                </label>
                <label class="field">
                    <span>"Key threshold"</span>
                    <input type="number" min="1" max="255" bind:value=threshold data-testid="init-threshold" />
                </label>
                {move || checked().err().map(|message| view! { <p class="field-error" role="alert" data-testid="init-invalid">{message}</p> })}
                {move || error.get().map(|error| view! { <ErrorNotice error context="Initialization failed." /> })}
                <button type="submit" class="button button-primary" disabled=move || busy.get() || checked().is_err() aria-busy=move || busy.get().to_string() data-testid="init-submit">
                    {move || if busy.get() { "Initializing…" } else { "Initialize" }}
                </button>
                // On integrated storage a fresh node elects itself before it writes its keys:
                // with raft's default timings that is several seconds of an unanswered request.
                {move || busy.get().then(|| view! {
                    <p class="muted" role="status" data-testid="init-working">
                        "Vault is creating its keys. On integrated storage (raft) this can take several seconds."
                    </p>
                })}
            </form>
        </section>
    }
}

#[component]
fn KeysOnce(keys: InitResponse, shares: u32, threshold: u32) -> impl IntoView {
    let navigate = use_navigate();
    let saved = RwSignal::new(false);
    let file = init_file(&keys, shares, threshold);
    let download = move |_| save_file("vault-init.json", "application/json", &file);
    let rows: Vec<_> = keys
        .keys
        .iter()
        .zip(&keys.keys_base64)
        .enumerate()
        .map(|(i, (hex, b64))| {
            let (hex, b64) = (hex.expose().to_string(), b64.expose().to_string());
            view! {
                <li class="key-share" data-testid="key-share">
                    <strong>{format!("Key {}", i + 1)}</strong>
                    <div class="secret-line"><code class="mono" data-testid="key-hex">{hex.clone()}</code>
                        <CopyButton value=Signal::derive(move || hex.clone()) label=format!("key {} (hex)", i + 1) /></div>
                    <div class="secret-line"><code class="mono" data-testid="key-b64">{b64.clone()}</code>
                        <CopyButton value=Signal::derive(move || b64.clone()) label=format!("key {} (base64)", i + 1) /></div>
                </li>
            }
        })
        .collect();
    let root = keys.root_token.expose().to_string();
    let root_for_copy = root.clone();
    view! {
        <section class="card" data-testid="init-keys">
            <h1>"Save your keys now"</h1>
            <div class="alert alert-warn" role="alert">
                "These key shares and this root token are shown only once. Vaultdeck does not keep "
                "them. Store them safely; without "
                {threshold} " of the shares Vault cannot be unsealed."
            </div>
            <ol class="key-list">{rows}</ol>
            <h2>"Initial root token"</h2>
            <div class="secret-line"><code class="mono" data-testid="root-token">{root}</code>
                <CopyButton value=Signal::derive(move || root_for_copy.clone()) label="the root token".to_string() /></div>
            <p>
                <button type="button" class="button" on:click=download data-testid="download-keys">
                    "Download keys (JSON)"
                </button>
                " in the format of " <code>"vault operator init -format=json"</code>
            </p>
            <label class="checkbox">
                <input type="checkbox" bind:checked=saved data-testid="keys-saved" />
                " I have saved the key shares and the root token."
            </label>
            <p>
                <button
                    type="button"
                    class="button button-primary"
                    disabled=move || !saved.get()
                    on:click=move |_| navigate(&AppRoute::Unseal.href(), Default::default())
                    data-testid="continue-to-unseal"
                >
                    "Continue to unseal"
                </button>
            </p>
        </section>
    }
}

/// Offers `contents` as a file download, from memory (a blob URL, revoked right after).
pub fn save_file(name: &str, media_type: &str, contents: &str) {
    use wasm_bindgen::JsCast;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(contents));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(media_type);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(element) = document().create_element("a") {
        if let Ok(anchor) = element.dyn_into::<web_sys::HtmlAnchorElement>() {
            anchor.set_href(&url);
            anchor.set_download(name);
            anchor.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Secret;

    #[test]
    fn shares_and_threshold_follow_vaults_rules() {
        assert_eq!(validate("5", "3"), Ok((5, 3)));
        assert_eq!(validate("1", "1"), Ok((1, 1)));
        assert!(validate("3", "1").unwrap_err().contains("at least 2"));
        assert!(validate("3", "4").unwrap_err().contains("cannot be larger"));
        assert!(validate("256", "3")
            .unwrap_err()
            .contains("between 1 and 255"));
        assert!(validate("x", "3").is_err());
    }

    #[test]
    fn the_download_has_the_cli_shape() {
        let response = InitResponse {
            keys: vec![Secret("aa".into()), Secret("bb".into())],
            keys_base64: vec![Secret("qg==".into()), Secret("uw==".into())],
            root_token: Secret("hvs.root".into()),
        };
        let file: serde_json::Value = serde_json::from_str(&init_file(&response, 2, 2)).unwrap();
        assert_eq!(file["unseal_keys_hex"], json!(["aa", "bb"]));
        assert_eq!(file["unseal_keys_b64"], json!(["qg==", "uw=="]));
        assert_eq!(
            (
                file["unseal_shares"].clone(),
                file["unseal_threshold"].clone()
            ),
            (json!(2), json!(2))
        );
        assert_eq!(file["root_token"], "hvs.root");
    }
}
