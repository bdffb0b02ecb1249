//! The endpoints that work while sealed and answer without the envelope: `sys/init`,
//! `sys/seal-status`, `sys/unseal`, `sys/health`, `sys/leader`. (`sys/seal` needs a token
//! with `sudo` and goes through the normal path; see [`seal_now`].)

use crate::{
    core::{Core, SealConfig, Unsealed, SEAL_CONFIG_PATH},
    mounts::{MountEntry, MountTables, Table},
    policies::DEFAULT_POLICY,
    reply::{Reply, VaultError, VaultResult},
    request::{Operation, Params, Request},
    seal::{
        barrier::{random_key, Barrier, UnsealError},
        shamir,
    },
    tokens::NewToken,
    ttl::now_unix,
};
use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use serde_json::{json, Map, Value};

/// Answers the unauthenticated seal endpoints; `None` for every other path.
pub fn handle_unauthenticated(core: &Core, request: &Request) -> Option<VaultResult> {
    let method_not_allowed = || {
        Err(VaultError {
            status: 405,
            errors: vec![],
        })
    };
    let reply = match (request.path.as_str(), request.operation) {
        ("sys/seal-status", Operation::Read) => seal_status(core).map(Reply::raw),
        ("sys/seal-status", _) => method_not_allowed(),
        ("sys/init", Operation::Read) => core
            .seal_config()
            .map(|c| Reply::raw(json!({ "initialized": c.is_some() }))),
        ("sys/init", Operation::Update | Operation::Create) => initialize(core, request),
        ("sys/init", _) => method_not_allowed(),
        ("sys/unseal", Operation::Update | Operation::Create) => submit_unseal_key(core, request),
        ("sys/unseal", _) => method_not_allowed(),
        ("sys/health", Operation::Read) => health(core, request),
        ("sys/health", _) => method_not_allowed(),
        ("sys/leader", Operation::Read) => Ok(Reply::raw(leader())),
        ("sys/leader", _) => method_not_allowed(),
        _ => return None,
    };
    Some(reply)
}

pub fn seal_status(core: &Core) -> VaultResult<Value> {
    let config = core.seal_config()?;
    let vault = core.unsealed();
    let (progress, nonce) = core
        .with_progress(|p| (p.shares.len(), p.nonce.clone()))
        .unwrap_or((0, String::new()));
    let mut status = json!({
        "type": "shamir",
        "initialized": config.is_some(),
        "sealed": vault.is_none(),
        "t": config.as_ref().map_or(0, |c| c.secret_threshold),
        "n": config.as_ref().map_or(0, |c| c.secret_shares),
        "progress": progress,
        "nonce": nonce,
        "version": crate::VERSION,
        "build_date": crate::BUILD_DATE,
        "migration": false,
        "recovery_seal": false,
        "storage_type": core.storage_type,
    });
    if let Some(vault) = vault {
        status["cluster_name"] = json!(vault.cluster.name);
        status["cluster_id"] = json!(vault.cluster.id);
    }
    Ok(status)
}

fn validate_seal_config(shares: u64, threshold: u64) -> Result<(), String> {
    let problem = if shares < 1 {
        "shares must be at least one"
    } else if threshold < 1 {
        "threshold must be at least one"
    } else if shares > 1 && threshold == 1 {
        "threshold must be greater than one for multiple shares"
    } else if shares > 255 {
        "shares must be less than 256"
    } else if threshold > 255 {
        "threshold must be less than 256"
    } else if threshold > shares {
        "threshold cannot be larger than shares"
    } else {
        return Ok(());
    };
    Err(format!("invalid seal configuration: {problem}"))
}

/// The parameters the official clients always send, checked as Vault's
/// `validateInitParameters` (http/sys_init.go) does: zero, null and empty mean "not given".
/// Recovery parameters belong to auto-unseal seals; PGP keys are left out of labvault.
fn check_init_parameters(data: &Map<String, Value>) -> VaultResult<()> {
    let given = |key: &str| match data.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !s.is_empty() && s != "0",
        Some(Value::Array(items)) => !items.is_empty(),
        Some(_) => true,
    };
    let recovery: Vec<&str> = ["recovery_shares", "recovery_threshold", "recovery_pgp_keys"]
        .into_iter()
        .filter(|key| given(key))
        .collect();
    if !recovery.is_empty() {
        return Err(VaultError::bad_request(format!(
            "parameters {} not applicable to seal type shamir",
            recovery.join(",")
        )));
    }
    if given("pgp_keys") || given("root_token_pgp_key") {
        return Err(VaultError::bad_request(
            "PGP-encrypted key shares (pgp_keys, root_token_pgp_key) are not supported by labvault",
        ));
    }
    Ok(())
}

/// `PUT sys/init`: makes the root key, splits it, writes the keyring, the default policy,
/// the built-in mounts and a root token, then leaves the server sealed, as Vault does.
fn initialize(core: &Core, request: &Request) -> VaultResult {
    let data = &request.data;
    check_init_parameters(data)?;
    let shares = data
        .u64("secret_shares")
        .map_err(VaultError::bad_request)?
        .unwrap_or(0);
    let threshold = data
        .u64("secret_threshold")
        .map_err(VaultError::bad_request)?
        .unwrap_or(0);
    validate_seal_config(shares, threshold).map_err(VaultError::bad_request)?;
    if core.seal_config()?.is_some() {
        return Err(VaultError::bad_request("Vault is already initialized"));
    }
    let root_key = random_key();
    let keys = if shares == 1 {
        vec![root_key.to_vec()]
    } else {
        shamir::split(&root_key, shares as usize, threshold as usize)
            .map_err(|e| VaultError::internal(e.to_string()))?
    };
    let barrier = Barrier::initialize(core.physical.clone(), &root_key)?;
    let root_token = set_up_storage(barrier)?;
    let config = SealConfig {
        kind: "shamir".into(),
        secret_shares: shares as u8,
        secret_threshold: threshold as u8,
    };
    core.physical.put(
        SEAL_CONFIG_PATH,
        &serde_json::to_vec(&config).expect("seal config serializes"),
    )?;
    tracing::info!("labvault initialized with {shares} key shares, threshold {threshold}");
    Ok(Reply::raw(json!({
        "keys": keys.iter().map(hex::encode).collect::<Vec<_>>(),
        "keys_base64": keys.iter().map(|k| BASE64.encode(k)).collect::<Vec<_>>(),
        "root_token": root_token,
    })))
}

/// The first contents of a new server; returns the root token.
fn set_up_storage(barrier: Barrier) -> VaultResult<String> {
    Unsealed::write_cluster(&barrier)?;
    let mut tables = MountTables::default();
    let mut cubbyhole =
        MountEntry::new("cubbyhole", "cubbyhole", "per-token private secret storage");
    cubbyhole.local = true;
    let mut identity = MountEntry::new("identity", "identity", "identity store");
    identity.config.passthrough_request_headers = vec!["Authorization".into()];
    let mut system = MountEntry::new(
        "sys",
        "system",
        "system endpoints used for control, policy and debugging",
    );
    system.config.passthrough_request_headers = vec!["Accept".into()];
    system.seal_wrap = true;
    tables.secret = vec![cubbyhole, identity, system];
    let mut token = MountEntry::new("token", "token", "token based credentials");
    token.accessor = token.accessor.replacen("token_", "auth_token_", 1);
    token.config.token_type = "default-service".into();
    tables.auth = vec![token];
    tables.save(&barrier, Table::Secret)?;
    tables.save(&barrier, Table::Auth)?;

    let vault = Unsealed::open(barrier)?;
    vault
        .policies
        .write(&vault.barrier, "default", DEFAULT_POLICY)?;
    let (root_token, _) = vault.tokens().create(NewToken {
        policies: vec!["root".into()],
        path: "auth/token/root".into(),
        display_name: "root".into(),
        no_expiry: true,
        ..NewToken::default()
    })?;
    Ok(root_token)
}

/// Unseal keys arrive as hex or base64 (hex first, as Vault tries it).
fn decode_key(text: &str) -> Result<Vec<u8>, VaultError> {
    let acceptable = |k: &Vec<u8>| (16..=33).contains(&k.len());
    if let Ok(key) = hex::decode(text.trim()) {
        if acceptable(&key) {
            return Ok(key);
        }
    }
    let key = BASE64
        .decode(text.trim())
        .map_err(|_| VaultError::bad_request("'key' must be a valid hex or base64 string"))?;
    match key.len() {
        n if n < 16 => Err(VaultError::bad_request(
            "invalid key: key is shorter than minimum 16 bytes",
        )),
        n if n > 33 => Err(VaultError::bad_request(
            "invalid key: key is longer than maximum 33 bytes",
        )),
        _ => Ok(key),
    }
}

/// `PUT sys/unseal`: one key share per call; at the threshold the shares are combined
/// and, if they open the keyring, the server is unsealed. Either way the attempt ends.
fn submit_unseal_key(core: &Core, request: &Request) -> VaultResult {
    let data = &request.data;
    let reset = data
        .bool("reset")
        .map_err(VaultError::bad_request)?
        .unwrap_or(false);
    if reset {
        if core.with_progress(|p| *p = Default::default()).is_none() {
            return Err(VaultError::bad_request("vault is unsealed"));
        }
        return seal_status(core).map(Reply::raw);
    }
    let key_text = data
        .string("key")
        .map_err(VaultError::bad_request)?
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            VaultError::bad_request(
                "'key' must be specified in request body as JSON, or 'reset' set to true",
            )
        })?;
    let key = decode_key(&key_text)?;
    let config = core
        .seal_config()?
        .ok_or_else(|| VaultError::bad_request("Vault is not initialized"))?;
    let threshold = config.secret_threshold as usize;
    let Some(ready) = core.with_progress(|progress| {
        if progress.shares.is_empty() {
            progress.nonce = uuid::Uuid::new_v4().to_string();
        }
        // A share already given in this attempt is ignored, as Vault does.
        if !progress.shares.contains(&key) {
            progress.shares.push(key);
        }
        (progress.shares.len() >= threshold).then(|| std::mem::take(progress).shares)
    }) else {
        return seal_status(core).map(Reply::raw);
    };
    if let Some(shares) = ready {
        unseal_with(core, &shares, threshold)?;
    }
    seal_status(core).map(Reply::raw)
}

fn unseal_with(core: &Core, shares: &[Vec<u8>], threshold: usize) -> VaultResult<()> {
    let root_key = if threshold == 1 {
        shares[0].clone()
    } else {
        shamir::combine(shares)
            .map_err(|e| VaultError::internal(format!("failed to compute combined key: {e}")))?
    };
    match Barrier::unseal(core.physical.clone(), &root_key) {
        Ok(barrier) => {
            core.set_unsealed(Unsealed::open(barrier)?);
            tracing::info!("labvault unsealed");
            Ok(())
        }
        Err(UnsealError::WrongKey) => Err(VaultError::bad_request(
            "unable to retrieve stored keys: invalid key: failed to decrypt keys from storage: cipher: message authentication failed",
        )),
        Err(UnsealError::NoKeyring) => Err(VaultError::internal("the keyring is missing from storage")),
        Err(UnsealError::Storage(e)) => Err(e.into()),
    }
}

/// `PUT sys/seal`, after the ACL granted `update` and `sudo` on `sys/seal`.
pub fn seal_now(core: &Core) -> VaultResult {
    core.seal();
    tracing::info!("labvault sealed by request");
    Ok(Reply::NoContent)
}

fn health(core: &Core, request: &Request) -> VaultResult {
    let code = |key: &str, default: u16| -> Result<u16, VaultError> {
        match request.data.u64(key) {
            Ok(Some(code)) => u16::try_from(code).map_err(|_| VaultError {
                status: 400,
                errors: vec![],
            }),
            Ok(None) => Ok(default),
            Err(_) => Err(VaultError {
                status: 400,
                errors: vec![],
            }),
        }
    };
    let initialized = core.seal_config()?.is_some();
    let vault = core.unsealed();
    let status = match (initialized, &vault) {
        (false, _) => code("uninitcode", 501)?,
        (true, None) => code("sealedcode", 503)?,
        (true, Some(_)) => code("activecode", 200)?,
    };
    let mut body = json!({
        "initialized": initialized,
        "sealed": vault.is_none(),
        "standby": vault.is_none(),
        "performance_standby": false,
        "replication_performance_mode": "disabled",
        "replication_dr_mode": "disabled",
        "server_time_utc": now_unix(),
        "version": crate::VERSION,
        "enterprise": false,
        "echo_duration_ms": 0,
        "clock_skew_ms": 0,
    });
    if let Some(vault) = vault {
        body["cluster_name"] = json!(vault.cluster.name);
        body["cluster_id"] = json!(vault.cluster.id);
    }
    Ok(Reply::Raw { status, body })
}

/// labvault is a single node without HA storage.
fn leader() -> Value {
    json!({
        "ha_enabled": false,
        "is_self": false,
        "active_time": "0001-01-01T00:00:00Z",
        "leader_address": "",
        "leader_cluster_address": "",
        "performance_standby": false,
        "performance_standby_last_remote_wal": 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_configuration_rules_and_messages() {
        assert!(validate_seal_config(5, 3).is_ok());
        assert!(validate_seal_config(1, 1).is_ok());
        assert_eq!(
            validate_seal_config(3, 1).unwrap_err(),
            "invalid seal configuration: threshold must be greater than one for multiple shares"
        );
        assert_eq!(
            validate_seal_config(3, 4).unwrap_err(),
            "invalid seal configuration: threshold cannot be larger than shares"
        );
        assert_eq!(
            validate_seal_config(256, 3).unwrap_err(),
            "invalid seal configuration: shares must be less than 256"
        );
        assert_eq!(
            validate_seal_config(0, 0).unwrap_err(),
            "invalid seal configuration: shares must be at least one"
        );
    }

    #[test]
    fn keys_decode_from_hex_or_base64() {
        let key = [7u8; 33];
        assert_eq!(decode_key(&hex::encode(key)).unwrap(), key);
        assert_eq!(decode_key(&BASE64.encode(key)).unwrap(), key);
        assert_eq!(
            decode_key("not a key!").unwrap_err().errors[0],
            "'key' must be a valid hex or base64 string"
        );
        assert!(decode_key(&hex::encode([1u8; 8])).unwrap_err().errors[0]
            .contains("shorter than minimum 16 bytes"));
    }
}
