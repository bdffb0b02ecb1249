//! The calls the engine makes to the Kubernetes API, as the plugin's client-go client makes
//! them (K/client.go): TokenRequest, and creating and deleting service accounts, Roles,
//! ClusterRoles and their bindings. Built like the auth method's TokenReview client
//! (reqwest, trusting the configured CA). One difference on the wire: client-go sends
//! protobuf, labvault JSON; the API server treats both alike.
//!
//! Errors read as client-go's do: a `Status` from the API server is its `message`
//! (`serviceaccounts "x" not found`); a failed connection is `Verb "url": cause` (the cause
//! in reqwest's words, not Go's).

use serde_json::{json, Map, Value};
use std::{collections::BTreeMap, time::Duration};

const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const RBAC: &str = "/apis/rbac.authorization.k8s.io/v1";

/// What every object the engine creates is labelled with; these win over `extra_labels`.
pub const STANDARD_LABELS: [(&str, &str); 2] = [
    ("app.kubernetes.io/managed-by", "HashiCorp-Vault"),
    (
        "app.kubernetes.io/created-by",
        "vault-plugin-secrets-kubernetes",
    ),
];

pub struct Client {
    http: reqwest::Client,
    host: String,
    /// Empty: no `Authorization` header (client-go sends none for an empty bearer).
    jwt: String,
}

/// `metadata` of a created object: its name, the role's extra labels under the standard
/// ones, its extra annotations, and the owner when there is one.
pub struct Meta<'a> {
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    pub labels: &'a BTreeMap<String, String>,
    pub annotations: Option<&'a BTreeMap<String, String>>,
    pub owner: Option<&'a Owner>,
}

/// An owner reference (client-go's, without `controller` or `blockOwnerDeletion`).
#[derive(Clone, Debug)]
pub struct Owner {
    pub kind: &'static str,
    pub name: String,
    pub uid: String,
}

impl Meta<'_> {
    fn to_json(&self) -> Value {
        let mut labels: Map<String, Value> = self
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        for (key, value) in STANDARD_LABELS {
            labels.insert(key.into(), json!(value));
        }
        let mut meta = json!({ "name": self.name, "labels": labels });
        if let Some(namespace) = self.namespace {
            meta["namespace"] = json!(namespace);
        }
        if let Some(annotations) = self.annotations {
            meta["annotations"] = json!(annotations);
        }
        if let Some(owner) = self.owner {
            meta["ownerReferences"] = json!([{
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": owner.kind,
                "name": owner.name,
                "uid": owner.uid,
            }]);
        }
        meta
    }
}

impl Client {
    /// A client trusting only `ca_cert` when one is given, else the built-in roots.
    pub fn new(host: &str, ca_cert: &str, jwt: &str) -> Result<Client, String> {
        let mut builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT);
        if !ca_cert.is_empty() {
            let certificates = reqwest::Certificate::from_pem_bundle(ca_cert.as_bytes())
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or("unable to load root certificates: unable to parse bytes as PEM block")?;
            builder = builder.tls_built_in_root_certs(false);
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        Ok(Client {
            http: builder.build().map_err(|e| e.to_string())?,
            host: host.trim_end_matches('/').to_string(),
            jwt: jwt.to_string(),
        })
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, KubeError> {
        let url = format!("{}{path}", self.host);
        let verb = match method {
            "POST" => "Post",
            "DELETE" => "Delete",
            _ => "Get",
        };
        let mut request = self
            .http
            .request(method.parse().expect("a known method"), &url)
            .header("Accept", "application/json");
        if !self.jwt.is_empty() {
            request = request.bearer_auth(&self.jwt);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| KubeError::transport(format!("{verb} {url:?}: {}", cause(&e))))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| KubeError::transport(format!("{verb} {url:?}: {}", chain(&e))))?;
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(answer);
        }
        Err(KubeError::from_answer(status.as_u16(), &answer, &text))
    }

    /// A TokenRequest: the token, for `ttl` seconds and `audiences` (the API server's
    /// default audience when empty).
    pub async fn create_token(
        &self,
        namespace: &str,
        name: &str,
        ttl: u64,
        audiences: &[String],
    ) -> Result<String, KubeError> {
        let mut spec = json!({ "expirationSeconds": ttl });
        if !audiences.is_empty() {
            spec["audiences"] = json!(audiences);
        }
        let body = json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": spec,
        });
        let path = format!("/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token");
        let answer = self.call("POST", &path, Some(body)).await?;
        Ok(answer["status"]["token"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    pub async fn create_service_account(&self, meta: &Meta<'_>) -> Result<(), KubeError> {
        let namespace = meta.namespace.unwrap_or_default();
        let body =
            json!({ "apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta.to_json() });
        let path = format!("/api/v1/namespaces/{namespace}/serviceaccounts");
        self.call("POST", &path, Some(body)).await.map(drop)
    }

    /// Creates a Role (with `meta.namespace`) or a ClusterRole; returns it as an owner.
    pub async fn create_role(&self, meta: &Meta<'_>, rules: &Value) -> Result<Owner, KubeError> {
        let (kind, path) = match meta.namespace {
            Some(namespace) => ("Role", format!("{RBAC}/namespaces/{namespace}/roles")),
            None => ("ClusterRole", format!("{RBAC}/clusterroles")),
        };
        let body = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": kind,
            "metadata": meta.to_json(),
            "rules": rules,
        });
        let answer = self.call("POST", &path, Some(body)).await?;
        Ok(owner_of(kind, meta.name, &answer))
    }

    /// Creates a RoleBinding (with `meta.namespace`) or a ClusterRoleBinding of the service
    /// account `meta.name` in `subject_namespace` to `role`; returns it as an owner.
    pub async fn create_binding(
        &self,
        meta: &Meta<'_>,
        subject_namespace: &str,
        role_kind: &str,
        role: &str,
    ) -> Result<Owner, KubeError> {
        let (kind, path) = match meta.namespace {
            Some(namespace) => (
                "RoleBinding",
                format!("{RBAC}/namespaces/{namespace}/rolebindings"),
            ),
            None => ("ClusterRoleBinding", format!("{RBAC}/clusterrolebindings")),
        };
        let body = json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": kind,
            "metadata": meta.to_json(),
            "subjects": [{"kind": "ServiceAccount", "name": meta.name, "namespace": subject_namespace}],
            // The plugin leaves apiGroup empty; the API server fills it in.
            "roleRef": {"apiGroup": "", "kind": role_kind, "name": role},
        });
        let answer = self.call("POST", &path, Some(body)).await?;
        Ok(owner_of(kind, meta.name, &answer))
    }

    /// Deletes an object; one already gone is no error.
    pub async fn delete(&self, path: &str) -> Result<(), KubeError> {
        match self.call("DELETE", path, Some(json!({}))).await {
            Err(error) if error.not_found => Ok(()),
            other => other.map(drop),
        }
    }

    pub fn service_account_path(namespace: &str, name: &str) -> String {
        format!("/api/v1/namespaces/{namespace}/serviceaccounts/{name}")
    }

    pub fn role_path(namespace: &str, name: &str, kind: &str) -> String {
        match kind {
            "ClusterRole" => format!("{RBAC}/clusterroles/{name}"),
            _ => format!("{RBAC}/namespaces/{namespace}/roles/{name}"),
        }
    }

    pub fn binding_path(namespace: &str, name: &str, cluster: bool) -> String {
        if cluster {
            format!("{RBAC}/clusterrolebindings/{name}")
        } else {
            format!("{RBAC}/namespaces/{namespace}/rolebindings/{name}")
        }
    }

    /// A namespace's labels, for `allowed_kubernetes_namespace_selector`.
    pub async fn namespace_labels(
        &self,
        namespace: &str,
    ) -> Result<BTreeMap<String, String>, KubeError> {
        let answer = self
            .call("GET", &format!("/api/v1/namespaces/{namespace}"), None)
            .await?;
        Ok(answer["metadata"]["labels"]
            .as_object()
            .map(|labels| {
                labels
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default())
    }
}

fn owner_of(kind: &'static str, name: &str, created: &Value) -> Owner {
    Owner {
        kind,
        name: name.to_string(),
        uid: created["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    }
}

/// A failed call, shown as client-go shows it.
#[derive(Debug)]
pub struct KubeError {
    pub message: String,
    /// The API server answered 404 (deletes take that as done).
    pub not_found: bool,
}

impl std::fmt::Display for KubeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl KubeError {
    fn transport(message: String) -> KubeError {
        KubeError {
            message,
            not_found: false,
        }
    }

    /// client-go's `StatusError` text: the Status `message`, else a generic one.
    fn from_answer(status: u16, answer: &Value, text: &str) -> KubeError {
        let message = answer["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| {
                format!(
                    "an error on the server ({:?}) has prevented the request from succeeding",
                    text.trim()
                )
            });
        KubeError {
            message,
            not_found: status == 404,
        }
    }
}

/// Why a request did not get through: a refused connection in Go's words (the most
/// common failure, a wrong host or port), anything else in reqwest's.
fn cause(error: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = source {
        let refused = current
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
        if let (true, Some(url)) = (refused, error.url()) {
            let host = url.host_str().unwrap_or_default();
            let port = url.port_or_known_default().unwrap_or_default();
            return format!("dial tcp {host}:{port}: connect: connection refused");
        }
        source = current.source();
    }
    chain(error)
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
