//! Reusable widgets.

pub mod layout;
