//! App-wide state, provided as context by the root component.

pub mod health;
pub mod permissions;
pub mod session;
pub mod tasks;
pub mod toasts;
