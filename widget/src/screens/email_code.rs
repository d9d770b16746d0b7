//! Signing in with a code sent by email, and confirming an address the same way
//! when the client signs in only verified addresses.

use leptos::html::Input;
use leptos::prelude::*;
use portcullis_shared::api::EmailSent;

use super::email_code_link;
use crate::api::Failure;
use crate::fields::{Form, FormErrors, LinkButton, Message, TextField};
use crate::session::Session;
use crate::task::Tasks;
use crate::text::{self, email as t};

/// Asks for the emailed code. Emails carry no sign-in link: a code signs in only the
/// window it is typed into.
#[component]
pub fn EmailCodeStep(
    /// Where the code went; unknown after a usernameless passkey sign-in.
    email: Option<String>,
    /// The code confirms the address before the client signs the person in.
    verify: bool,
    /// How long the code lives and how many digits it has.
    sent: EmailSent,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let tasks = Tasks::here();
    let errors = FormErrors::new();
    let code_error: Message = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let code = RwSignal::new(String::new());
    let code_input = NodeRef::<Input>::new();
    session.focus_on_arrival(code_input);
    let length = sent.code_length;

    let submit = {
        let email = email.clone();
        move || {
            code_error.set(None);
            // People paste codes with spaces or dashes; only the digits count.
            let typed: String = code
                .get_untracked()
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .collect();
            if typed.len() != usize::from(length) || !typed.chars().all(|c| c.is_ascii_digit()) {
                FormErrors::on_field(code_error, code_input, t::code_missing(tx, length));
                return;
            }
            let email = email.clone();
            tasks.run(
                busy,
                session.email_code(email, verify, typed),
                move |result| {
                    match result {
                        Ok(()) => {}
                        // Wrong, but the code lives on: type it again.
                        Err(failure @ Failure::CodeInvalid) => {
                            code.set(String::new());
                            let message = text::failure_message(tx, &failure);
                            FormErrors::on_field(code_error, code_input, message);
                        }
                        Err(failure) => errors.on_form(text::failure_message(tx, &failure)),
                    }
                },
            );
        }
    };

    // A new code replaces the old one; the screen shows again, and says so.
    let resend = email.clone().map(|email| {
        move || {
            code_error.set(None);
            Some(email.clone())
        }
    });
    let back: Box<dyn Fn()> = match (&email, verify) {
        // The password step of the same address, with its other ways to sign in.
        (Some(email), false) => {
            let email = email.clone();
            Box::new(move || session.show_password(email.clone()))
        }
        // Verification comes after signing in: only another account is another way.
        _ => Box::new(move || leptos::task::spawn_local(session.use_another_account())),
    };
    let intro = if verify {
        t::verify(tx, email.as_deref(), length)
    } else {
        t::sent(tx, email.as_deref(), length)
    };

    view! {
        <p class="pc-hint pc-intro" part="hint">{intro}</p>
        <Form busy=busy errors=errors submit=tx.get(t::SUBMIT) busy_label=tx.get(t::BUSY) on_submit=Box::new(submit)>
            <TextField
                id="pc-code"
                label=tx.get(t::CODE)
                kind="text"
                autocomplete="one-time-code"
                inputmode="numeric"
                required=true
                value=code
                error=code_error
                node_ref=code_input
            />
        </Form>
        {resend.map(|resend| email_code_link(session, errors, tx.get(t::RESEND), resend, verify))}
        <p class="pc-switch" part="switch">
            <LinkButton label=if verify { tx.get(t::OTHER_ACCOUNT) } else { tx.get(t::OTHER_WAY) } on_click=back />
        </p>
    }
}
