//! The identity store: mounted as in Vault, so that mount listings look the same, but left out.

use super::{ready, Backend, Pending};
use crate::{
    core::Ctx,
    mounts::{MountEntry, Table},
    reply::{VaultError, VaultResult},
};

pub struct Identity;

impl Backend for Identity {
    fn table(&self) -> Table {
        Table::Secret
    }

    fn kind(&self) -> &'static str {
        "identity"
    }

    fn in_catalog(&self) -> bool {
        false
    }

    fn handle<'a>(
        &'a self,
        _ctx: &'a Ctx<'a>,
        _mount: &'a MountEntry,
        _rest: &'a str,
    ) -> Pending<'a, VaultResult> {
        ready(Err(VaultError::left_out("the identity store is")))
    }
}
