//! Creating an account, with a password or with a passkey instead.

use leptos::html::Input;
use leptos::prelude::*;

use crate::api::Failure;
use crate::fields::{EmailField, Form, FormErrors, LinkButton, PasswordField};
use crate::human_check::HumanCheck;
use crate::session::Session;
use crate::task::Tasks;
use crate::text::{self, sign_up as t};

/// Asks for an email address, an optional name and a new password, or, where the
/// browser has passkeys and the person prefers, a passkey in place of the password.
#[component]
pub fn SignUp() -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let tasks = Tasks::here();
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let with_passkey = RwSignal::new(false);
    let email = EmailField::new(session, errors);
    let password_input = NodeRef::<Input>::new();
    let check = HumanCheck::wanted(session);
    session.focus_on_arrival(email.node());

    let submit = move || {
        let passkey = with_passkey.get_untracked();
        let secret = password.get_untracked();
        // Checked in form order, so focus lands on the first problem.
        let Some(email) = email.checked() else {
            return;
        };
        if !passkey && secret.is_empty() {
            FormErrors::on_field(
                errors.password,
                password_input,
                tx.get(t::PASSWORD_MISSING).into(),
            );
            return;
        }
        // A password sign-up spends the solved challenge's token (a passkey needs none).
        let token = match check.filter(|_| !passkey) {
            Some(check) => match check.take() {
                Some(token) => Some(token),
                None => {
                    errors.on_form(tx.get(t::HUMAN_CHECK).into());
                    return;
                }
            },
            None => None,
        };
        let name = name.get_untracked().trim().to_string();
        let name = (!name.is_empty()).then_some(name);
        let work = async move {
            if passkey {
                session.sign_up_with_passkey(email, name).await
            } else {
                session.sign_up(email, name, secret, token).await
            }
        };
        tasks.run(busy, work, move |result| match result {
            Ok(()) => {}
            Err(failure @ Failure::PasswordRejected(_)) => {
                let message = text::failure_message(tx, &failure);
                FormErrors::on_field(errors.password, password_input, message);
            }
            Err(Failure::InvalidCredentials) if passkey => {
                errors.on_form(tx.get(t::PASSKEY_REFUSED).into());
            }
            Err(failure) => errors.on_form(text::failure_message(tx, &failure)),
        });
    };
    let submit_label = Signal::derive(move || {
        if with_passkey.get() {
            tx.get(t::PASSKEY_SUBMIT)
        } else {
            tx.get(t::SUBMIT)
        }
    });
    let toggle = move |_| {
        errors.clear();
        let passkey = !with_passkey.get_untracked();
        with_passkey.set(passkey);
        if passkey {
            session.announce(t::PASSKEY_HINT);
        }
    };

    view! {
        <Form busy=busy errors=errors submit=submit_label busy_label=tx.get(t::BUSY) on_submit=Box::new(submit)>
            {email.view(tx.get(t::EMAIL), "username")}
            <label class="pc-label" part="label" for="pc-name">{tx.get(t::NAME)}</label>
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
            {move || if with_passkey.get() {
                view! { <p class="pc-hint" part="hint">{tx.get(t::PASSKEY_HINT)}</p> }.into_any()
            } else {
                view! {
                    <PasswordField
                        id="pc-new-password"
                        label=tx.get(t::PASSWORD)
                        autocomplete="new-password"
                        hint=tx.get(t::PASSWORD_HINT)
                        value=password
                        error=errors.password
                        node_ref=password_input
                    />
                }
                .into_any()
            }}
            {check.map(|check| check.view(session))}
        </Form>
        {session.capabilities().passkeys.then(|| view! {
            // One button whose words change, so focus stays on it.
            <p class="pc-switch" part="switch">
                <button class="pc-link" part="link" type="button" on:click=toggle>
                    {move || if with_passkey.get() { tx.get(t::WITH_PASSWORD) } else { tx.get(t::WITH_PASSKEY) }}
                </button>
            </p>
        })}
        <p class="pc-switch" part="switch">
            {tx.get(t::HAVE_ACCOUNT)} " "
            <LinkButton label=tx.get(t::SIGN_IN) on_click=Box::new(move || session.show_identify()) />
        </p>
    }
}
