//! The TokenReview: asking the cluster's API server whether a JWT is genuine and current
//! (its service account still exists, it has not expired, its audience fits). Errors are
//! the plugin's `lookup failed: …` texts; the login turns every one of them into
//! "permission denied", as Vault does, and only the server's log says which it was.

use serde_json::{json, Value};
use std::time::Duration;

/// How long a TokenReview may take, connection included. Vault sets none; a lab server
/// should not hang a login on an unreachable cluster.
const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where and how to call the API: the stored configuration, completed with the pod's own
/// CA and token when labvault runs in one.
pub struct Connection {
    pub host: String,
    pub ca_cert: String,
    /// The bearer for the review; empty means the reviewed JWT itself.
    pub reviewer_jwt: String,
}

/// Who the API server says the token belongs to.
#[derive(Debug, PartialEq)]
pub struct Reviewed {
    pub name: String,
    pub namespace: String,
    pub uid: String,
}

/// A client trusting only `ca_cert` when one is given, else the built-in roots.
fn client(ca_cert: &str) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT);
    if !ca_cert.is_empty() {
        let certificates = reqwest::Certificate::from_pem_bundle(ca_cert.as_bytes())
            .map_err(|e| format!("reading kubernetes_ca_cert: {e}"))?;
        builder = builder.tls_built_in_root_certs(false);
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder
        .build()
        .map_err(|e| format!("building the HTTP client: {e}"))
}

/// POSTs a TokenReview for `jwt`, with `audiences` when there are any. A client is built per
/// review: the CA is per mount and may change with every config write, and a login is rare
/// enough for that not to matter.
pub async fn review(
    connection: &Connection,
    jwt: &str,
    audiences: &[String],
) -> Result<Reviewed, String> {
    let host = &connection.host;
    let url = format!(
        "{}/apis/authentication.k8s.io/v1/tokenreviews",
        host.strip_suffix('/').unwrap_or(host)
    );
    let mut spec = json!({ "token": jwt });
    if !audiences.is_empty() {
        spec["audiences"] = json!(audiences);
    }
    let bearer = if connection.reviewer_jwt.is_empty() {
        jwt
    } else {
        &connection.reviewer_jwt
    };
    let response = client(&connection.ca_cert)?
        .post(&url)
        .header("Authorization", format!("Bearer {bearer}").trim())
        .header("Accept", "application/json")
        .json(&json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "spec": spec,
        }))
        .send()
        .await
        .map_err(|e| {
            format!(
                "could not reach the Kubernetes API at {host}: {}",
                chain(&e)
            )
        })?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| format!("reading the TokenReview answer from {host}: {e}"))?;
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err("lookup failed: service account unauthorized; this could mean it has been deleted or recreated with a new token".into());
    }
    if !status.is_success() {
        return Err(format!(
            "the Kubernetes API at {host} answered {status}: {}",
            body.trim()
        ));
    }
    let answer: Value = serde_json::from_str(&body)
        .map_err(|e| format!("the TokenReview answer is not JSON: {e}"))?;
    interpret(&answer["status"], audiences)
}

/// The plugin's checks on a review's `status`, in its order.
fn interpret(status: &Value, audiences: &[String]) -> Result<Reviewed, String> {
    if let Some(error) = status["error"].as_str().filter(|e| !e.is_empty()) {
        return Err(format!("lookup failed: {error}"));
    }
    if status["authenticated"] != true {
        return Err("lookup failed: service account jwt not valid".into());
    }
    let granted: Vec<&str> = status["audiences"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !audiences.is_empty() && !audiences.iter().any(|a| granted.contains(&a.as_str())) {
        return Err(format!(
            "lookup failed: service account jwt valid for audience(s) {granted:?}, but wanted {audiences:?}"
        ));
    }
    let username = status["user"]["username"].as_str().unwrap_or_default();
    let parts: Vec<&str> = username.split(':').collect();
    let [system, kind, namespace, name] = parts[..] else {
        return Err("lookup failed: unexpected username format".into());
    };
    if system != "system" || kind != "serviceaccount" {
        return Err("lookup failed: username returned is not a service account".into());
    }
    Ok(Reviewed {
        name: name.to_string(),
        namespace: namespace.to_string(),
        uid: status["user"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    })
}

/// An error with its sources, which say what actually failed (refused, TLS, timeout).
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_is_read_as_the_plugin_reads_it() {
        let good = json!({
            "authenticated": true,
            "audiences": ["https://kubernetes.default.svc"],
            "user": {"username": "system:serviceaccount:lab:web", "uid": "u1"},
        });
        assert_eq!(
            interpret(&good, &[]),
            Ok(Reviewed {
                name: "web".into(),
                namespace: "lab".into(),
                uid: "u1".into()
            })
        );
        assert!(interpret(&good, &["vault".into()])
            .unwrap_err()
            .contains("but wanted"));
        assert_eq!(
            interpret(&json!({"authenticated": false}), &[]).unwrap_err(),
            "lookup failed: service account jwt not valid"
        );
        let user = json!({"authenticated": true, "user": {"username": "alice"}});
        assert_eq!(
            interpret(&user, &[]).unwrap_err(),
            "lookup failed: unexpected username format"
        );
        let node = json!({"authenticated": true, "user": {"username": "system:node:a:b"}});
        assert_eq!(
            interpret(&node, &[]).unwrap_err(),
            "lookup failed: username returned is not a service account"
        );
    }
}
