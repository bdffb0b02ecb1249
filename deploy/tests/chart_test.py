"""Tests of the Helm chart deploy/helm/vaultdeck, run with Helm itself.

Helm is Helm v4's Go SDK, from PyPI's helm-python-sdk (no helm binary needed). Install it
once into the project's tool cache:

    python3 -m venv ~/.cache/vaultdeck/tools/python
    ~/.cache/vaultdeck/tools/python/bin/pip install helm-python-sdk==0.2.2 pyyaml

Run every test (about 10 s), from anywhere:

    TESTCLUSTER_BIN=~/.cache/vaultdeck/target/debug/testcluster \\
        ~/.cache/vaultdeck/tools/python/bin/python deploy/tests/chart_test.py

TESTCLUSTER_BIN is the `testcluster` binary (built by `cargo xtask build`); the install
tests start a real kube-apiserver with it and install the chart there with Helm. Without
the variable they are skipped, and say so. kubectl must be on PATH for them.

The plain manifests (deploy/manifests/vaultdeck.yaml) are the chart rendered with its
defaults; after changing the chart, write them anew with

    ~/.cache/vaultdeck/tools/python/bin/python deploy/tests/chart_test.py write-manifests
"""

from __future__ import annotations

import difflib
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

import helm_python as helm
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "vaultdeck"
MANIFESTS = ROOT / "deploy" / "manifests" / "vaultdeck.yaml"

# The release the plain manifests are made for: beside a Vault release in namespace vault.
RELEASE = "vaultdeck"
NAMESPACE = "vault"

MANIFESTS_HEADER = """\
# Vaultdeck as plain Kubernetes manifests: the Helm chart deploy/helm/vaultdeck rendered
# with its default values for a release named vaultdeck in the namespace vault, as
# `helm template vaultdeck deploy/helm/vaultdeck --namespace vault` prints it.
#
# Made by `python deploy/tests/chart_test.py write-manifests` (helm-python-sdk); the chart
# tests fail when this file and the chart disagree. Change the chart, not this file.
#
#   kubectl create namespace vault      # unless the Vault chart made it
#   kubectl apply -f deploy/manifests/vaultdeck.yaml
"""

# The full rights with every write turned on, rule by rule, as the README lists them.
LOOK = [
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list"]},
    {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "list"]},
]
# The Workloads page's read-only right, granted unless rbac.readWorkloads is false.
WORKLOADS = {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets", "daemonsets"], "verbs": ["get", "list"]}
ALL_RIGHTS = [
    {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "create"]},
    {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "list", "create"]},
    {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "delete"]},
    WORKLOADS,
]

POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": 65532,
    "runAsGroup": 65532,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


def in_cluster_names(service: str, namespace: str) -> list[str]:
    return [
        service,
        f"{service}.{namespace}",
        f"{service}.{namespace}.svc",
        f"{service}.{namespace}.svc.cluster.local",
    ]


# --- rendering -------------------------------------------------------------------------

_chart: helm.Chart | None = None


def chart() -> helm.Chart:
    global _chart
    if _chart is None:
        _chart = helm.Chart.load(CHART)
    return _chart


class Rendered:
    """One render: the objects by (kind, name), and NOTES.txt."""

    def __init__(self, values: dict, name: str = RELEASE, namespace: str = NAMESPACE):
        files = chart().render(values, name=name, namespace=namespace)
        self.notes = ""
        self.objects: dict[tuple[str, str], dict] = {}
        for path, text in files.items():
            if path.endswith("NOTES.txt"):
                self.notes = text
                continue
            for document in yaml.safe_load_all(text):
                if document:
                    name = document["metadata"]["name"]
                    # Objects in other namespaces than the release's (the test-login Roles)
                    # share a name: they are told apart by "namespace/name".
                    elsewhere = document["metadata"].get("namespace", namespace)
                    if elsewhere != namespace:
                        name = f"{elsewhere}/{name}"
                    key = (document["kind"], name)
                    assert key not in self.objects, f"{key} rendered twice"
                    self.objects[key] = document

    def kinds(self) -> set[str]:
        return {kind for kind, _ in self.objects}

    def one(self, kind: str) -> dict:
        found = [o for (k, _), o in self.objects.items() if k == kind]
        assert len(found) == 1, f"expected one {kind}, found {len(found)}"
        return found[0]

    def container(self) -> dict:
        containers = self.one("Deployment")["spec"]["template"]["spec"]["containers"]
        assert len(containers) == 1
        return containers[0]

    def env(self) -> dict[str, object]:
        """Plain values as strings; values from Secrets as their secretKeyRef."""
        result: dict[str, object] = {}
        for entry in self.container()["env"]:
            assert entry["name"] not in result, f"{entry['name']} set twice"
            if "valueFrom" in entry:
                result[entry["name"]] = entry["valueFrom"]
            else:
                result[entry["name"]] = entry["value"]
        return result

    def allowed_hosts(self) -> list[str]:
        return str(self.env()["VAULTDECK_ALLOWED_HOSTS"]).split(",")

    def rules(self) -> list[dict]:
        """Vaultdeck's own ClusterRole's (the one its binding names)."""
        name = self.one("ClusterRoleBinding")["roleRef"]["name"]
        return self.objects[("ClusterRole", name)]["rules"]


def render_fails(values: dict) -> str:
    """The error text of a render that must fail."""
    try:
        chart().render(values, name=RELEASE, namespace=NAMESPACE)
    except helm.HelmRenderError as error:
        return str(error)
    raise AssertionError(f"rendered with {values}, expected a failure")


def manifests_text() -> str:
    """The default render as `helm template` prints it: Helm's install order, `# Source:`
    lines. A client-only dry-run install contacts no cluster."""
    with helm.Config(namespace=NAMESPACE) as config:
        release = config.install(CHART, RELEASE, {}, namespace=NAMESPACE, dry_run="client")
    return MANIFESTS_HEADER + release["manifest"].rstrip("\n") + "\n"


# --- lint ------------------------------------------------------------------------------


class Lint(unittest.TestCase):
    # Chart.yaml names no icon: Vaultdeck publishes none at a URL. Helm reports that as
    # information, not as a warning, so strict linting still passes.
    ALLOWED_INFO = {"icon is recommended"}

    def assert_clean(self, values: dict) -> None:
        report = helm.lint(CHART, values, strict=True, kube_version="v1.20.2")
        self.assertEqual(report["errors"], [], report)
        unexpected = [
            m for m in report["messages"]
            if not (m["severity"] <= 1 and m["error"] in self.ALLOWED_INFO)
        ]
        self.assertEqual(unexpected, [], f"lint with {values}")

    def test_defaults_lint_clean(self):
        self.assert_clean({})

    def test_every_feature_lints_clean(self):
        self.assert_clean(EVERYTHING)

    # Helm's lint renders in lint mode, where `fail` only logs: the refusals are tested by
    # rendering (Sessions, VaultTls, Ingress below), not here.


# Every optional part on at once.
EVERYTHING = {
    "replicas": 3,
    "sessions": {"store": "redis", "redis": {"existingSecret": "vaultdeck-redis"}},
    "vault": {
        "address": "https://vault.vault.svc:8200",
        "caCert": {"secretName": "vault-server-tls"},
    },
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "hosts": ["vault.example.com"],
        "pathPrefix": "/tools/vault",
        "tls": [{"secretName": "vaultdeck-tls", "hosts": ["vault.example.com"]}],
    },
    "podDisruptionBudget": {"enabled": True},
    "networkPolicy": {"enabled": True},
    "metrics": {"enabled": True},
    "serviceMonitor": {"enabled": True, "selectors": {"release": "prometheus"}},
    "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
    "rbac": {"setUpServiceAccounts": {"enabled": True}},
}


# --- rendering with chosen values -------------------------------------------------------


class Defaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = Rendered({})

    def test_objects(self):
        self.assertEqual(
            set(self.r.objects),
            {
                ("ServiceAccount", "vaultdeck"),
                ("ClusterRole", "vault-vaultdeck"),
                ("ClusterRoleBinding", "vault-vaultdeck"),
                ("Service", "vaultdeck"),
                ("Deployment", "vaultdeck"),
            },
        )
        for (kind, _), obj in self.r.objects.items():
            if not kind.startswith("Cluster"):
                self.assertEqual(obj["metadata"]["namespace"], NAMESPACE, kind)

    def test_security_context(self):
        pod = self.r.one("Deployment")["spec"]["template"]["spec"]
        self.assertEqual(pod["securityContext"], POD_SECURITY)
        self.assertEqual(self.r.container()["securityContext"], CONTAINER_SECURITY)
        self.assertTrue(pod["automountServiceAccountToken"])
        self.assertEqual(pod["serviceAccountName"], "vaultdeck")
        # The only writable path, and a bounded one.
        self.assertEqual(
            self.r.container()["volumeMounts"], [{"name": "tmp", "mountPath": "/tmp"}]
        )
        self.assertEqual(pod["volumes"], [{"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}}])

    def test_image_defaults_to_app_version(self):
        app_version = chart().metadata["appVersion"]
        self.assertEqual(
            self.r.container()["image"], f"ghcr.io/vaultdeck/vaultdeck:{app_version}"
        )
        self.assertEqual(self.r.container()["imagePullPolicy"], "IfNotPresent")

    def test_environment(self):
        self.assertEqual(
            self.r.env(),
            {
                "VAULT_ADDR": "http://vault.vault.svc:8200",
                "VAULTDECK_LISTEN": "0.0.0.0:3000",
                "VAULTDECK_BASE_PATH": "/ui",
                "VAULTDECK_LOG_FORMAT": "json",
                "RUST_LOG": "info",
                "VAULTDECK_SESSION_STORE": "memory",
                "VAULTDECK_SESSION_IDLE_TIMEOUT": "30m",
                "VAULTDECK_COOKIE_SECURE": "auto",
                "VAULTDECK_ALLOWED_HOSTS": ",".join(in_cluster_names("vaultdeck", "vault")),
            },
        )

    def test_probes_and_ports(self):
        container = self.r.container()
        self.assertEqual(container["livenessProbe"]["httpGet"], {"path": "/ui/api/health", "port": "http"})
        self.assertEqual(container["readinessProbe"]["httpGet"], {"path": "/ui/api/ready", "port": "http"})
        self.assertEqual(container["ports"], [{"name": "http", "containerPort": 3000, "protocol": "TCP"}])
        service = self.r.one("Service")
        self.assertEqual(service["spec"]["type"], "ClusterIP")
        self.assertEqual(
            service["spec"]["ports"],
            [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        )
        pod_labels = self.r.one("Deployment")["spec"]["template"]["metadata"]["labels"]
        for key, value in service["spec"]["selector"].items():
            self.assertEqual(pod_labels[key], value)

    def test_rbac(self):
        self.assertEqual(self.r.rules(), ALL_RIGHTS)
        binding = self.r.one("ClusterRoleBinding")
        self.assertEqual(
            binding["roleRef"],
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "vault-vaultdeck"},
        )
        self.assertEqual(
            binding["subjects"],
            [{"kind": "ServiceAccount", "name": "vaultdeck", "namespace": "vault"}],
        )

    def test_notes_give_the_urls(self):
        self.assertIn("kubectl -n vault port-forward svc/vaultdeck 3000:80", self.r.notes)
        self.assertIn(
            "http://127.0.0.1:8001/api/v1/namespaces/vault/services/vaultdeck:http/proxy/ui/",
            self.r.notes,
        )


class Placement(unittest.TestCase):
    def test_vault_address_and_names_follow_the_namespace(self):
        r = Rendered({}, name="console", namespace="secrets")
        self.assertEqual(r.env()["VAULT_ADDR"], "http://vault.secrets.svc:8200")
        self.assertEqual(r.one("Service")["metadata"]["name"], "console-vaultdeck")
        self.assertEqual(r.allowed_hosts(), in_cluster_names("console-vaultdeck", "secrets"))
        self.assertEqual(r.one("ClusterRole")["metadata"]["name"], "secrets-console-vaultdeck")

    def test_vault_settings(self):
        r = Rendered({"vault": {"address": "http://openbao.vault.svc:8200", "namespace": "team-a", "skipVerify": True}})
        env = r.env()
        self.assertEqual(env["VAULT_ADDR"], "http://openbao.vault.svc:8200")
        self.assertEqual(env["VAULT_NAMESPACE"], "team-a")
        self.assertEqual(env["VAULT_SKIP_VERIFY"], "true")

    def test_base_path_moves_probes(self):
        for base_path, prefix, env in [("/", "", "/"), ("/tools/vault/ui/", "/tools/vault/ui", "/tools/vault/ui")]:
            r = Rendered({"basePath": base_path})
            self.assertEqual(r.env()["VAULTDECK_BASE_PATH"], env)
            self.assertEqual(r.container()["livenessProbe"]["httpGet"]["path"], f"{prefix}/api/health")
            self.assertEqual(r.container()["readinessProbe"]["httpGet"]["path"], f"{prefix}/api/ready")
            self.assertIn(f"/services/vaultdeck:http/proxy{prefix}/", r.notes)

    def test_extra_environment_and_scheduling(self):
        r = Rendered({
            "extraEnvironmentVars": {"VAULTDECK_MAX_BODY_BYTES": 16777216, "RATIO": 0.5, "FLAG": True},
            "extraSecretEnvironmentVars": [{"envName": "EXTRA", "secretName": "s", "secretKey": "k"}],
            "nodeSelector": {"kubernetes.io/arch": "amd64"},
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "vault", "effect": "NoSchedule"}],
            "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}},
            "kubeHostAliases": ["https://10.0.0.1:443", "https://api.example.com:6443"],
            "requestTimeout": "1m",
            "headerReadTimeout": "20s",
            "vaultMaxConnections": 128,
            "logLevel": "info,vaultdeck=debug",
            "cookieSecure": False,
            "sessions": {"idleTimeout": "8h"},
            "podAnnotations": {"example.com/owner": "platform"},
            "podLabels": {"team": "platform"},
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        })
        env = r.env()
        self.assertEqual(env["VAULTDECK_MAX_BODY_BYTES"], "16777216")  # not 1.6777216e+07
        self.assertEqual((env["RATIO"], env["FLAG"]), ("0.5", "true"))
        self.assertEqual(env["EXTRA"], {"secretKeyRef": {"name": "s", "key": "k"}})
        self.assertEqual(env["VAULTDECK_KUBE_HOST_ALIASES"], "https://10.0.0.1:443,https://api.example.com:6443")
        self.assertEqual(env["VAULTDECK_REQUEST_TIMEOUT"], "1m")
        self.assertEqual(env["VAULTDECK_HEADER_READ_TIMEOUT"], "20s")
        self.assertEqual(env["VAULTDECK_VAULT_MAX_CONNECTIONS"], "128")
        self.assertEqual(env["RUST_LOG"], "info,vaultdeck=debug")
        self.assertEqual(env["VAULTDECK_COOKIE_SECURE"], "false")
        self.assertEqual(env["VAULTDECK_SESSION_IDLE_TIMEOUT"], "8h")
        pod = r.one("Deployment")["spec"]["template"]["spec"]
        self.assertEqual(pod["nodeSelector"], {"kubernetes.io/arch": "amd64"})
        self.assertEqual(pod["tolerations"][0]["key"], "dedicated")
        self.assertIn("podAntiAffinity", pod["affinity"])
        template = r.one("Deployment")["spec"]["template"]["metadata"]
        self.assertEqual(template["annotations"], {"example.com/owner": "platform"})
        self.assertEqual(template["labels"]["team"], "platform")
        self.assertEqual(r.container()["resources"]["limits"], {"memory": "256Mi"})

    def test_image_and_service_overrides(self):
        r = Rendered({
            "image": {"repository": "registry.example.com/tools/vaultdeck", "tag": "0.2.0", "pullPolicy": "Always"},
            "imagePullSecrets": [{"name": "regcred"}],
            "service": {"type": "NodePort", "port": 8080, "nodePort": 30080},
        })
        self.assertEqual(r.container()["image"], "registry.example.com/tools/vaultdeck:0.2.0")
        self.assertEqual(r.container()["imagePullPolicy"], "Always")
        self.assertEqual(r.one("Deployment")["spec"]["template"]["spec"]["imagePullSecrets"], [{"name": "regcred"}])
        self.assertEqual(
            r.one("Service")["spec"]["ports"][0],
            {"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP", "nodePort": 30080},
        )
        self.assertIn("port-forward svc/vaultdeck 3000:8080", r.notes)

    def test_existing_service_account(self):
        r = Rendered({"serviceAccount": {"create": False, "name": "vault-ui"}})
        self.assertNotIn("ServiceAccount", r.kinds())
        self.assertEqual(r.one("Deployment")["spec"]["template"]["spec"]["serviceAccountName"], "vault-ui")
        self.assertEqual(r.one("ClusterRoleBinding")["subjects"][0]["name"], "vault-ui")
        self.assertIn("serviceAccount.name", render_fails({"serviceAccount": {"create": False}}))

    def test_service_account_annotations(self):
        annotations = {"iam.gke.io/gcp-service-account": "vaultdeck@project.iam.gserviceaccount.com"}
        r = Rendered({"serviceAccount": {"annotations": annotations}})
        self.assertEqual(r.one("ServiceAccount")["metadata"]["annotations"], annotations)


class Ingress(unittest.TestCase):
    def test_host_routes_the_base_path(self):
        r = Rendered({"ingress": {"enabled": True, "className": "nginx", "hosts": ["vault.example.com"],
                                  "tls": [{"secretName": "vaultdeck-tls", "hosts": ["vault.example.com"]}]}})
        ingress = r.one("Ingress")
        self.assertEqual(ingress["spec"]["ingressClassName"], "nginx")
        self.assertNotIn("annotations", ingress["metadata"])
        self.assertEqual(ingress["spec"]["tls"], [{"secretName": "vaultdeck-tls", "hosts": ["vault.example.com"]}])
        self.assertEqual(
            ingress["spec"]["rules"],
            [{
                "host": "vault.example.com",
                "http": {"paths": [{
                    "path": "/ui",
                    "pathType": "Prefix",
                    "backend": {"service": {"name": "vaultdeck", "port": {"name": "http"}}},
                }]},
            }],
        )
        self.assertEqual(r.allowed_hosts(), in_cluster_names("vaultdeck", "vault") + ["vault.example.com"])
        self.assertIn("https://vault.example.com/ui/", r.notes)
        self.assertNotIn("Secure", r.notes)

    def test_allowed_hosts_are_merged_without_repeats(self):
        r = Rendered({"ingress": {"enabled": True, "hosts": ["a.example.com", "b.example.com"]},
                      "allowedHosts": ["b.example.com", "*.internal.example.com"]})
        self.assertEqual(
            r.allowed_hosts(),
            in_cluster_names("vaultdeck", "vault") + ["a.example.com", "b.example.com", "*.internal.example.com"],
        )
        self.assertEqual([rule["host"] for rule in r.one("Ingress")["spec"]["rules"]], ["a.example.com", "b.example.com"])
        # No TLS, and the cookie is Secure: NOTES says the login would not stick.
        self.assertIn("cookieSecure=false", r.notes)

    def test_no_host_makes_one_rule_for_every_host(self):
        r = Rendered({"ingress": {"enabled": True}})
        rules = r.one("Ingress")["spec"]["rules"]
        self.assertEqual(len(rules), 1)
        self.assertNotIn("host", rules[0])
        self.assertIn("allowedHosts", r.notes)

    def test_prefix_stripped_by_ingress_nginx(self):
        r = Rendered({"ingress": {"enabled": True, "hosts": ["tools.example.com"], "pathPrefix": "/tools/vault",
                                  "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"}}})
        ingress = r.one("Ingress")
        self.assertEqual(
            ingress["metadata"]["annotations"],
            {
                "cert-manager.io/cluster-issuer": "letsencrypt",
                "nginx.ingress.kubernetes.io/use-regex": "true",
                "nginx.ingress.kubernetes.io/rewrite-target": "/$2",
                "nginx.ingress.kubernetes.io/x-forwarded-prefix": "/tools/vault",
            },
        )
        path = ingress["spec"]["rules"][0]["http"]["paths"][0]
        self.assertEqual(path["pathType"], "ImplementationSpecific")
        self.assertEqual(path["path"], r"/tools/vault(/|$)(.*)")
        # What ingress-nginx does with it: the pod gets the base path, the browser keeps the prefix.
        match = re.match(path["path"], "/tools/vault/ui/api/health")
        self.assertEqual("/" + match.group(2), "/ui/api/health")
        self.assertEqual(r.env()["VAULTDECK_BASE_PATH"], "/ui")
        self.assertIn("http://tools.example.com/tools/vault/ui/", r.notes)

    def test_your_annotations_win(self):
        r = Rendered({"ingress": {"enabled": True, "pathPrefix": "/v",
                                  "annotations": {"nginx.ingress.kubernetes.io/x-forwarded-prefix": "/other"}}})
        annotations = r.one("Ingress")["metadata"]["annotations"]
        self.assertEqual(annotations["nginx.ingress.kubernetes.io/x-forwarded-prefix"], "/other")

    def test_prefix_stripped_by_your_controller(self):
        middleware = {"traefik.ingress.kubernetes.io/router.middlewares": "vault-strip-tools@kubernetescrd"}
        r = Rendered({"ingress": {"enabled": True, "className": "traefik", "hosts": ["tools.example.com"],
                                  "pathPrefix": "/tools/vault", "rewrite": "none", "annotations": middleware}})
        ingress = r.one("Ingress")
        self.assertEqual(ingress["metadata"]["annotations"], middleware)
        path = ingress["spec"]["rules"][0]["http"]["paths"][0]
        self.assertEqual((path["path"], path["pathType"]), ("/tools/vault", "Prefix"))
        self.assertIn("X-Forwarded-Prefix: /tools/vault", r.notes)

    def test_bad_prefixes_are_refused(self):
        for prefix in ["tools", "/tools/", "/a b", "/x(.*)"]:
            self.assertIn("ingress.pathPrefix", render_fails({"ingress": {"enabled": True, "pathPrefix": prefix}}))
        self.assertIn("ingress.rewrite", render_fails({"ingress": {"enabled": True, "pathPrefix": "/t", "rewrite": "haproxy"}}))


class Sessions(unittest.TestCase):
    def test_redis_with_three_replicas(self):
        r = Rendered({"replicas": 3, "sessions": {"store": "redis", "redis": {"existingSecret": "vaultdeck-redis"}}})
        self.assertEqual(r.one("Deployment")["spec"]["replicas"], 3)
        self.assertEqual(
            r.env()["VAULTDECK_SESSION_STORE"],
            {"secretKeyRef": {"name": "vaultdeck-redis", "key": "url"}},
        )

    def test_three_replicas_without_redis_are_refused(self):
        message = render_fails({"replicas": 3})
        self.assertIn("replicas is 3 but sessions.store is memory", message)
        self.assertIn("sessions.store=redis", message)
        self.assertIn("sessions.redis.existingSecret", message)

    def test_redis_needs_its_secret(self):
        self.assertIn("sessions.redis.existingSecret", render_fails({"sessions": {"store": "redis"}}))

    def test_unknown_store_is_refused(self):
        self.assertIn("memory or redis", render_fails({"sessions": {"store": "postgres"}}))


class VaultTls(unittest.TestCase):
    def check_ca(self, values: dict, source: dict) -> None:
        r = Rendered({"vault": {"address": "https://vault.vault.svc:8200", "caCert": values}})
        self.assertEqual(r.env()["VAULT_ADDR"], "https://vault.vault.svc:8200")
        self.assertEqual(r.env()["VAULT_CACERT"], "/etc/vaultdeck/vault-ca/" + source["items"][0]["path"])
        self.assertIn(
            {"name": "vault-ca", "mountPath": "/etc/vaultdeck/vault-ca", "readOnly": True},
            r.container()["volumeMounts"],
        )
        volumes = {v["name"]: v for v in r.one("Deployment")["spec"]["template"]["spec"]["volumes"]}
        kind = "secret" if "secretName" in source else "configMap"
        self.assertEqual(volumes["vault-ca"], {"name": "vault-ca", kind: source})

    def test_ca_from_a_secret_mounts_only_the_ca(self):
        self.check_ca(
            {"secretName": "vault-server-tls"},
            {"secretName": "vault-server-tls", "items": [{"key": "ca.crt", "path": "ca.crt"}]},
        )

    def test_ca_from_a_config_map(self):
        self.check_ca(
            {"configMapName": "kube-root-ca.crt", "key": "ca.pem"},
            {"name": "kube-root-ca.crt", "items": [{"key": "ca.pem", "path": "ca.pem"}]},
        )

    def test_two_ca_sources_are_refused(self):
        self.assertIn("not both", render_fails({"vault": {"caCert": {"secretName": "a", "configMapName": "b"}}}))

    def test_other_refusals(self):
        self.assertIn("vault.address", render_fails({"vault": {"address": "vault:8200"}}))
        self.assertIn("basePath", render_fails({"basePath": "ui"}))
        self.assertIn("basePath", render_fails({"basePath": "/a/../b"}))
        self.assertIn("cookieSecure", render_fails({"cookieSecure": "sometimes"}))


class Rbac(unittest.TestCase):
    def test_writes_turned_off(self):
        r = Rendered({"rbac": {"createServiceAccounts": False, "testLogins": False}})
        self.assertEqual(r.rules(), LOOK + [WORKLOADS])
        verbs = {verb for rule in r.rules() for verb in rule["verbs"]}
        self.assertEqual(verbs, {"get", "list"})

    def test_workloads_turned_off(self):
        r = Rendered({"rbac": {"readWorkloads": False}})
        self.assertEqual(r.rules(), ALL_RIGHTS[:-1])
        self.assertNotIn("apps", {group for rule in r.rules() for group in rule["apiGroups"]})

    def test_only_test_logins(self):
        r = Rendered({"rbac": {"createServiceAccounts": False}})
        self.assertEqual(r.rules(), LOOK + [
            {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "delete"]},
            WORKLOADS,
        ])

    def test_only_creating_service_accounts(self):
        r = Rendered({"rbac": {"testLogins": False}})
        self.assertEqual(r.rules(), [
            {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "create"]},
            {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "list", "create"]},
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
            WORKLOADS,
        ])

    def test_test_logins_in_listed_namespaces_only(self):
        r = Rendered({"rbac": {"testLoginNamespaces": ["team-a", "team-b"]}})
        # No token of any account in any other namespace; the legacy token Secret of a new
        # account is still created anywhere, but never deleted.
        self.assertEqual(r.rules(), [
            {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "create"]},
            {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "list", "create"]},
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create"]},
            WORKLOADS,
        ])
        for namespace in ["team-a", "team-b"]:
            role = r.objects[("Role", f"{namespace}/vault-vaultdeck-test-logins")]
            self.assertEqual(role["rules"], [
                {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
                {"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "delete"]},
            ])
            binding = r.objects[("RoleBinding", f"{namespace}/vault-vaultdeck-test-logins")]
            self.assertEqual(binding["roleRef"]["name"], "vault-vaultdeck-test-logins")
            self.assertEqual(binding["subjects"],
                             [{"kind": "ServiceAccount", "name": "vaultdeck", "namespace": "vault"}])
        self.assertNotIn("Role", Rendered({}).kinds())
        off = Rendered({"rbac": {"testLogins": False, "testLoginNamespaces": ["team-a"]}})
        self.assertNotIn("Role", off.kinds())

    def test_listed_namespaces_are_each_given_one_role_by_name(self):
        # A name that YAML would read as something else stays a name; a repeat is one Role.
        r = Rendered({"rbac": {"testLoginNamespaces": ["2024", 2024, "null", "team-a", "team-a"]}})
        roles = sorted(name for kind, name in r.objects if kind == "Role")
        self.assertEqual(roles, ["2024/vault-vaultdeck-test-logins", "null/vault-vaultdeck-test-logins",
                                 "team-a/vault-vaultdeck-test-logins"])
        for name in ["2024", "null"]:
            role = r.objects[("Role", f"{name}/vault-vaultdeck-test-logins")]
            self.assertEqual(role["metadata"]["namespace"], name)
        for bad in ["", "Team_A", "-a", "a" * 64]:
            self.assertIn("testLoginNamespaces", render_fails({"rbac": {"testLoginNamespaces": [bad]}}))

    def test_set_up_cannot_undo_listed_namespaces(self):
        # Set-up mints tokens in whichever namespace it is asked to, so it needs that right
        # cluster-wide: with it on, listing namespaces would promise what the ClusterRole breaks.
        both = {"rbac": {"testLoginNamespaces": ["team-a"], "setUpServiceAccounts": {"enabled": True}}}
        message = render_fails(both)
        self.assertIn("testLoginNamespaces", message)
        self.assertIn("setUpServiceAccounts", message)
        Rendered({"rbac": {"testLogins": False, "testLoginNamespaces": ["team-a"],
                           "setUpServiceAccounts": {"enabled": True}}})

    def test_set_up_when_asked_for(self):
        r = Rendered({"rbac": {"setUpServiceAccounts": {"enabled": True}}})
        self.assertEqual(r.rules(), ALL_RIGHTS + [
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterrolebindings"], "verbs": ["create"]},
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"],
             "resourceNames": ["system:auth-delegator", "vault-secrets-engine"]},
        ])
        self.assertEqual(r.env()["VAULTDECK_SET_UP_SERVICE_ACCOUNTS"], "true")
        self.assertEqual(r.env()["VAULTDECK_ENGINE_CLUSTER_ROLE"], "vault-secrets-engine")
        engine = r.objects[("ClusterRole", "vault-secrets-engine")]
        verbs = {(res, verb) for rule in engine["rules"] for res in rule["resources"] for verb in rule["verbs"]}
        self.assertTrue({("serviceaccounts/token", "create"), ("roles", "escalate"), ("namespaces", "get")} <= verbs)
        self.assertIn("engineClusterRole", render_fails({"rbac": {"setUpServiceAccounts": {"enabled": True, "engineClusterRole": ""}}}))

    def test_set_up_alone_creates_accounts_and_their_tokens(self):
        r = Rendered({"rbac": {"createServiceAccounts": False, "testLogins": False,
                               "setUpServiceAccounts": {"enabled": True, "engineClusterRole": "mine",
                                                        "createEngineClusterRole": False}}})
        self.assertEqual(r.rules(), [
            {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "create"]},
            {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["get", "list", "create"]},
            {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
            WORKLOADS,
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterrolebindings"], "verbs": ["create"]},
            {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"],
             "resourceNames": ["system:auth-delegator", "mine"]},
        ])
        self.assertNotIn(("ClusterRole", "mine"), r.objects)
        self.assertNotIn("VAULTDECK_SET_UP_SERVICE_ACCOUNTS", Rendered({}).env())

    def test_roles_without_an_audience_are_checked_only_when_allowed(self):
        self.assertNotIn("VAULTDECK_TEST_LOGINS_WITHOUT_AUDIENCE", Rendered({}).env())
        r = Rendered({"rbac": {"testLoginsWithoutAudience": True}})
        self.assertEqual(r.env()["VAULTDECK_TEST_LOGINS_WITHOUT_AUDIENCE"], "true")

    def test_no_rbac(self):
        r = Rendered({"rbac": {"create": False}})
        self.assertEqual(r.kinds(), {"ServiceAccount", "Service", "Deployment"})


class Optional(unittest.TestCase):
    def test_metrics_and_service_monitor(self):
        r = Rendered({"metrics": {"enabled": True}, "serviceMonitor": {"enabled": True, "selectors": {"release": "prometheus"}}})
        self.assertEqual(r.env()["VAULTDECK_METRICS_LISTEN"], "0.0.0.0:9090")
        self.assertIn({"name": "metrics", "containerPort": 9090, "protocol": "TCP"}, r.container()["ports"])
        service = r.one("Service")
        self.assertIn({"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"}, service["spec"]["ports"])
        monitor = r.one("ServiceMonitor")
        self.assertEqual(monitor["apiVersion"], "monitoring.coreos.com/v1")
        self.assertEqual(monitor["metadata"]["labels"]["release"], "prometheus")
        self.assertEqual(monitor["spec"]["endpoints"], [{"port": "metrics", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}])
        self.assertEqual(monitor["spec"]["namespaceSelector"], {"matchNames": ["vault"]})
        for key, value in monitor["spec"]["selector"]["matchLabels"].items():
            self.assertEqual(service["metadata"]["labels"][key], value)

    def test_metrics_alone_has_no_service_monitor(self):
        r = Rendered({"metrics": {"enabled": True, "port": 9100}})
        self.assertNotIn("ServiceMonitor", r.kinds())
        self.assertEqual(r.env()["VAULTDECK_METRICS_LISTEN"], "0.0.0.0:9100")

    def test_service_monitor_needs_metrics(self):
        self.assertIn("metrics.enabled", render_fails({"serviceMonitor": {"enabled": True}}))

    def test_pod_disruption_budget(self):
        r = Rendered({"podDisruptionBudget": {"enabled": True}})
        pdb = r.one("PodDisruptionBudget")
        # Offline, Helm assumes a current cluster; the install test sees v1beta1 on 1.20.
        self.assertEqual(pdb["apiVersion"], "policy/v1")
        self.assertEqual(pdb["spec"]["maxUnavailable"], 1)
        self.assertNotIn("minAvailable", pdb["spec"])
        pod_labels = r.one("Deployment")["spec"]["template"]["metadata"]["labels"]
        for key, value in pdb["spec"]["selector"]["matchLabels"].items():
            self.assertEqual(pod_labels[key], value)
        pdb = Rendered({"podDisruptionBudget": {"enabled": True, "minAvailable": 2}}).one("PodDisruptionBudget")
        self.assertEqual(pdb["spec"], {"minAvailable": 2, "selector": pdb["spec"]["selector"]})

    def test_network_policy(self):
        r = Rendered({"networkPolicy": {"enabled": True}})
        spec = r.one("NetworkPolicy")["spec"]
        self.assertEqual(spec["policyTypes"], ["Ingress", "Egress"])
        self.assertEqual(spec["ingress"], [{
            "from": [
                {"podSelector": {}},
                {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
            ],
            "ports": [{"port": "http", "protocol": "TCP"}],
        }])
        self.assertEqual(spec["egress"], [
            {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
            {"ports": [{"port": 8200, "protocol": "TCP"}]},
            {"ports": [{"port": 443, "protocol": "TCP"}, {"port": 6443, "protocol": "TCP"}]},
        ])

    def test_network_policy_follows_vault_redis_and_metrics(self):
        r = Rendered({
            "vault": {"address": "https://vault.example.com"},
            "sessions": {"store": "redis", "redis": {"existingSecret": "r"}},
            "metrics": {"enabled": True},
            "networkPolicy": {"enabled": True, "ingress": {"sameNamespace": False, "controllerNamespace": ""},
                              "egress": {"vault": {"to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}]},
                                         "apiServer": {"cidrs": ["198.51.100.1/32"], "ports": [6443]}}},
        })
        spec = r.one("NetworkPolicy")["spec"]
        self.assertIsNone(spec["ingress"])  # nobody may connect
        self.assertEqual(spec["egress"][1:], [
            {"ports": [{"port": 443, "protocol": "TCP"}], "to": [{"ipBlock": {"cidr": "192.0.2.10/32"}}]},
            {"ports": [{"port": 6443, "protocol": "TCP"}], "to": [{"ipBlock": {"cidr": "198.51.100.1/32"}}]},
            {"ports": [{"port": 6379, "protocol": "TCP"}]},
        ])
        r = Rendered({"metrics": {"enabled": True}, "networkPolicy": {"enabled": True}})
        self.assertEqual(
            r.one("NetworkPolicy")["spec"]["ingress"][0]["ports"],
            [{"port": "http", "protocol": "TCP"}, {"port": "metrics", "protocol": "TCP"}],
        )


# --- what must agree with the chart -----------------------------------------------------


class Agreement(unittest.TestCase):
    def test_plain_manifests_are_the_default_render(self):
        self.assertTrue(MANIFESTS.is_file(), f"{MANIFESTS} is missing: run `chart_test.py write-manifests`")
        committed, rendered = MANIFESTS.read_text(), manifests_text()
        if committed != rendered:
            diff = "".join(difflib.unified_diff(
                committed.splitlines(keepends=True), rendered.splitlines(keepends=True),
                "deploy/manifests/vaultdeck.yaml", "the chart's default render",
            ))
            self.fail(f"the plain manifests differ from the chart: run `chart_test.py write-manifests`\n{diff}")

    def test_app_version_is_the_workspace_version(self):
        cargo = (ROOT / "Cargo.toml").read_text()
        workspace_package = cargo[cargo.index("[workspace.package]"):]
        version = re.search(r'^version = "([^"]+)"', workspace_package, re.MULTILINE).group(1)
        self.assertEqual(chart().metadata["appVersion"], version)

    def test_image_layout_is_what_the_chart_expects(self):
        containerfile = (ROOT / "Containerfile").read_text()
        runtime = containerfile[containerfile.rindex("\nFROM "):]
        self.assertIn("COPY --from=builder /out/site /usr/share/vaultdeck/site", runtime)
        self.assertIn("VAULTDECK_SITE_DIR=/usr/share/vaultdeck/site", runtime)
        self.assertIn("COPY --from=builder /out/bin/hash.txt /usr/local/bin/hash.txt", runtime)
        user = re.search(r"^USER (\d+):(\d+)$", runtime, re.MULTILINE)
        self.assertEqual(int(user.group(1)), POD_SECURITY["runAsUser"])
        self.assertEqual(int(user.group(2)), POD_SECURITY["runAsGroup"])
        self.assertRegex(runtime, r"(?m)^EXPOSE 3000$")
        self.assertIn("cargo xtask build --release", containerfile)


# --- a real API server --------------------------------------------------------------------


@unittest.skipUnless(os.environ.get("TESTCLUSTER_BIN"), "TESTCLUSTER_BIN is not set: no install tests")
class Install(unittest.TestCase):
    """Helm installs the chart into a real kube-apiserver (v1.20, no nodes: nothing runs)."""

    @classmethod
    def setUpClass(cls):
        binary = os.environ["TESTCLUSTER_BIN"]
        cls.cluster = subprocess.Popen(
            [binary, "up"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        # Ready in about 4 s; a start-up that hangs must not hang the tests.
        ready, _, _ = select.select([cls.cluster.stdout], [], [], 120)
        line = cls.cluster.stdout.readline() if ready else ""
        if not line:
            cls.cluster.kill()
            status = cls.cluster.wait(30)
            why = f"exited with status {status}" if ready else "was not ready in 120 s"
            raise RuntimeError(f"`{binary} up` {why}")
        cls.kubeconfig = json.loads(line)["kubeconfig"]

    @classmethod
    def tearDownClass(cls):
        # The cluster stops when its stdin closes.
        cls.cluster.stdin.close()
        cls.cluster.wait(60)

    def kubectl(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            ["kubectl", "--kubeconfig", self.kubeconfig, *args],
            input=input, capture_output=True, text=True, timeout=60,
        )
        if check and done.returncode != 0:
            self.fail(f"kubectl {' '.join(args)}: {done.stderr.strip()}")
        return done

    def get(self, kind: str, name: str, namespace: str | None = None) -> dict:
        where = ["-n", namespace] if namespace else []
        return json.loads(self.kubectl("get", kind, name, *where, "-o", "json").stdout)

    def can(self, service_account: str, verb: str, resource: str, namespace: str = "default") -> bool:
        """`kubectl auth can-i`. "clusterroles/NAME" is a named object, as kubectl reads it;
        "serviceaccounts/token" is the subresource, which kubectl would read as a service
        account named "token" (and answer for `create serviceaccounts`)."""
        if resource == "serviceaccounts/token":
            resource = "serviceaccounts --subresource=token"
        answer = self.kubectl("auth", "can-i", verb, *resource.split(), "-n", namespace,
                              f"--as=system:serviceaccount:{service_account}", check=False)
        return answer.stdout.strip() == "yes"

    def helm_in(self, namespace: str) -> helm.Config:
        """Helm for one namespace: upgrade and uninstall act in their configuration's."""
        return helm.Config(kubeconfig_path=self.kubeconfig, namespace=namespace)

    def install(self, name: str, namespace: str, values: dict) -> dict:
        with self.helm_in(namespace) as config:
            return config.install(CHART, name, values, namespace=namespace, create_namespace=True, timeout=60)

    def test_default_install(self):
        release = self.install("vaultdeck", "vault-helm", {})
        self.assertEqual(release["status"], "deployed")
        deployment = self.get("deployment", "vaultdeck", "vault-helm")
        pod = deployment["spec"]["template"]["spec"]
        self.assertEqual(pod["serviceAccountName"], "vaultdeck")
        self.assertEqual(pod["securityContext"], POD_SECURITY)
        env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
        self.assertEqual(env["VAULT_ADDR"], "http://vault.vault-helm.svc:8200")
        service = self.get("service", "vaultdeck", "vault-helm")
        self.assertEqual([(p["name"], p["port"], p["targetPort"]) for p in service["spec"]["ports"]], [("http", 80, "http")])
        self.get("serviceaccount", "vaultdeck", "vault-helm")
        self.assertEqual(self.get("clusterrole", "vault-helm-vaultdeck")["rules"], ALL_RIGHTS)
        binding = self.get("clusterrolebinding", "vault-helm-vaultdeck")
        self.assertEqual(binding["subjects"], [{"kind": "ServiceAccount", "name": "vaultdeck", "namespace": "vault-helm"}])
        # The API server's own RBAC agrees: the service account may do what the pages need, no more.
        account = "vault-helm:vaultdeck"
        for verb, resource in [("list", "namespaces"), ("create", "namespaces"), ("get", "serviceaccounts"),
                               ("create", "serviceaccounts"), ("create", "serviceaccounts/token"),
                               ("create", "secrets"), ("delete", "secrets")]:
            self.assertTrue(self.can(account, verb, resource), f"{verb} {resource}")
        for verb, resource in [("get", "secrets"), ("list", "secrets"), ("delete", "serviceaccounts"),
                               ("create", "pods"), ("create", "clusterrolebindings")]:
            self.assertFalse(self.can(account, verb, resource), f"{verb} {resource}")

    def test_set_up_may_bind_exactly_its_two_cluster_roles(self):
        # A ClusterRole's name is the cluster's: another release here made vault-secrets-engine.
        self.install("vaultdeck", "setup", {"rbac": {"setUpServiceAccounts": {"enabled": True, "engineClusterRole": "setup-engine"}}})
        self.get("clusterrole", "setup-engine")
        account = "setup:vaultdeck"
        for verb, resource in [("create", "clusterrolebindings"), ("bind", "clusterroles/system:auth-delegator"),
                               ("bind", "clusterroles/setup-engine"), ("create", "serviceaccounts/token")]:
            self.assertTrue(self.can(account, verb, resource), f"{verb} {resource}")
        for verb, resource in [("bind", "clusterroles/cluster-admin"), ("bind", "clusterroles/vault-secrets-engine"),
                               ("escalate", "clusterroles"), ("create", "clusterroles"), ("get", "secrets")]:
            self.assertFalse(self.can(account, verb, resource), f"{verb} {resource}")

    def test_test_logins_limited_to_listed_namespaces(self):
        self.kubectl("create", "namespace", "scoped-apps")
        self.install("vaultdeck", "scoped", {"rbac": {"testLoginNamespaces": ["scoped-apps"]}})
        account = "scoped:vaultdeck"
        for verb, resource, namespace in [("create", "serviceaccounts/token", "scoped-apps"),
                                          ("delete", "secrets", "scoped-apps")]:
            self.assertTrue(self.can(account, verb, resource, namespace), f"{verb} {resource} in {namespace}")
        for verb, resource, namespace in [("create", "serviceaccounts/token", "kube-system"),
                                          ("create", "serviceaccounts/token", "default"),
                                          ("delete", "secrets", "kube-system")]:
            self.assertFalse(self.can(account, verb, resource, namespace), f"{verb} {resource} in {namespace}")

    def test_upgrade_turns_writes_off_and_uninstall_removes_everything(self):
        self.install("vaultdeck", "lifecycle", {})
        self.assertTrue(self.can("lifecycle:vaultdeck", "create", "serviceaccounts/token"))
        with self.helm_in("lifecycle") as config:
            config.upgrade(CHART, "vaultdeck", {"rbac": {"createServiceAccounts": False, "testLogins": False}},
                           namespace="lifecycle", timeout=60)
        self.assertEqual(self.get("clusterrole", "lifecycle-vaultdeck")["rules"], LOOK + [WORKLOADS])
        for verb, resource in [("create", "serviceaccounts/token"), ("create", "serviceaccounts"),
                               ("create", "namespaces"), ("create", "secrets"), ("delete", "secrets")]:
            self.assertFalse(self.can("lifecycle:vaultdeck", verb, resource), f"{verb} {resource}")
        self.assertTrue(self.can("lifecycle:vaultdeck", "list", "serviceaccounts"))
        with self.helm_in("lifecycle") as config:
            config.uninstall("vaultdeck", timeout=60)
        for kind, name, namespace in [("deployment", "vaultdeck", "lifecycle"), ("service", "vaultdeck", "lifecycle"),
                                      ("serviceaccount", "vaultdeck", "lifecycle"),
                                      ("clusterrole", "lifecycle-vaultdeck", None),
                                      ("clusterrolebinding", "lifecycle-vaultdeck", None)]:
            where = ["-n", namespace] if namespace else []
            self.assertEqual(self.kubectl("get", kind, name, *where, "--ignore-not-found", "-o", "name").stdout, "", kind)

    def test_every_feature_installs(self):
        # The Prometheus Operator's CRD is not here: a schemaless stand-in with its group,
        # version and kind lets the API server take the ServiceMonitor.
        self.kubectl("apply", "-f", "-", input=SERVICE_MONITOR_CRD)
        self.kubectl("wait", "--for=condition=Established", "crd/servicemonitors.monitoring.coreos.com", "--timeout=30s")
        release = self.install("console", "everything", EVERYTHING)
        self.assertEqual(release["status"], "deployed")
        # Kubernetes 1.20 serves no policy/v1: the chart asked and fell back.
        self.assertIn("apiVersion: policy/v1beta1\nkind: PodDisruptionBudget", release["manifest"])
        names = self.kubectl("get", "deployment,service,serviceaccount,ingress,networkpolicy,poddisruptionbudget,servicemonitor",
                             "-n", "everything", "-o", "name").stdout.split()
        self.assertEqual(sorted(names), sorted([
            "deployment.apps/console-vaultdeck", "service/console-vaultdeck", "serviceaccount/console-vaultdeck",
            "ingress.networking.k8s.io/console-vaultdeck", "networkpolicy.networking.k8s.io/console-vaultdeck",
            "poddisruptionbudget.policy/console-vaultdeck", "servicemonitor.monitoring.coreos.com/console-vaultdeck",
        ]))
        deployment = self.get("deployment", "console-vaultdeck", "everything")
        self.assertEqual(deployment["spec"]["replicas"], 3)

    def test_plain_manifests_apply(self):
        self.kubectl("create", "namespace", NAMESPACE)
        self.kubectl("apply", "--server-side", "-f", str(MANIFESTS))
        for kind, name, namespace in [("deployment", "vaultdeck", NAMESPACE), ("service", "vaultdeck", NAMESPACE),
                                      ("serviceaccount", "vaultdeck", NAMESPACE),
                                      ("clusterrole", "vault-vaultdeck", None),
                                      ("clusterrolebinding", "vault-vaultdeck", None)]:
            self.get(kind, name, namespace)
        self.assertTrue(self.can("vault:vaultdeck", "create", "serviceaccounts/token"))


SERVICE_MONITOR_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: servicemonitors.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  names: {kind: ServiceMonitor, listKind: ServiceMonitorList, plural: servicemonitors, singular: servicemonitor}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""


# --- running ----------------------------------------------------------------------------


def main() -> int:
    if sys.argv[1:] == ["write-manifests"]:
        MANIFESTS.write_text(manifests_text())
        print(f"wrote {MANIFESTS.relative_to(ROOT)}")
        return 0
    started = time.monotonic()
    program = unittest.main(argv=[sys.argv[0], *sys.argv[1:]], exit=False, verbosity=2)
    result = program.result
    problems = [test for test, _ in result.failures + result.errors]
    # A failed setUpClass is reported as an error of no test that ran.
    failed_tests = sum(isinstance(test, unittest.TestCase) for test in problems)
    failed = len(problems) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed_tests - len(result.unexpectedSuccesses) - skipped
    # One closing line in the form CI recognises.
    print(f"chart: {passed} passed, {failed} failed, {skipped} skipped ({time.monotonic() - started:.1f} s)")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
