//! Creating an account with email and password.

use leptos::html::Input;
use leptos::prelude::*;

use super::{looks_like_email, run};
use crate::api::Failure;
use crate::fields::{Form, FormErrors, LinkButton, PasswordField, TextField};
use crate::session::Session;
use crate::text::{self, identify as ti, sign_up as t};

/// Asks for an email address, an optional name and a new password.
#[component]
pub fn SignUp() -> impl IntoView {
    let session = expect_context::<Session>();
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let (email_input, password_input) = (NodeRef::<Input>::new(), NodeRef::<Input>::new());
    session.focus_on_arrival(email_input);

    let submit = move || {
        let email = session.email.get_untracked().trim().to_string();
        let secret = password.get_untracked();
        // Checked in form order, so focus lands on the first problem.
        if !looks_like_email(&email) {
            FormErrors::on_field(errors.email, email_input, ti::EMAIL_INVALID.into());
            return;
        }
        if secret.is_empty() {
            FormErrors::on_field(errors.password, password_input, t::PASSWORD_MISSING.into());
            return;
        }
        let name = name.get_untracked().trim().to_string();
        let name = (!name.is_empty()).then_some(name);
        run(busy, async move {
            match session.sign_up(email, name, secret).await {
                Ok(()) => {}
                Err(failure @ Failure::PasswordRejected(_)) => {
                    let message = text::failure_message(&failure);
                    FormErrors::on_field(errors.password, password_input, message);
                }
                Err(failure) => errors.on_form(text::failure_message(&failure)),
            }
        });
    };

    view! {
        <Form busy=busy errors=errors submit=t::SUBMIT busy_label=t::BUSY on_submit=Box::new(submit)>
            <TextField
                id="pc-email"
                label=t::EMAIL
                kind="email"
                autocomplete="username"
                inputmode="email"
                required=true
                value=session.email
                error=errors.email
                node_ref=email_input
            />
            <label class="pc-label" part="label" for="pc-name">{t::NAME}</label>
            <input
                id="pc-name"
                class="pc-input"
                part="input"
                type="text"
                name="name"
                autocomplete="name"
                prop:value=name
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            <PasswordField
                id="pc-new-password"
                label=t::PASSWORD
                autocomplete="new-password"
                hint=t::PASSWORD_HINT
                value=password
                error=errors.password
                node_ref=password_input
            />
        </Form>
        <p class="pc-switch" part="switch">
            {t::HAVE_ACCOUNT} " "
            <LinkButton label=t::SIGN_IN on_click=Box::new(move || session.show_identify()) />
        </p>
    }
}
