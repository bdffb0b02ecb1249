//! YAML that gives Vault a service account in the cluster — for the auth method's
//! TokenReview reviewer and for the secrets engine — complete (its namespace included), to
//! apply with `kubectl apply -f`, and the command that reads the token it creates.

use crate::components::copy::CopyButton;
use leptos::prelude::*;

/// The namespace, the service account, `extra` documents (a ClusterRole of its own, each
/// ending in `---\n`), the binding to `cluster_role`, and a long-lived token Secret.
pub fn service_account_yaml(
    account: &str,
    namespace: &str,
    cluster_role: &str,
    extra: &str,
) -> String {
    // The namespace is in the name: applied for the same account in a second namespace, a
    // name without it would replace the first binding's subject, and the first account's
    // reviews would start failing. A namespace has no dots, so `.` keeps the parts apart.
    let binding = format!("{}.{namespace}.{account}", cluster_role.replace(':', "-"));
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n---\n\
apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {account}\n  namespace: {namespace}\n---\n\
{extra}\
apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {binding}\n\
roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: {cluster_role}\n\
subjects:\n  - kind: ServiceAccount\n    name: {account}\n    namespace: {namespace}\n---\n\
apiVersion: v1\nkind: Secret\nmetadata:\n  name: {account}-token\n  namespace: {namespace}\n  annotations:\n    kubernetes.io/service-account.name: {account}\n\
type: kubernetes.io/service-account-token\n"
    )
}

/// The account and namespace to name, the YAML for them (made by the page from the two
/// signals), copy, and how to read the token afterwards. `children` are the page's own
/// choices, shown beside the names.
#[component]
pub fn RbacYaml(
    account: RwSignal<String>,
    namespace: RwSignal<String>,
    yaml: Signal<String>,
    test_id: &'static str,
    children: Children,
) -> impl IntoView {
    let fetch_command = move || {
        format!(
            "kubectl get secret {}-token -n {} -o jsonpath='{{.data.token}}' | base64 -d",
            account.get().trim(),
            namespace.get().trim()
        )
    };
    view! {
        <div class="field-inline">
            {children()}
            <label class="field"><span>"Service account"</span><input type="text" bind:value=account /></label>
            <label class="field"><span>"Namespace"</span><input type="text" bind:value=namespace /></label>
        </div>
        <pre class="json-view" data-testid=test_id>{move || yaml.get()}</pre>
        <CopyButton value=yaml label="the YAML".to_string() />
        <p class="muted">"Its token: " <code>{fetch_command}</code></p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_it_refers_to_is_in_it() {
        let yaml = service_account_yaml("vault", "ops", "system:auth-delegator", "");
        assert!(yaml.starts_with("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ops\n"));
        assert!(yaml.contains("name: system-auth-delegator.ops.vault\n"));
        let elsewhere = service_account_yaml("vault", "dev", "system:auth-delegator", "");
        assert!(elsewhere.contains("name: system-auth-delegator.dev.vault\n"));
        assert!(yaml.contains("kubernetes.io/service-account.name: vault"));
        assert_eq!(yaml.matches("\n---\n").count(), 3);
    }
}
