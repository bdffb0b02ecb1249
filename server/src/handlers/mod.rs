//! Request handlers, one module per area of the BFF's API. Handlers are named verb_noun.

pub mod health;
pub mod k8s;
pub mod listing;
pub mod login_form;
pub mod session;
pub mod site;
pub mod vault_proxy;
