//! Sealing: the root key split into unseal key shares, and the barrier that encrypts every
//! stored entry with a key that only the root key can open.

pub mod barrier;
pub mod shamir;
