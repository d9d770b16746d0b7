//! The identify step: who is signing in.

use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;

use super::{looks_like_email, FormErrors};
use crate::fields::{ErrorText, LinkButton, Submit, TextField};
use crate::session::Session;
use crate::text::{self, identify as t};

/// Asks for an email address; an embedded widget starts its flow with it.
#[component]
pub fn Identify() -> impl IntoView {
    let session = expect_context::<Session>();
    let errors = FormErrors::new();
    let email_input = NodeRef::<Input>::new();
    session.focus_on_arrival(email_input);

    let identify = Action::new_local(move |email: &String| {
        let email = email.clone();
        async move {
            if let Err(failure) = session.identify(email).await {
                errors.on_form(text::failure_message(&failure));
            }
        }
    });
    let pending = identify.pending();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        errors.clear();
        let email = session.email.get_untracked().trim().to_string();
        if !looks_like_email(&email) {
            FormErrors::on_field(errors.email, email_input, t::EMAIL_INVALID.into());
            return;
        }
        identify.dispatch_local(email);
    };

    view! {
        <form class="pc-form" part="form" novalidate aria-busy=move || pending.get().to_string() on:submit=submit>
            <TextField
                id="pc-email"
                label=t::EMAIL
                kind="email"
                // `webauthn`: passkeys offered in the autofill menu (conditional mediation).
                autocomplete="username webauthn"
                inputmode="email"
                required=true
                value=session.email
                error=errors.email
                node_ref=email_input
            />
            <ErrorText id="pc-form-error".to_string() error=errors.form node_ref=errors.form_node />
            <Submit label=t::SUBMIT busy_label=t::BUSY pending=pending />
        </form>
        <p class="pc-switch" part="switch">
            {t::NEW_HERE} " "
            <LinkButton label=t::CREATE_ACCOUNT on_click=move || session.show_sign_up() />
        </p>
    }
}
