//! The password step.

use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;

use super::FormErrors;
use crate::api::Failure;
use crate::fields::{ErrorText, LinkButton, PasswordField, Submit};
use crate::session::Session;
use crate::text::{self, identify as ti, password as t};

/// Asks for the password of the account named in the identify step.
#[component]
pub fn Password(
    /// The email address from the identify step.
    email: String,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let errors = FormErrors::new();
    let password = RwSignal::new(String::new());
    let password_input = NodeRef::<Input>::new();
    session.focus_on_arrival(password_input);

    let sign_in = {
        let email = email.clone();
        Action::new_local(move |secret: &String| {
            let (email, secret) = (email.clone(), secret.clone());
            async move {
                match session.sign_in(email, secret).await {
                    Ok(()) => {}
                    // Wrong email or wrong password, never which: try the password again.
                    Err(failure @ Failure::InvalidCredentials) => {
                        password.set(String::new());
                        FormErrors::on_field(
                            errors.password,
                            password_input,
                            text::failure_message(&failure),
                        );
                    }
                    Err(failure) => errors.on_form(text::failure_message(&failure)),
                }
            }
        })
    };
    let pending = sign_in.pending();
    let other_account = Action::new_local(move |_: &()| session.use_another_account());

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        errors.clear();
        let secret = password.get_untracked();
        if secret.is_empty() {
            FormErrors::on_field(errors.password, password_input, t::PASSWORD_MISSING.into());
            return;
        }
        sign_in.dispatch_local(secret);
    };

    view! {
        <div class="pc-account" part="account">
            <p class="pc-identity" part="identity">{email}</p>
            <LinkButton label=t::OTHER_ACCOUNT on_click=move || { other_account.dispatch_local(()); } />
        </div>
        <form class="pc-form" part="form" novalidate aria-busy=move || pending.get().to_string() on:submit=submit>
            // Password managers pair the password with this hidden username.
            <input type="email" name="username" autocomplete="username" hidden prop:value=session.email />
            <PasswordField
                id="pc-password"
                label=t::PASSWORD
                autocomplete="current-password"
                value=password
                error=errors.password
                node_ref=password_input
            />
            <ErrorText id="pc-form-error".to_string() error=errors.form node_ref=errors.form_node />
            <Submit label=t::SUBMIT busy_label=t::BUSY pending=pending />
        </form>
        <p class="pc-switch" part="switch">
            {ti::NEW_HERE} " "
            <LinkButton label=ti::CREATE_ACCOUNT on_click=move || session.show_sign_up() />
        </p>
    }
}
