//! One module per Vault flow.

pub mod delivery;
pub mod home;
pub mod init;
pub mod k8s_secrets;
pub mod kubernetes;
pub mod kv;
pub mod login;
pub mod mounts;
pub mod not_found;
pub mod policies;
pub mod status;
pub mod unseal;
pub mod workloads;
