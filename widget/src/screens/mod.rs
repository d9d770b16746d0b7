//! The widget's screens, one per step, and the switch between them.

mod identify;
mod password;
mod sign_up;
mod signed_in;

use leptos::html::{ElementType, Input, P};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::session::{focus, Screen, Session};
use crate::text;

/// The screen the session is on.
#[component]
pub fn Current() -> impl IntoView {
    let session = expect_context::<Session>();
    move || match session.screen().get() {
        Screen::Identify => view! { <identify::Identify /> }.into_any(),
        Screen::Password { email } => view! { <password::Password email=email /> }.into_any(),
        Screen::SignUp => view! { <sign_up::SignUp /> }.into_any(),
        Screen::SignedIn { email } => view! { <signed_in::SignedIn email=email /> }.into_any(),
        Screen::Redirecting => view! {
            <p class="pc-muted" part="status">{text::signed_in::REDIRECTING}</p>
        }
        .into_any(),
    }
}

/// The error state of a form: a message per field and one for the whole form. The
/// forms have at most an email and a password field that can be wrong.
#[derive(Clone, Copy)]
struct FormErrors {
    email: RwSignal<Option<String>>,
    password: RwSignal<Option<String>>,
    /// Errors about the request (network, expiry, limits), shown above the button.
    form: RwSignal<Option<String>>,
    form_node: NodeRef<P>,
}

impl FormErrors {
    fn new() -> FormErrors {
        FormErrors {
            email: RwSignal::new(None),
            password: RwSignal::new(None),
            form: RwSignal::new(None),
            form_node: NodeRef::new(),
        }
    }

    /// Clears every message, so that a repeated error is announced again.
    fn clear(self) {
        self.email.set(None);
        self.password.set(None);
        self.form.set(None);
    }

    /// Shows `message` under a field and moves focus to the field.
    fn on_field(error: RwSignal<Option<String>>, input: NodeRef<Input>, message: String) {
        error.set(Some(message));
        focus_node(input);
    }

    /// Shows `message` for the whole form and moves focus to it.
    fn on_form(self, message: String) {
        self.form.set(Some(message));
        focus_node(self.form_node);
    }
}

fn focus_node<E>(node: NodeRef<E>)
where
    E: ElementType,
    E::Output: JsCast + Clone + 'static,
{
    if let Some(el) = node.get_untracked() {
        focus(&el);
    }
}

/// A light check so obvious typos are caught before a round trip; the edge decides.
fn looks_like_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !value.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_email;

    #[test]
    fn email_shape_check() {
        assert!(looks_like_email("a@b"));
        assert!(looks_like_email("name@example.com"));
        assert!(!looks_like_email(""));
        assert!(!looks_like_email("name"));
        assert!(!looks_like_email("@example.com"));
        assert!(!looks_like_email("name@"));
        assert!(!looks_like_email("na me@example.com"));
    }
}
