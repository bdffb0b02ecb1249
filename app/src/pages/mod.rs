//! One module per Vault flow.

pub mod home;
pub mod init;
pub mod kubernetes;
pub mod kv;
pub mod login;
pub mod mounts;
pub mod not_found;
pub mod policies;
pub mod status;
pub mod unseal;
