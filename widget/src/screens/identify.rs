//! The identify step: who is signing in.

use leptos::html::Input;
use leptos::prelude::*;

use super::{looks_like_email, run};
use crate::fields::{Form, FormErrors, LinkButton, TextField};
use crate::session::Session;
use crate::text::{self, identify as t};

/// Asks for an email address; an embedded widget starts its flow with it.
#[component]
pub fn Identify() -> impl IntoView {
    let session = expect_context::<Session>();
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let email_input = NodeRef::<Input>::new();
    session.focus_on_arrival(email_input);

    let submit = move || {
        let email = session.email.get_untracked().trim().to_string();
        if !looks_like_email(&email) {
            FormErrors::on_field(errors.email, email_input, t::EMAIL_INVALID.into());
            return;
        }
        run(busy, async move {
            if let Err(failure) = session.identify(email).await {
                errors.on_form(text::failure_message(&failure));
            }
        });
    };

    view! {
        <Form busy=busy errors=errors submit=t::SUBMIT busy_label=t::BUSY on_submit=Box::new(submit)>
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
        </Form>
        <p class="pc-switch" part="switch">
            {t::NEW_HERE} " "
            <LinkButton label=t::CREATE_ACCOUNT on_click=Box::new(move || session.show_sign_up()) />
        </p>
    }
}
