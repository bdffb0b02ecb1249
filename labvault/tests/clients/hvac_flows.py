"""The flows a new user runs with hvac, against the server at VAULT_ADDR.

Run by labvault/tests/clients.rs, once per server. It starts from an uninitialized,
sealed server, goes through init, unseal, KV, policies, userpass and Kubernetes auth
as hvac's documentation shows them, and prints one JSON object of what it saw for the
Rust test to check. Any exception fails the run (exit status 1, traceback on stderr).
"""

import importlib.metadata
import json
import os
import sys
import time

import hvac

# A self-signed CA made for these tests (P-256, CN labvault-test-ca); nothing trusts it.
THROWAWAY_CA = """-----BEGIN CERTIFICATE-----
MIIBjjCCATOgAwIBAgIUUb2WrBjozI2URJCKkKnC3Ni1jE4wCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQbGFidmF1bHQtdGVzdC1jYTAgFw0yNjEyMDIwMTUwNDJaGA8y
MTI2MTEwODAxNTA0MlowGzEZMBcGA1UEAwwQbGFidmF1bHQtdGVzdC1jYTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABIuJclNOJ+Az7TiXjoVF1DXIvv0aoslECFLE
940ciGM9y5HgSkibhKtYxX59gPjrT9OrAPYwpRMEvN2GM1YC1cKjUzBRMB0GA1Ud
DgQWBBRD0NUzTlt8ov9fJXsEHUaoQ2nMaDAfBgNVHSMEGDAWgBRD0NUzTlt8ov9f
JXsEHUaoQ2nMaDAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDV
mMKKtCW+S1htVgcqz+ICey3zPB9a5bNnAv+yWeTXvgIhAN8JgkutxW/eANAiIGYg
zS35oiuZwh5sXmD85NldNZxJ
-----END CERTIFICATE-----
"""

POLICY = 'path "kv/data/app" {\n  capabilities = ["read"]\n}\n'


def wait_until_active(client):
    """Raft elects a leader a moment after the last unseal key."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = client.sys.read_health_status(method="GET")
        if isinstance(status, dict) and not status.get("standby", True):
            return
        time.sleep(0.2)
    raise RuntimeError("the server did not become active")


def init_and_unseal(client, seen):
    seen["initialized_before"] = client.sys.is_initialized()
    result = client.sys.initialize(secret_shares=3, secret_threshold=2)
    seen["key_count"] = len(result["keys"])
    seen["root_token"] = result["root_token"]
    first = client.sys.submit_unseal_key(result["keys_base64"][0])
    seen["progress_after_one_key"] = first["progress"]
    client.sys.submit_unseal_key(result["keys"][1])
    seen["sealed_after_two_keys"] = client.sys.is_sealed()
    wait_until_active(client)
    client.token = result["root_token"]


def kv_and_policies(client, seen):
    client.sys.enable_secrets_engine("kv", path="kv", options={"version": "2"})
    client.secrets.kv.v2.create_or_update_secret(
        path="app", secret={"password": "hunter2"}, mount_point="kv"
    )
    read = client.secrets.kv.v2.read_secret_version(
        path="app", mount_point="kv", raise_on_deleted_version=True
    )
    seen["kv_password"] = read["data"]["data"]["password"]
    seen["kv_version"] = read["data"]["metadata"]["version"]
    client.sys.create_or_update_policy(name="app", policy=POLICY)
    seen["policy_text"] = client.sys.read_policy(name="app")["data"]["rules"]
    seen["policies"] = client.sys.list_policies()["data"]["policies"]


def userpass_login(client, seen):
    client.sys.enable_auth_method("userpass")
    client.auth.userpass.create_or_update_user(
        username="alice", password="correct horse", policies=["app"]
    )
    user = hvac.Client(url=client.url)
    login = user.auth.userpass.login(username="alice", password="correct horse")
    seen["login_policies"] = login["auth"]["policies"]
    seen["login_token"] = login["auth"]["client_token"]
    lookup = user.auth.token.lookup_self()["data"]
    seen["lookup_path"] = lookup["path"]
    seen["lookup_display_name"] = lookup["display_name"]
    seen["user_reads_kv"] = user.secrets.kv.v2.read_secret_version(
        path="app", mount_point="kv", raise_on_deleted_version=True
    )["data"]["data"]["password"]
    try:
        user.sys.list_policies()
        seen["user_lists_policies"] = "allowed"
    except hvac.exceptions.Forbidden as refused:
        seen["user_lists_policies"] = refused.errors


def kubernetes_auth(client, seen):
    client.sys.enable_auth_method("kubernetes")
    client.auth.kubernetes.configure(
        kubernetes_host="https://127.0.0.1:6443", kubernetes_ca_cert=THROWAWAY_CA
    )
    config = client.auth.kubernetes.read_config()
    seen["k8s_host"] = config["kubernetes_host"]
    seen["k8s_ca"] = config["kubernetes_ca_cert"] == THROWAWAY_CA
    client.auth.kubernetes.create_role(
        name="web",
        bound_service_account_names=["web"],
        bound_service_account_namespaces=["apps"],
        policies=["app"],
        ttl="1h",
        audience="vault",
    )
    role = client.auth.kubernetes.read_role(name="web")
    seen["k8s_role"] = {
        key: role[key]
        for key in (
            "bound_service_account_names",
            "bound_service_account_namespaces",
            "token_policies",
            "token_ttl",
            "audience",
        )
    }
    seen["k8s_roles"] = client.auth.kubernetes.list_roles()["keys"]


def main():
    client = hvac.Client(url=os.environ["VAULT_ADDR"])
    seen = {"hvac": importlib.metadata.version("hvac")}
    init_and_unseal(client, seen)
    kv_and_policies(client, seen)
    userpass_login(client, seen)
    kubernetes_auth(client, seen)
    json.dump(seen, sys.stdout)


if __name__ == "__main__":
    main()
