//! What the browser can never obtain through the passthrough: a Vault token.
//!
//! The rule, enforced here and nowhere else:
//! - **No response wrapping.** A wrapped answer is a token that anyone can unwrap, in any
//!   session or none; wrapping `auth/token/lookup-self` would hand out the session's token.
//!   Requests asking for it (`X-Vault-Wrap-TTL`) are refused, as are the wrapping tools
//!   that mint wrapping tokens (`sys/wrapping/wrap`, `sys/wrapping/rewrap`).
//! - **No new credentials from the session.** Creating tokens (`auth/token/create…`) and
//!   identity tokens (`identity/oidc/token/…`, and the codes an OIDC provider's
//!   `authorize` gives, which its unauthenticated `token` endpoint exchanges for one) is
//!   refused: such a credential would carry the session's authority out of the server.
//!   Vaultdeck has no page that makes them.
//! - **Token fields are blanked, structurally.** Answers that can carry a token — anything
//!   under `auth/` (logins, renewals, lookups) and `sys/wrapping/` — are parsed and the
//!   fields where Vault returns a token are replaced: `auth.client_token`,
//!   `wrap_info.token`, and `data.id` of token lookups. Nothing is replaced by text search,
//!   so a token that happens to be a common word (a dev server's `root`) changes nothing
//!   else. Every other answer passes through untouched, unparsed.
//!
//! Each rule holds inside any namespace. A namespace may lead the path (OpenBao 2.3 and
//! later, Vault Enterprise): `team/auth/token/create` creates a token in namespace `team`.
//! Vault refuses the reserved names below as namespace names, so the path as Vault routes
//! it inside its namespace starts at the first reserved segment. A secret whose own path
//! holds such a segment (`kv/data/notes/auth/token/create`) is treated the same way, which
//! errs on the side of refusing.

use crate::{error::ApiError, vault_path::VaultPath};
use axum::http::HeaderMap;
use serde_json::Value;

/// What the browser sees in a field that held a token.
pub const REDACTED: &str = "(redacted by Vaultdeck)";

/// Names Vault and OpenBao refuse for a namespace ("… is a reserved path and cannot be used
/// as a namespace name", OpenBao 2.7).
const RESERVED_NAMESPACE_NAMES: &[&str] =
    &["auth", "sys", "identity", "cubbyhole", "audit", "root"];

/// Request headers that ask Vault to wrap the answer.
const WRAPPING_HEADERS: &[&str] = &["x-vault-wrap-ttl", "x-vault-wrap-format"];

/// Refuses, before anything reaches Vault, a request whose answer would be a new token.
pub fn refuse_token_minting(path: &VaultPath, headers: &HeaderMap) -> Result<(), ApiError> {
    if WRAPPING_HEADERS.iter().any(|h| headers.contains_key(*h)) {
        return Err(ApiError::Forbidden(
            "Response wrapping is not available through Vaultdeck: a wrapping token could be \
             unwrapped anywhere, and would carry your session's authority out of it."
                .into(),
        ));
    }
    let routed = within_namespace(path);
    let mints = begins(routed, &["sys", "wrapping", "wrap"])
        || begins(routed, &["sys", "wrapping", "rewrap"])
        || creates_token(routed)
        || begins(routed, &["identity", "oidc", "token"])
        || authorizes_oidc_client(routed);
    if mints {
        return Err(ApiError::Forbidden(format!(
            "Vaultdeck does not hand out new tokens: {} would create a credential from your \
             session. Use the Vault CLI with your own credentials for that.",
            path.decoded()
        )));
    }
    Ok(())
}

/// The path as Vault routes it inside its namespace: from the first segment that cannot
/// name a namespace (`team/inner/auth/token/create` → `auth/token/create`). A path without
/// one is a secrets engine's, whole.
fn within_namespace(path: &VaultPath) -> &[String] {
    let segments = path.segments();
    let start = segments
        .iter()
        .position(|segment| RESERVED_NAMESPACE_NAMES.contains(&segment.as_str()))
        .unwrap_or(0);
    &segments[start..]
}

fn begins(segments: &[String], prefix: &[&str]) -> bool {
    segments.len() >= prefix.len() && segments.iter().zip(prefix).all(|(s, p)| s == p)
}

/// `auth/token/create`, `create-orphan`, `create/ROLE`.
fn creates_token(routed: &[String]) -> bool {
    match routed {
        [auth, token, create, ..] => {
            auth == "auth" && token == "token" && (create == "create" || create == "create-orphan")
        }
        _ => false,
    }
}

/// `identity/oidc/provider/NAME/authorize`.
fn authorizes_oidc_client(routed: &[String]) -> bool {
    matches!(routed, [_, _, _, _, last] if last == "authorize")
        && begins(routed, &["identity", "oidc", "provider"])
}

/// Whether an answer from `path` can carry a token, and must be read before relaying:
/// logins and lookups (`auth/…`), unwrapping, and the second step of a login with MFA
/// (`sys/mfa/validate`, which answers with the login's token).
pub fn may_carry_token(path: &VaultPath) -> bool {
    let routed = within_namespace(path);
    begins(routed, &["auth"])
        || begins(routed, &["sys", "wrapping"])
        || begins(routed, &["sys", "mfa", "validate"])
}

/// Replaces every token field of a Vault answer; whether anything was replaced.
pub fn blank_token_fields(path: &VaultPath, answer: &mut Value) -> bool {
    let mut blanked = false;
    for pointer in ["/auth/client_token", "/wrap_info/token"] {
        blanked |= blank(answer, pointer);
    }
    // Token lookups (`lookup`, `lookup-self`; `lookup-accessor` leaves it empty) answer with
    // the token itself as `data.id`; an unwrapped answer may be any of them. A lookup always
    // names the token's `accessor`. Both tests keep a KV version 1 secret under a path such
    // as `kv/auth/token/x` as it is, even a stored token record with both keys: the user may
    // edit and save it, and a placeholder would be written back over the value.
    let routed = within_namespace(path);
    let token_lookup = matches!(routed.get(2), Some(third) if third.starts_with("lookup"))
        && begins(routed, &["auth", "token"]);
    let lookup_endpoint = token_lookup || begins(routed, &["sys", "wrapping", "unwrap"]);
    if lookup_endpoint && answer.pointer("/data/accessor").is_some() {
        blanked |= blank(answer, "/data/id");
    }
    blanked
}

fn blank(answer: &mut Value, pointer: &str) -> bool {
    match answer.pointer_mut(pointer) {
        Some(field @ Value::String(_)) if !field.as_str().unwrap_or_default().is_empty() => {
            *field = Value::String(REDACTED.into());
            true
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(text: &str) -> VaultPath {
        VaultPath::parse(text).unwrap()
    }

    #[test]
    fn wrapping_and_token_creation_are_refused() {
        let mut wrap = HeaderMap::new();
        wrap.insert("x-vault-wrap-ttl", "60".parse().unwrap());
        assert!(refuse_token_minting(&path("auth/token/lookup-self"), &wrap).is_err());
        assert!(refuse_token_minting(&path("kv/data/x"), &wrap).is_err());
        let none = HeaderMap::new();
        for minting in [
            "auth/token/create",
            "auth/token/create-orphan",
            "auth/token/create/ops",
            "sys/wrapping/wrap",
            "sys/wrapping/rewrap",
            "identity/oidc/token/app",
            "team/auth/token/create",
            "team/inner/sys/wrapping/wrap",
            "team/identity/oidc/token/app",
        ] {
            assert!(
                refuse_token_minting(&path(minting), &none).is_err(),
                "{minting}"
            );
        }
        for ordinary in [
            "auth/token/lookup-self",
            "kv/data/create",
            "auth/userpass/users/create",
            "team/auth/userpass/users/create",
            "cubbyhole/auth/token/create",
        ] {
            assert!(
                refuse_token_minting(&path(ordinary), &none).is_ok(),
                "{ordinary}"
            );
        }
    }

    #[test]
    fn a_kv_secret_under_auth_token_keeps_its_id() {
        let mut secret = json!({ "data": { "id": "kept", "owner": "team" } });
        assert!(!blank_token_fields(&path("kv/auth/token/x"), &mut secret));
        assert_eq!(secret["data"]["id"], "kept");
        // A stored token record has both keys; it is still a secret, not a lookup.
        let mut record = json!({ "data": { "id": "s.kept", "accessor": "a.kept" } });
        assert!(!blank_token_fields(
            &path("kv1/ci/auth/token/app"),
            &mut record
        ));
        assert_eq!(record["data"]["id"], "s.kept");
    }

    #[test]
    fn answers_inside_a_namespace_are_read_for_tokens_too() {
        assert!(may_carry_token(&path("team/auth/token/lookup-self")));
        assert!(may_carry_token(&path("team/inner/sys/wrapping/unwrap")));
        assert!(!may_carry_token(&path("team/kv/data/app")));
        assert!(!may_carry_token(&path("cubbyhole/auth")));
        assert!(may_carry_token(&path("sys/mfa/validate")));
        assert!(may_carry_token(&path("team/sys/mfa/validate")));
        let mut lookup = json!({ "data": { "id": "s.abc.team", "accessor": "a.team", "policies": ["default"] } });
        assert!(blank_token_fields(
            &path("team/auth/token/lookup-self"),
            &mut lookup
        ));
        assert_eq!(lookup["data"]["id"], REDACTED);
    }

    #[test]
    fn only_token_fields_are_blanked() {
        let mut lookup = json!({
            "data": { "id": "root", "accessor": "abc", "policies": ["root"], "display_name": "root" },
            "auth": null, "wrap_info": null
        });
        assert!(blank_token_fields(
            &path("auth/token/lookup-self"),
            &mut lookup
        ));
        assert_eq!(lookup["data"]["id"], REDACTED);
        assert_eq!(
            lookup["data"]["policies"],
            json!(["root"]),
            "a short token changes nothing else"
        );
        assert_eq!(lookup["data"]["display_name"], "root");

        let mut login =
            json!({ "auth": { "client_token": "s.abc", "accessor": "x", "policies": ["a"] } });
        assert!(blank_token_fields(
            &path("auth/userpass/login/bob"),
            &mut login
        ));
        assert_eq!(login["auth"]["client_token"], REDACTED);
        assert_eq!(login["auth"]["accessor"], "x");

        let mut secret = json!({ "data": { "id": "not-a-token" } });
        assert!(!blank_token_fields(
            &path("auth/userpass/users/bob"),
            &mut secret
        ));
        assert_eq!(secret["data"]["id"], "not-a-token");
    }

    #[test]
    fn answers_that_may_hold_tokens_are_recognised() {
        assert!(may_carry_token(&path("auth/token/lookup-self")));
        assert!(may_carry_token(&path("auth/kubernetes/login")));
        assert!(may_carry_token(&path("sys/wrapping/unwrap")));
        assert!(!may_carry_token(&path("kv/data/app")));
        assert!(!may_carry_token(&path("sys/mounts")));
        // `kv/data/auth` could be namespace `kv/data`'s auth methods, so its answer is read;
        // a KV answer has no token field, and comes back as it was.
        assert!(may_carry_token(&path("kv/data/auth")));
        let mut secret = json!({ "data": { "data": { "id": "x" }, "metadata": {} }, "auth": null });
        assert!(!blank_token_fields(&path("kv/data/auth"), &mut secret));
    }
}
