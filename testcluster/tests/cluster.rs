//! Against the real kube-apiserver: namespaces, service accounts, TokenRequest and
//! TokenReview; with kube-controller-manager, legacy service-account token Secrets.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use testcluster::{Options, TestCluster, KUBERNETES_VERSION, SERVICE_ACCOUNT_ISSUER};

/// One API call as the admin; fails on a non-2xx answer.
async fn call(
    cluster: &TestCluster,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value> {
    let mut request = cluster
        .client()?
        .request(method.clone(), format!("{}{path}", cluster.api_url()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request
        .send()
        .await
        .with_context(|| format!("{method} {path}"))?;
    let status = answer.status();
    let text = answer.text().await?;
    if !status.is_success() {
        bail!("{method} {path} answered {status}: {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

async fn create_service_account(cluster: &TestCluster, ns: &str, name: &str) -> Result<()> {
    call(
        cluster,
        reqwest::Method::POST,
        "/api/v1/namespaces",
        Some(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})),
    )
    .await?;
    call(
        cluster,
        reqwest::Method::POST,
        &format!("/api/v1/namespaces/{ns}/serviceaccounts"),
        Some(json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}})),
    )
    .await?;
    Ok(())
}

async fn review(cluster: &TestCluster, token: &str) -> Result<Value> {
    let review = call(
        cluster,
        reqwest::Method::POST,
        "/apis/authentication.k8s.io/v1/tokenreviews",
        Some(json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenReview",
            "spec": {"token": token},
        })),
    )
    .await?;
    Ok(review["status"].clone())
}

#[tokio::test]
async fn token_request_and_token_review() -> Result<()> {
    let cluster = TestCluster::start().await?;
    eprintln!(
        "cluster ready in {:.1} s at {}",
        cluster.started_in().as_secs_f64(),
        cluster.api_url()
    );

    let version = call(&cluster, reqwest::Method::GET, "/version", None).await?;
    assert_eq!(version["gitVersion"], KUBERNETES_VERSION);

    let (ns, name) = ("lab", "reader");
    create_service_account(&cluster, ns, name).await?;
    let requested = call(
        &cluster,
        reqwest::Method::POST,
        &format!("/api/v1/namespaces/{ns}/serviceaccounts/{name}/token"),
        Some(json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": 600},
        })),
    )
    .await?;
    let token = requested["status"]["token"]
        .as_str()
        .context("TokenRequest answered no token")?;
    assert!(token.split('.').count() == 3, "a JWT: {token}");

    let status = review(&cluster, token).await?;
    assert_eq!(status["authenticated"], true, "{status}");
    assert_eq!(
        status["user"]["username"],
        format!("system:serviceaccount:{ns}:{name}")
    );
    assert_eq!(status["audiences"], json!([SERVICE_ACCOUNT_ISSUER]));
    let groups = status["user"]["groups"].to_string();
    assert!(groups.contains("system:serviceaccounts:lab"), "{groups}");

    let garbage = review(&cluster, "not-a-token").await?;
    assert_ne!(garbage["authenticated"], true, "{garbage}");

    // The kubeconfig works for kubectl, when the machine has one.
    if std::path::Path::new("/usr/bin/kubectl").exists() {
        let output = tokio::process::Command::new("/usr/bin/kubectl")
            .arg("--kubeconfig")
            .arg(cluster.kubeconfig_path())
            .args(["get", "serviceaccount", name, "-n", ns, "-o", "name"])
            .output()
            .await?;
        assert!(
            output.status.success(),
            "kubectl: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            format!("serviceaccount/{name}")
        );
    }

    let pids: Vec<u32> = cluster.pids().iter().map(|(_, pid)| *pid).collect();
    cluster.stop().await?;
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "process {pid} still running after stop"
        );
    }
    Ok(())
}

#[tokio::test]
async fn controller_manager_fills_service_account_token_secrets() -> Result<()> {
    let cluster = TestCluster::start_with(Options {
        controller_manager: true,
        ..Options::default()
    })
    .await?;
    let (ns, name) = ("apps", "deployer");
    create_service_account(&cluster, ns, name).await?;
    call(
        &cluster,
        reqwest::Method::POST,
        &format!("/api/v1/namespaces/{ns}/secrets"),
        Some(json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "deployer-token",
                "annotations": {"kubernetes.io/service-account.name": name},
            },
            "type": "kubernetes.io/service-account-token",
        })),
    )
    .await?;

    let deadline = Instant::now() + Duration::from_secs(20);
    let secret = loop {
        let secret = call(
            &cluster,
            reqwest::Method::GET,
            &format!("/api/v1/namespaces/{ns}/secrets/deployer-token"),
            None,
        )
        .await?;
        if secret["data"]["token"].is_string() {
            break secret;
        }
        if Instant::now() > deadline {
            bail!(
                "the Secret was not filled in 20 s: {secret}\n{}",
                cluster.log_tails()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(secret["data"]["ca.crt"].is_string(), "{secret}");
    assert!(secret["data"]["namespace"].is_string(), "{secret}");
    cluster.stop().await
}

#[tokio::test]
async fn a_dropped_cluster_stops_its_processes() -> Result<()> {
    let cluster = TestCluster::start().await?;
    let pids: Vec<u32> = cluster.pids().iter().map(|(_, pid)| *pid).collect();
    let dir = cluster.dir().to_path_buf();
    drop(cluster);
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "process {pid} still running after drop"
        );
    }
    assert!(!dir.exists(), "{} left behind", dir.display());
    Ok(())
}
