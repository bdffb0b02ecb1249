//! "Can this pod read it?", explained: the test login's report turned into the steps taken,
//! in order — the role's bindings (checked by Vaultdeck before it asks the cluster for a
//! token, and again by Vault at login), the pod's token, TokenReview, the policies, the
//! capability on the path — with the step that failed and its likely fix.

use crate::wire::k8s::{BindingRefusal, StepResult, TestLoginReport};
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

const ROLE_MATCH: &str = "Role match";
const POD_TOKEN: &str = "Service account token";
const TOKEN_REVIEW: &str = "TokenReview";
const POLICIES: &str = "Policies";
const CAPABILITY: &str = "Capability on the path";
/// The steps, in the order Vaultdeck and Vault take them.
const ALL_STEPS: [&str; 5] = [ROLE_MATCH, POD_TOKEN, TOKEN_REVIEW, POLICIES, CAPABILITY];

/// The steps for a test-login `report` (the BFF's answer), using the token's policies (as
/// `(name, parsed)`, those the user may read) and the mounts to explain a denial.
pub fn diagnose(
    question: &Question<'_>,
    report: &TestLoginReport,
    policies: &[(String, Policy)],
    mounts: &[MountHint],
) -> Vec<Step> {
    let mut steps = Vec::new();
    if let Some(refusal) = report.binding.refusal.filter(|_| !report.binding.ok) {
        let (detail, fix) = binding_failure(question, refusal);
        steps.push(failed(ROLE_MATCH, detail, Some(fix)));
        return finish(steps);
    }
    steps.push(passed(ROLE_MATCH, role_match_text(question)));
    match &report.token_request {
        Some(request) if request.ok => steps.push(passed(POD_TOKEN, pod_token_text(report))),
        Some(request) => {
            steps.push(token_request_failure(question, &report.subject, request));
            return finish(steps);
        }
        None => return finish(steps),
    }
    let Some(login) = &report.login else {
        return finish(steps);
    };
    if !login.ok {
        let error = errors_text(&login.errors);
        let (at_role_match, fix) = login_failure(question, &error);
        let failure = format!("Vault refused the login: {error}");
        if at_role_match {
            steps[0] = failed(ROLE_MATCH, failure, Some(fix));
        } else {
            steps.push(failed(TOKEN_REVIEW, failure, Some(fix)));
        }
        return finish(steps);
    }
    steps.push(passed(
        TOKEN_REVIEW,
        "The cluster confirmed the token to Vault.".into(),
    ));
    let token = report.token.clone().unwrap_or_default();
    let policies_detail = format!(
        "Vault issued a token with the policies {} (TTL {}).",
        token.policies.join(", "),
        crate::durations::format(token.ttl)
    );
    if token.policies.iter().all(|n| n == "default") {
        steps.push(failed(
            POLICIES,
            policies_detail,
            Some(format!("The role {} gives no policy beyond “default”: add the policy that grants the path to the role.", question.role)),
        ));
        return finish(steps);
    }
    steps.push(passed(POLICIES, policies_detail));

    let granted = report
        .capabilities
        .get(question.path)
        .cloned()
        .unwrap_or_default();
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
        steps.push(passed(CAPABILITY, detail));
    } else {
        let fix = capability_fix(question, policies, mounts);
        steps.push(failed(CAPABILITY, detail, Some(fix)));
    }
    finish(steps)
}

/// How weak Vaultdeck made the pod's token, in words.
fn pod_token_text(report: &TestLoginReport) -> String {
    let Some(token) = &report.pod_token else {
        return format!(
            "The cluster issued a short-lived token for {}.",
            report.subject
        );
    };
    let audience = if token.audiences.is_empty() {
        "the API server's default audience".to_string()
    } else {
        format!("the audience {}", token.audiences.join(", "))
    };
    format!(
        "The cluster issued a token for {} ({audience}, valid {} s, bound to {}, which Vaultdeck deleted after the check).",
        report.subject, token.expiration_seconds, token.bound_to
    )
}

fn token_request_failure(question: &Question<'_>, subject: &str, request: &StepResult) -> Step {
    let error = request.error.clone().unwrap_or_else(|| "no answer".into());
    let fix = error.contains("not found").then(|| {
        format!(
            "The service account {} does not exist in namespace {}: create it (kubectl create serviceaccount {} -n {}) or pick an existing one.",
            question.service_account, question.namespace, question.service_account, question.namespace
        )
    });
    failed(POD_TOKEN, format!("No token for {subject}: {error}"), fix)
}

/// Why Vaultdeck would not mint a token for the account, and the fix.
fn binding_failure(question: &Question<'_>, refusal: BindingRefusal) -> (String, String) {
    let q = question;
    let detail = format!(
        "The role {} does not bind {} in {} (names: {}; namespaces: {}), so Vaultdeck asked the cluster for no token.",
        q.role, q.service_account, q.namespace, q.bound_names.join(", "), q.bound_namespaces.join(", ")
    );
    let fix = match refusal {
        BindingRefusal::NoRole => format!("There is no role {} on auth/{}: save the role first.", q.role, q.mount),
        BindingRefusal::NamespaceNotBound => namespace_fix(q),
        BindingRefusal::NameNotBound => name_fix(q),
        BindingRefusal::AccountMissing => format!(
            "The role binds {} in {} only through a wildcard, and that service account does not exist: create it (kubectl create serviceaccount {} -n {}) or pick one that exists.",
            q.service_account, q.namespace, q.service_account, q.namespace
        ),
    };
    (detail, fix)
}

fn name_fix(q: &Question<'_>) -> String {
    format!(
        "The role {} allows the service accounts {}; {} is not one of them. Add it to the role's bound service account names, or run the pod as one of those.",
        q.role, q.bound_names.join(", "), q.service_account
    )
}

fn namespace_fix(q: &Question<'_>) -> String {
    format!(
        "The pod runs in namespace {}, but the role {} allows only {}. Add {} to the role's bound namespaces, or run the pod in one of those.",
        q.namespace, q.role, q.bound_namespaces.join(", "), q.namespace
    )
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

/// Every step in order, those not reached marked so: the list always shows the whole way.
fn finish(steps: Vec<Step>) -> Vec<Step> {
    ALL_STEPS
        .iter()
        .map(|title| {
            steps
                .iter()
                .find(|s| s.title == *title)
                .cloned()
                .unwrap_or_else(|| Step {
                    title,
                    outcome: Outcome::Skipped,
                    detail: "Not reached.".into(),
                    fix: None,
                })
        })
        .collect()
}

fn errors_text(errors: &[String]) -> String {
    let all: Vec<String> = errors
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
        return (true, name_fix(q));
    }
    if error.contains("namespace not authorized") {
        return (true, namespace_fix(q));
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
    use crate::wire::k8s::{BindingCheck, LoginStep, PodToken, TestLoginReport};
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

    fn bound() -> BindingCheck {
        BindingCheck {
            ok: true,
            ..BindingCheck::default()
        }
    }

    fn minted() -> TestLoginReport {
        TestLoginReport {
            subject: "system:serviceaccount:default:webapp-one".into(),
            binding: bound(),
            token_request: Some(StepResult {
                ok: true,
                error: None,
            }),
            pod_token: Some(PodToken {
                audiences: vec![],
                expiration_seconds: 600,
                bound_to: "Secret default/vaultdeck-login-check-x".into(),
            }),
            ..TestLoginReport::default()
        }
    }

    fn refused_login(error: &str) -> TestLoginReport {
        TestLoginReport {
            login: Some(LoginStep {
                ok: false,
                status: 403,
                errors: vec![error.into()],
            }),
            ..minted()
        }
    }

    fn logged_in(path: &str, capabilities: &[&str]) -> TestLoginReport {
        TestLoginReport {
            login: Some(LoginStep {
                ok: true,
                status: 200,
                errors: vec![],
            }),
            token: Some(crate::wire::k8s::IssuedToken {
                policies: vec!["default".into(), "webapp-one-read".into()],
                ttl: 3600,
                ..Default::default()
            }),
            capabilities: [(
                path.to_string(),
                capabilities.iter().map(|c| c.to_string()).collect(),
            )]
            .into_iter()
            .collect(),
            ..minted()
        }
    }

    fn outcomes(steps: &[Step]) -> Vec<Outcome> {
        steps.iter().map(|s| s.outcome).collect()
    }

    #[test]
    fn an_allowed_read_passes_every_step() {
        let (names, spaces) = (vec!["webapp-one".to_string()], vec!["default".to_string()]);
        let q = question("kv/data/webapps/app_one", &names, &spaces);
        let steps = diagnose(&q, &logged_in(q.path, &["read"]), &[], &kv2());
        assert_eq!(outcomes(&steps), vec![Outcome::Passed; 5]);
    }

    #[test]
    fn a_policy_without_data_is_named_as_the_fix() {
        let (names, spaces) = (vec!["webapp-one".to_string()], vec!["default".to_string()]);
        let q = question("kv/data/webapps/app_one", &names, &spaces);
        let policy = parse(r#"path "kv/webapps/app_one" { capabilities = ["read"] }"#).unwrap();
        let steps = diagnose(
            &q,
            &logged_in(q.path, &["deny"]),
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
            &logged_in(q.path, &["deny"]),
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
        let steps = diagnose(&q, &logged_in(q.path, &["deny"]), &[], &kv2());
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
        let steps = diagnose(&q, &refused_login("namespace not authorized"), &[], &kv2());
        assert_eq!(
            outcomes(&steps),
            vec![
                Outcome::Failed,
                Outcome::Passed,
                Outcome::Skipped,
                Outcome::Skipped,
                Outcome::Skipped
            ]
        );
        assert!(steps[0]
            .fix
            .clone()
            .unwrap()
            .contains("Add default to the role's bound namespaces"));
    }

    #[test]
    fn permission_denied_fails_at_token_review() {
        let (names, spaces) = (vec!["*".to_string()], vec!["*".to_string()]);
        let q = question("kv/data/x", &names, &spaces);
        let steps = diagnose(&q, &refused_login("permission denied"), &[], &kv2());
        assert_eq!(steps[2].outcome, Outcome::Failed);
        assert!(steps[2]
            .fix
            .clone()
            .unwrap()
            .contains("system:auth-delegator"));
    }

    #[test]
    fn a_missing_service_account_fails_at_the_pod_token() {
        let (names, spaces) = (vec!["webapp-one".to_string()], vec!["default".to_string()]);
        let q = question("kv/data/x", &names, &spaces);
        let report = TestLoginReport {
            token_request: Some(StepResult {
                ok: false,
                error: Some("Kubernetes: serviceaccounts \"webapp-one\" not found".into()),
            }),
            pod_token: None,
            ..minted()
        };
        let steps = diagnose(&q, &report, &[], &kv2());
        assert_eq!(steps[1].outcome, Outcome::Failed);
        assert!(steps[1]
            .fix
            .clone()
            .unwrap()
            .contains("kubectl create serviceaccount"));
        assert_eq!(steps.len(), 5);
    }

    #[test]
    fn an_account_the_role_does_not_bind_gets_no_token() {
        let (names, spaces) = (vec!["webapp-one".to_string()], vec!["default".to_string()]);
        let mut q = question("kv/data/x", &names, &spaces);
        q.service_account = "webapp-two";
        let report = TestLoginReport {
            binding: BindingCheck {
                ok: false,
                refusal: Some(BindingRefusal::NameNotBound),
                ..BindingCheck::default()
            },
            ..TestLoginReport::default()
        };
        let steps = diagnose(&q, &report, &[], &kv2());
        assert_eq!(
            outcomes(&steps),
            vec![
                Outcome::Failed,
                Outcome::Skipped,
                Outcome::Skipped,
                Outcome::Skipped,
                Outcome::Skipped
            ]
        );
        assert!(steps[0]
            .fix
            .clone()
            .unwrap()
            .contains("webapp-two is not one of them"));
    }
}
