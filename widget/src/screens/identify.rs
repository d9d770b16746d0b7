//! The identify step: who is signing in, or which passkey.

use leptos::html::Input;
use leptos::prelude::*;

use super::{email_code_link, looks_like_email, run};
use crate::fields::{Form, FormErrors, LinkButton, OtherWay, TextField};
use crate::session::Session;
use crate::text::{self, identify as t, passkey as tp};

/// Passkeys picked from autofill that the edge may refuse before autofill stops offering
/// them (the button still works).
const AUTOFILL_ATTEMPTS: usize = 3;

/// Asks for an email address (an embedded widget starts its flow with it), or a passkey:
/// from a button, or from the email field's autofill menu.
#[component]
pub fn Identify() -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let passkey_busy = RwSignal::new(false);
    let email_input = NodeRef::<Input>::new();
    session.focus_on_arrival(email_input);

    // Passkey autofill: pending for as long as this screen shows. A passkey the edge
    // refuses is explained, and the menu offers passkeys again, a few times: a browser
    // that kept answering with the same refused passkey must not loop.
    let autofill = move || {
        if !session.autofill_wanted() {
            return;
        }
        leptos::task::spawn_local(async move {
            for _ in 0..AUTOFILL_ATTEMPTS {
                let Some(assertion) = session.autofill().await else {
                    return;
                };
                // The screen may have gone while the browser waited for a passkey.
                if passkey_busy.is_disposed() {
                    return;
                }
                passkey_busy.set(true);
                errors.clear();
                session.announce(tp::BUSY);
                let result = session.sign_in_with_assertion(assertion).await;
                if passkey_busy.try_set(false).is_some() {
                    return;
                }
                match result {
                    Ok(()) => return,
                    Err(failure) => errors.on_form(text::failure_message(tx, &failure)),
                }
            }
        });
    };
    autofill();
    on_cleanup(move || session.stop_autofill());

    let submit = move || {
        let email = session.email.get_untracked().trim().to_string();
        if !looks_like_email(&email) {
            FormErrors::on_field(errors.email, email_input, tx.get(t::EMAIL_INVALID).into());
            return;
        }
        run(busy, async move {
            if let Err(failure) = session.identify(email).await {
                errors.on_form(text::failure_message(tx, &failure));
            }
        });
    };
    let typed_email = move || {
        let email = session.email.get_untracked().trim().to_string();
        if looks_like_email(&email) {
            return Some(email);
        }
        FormErrors::on_field(errors.email, email_input, tx.get(t::EMAIL_INVALID).into());
        None
    };
    let passkey = move || {
        errors.clear();
        session.announce(text::announce::PASSKEY);
        run(passkey_busy, async move {
            if let Err(failure) = session.sign_in_with_passkey(None).await {
                errors.on_form(text::failure_message(tx, &failure));
                // Still here: offer passkeys in the autofill menu again.
                autofill();
            }
        });
    };

    view! {
        <Form busy=busy errors=errors submit=tx.get(t::SUBMIT) busy_label=tx.get(t::BUSY) on_submit=Box::new(submit)>
            <TextField
                id="pc-email"
                label=tx.get(t::EMAIL)
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
        {email_code_link(session, errors, tx.get(text::email::SEND), typed_email, false)}
        {session.capabilities().passkeys.then(|| view! {
            <OtherWay label=tx.get(tp::SIGN_IN) busy_label=tx.get(tp::BUSY) busy=passkey_busy on_click=Box::new(passkey) />
        })}
        <p class="pc-switch" part="switch">
            {tx.get(t::NEW_HERE)} " "
            <LinkButton label=tx.get(t::CREATE_ACCOUNT) on_click=Box::new(move || session.show_sign_up()) />
        </p>
    }
}
