//! The password step.

use leptos::html::Input;
use leptos::prelude::*;

use super::email_code_link;
use crate::api::Failure;
use crate::fields::{Form, FormErrors, LinkButton, OtherWay, PasswordField};
use crate::human_check::HumanCheck;
use crate::session::Session;
use crate::task::Tasks;
use crate::text::{self, identify as ti, passkey as tp, password as t};

/// Asks for the password of the account named in the identify step.
#[component]
pub fn Password(
    /// The email address from the identify step.
    email: String,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let tasks = Tasks::here();
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let password_input = NodeRef::<Input>::new();
    session.focus_on_arrival(password_input);
    // Why the person is asked again, when they are (a change needs a recent sign-in).
    let notice = session.take_notice();
    // Shown once the edge asks for it (an account under attack, for every address alike).
    let check = HumanCheck::wanted(session);
    let challenged = RwSignal::new(false);

    let submit = {
        let email = email.clone();
        move || {
            let secret = password.get_untracked();
            if secret.is_empty() {
                FormErrors::on_field(
                    errors.password,
                    password_input,
                    tx.get(t::PASSWORD_MISSING).into(),
                );
                return;
            }
            let token = match check.filter(|_| challenged.get_untracked()) {
                Some(check) => match check.take() {
                    Some(token) => Some(token),
                    None => {
                        errors.on_form(tx.get(text::sign_up::HUMAN_CHECK).into());
                        return;
                    }
                },
                None => None,
            };
            let email = email.clone();
            tasks.run(busy, session.sign_in(email, secret, token), move |result| {
                match result {
                    Ok(()) => {}
                    Err(failure @ Failure::Other { .. })
                        if check.is_some() && failure.code().starts_with("human_check_") =>
                    {
                        challenged.set(true);
                        errors.on_form(text::failure_message(tx, &failure));
                    }
                    // Wrong email or wrong password, never which: try the password again.
                    Err(failure @ Failure::InvalidCredentials) => {
                        password.set(String::new());
                        let message = text::failure_message(tx, &failure);
                        FormErrors::on_field(errors.password, password_input, message);
                    }
                    Err(failure) => errors.on_form(text::failure_message(tx, &failure)),
                }
            });
        }
    };
    let passkey_busy = RwSignal::new(false);
    let passkey = {
        let email = email.clone();
        move || {
            errors.clear();
            session.announce(text::announce::PASSKEY);
            let email = email.clone();
            let work = session.sign_in_with_passkey(Some(email));
            tasks.run(passkey_busy, work, move |result| {
                if let Err(failure) = result {
                    errors.on_form(text::failure_message(tx, &failure));
                }
            });
        }
    };
    let this_email = {
        let email = email.clone();
        move || Some(email.clone())
    };
    let other_account = move || {
        leptos::task::spawn_local(session.use_another_account());
    };

    view! {
        <div class="pc-account" part="account">
            <p class="pc-identity" part="identity">{email}</p>
            <LinkButton label=tx.get(t::OTHER_ACCOUNT) on_click=Box::new(other_account) />
        </div>
        {notice.map(|key| view! { <p class="pc-hint" part="notice">{tx.get(key)}</p> })}
        <Form busy=busy errors=errors submit=tx.get(t::SUBMIT) busy_label=tx.get(t::BUSY) on_submit=Box::new(submit)>
            // Password managers pair the password with this hidden username.
            <input type="email" name="username" autocomplete="username" hidden prop:value=session.email />
            <PasswordField
                id="pc-password"
                label=tx.get(t::PASSWORD)
                autocomplete="current-password"
                value=password
                error=errors.password
                node_ref=password_input
            />
            {move || check.filter(|_| challenged.get()).map(|check| check.view(session))}
        </Form>
        <p class="pc-switch" part="switch">
            <LinkButton label=tx.get(t::FORGOT) on_click=Box::new(move || session.show_forgot(false)) />
        </p>
        {email_code_link(session, errors, tx.get(text::email::SEND), this_email, false)}
        {session.capabilities().passkeys.then(|| view! {
            <OtherWay label=tx.get(tp::USE_INSTEAD) busy_label=tx.get(tp::BUSY) busy=passkey_busy on_click=Box::new(passkey) />
        })}
        <p class="pc-switch" part="switch">
            {tx.get(ti::NEW_HERE)} " "
            <LinkButton label=tx.get(ti::CREATE_ACCOUNT) on_click=Box::new(move || session.show_sign_up()) />
        </p>
    }
}
