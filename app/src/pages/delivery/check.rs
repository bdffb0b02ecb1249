//! "Checked before it is shown": the role's audience against what the manifests present,
//! then the test login of "Can this pod read it?" — a real login as the service account —
//! for every secret's API path. Any failing step stops the generation.

use super::draft::audience_check;
use crate::{
    api::ApiError,
    delivery::Plan,
    pages::kubernetes::{
        cluster,
        pod_check::{explain, Finding},
        read_role,
        role_form::RoleDraft,
        Role,
    },
    wire::k8s::TestLoginRequest,
};
use vaultdeck_policy::Capability;

/// What the check found.
#[derive(Clone)]
pub enum Verdict {
    /// The role wants another audience than the manifests would present: the fix, in words.
    Audience(String),
    /// One finding per secret, in the plan's order (with the API path each was asked about).
    Findings(Vec<(String, Finding)>),
}

impl Verdict {
    pub fn passed(&self) -> bool {
        match self {
            Verdict::Audience(_) => false,
            Verdict::Findings(findings) => findings.iter().all(|(_, f)| f.passed()),
        }
    }
}

/// Runs the checks for `plan`; an error only when one could not run at all.
pub async fn check(plan: &Plan) -> Result<Verdict, ApiError> {
    let role = read_role(&plan.auth_mount, &plan.role).await?;
    if let Err(fix) = audience_check(&plan.role, &role.audience, plan.audience_value()) {
        return Ok(Verdict::Audience(fix));
    }
    let request = TestLoginRequest {
        mount: plan.auth_mount.clone(),
        role: plan.role.clone(),
        namespace: plan.namespace.clone(),
        service_account: plan.service_account.clone(),
        paths: plan.secrets.iter().map(|s| s.api_path()).collect(),
    };
    Ok(Verdict::Findings(read_findings(&request, &role).await?))
}

/// Logs in as `request`'s service account and explains, for each of its paths, whether the
/// login may read it: one finding per path, in order. Also the Workloads check's.
pub async fn read_findings(
    request: &TestLoginRequest,
    role: &Role,
) -> Result<Vec<(String, Finding)>, ApiError> {
    // One login answers for every path: its report holds the capabilities of each.
    let report = cluster::test_login(request).await?;
    let draft = RoleDraft::from_role(role);
    let mut findings = Vec::new();
    for path in &request.paths {
        let one = TestLoginRequest {
            paths: vec![path.clone()],
            ..request.clone()
        };
        let finding = explain(&one, &draft, Capability::Read, &report).await;
        findings.push((path.clone(), finding));
    }
    Ok(findings)
}
