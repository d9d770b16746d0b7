//! Creating an account with email and password.

use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;
use portcullis_shared::api::PasswordSignUp;

use super::{looks_like_email, FormErrors};
use crate::api::Failure;
use crate::fields::{ErrorText, LinkButton, PasswordField, Submit, TextField};
use crate::session::Session;
use crate::text::{self, identify as ti, sign_up as t};

/// Asks for an email address, an optional name and a new password.
#[component]
pub fn SignUp() -> impl IntoView {
    let session = expect_context::<Session>();
    let errors = FormErrors::new();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let (email_input, password_input) = (NodeRef::<Input>::new(), NodeRef::<Input>::new());
    session.focus_on_arrival(email_input);

    let sign_up = Action::new_local(move |body: &PasswordSignUp| {
        let body = body.clone();
        async move {
            match session.sign_up(body.email, body.name, body.password).await {
                Ok(()) => {}
                Err(failure @ Failure::PasswordRejected(_)) => FormErrors::on_field(
                    errors.password,
                    password_input,
                    text::failure_message(&failure),
                ),
                Err(failure) => errors.on_form(text::failure_message(&failure)),
            }
        }
    });
    let pending = sign_up.pending();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        errors.clear();
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
        sign_up.dispatch_local(PasswordSignUp {
            email,
            password: secret,
            name: (!name.is_empty()).then_some(name),
        });
    };

    view! {
        <form class="pc-form" part="form" novalidate aria-busy=move || pending.get().to_string() on:submit=submit>
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
            <ErrorText id="pc-form-error".to_string() error=errors.form node_ref=errors.form_node />
            <Submit label=t::SUBMIT busy_label=t::BUSY pending=pending />
        </form>
        <p class="pc-switch" part="switch">
            {t::HAVE_ACCOUNT} " "
            <LinkButton label=t::SIGN_IN on_click=move || session.show_identify() />
        </p>
    }
}
