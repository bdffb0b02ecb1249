//! Reusable widgets.

pub mod banner;
pub mod confirm;
pub mod copy;
pub mod delete_role;
pub mod duration_field;
pub mod error_notice;
pub mod guard;
pub mod layout;
pub mod leave_guard;
pub mod multi_value;
pub mod policy_editor;
pub mod session_menu;
pub mod text_file;
pub mod toasts;
pub mod trail;
pub mod virtual_list;
