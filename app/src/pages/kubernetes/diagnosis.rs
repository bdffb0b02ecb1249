//! "Can this pod read it?", explained: the test login's report turned into the steps Vault
//! goes through, in its order — the pod's token, the role's bindings, TokenReview, the
//! policies, the capability on the path — with the step that failed and its likely fix.

use serde_json::Value;
use vaultdeck_policy::{names_a_kv2_area, Acl, Capability, MountHint, Policy};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    /// Not reached because an earlier step failed.
    Skipped,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub title: &'static str,
    pub outcome: Outcome,
    pub detail: String,
    pub fix: Option<String>,
}

/// What was asked, and what the role allows.
pub struct Question<'a> {
    pub mount: &'a str,
    pub role: &'a str,
    pub namespace: &'a str,
    pub service_account: &'a str,
    pub path: &'a str,
    pub capability: Capability,
    pub bound_names: &'a [String],
    pub bound_namespaces: &'a [String],
}

/// The steps for a test-login `report` (the BFF's answer), using the token's policies (as
/// `(name, parsed)`, those the user may read) and the mounts to explain a denial.
pub fn diagnose(
    question: &Question<'_>,
    report: &Value,
    policies: &[(String, Policy)],
    mounts: &[MountHint],
) -> Vec<Step> {
    let mut steps = Vec::new();
    let subject = format!(
        "system:serviceaccount:{}:{}",
        question.namespace, question.service_account
    );
    let token_request = &report["token_request"];
    if token_request["ok"].as_bool() != Some(true) {
        let error = token_request["error"]
            .as_str()
            .unwrap_or("no answer")
            .to_string();
        let fix = error.contains("not found").then(|| {
            format!(
                "The service account {} does not exist in namespace {}: create it (kubectl create serviceaccount {} -n {}) or pick an existing one.",
                question.service_account, question.namespace, question.service_account, question.namespace
            )
        });
        steps.push(failed(
            "Service account token",
            format!("The cluster refused a token for {subject}: {error}"),
            fix,
        ));
        return finish(steps);
    }
    steps.push(passed(
        "Service account token",
        format!("The cluster issued a short-lived token for {subject}."),
    ));

    let login = &report["login"];
    if login["ok"].as_bool() != Some(true) {
        let error = errors_text(&login["errors"]);
        let (at_role_match, fix) = login_failure(question, &error);
        if at_role_match {
            steps.push(failed(
                "Role match",
                format!("Vault refused the login: {error}"),
                Some(fix),
            ));
        } else {
            steps.push(passed("Role match", role_match_text(question)));
            steps.push(failed(
                "TokenReview",
                format!("Vault refused the login: {error}"),
                Some(fix),
            ));
        }
        return finish(steps);
    }
    steps.push(passed("Role match", role_match_text(question)));
    steps.push(passed(
        "TokenReview",
        "The cluster confirmed the token to Vault.".into(),
    ));

    let token = &report["token"];
    let names = strings(&token["policies"]);
    let ttl = token["ttl"].as_u64().unwrap_or(0);
    let policies_detail = format!(
        "Vault issued a token with the policies {} (TTL {}).",
        names.join(", "),
        crate::durations::format(ttl)
    );
    if names.iter().all(|n| n == "default") {
        steps.push(failed(
            "Policies",
            policies_detail,
            Some(format!("The role {} gives no policy beyond “default”: add the policy that grants the path to the role.", question.role)),
        ));
        return finish(steps);
    }
    steps.push(passed("Policies", policies_detail));

    let granted = strings(&report["capabilities"][question.path]);
    let wanted = question.capability.as_str();
    let detail = format!(
        "On {}: {}.",
        question.path,
        if granted.is_empty() {
            "no answer".to_string()
        } else {
            granted.join(", ")
        }
    );
    if granted.iter().any(|c| c == wanted || c == "root") {
        steps.push(passed("Capability on the path", detail));
    } else {
        let fix = capability_fix(question, policies, mounts);
        steps.push(failed("Capability on the path", detail, Some(fix)));
    }
    finish(steps)
}

fn passed(title: &'static str, detail: String) -> Step {
    Step {
        title,
        outcome: Outcome::Passed,
        detail,
        fix: None,
    }
}

fn failed(title: &'static str, detail: String, fix: Option<String>) -> Step {
    Step {
        title,
        outcome: Outcome::Failed,
        detail,
        fix,
    }
}

/// Adds the steps not reached, so the list always shows the whole way.
fn finish(mut steps: Vec<Step>) -> Vec<Step> {
    const ALL: [&str; 5] = [
        "Service account token",
        "Role match",
        "TokenReview",
        "Policies",
        "Capability on the path",
    ];
    for title in ALL.iter().skip(steps.len()) {
        steps.push(Step {
            title,
            outcome: Outcome::Skipped,
            detail: "Not reached.".into(),
            fix: None,
        });
    }
    steps
}

/// The strings of a JSON array (none when it is not one).
pub fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn errors_text(errors: &Value) -> String {
    let all: Vec<String> = strings(errors)
        .iter()
        .map(|m| crate::api::unwrap_multierror(m))
        .collect();
    if all.is_empty() {
        "no reason given".into()
    } else {
        all.join("; ")
    }
}

fn role_match_text(question: &Question<'_>) -> String {
    format!(
        "{} in {} is bound to the role {} (names: {}; namespaces: {}).",
        question.service_account,
        question.namespace,
        question.role,
        question.bound_names.join(", "),
        question.bound_namespaces.join(", ")
    )
}

/// Whether a failed login failed at the role's bindings (else at TokenReview or the
/// method's configuration), and the likely fix, from Vault's error text.
fn login_failure(question: &Question<'_>, error: &str) -> (bool, String) {
    let q = question;
    if error.contains("service account name not authorized") {
        return (true, format!(
            "The role {} allows the service accounts {}; {} is not one of them. Add it to the role's bound service account names, or run the pod as one of those.",
            q.role, q.bound_names.join(", "), q.service_account
        ));
    }
    if error.contains("namespace not authorized") {
        return (true, format!(
            "The pod runs in namespace {}, but the role {} allows only {}. Add {} to the role's bound namespaces, or run the pod in one of those.",
            q.namespace, q.role, q.bound_namespaces.join(", "), q.namespace
        ));
    }
    if error.contains("invalid role name") {
        return (
            true,
            format!(
                "There is no role {} on auth/{}: save the role first.",
                q.role, q.mount
            ),
        );
    }
    if error.contains("audience") {
        return (true, "The role's audience does not match the audiences of the pod's token: request the token for the role's audience, or clear the role's audience.".into());
    }
    if error.contains("backend configuration") || error.contains("/var/run/secrets") {
        return (false, format!(
            "The method at auth/{} is not configured for this cluster: set its Kubernetes host and CA certificate (“Use this cluster” on its configuration page).",
            q.mount
        ));
    }
    (false, format!(
        "Vault could not confirm the token with the cluster's TokenReview API. Check the method's Kubernetes host and CA certificate on auth/{}/config, and that the reviewer JWT (or, without one, the pod's own token) belongs to a service account bound to system:auth-delegator.",
        q.mount
    ))
}

/// Why the policies do not give the capability on the path, as a fix to make.
fn capability_fix(
    question: &Question<'_>,
    policies: &[(String, Policy)],
    mounts: &[MountHint],
) -> String {
    let path = question.path;
    let wanted = question.capability;
    let kv2 = mounts
        .iter()
        .find(|m| m.kv_version == Some(2) && path.starts_with(m.path.as_str()));
    if let Some(mount) = kv2 {
        let rest = &path[mount.path.len()..];
        if !names_a_kv2_area(rest) {
            return format!(
                "{} is a KV version 2 mount: pods read {}data/{rest}, so ask about that path (and write the policy for it).",
                mount.path, mount.path
            );
        }
        if let Some(secret) = rest.strip_prefix("data/") {
            let v1_style = format!("{}{secret}", mount.path);
            for (name, policy) in policies {
                if let Some(rule) = granting_rule(policy, &v1_style, wanted) {
                    return format!(
                        "The policy {name} grants {} on “{rule}”, a path without data/. On a KV version 2 mount the rule must name {}data/{}.",
                        wanted.as_str(),
                        mount.path,
                        rule.strip_prefix(mount.path.as_str()).unwrap_or(&rule)
                    );
                }
            }
        }
    }
    for (name, policy) in policies {
        let decision = Acl::new(std::iter::once(policy)).capabilities(path);
        if let Some(rule) = decision.rule.clone().filter(|_| !decision.allows(wanted)) {
            return format!(
                "The policy {name}'s rule “{rule}” matches {path} but gives {} — not {}. Add “{}” to that rule's capabilities.",
                decision.reported().join(", "),
                wanted.as_str(),
                wanted.as_str()
            );
        }
    }
    let names: Vec<&str> = policies.iter().map(|(n, _)| n.as_str()).collect();
    // What the role's own policies do cover ("default" is the same everywhere: left out).
    let covered: Vec<String> = policies
        .iter()
        .filter(|(name, _)| name != "default")
        .flat_map(|(_, p)| p.rules.iter().map(|r| r.path.clone()))
        .collect();
    let mut fix = format!(
        "None of the token's policies{} has a rule for {path}. Add path \"{path}\" {{ capabilities = [\"{}\"] }} to the role's policy, or bind the role to a policy that has it.",
        if names.is_empty() { String::new() } else { format!(" ({})", names.join(", ")) },
        wanted.as_str()
    );
    if !covered.is_empty() {
        fix.push_str(&format!(" They cover: {}.", covered.join(", ")));
    }
    fix
}

/// The rule of `policy` that gives `capability` on `path`, if one does.
fn granting_rule(policy: &Policy, path: &str, capability: Capability) -> Option<String> {
    let decision = Acl::new(std::iter::once(policy)).capabilities(path);
    decision
        .rule
        .clone()
        .filter(|_| decision.allows(capability))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use vaultdeck_policy::parse;

    fn question<'a>(path: &'a str, names: &'a [String], namespaces: &'a [String]) -> Question<'a> {
        Question {
            mount: "kubernetes",
            role: "webapp-one",
            namespace: "default",
            service_account: "webapp-one",
            path,
            capability: Capability::Read,
            bound_names: names,
            bound_namespaces: namespaces,
        }
    }

    fn kv2() -> Vec<MountHint> {
        vec![MountHint {
            path: "kv/".into(),
            kind: "kv".into(),
            kv_version: Some(2),
        }]
    }

    fn logged_in(path: &str, capabilities: Value) -> Value {
        json!({
            "token_request": { "ok": true },
            "login": { "ok": true, "status": 200, "errors": [] },
            "token": { "policies": ["default", "webapp-one-read"], "ttl": 3600 },
            "capabilities": { path: capabilities },
        })
    }

    fn outcomes(steps: &[Step]) -> Vec<Outcome> {
        steps.iter().map(|s| s.outcome).collect()
    }

    #[test]
    fn an_allowed_read_passes_every_step() {
        let (names, spaces) = (vec!["webapp-one".to_string()], vec!["default".to_string()]);
        let q = question("kv/data/webapps/app_one", &names, &spaces);
        let steps = diagnose(&q, &logged_in(q.path, json!(["read"])), &[], &kv2());
        assert_eq!(outcomes(&steps), vec![Outcome::Passed; 5]);
    }

    #[test]
    fn a_policy_without_data_is_named_as_the_fix() {
        let (names, spaces) = (vec!["webapp-one".to_string()], vec!["default".to_string()]);
        let q = question("kv/data/webapps/app_one", &names, &spaces);
        let policy = parse(r#"path "kv/webapps/app_one" { capabilities = ["read"] }"#).unwrap();
        let steps = diagnose(
            &q,
            &logged_in(q.path, json!(["deny"])),
            &[("webapp-one-read".into(), policy)],
            &kv2(),
        );
        assert_eq!(steps[4].outcome, Outcome::Failed);
        let fix = steps[4].fix.clone().unwrap();
        assert!(
            fix.contains("webapp-one-read") && fix.contains("kv/data/webapps/app_one"),
            "{fix}"
        );
    }

    #[test]
    fn another_apps_secret_says_no_rule_covers_it() {
        let (names, spaces) = (vec!["webapp-one".to_string()], vec!["default".to_string()]);
        let q = question("kv/data/webapps/app_two", &names, &spaces);
        let policy =
            parse(r#"path "kv/data/webapps/app_one" { capabilities = ["read"] }"#).unwrap();
        let steps = diagnose(
            &q,
            &logged_in(q.path, json!(["deny"])),
            &[("webapp-one-read".into(), policy)],
            &kv2(),
        );
        let fix = steps[4].fix.clone().unwrap();
        assert!(
            fix.contains("None of the token's policies") && fix.contains("kv/data/webapps/app_one"),
            "{fix}"
        );
    }

    #[test]
    fn a_path_without_data_on_kv2_is_pointed_out() {
        let (names, spaces) = (vec!["webapp-one".to_string()], vec!["default".to_string()]);
        let q = question("kv/webapps/app_one", &names, &spaces);
        let steps = diagnose(&q, &logged_in(q.path, json!(["deny"])), &[], &kv2());
        assert!(steps[4]
            .fix
            .clone()
            .unwrap()
            .contains("kv/data/webapps/app_one"));
    }

    #[test]
    fn a_wrong_namespace_fails_at_the_role_match() {
        let (names, spaces) = (vec!["webapp-one".to_string()], vec!["apps".to_string()]);
        let q = question("kv/data/webapps/app_one", &names, &spaces);
        let report = json!({
            "token_request": { "ok": true },
            "login": { "ok": false, "status": 403, "errors": ["namespace not authorized"] },
        });
        let steps = diagnose(&q, &report, &[], &kv2());
        assert_eq!(
            outcomes(&steps),
            vec![
                Outcome::Passed,
                Outcome::Failed,
                Outcome::Skipped,
                Outcome::Skipped,
                Outcome::Skipped
            ]
        );
        assert!(steps[1]
            .fix
            .clone()
            .unwrap()
            .contains("Add default to the role's bound namespaces"));
    }

    #[test]
    fn permission_denied_fails_at_token_review() {
        let (names, spaces) = (vec!["*".to_string()], vec!["*".to_string()]);
        let q = question("kv/data/x", &names, &spaces);
        let report = json!({
            "token_request": { "ok": true },
            "login": { "ok": false, "status": 403, "errors": ["permission denied"] },
        });
        let steps = diagnose(&q, &report, &[], &kv2());
        assert_eq!(steps[2].outcome, Outcome::Failed);
        assert!(steps[2]
            .fix
            .clone()
            .unwrap()
            .contains("system:auth-delegator"));
    }

    #[test]
    fn a_missing_service_account_fails_first() {
        let (names, spaces) = (vec!["*".to_string()], vec!["*".to_string()]);
        let q = question("kv/data/x", &names, &spaces);
        let report = json!({ "token_request": { "ok": false, "error": "Kubernetes: serviceaccounts \"webapp-one\" not found" } });
        let steps = diagnose(&q, &report, &[], &kv2());
        assert_eq!(steps[0].outcome, Outcome::Failed);
        assert!(steps[0]
            .fix
            .clone()
            .unwrap()
            .contains("kubectl create serviceaccount"));
        assert_eq!(steps.len(), 5);
    }
}
