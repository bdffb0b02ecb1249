//! One module per Vault flow.

pub mod not_found;
pub mod status;
