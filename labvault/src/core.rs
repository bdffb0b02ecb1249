//! The core: seal state, and the path every request takes — route it to the mount that
//! serves it, authenticate its token, decide create-or-update, check the ACL (with `sudo`
//! for root-protected paths), then let the mount's backend answer.

use crate::{
    backends,
    leases::Leases,
    mounts::{MountEntry, MountTables, Table},
    policies::PolicyCache,
    reply::{Reply, SecretReply, VaultError, VaultResult},
    request::{Operation, Request},
    seal::barrier::Barrier,
    storage::Physical,
    sys,
    tokens::{TokenEntry, TokenStore},
};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use vaultdeck_policy::{Acl, Capability};

pub const SEAL_CONFIG_PATH: &str = "core/seal-config";
const CLUSTER_PATH: &str = "core/cluster";

/// `core/seal-config`: kept outside the barrier, as Vault does, so a sealed server knows
/// how many shares it needs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SealConfig {
    #[serde(rename = "type")]
    pub kind: String,
    pub secret_shares: u8,
    pub secret_threshold: u8,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClusterInfo {
    pub name: String,
    pub id: String,
}

/// Key shares entered so far in the current unseal attempt.
#[derive(Default)]
pub struct UnsealProgress {
    pub shares: Vec<Vec<u8>>,
    pub nonce: String,
}

enum SealState {
    Sealed(UnsealProgress),
    Unsealed(Arc<Unsealed>),
}

/// Everything that exists only while unsealed.
pub struct Unsealed {
    pub barrier: Barrier,
    pub mounts: RwLock<MountTables>,
    pub policies: PolicyCache,
    pub cluster: ClusterInfo,
    pub leases: Leases,
    /// Serialises read-modify-write sequences (KV versions, token use counts, tables).
    pub writes: Mutex<()>,
}

impl Unsealed {
    pub fn open(barrier: Barrier) -> Result<Unsealed, VaultError> {
        let mounts = MountTables::load(&barrier)?;
        let cluster = barrier
            .get_json(CLUSTER_PATH)?
            .ok_or_else(|| VaultError::internal("cluster information is missing from storage"))?;
        let leases = Leases::restore(&barrier)?;
        Ok(Unsealed {
            barrier,
            mounts: RwLock::new(mounts),
            policies: PolicyCache::default(),
            cluster,
            leases,
            writes: Mutex::new(()),
        })
    }

    pub fn tokens(&self) -> TokenStore<'_> {
        TokenStore {
            barrier: &self.barrier,
            leases: &self.leases,
        }
    }

    pub fn acl(&self, token: &TokenEntry) -> VaultResult<Acl> {
        Ok(self.policies.acl_for(&self.barrier, &token.policies)?)
    }

    pub fn write_cluster(barrier: &Barrier) -> VaultResult<ClusterInfo> {
        let id = uuid::Uuid::new_v4().to_string();
        let cluster = ClusterInfo {
            name: format!("vault-cluster-{}", &id[..8]),
            id,
        };
        barrier.put_json(CLUSTER_PATH, &cluster)?;
        Ok(cluster)
    }
}

/// A request's authenticated token.
#[derive(Clone)]
pub struct Caller {
    pub token: String,
    pub entry: TokenEntry,
}

/// Where a request goes.
pub enum Route {
    System {
        rest: String,
    },
    Mount {
        table: Table,
        mount: MountEntry,
        rest: String,
    },
}

impl Route {
    pub fn mount_type(&self) -> String {
        match self {
            Route::System { .. } => "system".into(),
            Route::Mount { mount, .. } => mount.kind.clone(),
        }
    }
}

/// Everything a backend handler may use.
pub struct Ctx<'a> {
    pub core: &'a Core,
    pub vault: &'a Arc<Unsealed>,
    pub caller: Option<&'a Caller>,
    pub request: &'a Request,
}

impl Ctx<'_> {
    /// The caller's token, for handlers that need one even on unauthenticated paths.
    pub fn caller(&self) -> VaultResult<&Caller> {
        self.caller.ok_or_else(VaultError::permission_denied)
    }
}

pub struct Core {
    pub physical: Arc<dyn Physical>,
    state: RwLock<SealState>,
    pub storage_type: &'static str,
}

impl Core {
    pub fn new(physical: Arc<dyn Physical>, storage_type: &'static str) -> Core {
        Core {
            physical,
            state: RwLock::new(SealState::Sealed(UnsealProgress::default())),
            storage_type,
        }
    }

    pub fn seal_config(&self) -> VaultResult<Option<SealConfig>> {
        match self.physical.get(SEAL_CONFIG_PATH)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| VaultError::internal(format!("seal configuration is corrupt: {e}"))),
        }
    }

    pub fn unsealed(&self) -> Option<Arc<Unsealed>> {
        match &*self.state.read() {
            SealState::Unsealed(vault) => Some(vault.clone()),
            SealState::Sealed(_) => None,
        }
    }

    /// Runs `f` on the unseal progress, if sealed.
    pub fn with_progress<T>(&self, f: impl FnOnce(&mut UnsealProgress) -> T) -> Option<T> {
        match &mut *self.state.write() {
            SealState::Sealed(progress) => Some(f(progress)),
            SealState::Unsealed(_) => None,
        }
    }

    pub fn set_unsealed(&self, vault: Unsealed) {
        *self.state.write() = SealState::Unsealed(Arc::new(vault));
    }

    pub fn seal(&self) {
        *self.state.write() = SealState::Sealed(UnsealProgress::default());
    }

    /// Answers one request. Returns the reply (or error) and the mount type for the envelope.
    pub async fn handle(&self, request: Request) -> (VaultResult, String) {
        if let Some(reply) = sys::seal::handle_unauthenticated(self, &request) {
            return (reply, "system".into());
        }
        let Some(vault) = self.unsealed() else {
            return (Err(VaultError::sealed()), String::new());
        };
        let route = match route(&vault, &request.path) {
            Ok(route) => route,
            Err(no_route) => return (refuse_unrouted(&vault, &request, no_route), String::new()),
        };
        let mount_type = route.mount_type();
        (
            self.authorize_and_dispatch(&vault, &route, request).await,
            mount_type,
        )
    }

    async fn authorize_and_dispatch(
        &self,
        vault: &Arc<Unsealed>,
        route: &Route,
        mut request: Request,
    ) -> VaultResult {
        let mut caller = match &request.token {
            Some(token) => vault.tokens().lookup(token)?.map(|entry| Caller {
                token: token.clone(),
                entry,
            }),
            None => None,
        };
        if !is_unauthenticated(route) {
            let known = match (&request.token, &mut caller) {
                (_, Some(caller)) => caller,
                (Some(_), None) => return Err(VaultError::invalid_token()),
                (None, None) => return Err(VaultError::permission_denied()),
            };
            let update = request.operation == Operation::Update;
            if update && exists(vault, route, known)? == Some(false) {
                request.operation = Operation::Create;
            }
            check_acl(vault, route, &request, known)?;
            if known.entry.num_uses > 0 {
                let used = {
                    let _guard = vault.writes.lock();
                    vault.tokens().use_once(&known.entry.id_hash)?
                };
                known.entry = used.ok_or_else(VaultError::invalid_token)?;
            }
        }
        let ctx = Ctx {
            core: self,
            vault,
            caller: caller.as_ref(),
            request: &request,
        };
        let result = match dispatch(&ctx, route).await {
            Ok(Reply::Secret(secret)) => register_lease(vault, &request, caller.as_ref(), *secret),
            other => other,
        };
        // A limited-use token's last request has completed: now it goes, children and
        // cubbyhole with it.
        if let Some(spent) = caller.as_ref().filter(|c| c.entry.revocation_pending) {
            vault.tokens().revoke_tree(&spent.entry.id_hash)?;
        }
        result
    }
}

/// A secret an engine answered goes out under a lease owned by the caller's token, as
/// Vault's core registers `resp.Secret` (the lease ID keeps the path as sent).
fn register_lease(
    vault: &Unsealed,
    request: &Request,
    caller: Option<&Caller>,
    mut reply: SecretReply,
) -> VaultResult {
    let caller = caller.ok_or_else(|| {
        VaultError::internal("cannot register a lease with an empty client token")
    })?;
    let lease = vault.leases.register(
        &vault.barrier,
        &request.path,
        &caller.entry,
        reply.secret.clone(),
    )?;
    reply.lease_id = lease.id;
    Ok(Reply::Secret(Box::new(reply)))
}

/// A path no mount serves: Vault checks the token and its policies before it looks for a
/// route, so a stranger learns nothing about which mounts exist — "permission denied" for
/// anyone whose policies do not cover the path, "no handler" only for those they do.
fn refuse_unrouted(vault: &Unsealed, request: &Request, no_route: VaultError) -> VaultResult {
    let caller = match &request.token {
        Some(token) => vault.tokens().lookup(token)?,
        None => return Err(VaultError::permission_denied()),
    };
    let Some(caller) = caller else {
        return Err(VaultError::invalid_token());
    };
    let acl = vault.acl(&caller)?;
    let decision = acl.decide(&request.path, request.operation == Operation::List);
    if !decision.allows(request.operation.capability()) {
        return Err(VaultError::denied_by_policy());
    }
    Err(no_route)
}

/// Finds the mount (or the system backend) serving `path`.
pub fn route(vault: &Unsealed, path: &str) -> VaultResult<Route> {
    if path == "sys" || path.starts_with("sys/") {
        return Ok(Route::System {
            rest: path
                .strip_prefix("sys")
                .unwrap_or("")
                .trim_start_matches('/')
                .to_string(),
        });
    }
    let mounts = vault.mounts.read();
    let found = match path.strip_prefix("auth/") {
        Some(auth_path) => mounts
            .route(Table::Auth, auth_path)
            .map(|(m, rest)| (Table::Auth, m, rest)),
        None => mounts
            .route(Table::Secret, path)
            .map(|(m, rest)| (Table::Secret, m, rest)),
    };
    match found {
        Some((table, mount, rest)) => Ok(Route::Mount {
            table,
            mount: mount.clone(),
            rest: rest.to_string(),
        }),
        None => Err(VaultError::new(
            404,
            format!("no handler for route \"{path}\". route entry not found."),
        )),
    }
}

fn is_unauthenticated(route: &Route) -> bool {
    match route {
        Route::System { rest } => sys::is_unauthenticated(rest),
        Route::Mount { table, mount, rest } => backends::is_login_path(*table, mount, rest),
    }
}

/// `Some(exists)` for paths whose backend tells create from update; `None` otherwise.
fn exists(vault: &Unsealed, route: &Route, caller: &Caller) -> VaultResult<Option<bool>> {
    match route {
        Route::System { .. } => Ok(None),
        Route::Mount { table, mount, rest } => backends::exists(vault, *table, mount, rest, caller),
    }
}

fn check_acl(
    vault: &Unsealed,
    route: &Route,
    request: &Request,
    caller: &Caller,
) -> VaultResult<()> {
    let acl = vault.acl(&caller.entry)?;
    let decision = acl.decide(&request.path, request.operation == Operation::List);
    if !decision.allows(request.operation.capability()) {
        return Err(VaultError::denied_by_policy());
    }
    let needs_sudo = match route {
        Route::System { rest } => sys::requires_sudo(rest, request.operation),
        Route::Mount { table, mount, rest } => backends::requires_sudo(*table, mount, rest),
    };
    if needs_sudo && !decision.allows(Capability::Sudo) {
        return Err(VaultError::denied_by_policy());
    }
    Ok(())
}

async fn dispatch(ctx: &Ctx<'_>, route: &Route) -> VaultResult {
    match route {
        Route::System { rest } => sys::handle(ctx, rest).await,
        Route::Mount { table, mount, rest } => backends::handle(ctx, *table, mount, rest).await,
    }
}
