//! Short notices of what happened: results and errors, announced to screen readers.

use leptos::prelude::*;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastKind {
    Success,
    /// Done, with something to heed (e.g. Vault's warnings).
    Warning,
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub id: u64,
    pub kind: ToastKind,
    pub text: String,
}

#[derive(Clone, Copy)]
pub struct Toasts {
    pub items: RwSignal<Vec<Toast>>,
    next_id: StoredValue<u64>,
}

pub fn provide_toasts() -> Toasts {
    let toasts = Toasts {
        items: RwSignal::new(Vec::new()),
        next_id: StoredValue::new(1),
    };
    provide_context(toasts);
    toasts
}

pub fn use_toasts() -> Toasts {
    expect_context::<Toasts>()
}

impl Toasts {
    pub fn success(self, text: impl Into<String>) {
        self.push(ToastKind::Success, text.into(), Duration::from_secs(6));
    }

    pub fn warning(self, text: impl Into<String>) {
        self.push(ToastKind::Warning, text.into(), Duration::from_secs(12));
    }

    pub fn error(self, text: impl Into<String>) {
        self.push(ToastKind::Error, text.into(), Duration::from_secs(12));
    }

    pub fn dismiss(self, id: u64) {
        self.items.update(|items| items.retain(|t| t.id != id));
    }

    /// Shows a notice. The same notice again replaces the one on screen (with a fresh
    /// lifetime) instead of piling up: saving several roles without an audience shows
    /// Vault's warning once.
    fn push(self, kind: ToastKind, text: String, lifetime: Duration) {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        self.items.update(|items| {
            items.retain(|t| !(t.kind == kind && t.text == text));
            items.push(Toast { id, kind, text });
        });
        set_timeout(move || self.dismiss(id), lifetime);
    }
}
