//! The life of a session: begun at login, resumed on each request (ending it when its token
//! expires, it idles too long, or Vault no longer knows the token), renewed at half-life
//! while the user is active, ended at logout.

use super::{
    now_unix, session_ids_from, Keep, SessionId, SessionRecord, SessionStore, SeveralSessionCookies,
};
use crate::{error::ApiError, state::AppState, vault::VaultClient};
use axum::{extract::FromRequestParts, http::request::Parts};
use std::time::Duration;

/// Why a request's session is over; the 401 says which (its words are shared with the app).
pub use vaultdeck_app::wire::SessionEnd;

/// Who made a request: the user, or the app on its own (polling).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    User,
    Background,
}

/// The header the app sets on requests it makes on its own.
pub const ACTIVITY_HEADER: &str = "x-vaultdeck-activity";

impl Activity {
    fn of(parts: &Parts) -> Activity {
        match parts.headers.get(ACTIVITY_HEADER) {
            Some(value) if value == "background" => Activity::Background,
            _ => Activity::User,
        }
    }
}

pub struct ActiveSession {
    pub id: SessionId,
    pub record: SessionRecord,
}

/// Activity is written back at most this often, not on every request (sooner when the
/// idle timeout is short: a quarter of it).
const TOUCH_EVERY: i64 = 15;

/// Records stay in the store this long after the session is over, so that the next
/// request can be told why (expired, idle) instead of only "not logged in". `resume`
/// refuses them all the same.
const REMEMBER_WHY: Duration = Duration::from_secs(600);

/// More session cookies than deployments sharing a host name plausibly set.
pub const MOST_SESSION_COOKIES: usize = 4;

/// How many sessions one Vault token may hold at once; a login past it ends the token's
/// oldest. A token login costs Vault nothing new, so without a bound one token could fill
/// the store. Generous: a class sharing a lab's root token still fits.
pub const MOST_SESSIONS_PER_TOKEN: usize = 64;

pub struct Sessions {
    pub store: SessionStore,
    pub idle_timeout: Duration,
}

impl Sessions {
    /// How long the store keeps a record: until it idles out or its token expires, and a
    /// little longer to remember why; and its token's index: as long as any record can be
    /// kept from now.
    fn keep(&self, record: &SessionRecord, now: i64) -> Keep {
        let idle = self.idle_timeout;
        let lifetime = match record.expire_time {
            Some(expiry) => idle.min(Duration::from_secs((expiry - now).max(1) as u64)),
            None => idle,
        };
        Keep {
            record: lifetime + REMEMBER_WHY,
            index: idle + REMEMBER_WHY,
        }
    }

    pub async fn begin(&self, record: SessionRecord) -> Result<SessionId, ApiError> {
        let id = SessionId::generate();
        let ended = self
            .store
            .admit(
                &id,
                &record,
                self.keep(&record, now_unix()),
                MOST_SESSIONS_PER_TOKEN,
            )
            .await
            .map_err(store_error)?;
        if ended > 0 {
            tracing::info!(
                ended,
                "a token's oldest sessions ended: it may hold {MOST_SESSIONS_PER_TOKEN}"
            );
        }
        Ok(id)
    }

    pub async fn end(&self, id: &SessionId) -> Result<(), ApiError> {
        self.store.delete(id).await.map_err(store_error)
    }

    /// Which of the request's session ids to go by. Only ids this store knows count (live,
    /// or remembered as ended): another deployment's cookie on the same host name is
    /// ignored, but two of ours — one of them planted by a sibling host, whose longer path
    /// makes the browser send it first — are refused rather than chosen between. More than
    /// a handful are refused unread: each costs a store read.
    pub async fn named_by(&self, mut ids: Vec<SessionId>) -> Result<Option<SessionId>, ApiError> {
        if ids.len() <= 1 {
            return Ok(ids.pop());
        }
        if ids.len() > MOST_SESSION_COOKIES {
            return Err(SeveralSessionCookies.into());
        }
        let mut known = None;
        for id in &ids {
            if self.store.load(id).await.map_err(store_error)?.is_some() {
                if known.is_some() {
                    return Err(SeveralSessionCookies.into());
                }
                known = Some(id.clone());
            }
        }
        Ok(known.or_else(|| ids.into_iter().next()))
    }

    /// The live session for `id`; or why there is none. A request the user made touches
    /// it and renews its token at half-life; a background one (the app's polling) is only
    /// checked, so an open tab neither keeps a session alive nor renews its token forever.
    pub async fn resume(
        &self,
        id: SessionId,
        vault: &VaultClient,
        activity: Activity,
    ) -> Result<ActiveSession, ApiError> {
        let mut record = self
            .store
            .load(&id)
            .await
            .map_err(store_error)?
            .ok_or(ApiError::SessionEnded(SessionEnd::Missing))?;
        let now = now_unix();
        let ended = if record.expire_time.is_some_and(|t| t <= now) {
            Some(SessionEnd::Expired)
        } else if now - record.last_active > self.idle_timeout.as_secs() as i64 {
            Some(SessionEnd::Idle)
        } else {
            None
        };
        if let Some(end) = ended {
            self.end(&id).await?;
            return Err(ApiError::SessionEnded(end));
        }
        if activity == Activity::Background {
            return Ok(ActiveSession { id, record });
        }
        let touch_every = TOUCH_EVERY.min(self.idle_timeout.as_secs() as i64 / 4);
        let mut changed = now - record.last_active >= touch_every;
        record.last_active = now;
        if record.renewable && now >= record.renewed_at + (record.granted_ttl / 2) as i64 {
            match renew(vault, &record).await {
                Renewal::Renewed { ttl, renewable } => {
                    record.expire_time = Some(now + ttl as i64);
                    record.granted_ttl = ttl;
                    record.renewable = renewable;
                    record.renewed_at = now;
                    changed = true;
                }
                Renewal::TokenInvalid => {
                    self.end(&id).await?;
                    return Err(ApiError::SessionEnded(SessionEnd::Revoked));
                }
                Renewal::CannotRenew => {
                    record.renewable = false;
                    changed = true;
                }
                // Vault unreachable or refusing: keep the session; a later request retries.
                Renewal::NotNow => {}
            }
        }
        if changed {
            self.store
                .save(&id, &record, self.keep(&record, now))
                .await
                .map_err(store_error)?;
        }
        Ok(ActiveSession { id, record })
    }
}

enum Renewal {
    Renewed {
        ttl: u64,
        renewable: bool,
    },
    TokenInvalid,
    /// The token is valid but may not renew itself: stop trying.
    CannotRenew,
    NotNow,
}

async fn renew(vault: &VaultClient, record: &SessionRecord) -> Renewal {
    match vault.renew_self(&record.token).await {
        Ok(auth) => Renewal::Renewed {
            ttl: auth.lease_duration,
            renewable: auth.renewable,
        },
        // 403: either the token is gone, or its policies do not allow renew-self.
        Err(ApiError::Vault { status: 403, .. }) => match vault.token_is_valid(&record.token).await
        {
            Some(false) => Renewal::TokenInvalid,
            _ => Renewal::CannotRenew,
        },
        Err(error) => {
            tracing::warn!("renewing a session's token failed: {error}");
            Renewal::NotNow
        }
    }
}

/// The store's failure is logged with its detail and answered 503: Vaultdeck is up, a part
/// it depends on is not.
fn store_error(error: super::store::StoreError) -> ApiError {
    tracing::error!("{error}");
    ApiError::Unavailable("The session store is unavailable; try again shortly.".into())
}

/// The request's session, if its cookie names one. A cookie whose session is over is an
/// error (401 with the reason), so that the app can send the user back to log in.
pub struct CurrentSession(pub Option<ActiveSession>);

impl FromRequestParts<AppState> for CurrentSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let named = state
            .sessions
            .named_by(session_ids_from(&parts.headers))
            .await?;
        match named {
            None => Ok(CurrentSession(None)),
            Some(id) => state
                .sessions
                .resume(id, &state.vault, Activity::of(parts))
                .await
                .map(|s| CurrentSession(Some(s))),
        }
    }
}
