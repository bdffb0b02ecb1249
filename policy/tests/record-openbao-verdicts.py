#!/usr/bin/env python3
"""Records what a real OpenBao makes of each policy in tests/corpus/.

    VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=root python3 record-openbao-verdicts.py

against a dev server (`bao server -dev -dev-root-token-id=root`). It rewrites:

- corpus/verdicts.txt: `NAME accept` or `NAME reject` for every corpus file NAME.hcl or
  NAME.json, as
  `PUT sys/policies/acl/NAME` answers (204 is accept; an error, or OpenBao dropping the
  connection, as it does when its parser panics, is reject);
- corpus/capabilities.txt: for each `NAME PATH …` line already there, the capabilities a
  token holding only that policy has on PATH (`sys/capabilities` with the token, which
  evaluates the same ACL as `sys/capabilities-self`), sorted, comma-separated.

To add a capability check, add a line `NAME PATH ?` and run this again.
"""
import json
import os
import sys
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
ADDR = os.environ.get("VAULT_ADDR", "http://127.0.0.1:8200").rstrip("/")
TOKEN = os.environ.get("VAULT_TOKEN", "root")


def call(method, path, body, token=TOKEN):
    request = urllib.request.Request(
        f"{ADDR}/v1/{path}",
        method=method,
        data=json.dumps(body).encode(),
        headers={"X-Vault-Token": token},
    )
    try:
        with urllib.request.urlopen(request) as response:
            text = response.read().decode()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read().decode() or "null")
    except (ConnectionError, urllib.error.URLError):
        return 0, None


def policy_name(case):
    return "corpus-" + case.lower()


def record_verdicts(files):
    lines = []
    for file in files:
        case = os.path.splitext(file)[0]
        with open(os.path.join(CORPUS, file), encoding="utf-8", newline="") as f:
            text = f.read()
        status, body = call("PUT", f"sys/policies/acl/{policy_name(case)}", {"policy": text})
        verdict = "accept" if status == 204 else "reject"
        lines.append(f"{case} {verdict}")
        print(f"{case}: {verdict} {status} {json.dumps(body) if body else ''}")
    with open(os.path.join(CORPUS, "verdicts.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def capabilities_of(case, paths):
    status, body = call(
        "POST",
        "auth/token/create",
        {"policies": [policy_name(case)], "no_default_policy": True, "ttl": "10m"},
    )
    assert status == 200, (case, status, body)
    token = body["auth"]["client_token"]
    status, body = call("POST", "sys/capabilities", {"token": token, "paths": paths})
    assert status == 200, (case, status, body)
    return {path: ",".join(sorted(body["data"][path])) for path in paths}


def record_capabilities():
    manifest = os.path.join(CORPUS, "capabilities.txt")
    with open(manifest) as f:
        wanted = [line.split()[:2] for line in f if line.strip()]
    by_case = {}
    for case, path in wanted:
        by_case.setdefault(case, []).append(path)
    found = {case: capabilities_of(case, paths) for case, paths in by_case.items()}
    with open(manifest, "w") as f:
        for case, path in wanted:
            f.write(f"{case} {path} {found[case][path]}\n")


def main():
    files = sorted(
        name for name in os.listdir(CORPUS) if name.endswith((".hcl", ".json"))
    )
    record_verdicts(files)
    if os.path.exists(os.path.join(CORPUS, "capabilities.txt")):
        record_capabilities()


if __name__ == "__main__":
    sys.exit(main())
