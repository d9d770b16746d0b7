//! The widget's screens, one per step, and the switch between them.

mod identify;
mod passkeys;
mod password;
mod sign_up;
mod signed_in;

use std::future::Future;

use leptos::prelude::*;

use crate::session::{Screen, Session};
use crate::text;

/// The screen the session is on.
#[component]
pub fn Current() -> impl IntoView {
    let session = expect_context::<Session>();
    move || match session.screen() {
        Screen::Identify => view! { <identify::Identify /> }.into_any(),
        Screen::Password { email } => view! { <password::Password email=email /> }.into_any(),
        Screen::SignUp => view! { <sign_up::SignUp /> }.into_any(),
        Screen::SignedIn {
            email,
            offer_passkey,
        } => view! { <signed_in::SignedIn email=email offer_passkey=offer_passkey /> }.into_any(),
        Screen::Redirecting => view! {
            <p class="pc-muted" part="status">{text::signed_in::REDIRECTING}</p>
        }
        .into_any(),
    }
}

/// Runs a screen's request in the background with `busy` set meanwhile.
fn run(busy: RwSignal<bool>, task: impl Future<Output = ()> + 'static) {
    busy.set(true);
    leptos::task::spawn_local(async move {
        task.await;
        // The screen may be gone by now (the request succeeded): nothing to reset then.
        let _ = busy.try_set(false);
    });
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
