//! `POST api/k8s/token-abilities`: what a service-account token may do in the cluster —
//! "can this token list pods in default?" — asked of the API server with that token itself
//! (SelfSubjectRulesReview; SelfSubjectAccessReview for one verb and resource). Vaultdeck's
//! own cluster credentials play no part, so the answer is the token's, not Vaultdeck's; the
//! token goes only to the API server Vaultdeck is configured for.

use super::{gate::cluster, kube_error};
use crate::{
    error::ApiError,
    k8s_names,
    session::{CurrentSession, SessionEnd},
    state::AppState,
};
use axum::{extract::State, Json};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    SelfSubjectRulesReview, SelfSubjectRulesReviewSpec,
};
use kube::api::{Api, PostParams};
use vaultdeck_app::wire::k8s::{AccessAnswer, ResourceRule, TokenAbilities, TokenAbilitiesRequest};

pub async fn token_abilities(
    State(state): State<AppState>,
    session: CurrentSession,
    Json(body): Json<TokenAbilitiesRequest>,
) -> Result<Json<TokenAbilities>, ApiError> {
    session
        .0
        .as_ref()
        .ok_or(ApiError::SessionEnded(SessionEnd::Missing))?;
    let namespace = k8s_names::namespace(body.namespace.trim())?.to_string();
    let token = body.token.expose().trim();
    if token.is_empty() {
        return Err(ApiError::BadRequest(
            "a service-account token is required".into(),
        ));
    }
    let client = cluster(&state)?
        .client_as(token)
        .map_err(|e| ApiError::Unavailable(format!("The cluster client failed: {e}")))?;
    let rules = rules_in(&client, &namespace).await?;
    let access = match (&body.verb, &body.resource) {
        (Some(verb), Some(resource)) if !verb.trim().is_empty() && !resource.trim().is_empty() => {
            Some(may(&client, &namespace, verb.trim(), resource.trim()).await?)
        }
        _ => None,
    };
    Ok(Json(TokenAbilities {
        rules: rules.0,
        incomplete: rules.1,
        evaluation_error: rules.2,
        access,
    }))
}

/// The token's rules in `namespace`, whether the list is complete, and why not.
async fn rules_in(
    client: &kube::Client,
    namespace: &str,
) -> Result<(Vec<ResourceRule>, bool, Option<String>), ApiError> {
    let review = SelfSubjectRulesReview {
        spec: SelfSubjectRulesReviewSpec {
            namespace: Some(namespace.to_string()),
        },
        ..SelfSubjectRulesReview::default()
    };
    let answer = Api::<SelfSubjectRulesReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await
        .map_err(dead_or_refused)?;
    let status = answer.status.unwrap_or_default();
    let rules = status
        .resource_rules
        .into_iter()
        .map(|rule| ResourceRule {
            verbs: rule.verbs,
            api_groups: rule.api_groups.unwrap_or_default(),
            resources: rule.resources.unwrap_or_default(),
            resource_names: rule.resource_names.unwrap_or_default(),
        })
        .collect();
    Ok((rules, status.incomplete, status.evaluation_error))
}

/// A 401 means the cluster no longer takes the token — the usual news after a lease ends.
fn dead_or_refused(error: kube::Error) -> ApiError {
    match error {
        kube::Error::Api(status) if status.code == 401 => ApiError::BadRequest(
            "The cluster does not accept this token: it expired, or its lease was revoked.".into(),
        ),
        other => kube_error(other),
    }
}

/// `RESOURCE[/SUBRESOURCE]` with its `.GROUP` after either part (`deployments.apps/scale`,
/// `deployments/scale.apps`): resource, subresource, group.
fn resource_parts(text: &str) -> (&str, &str, &str) {
    let (main, sub) = text.split_once('/').unwrap_or((text, ""));
    let (resource, group_of_main) = main.split_once('.').unwrap_or((main, ""));
    let (subresource, group_of_sub) = sub.split_once('.').unwrap_or((sub, ""));
    let group = if group_of_main.is_empty() {
        group_of_sub
    } else {
        group_of_main
    };
    (resource, subresource, group)
}

/// `VERB RESOURCE[/SUBRESOURCE][.GROUP]` in `namespace`, asked with the client's own
/// credentials (the token's, or Vaultdeck's).
pub(super) async fn may(
    client: &kube::Client,
    namespace: &str,
    verb: &str,
    resource: &str,
) -> Result<AccessAnswer, ApiError> {
    let (resource, subresource, group) = resource_parts(resource);
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(namespace.to_string()),
                verb: Some(verb.to_string()),
                resource: Some(resource.to_string()),
                subresource: Some(subresource.to_string()),
                group: Some(group.to_string()),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let answer = Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await
        .map_err(kube_error)?;
    let status = answer.status.unwrap_or_default();
    Ok(AccessAnswer {
        allowed: status.allowed,
        reason: status.reason.filter(|r| !r.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::resource_parts;

    #[test]
    fn the_group_may_follow_the_resource_or_its_subresource() {
        assert_eq!(resource_parts("pods"), ("pods", "", ""));
        assert_eq!(
            resource_parts("serviceaccounts/token"),
            ("serviceaccounts", "token", "")
        );
        assert_eq!(
            resource_parts("deployments.apps"),
            ("deployments", "", "apps")
        );
        assert_eq!(
            resource_parts("deployments.apps/scale"),
            ("deployments", "scale", "apps")
        );
        assert_eq!(
            resource_parts("deployments/scale.apps"),
            ("deployments", "scale", "apps")
        );
        assert_eq!(
            resource_parts("roles.rbac.authorization.k8s.io"),
            ("roles", "", "rbac.authorization.k8s.io")
        );
    }
}
