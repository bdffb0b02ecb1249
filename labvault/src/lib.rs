//! labvault: an embedded, Vault-API-compatible lab server for training labs and tests.
//! It is not a secret store.
//!
//! It implements a documented subset of HashiCorp Vault's HTTP API with Vault's semantics:
//! Shamir-split root key, sealed at every start, an encrypted storage barrier, tokens with
//! TTLs, ACL policies with Vault's path rules (shared with Vaultdeck's policy tester),
//! KV v1/v2, cubbyhole, userpass, the Kubernetes auth method (whose login calls the
//! cluster's TokenReview API) and the Kubernetes secrets engine, whose service-account
//! tokens go out under leases that are revoked as they expire. See the README for the
//! endpoint list.

mod backends;
mod core;
mod http;
mod leases;
mod mounts;
mod policies;
mod reply;
mod request;
pub mod seal;
mod server;
pub mod storage;
mod sys;
mod tokens;
mod ttl;

pub use server::{DevCredentials, Server, ServerConfig, Storage, LAB_WARNING};

/// The Vault API level labvault follows, reported as its version.
pub const VERSION: &str = "1.17.0+labvault";
/// Reported in `sys/seal-status`.
pub const BUILD_DATE: &str = "2026-11-23T00:00:00Z";
