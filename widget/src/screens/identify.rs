//! The identify step: who is signing in, or which passkey.

use leptos::prelude::*;

use super::email_code_link;
use crate::fields::{EmailField, Form, FormErrors, LinkButton, OtherWay};
use crate::session::Session;
use crate::task::Tasks;
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
    let tasks = Tasks::here();
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let passkey_busy = RwSignal::new(false);
    let email = EmailField::new(session, errors);
    session.focus_on_arrival(email.node());

    // Passkey autofill: pending for as long as this screen shows. A passkey the edge
    // refuses is explained, and the menu offers passkeys again, a few times: a browser
    // that kept answering with the same refused passkey must not loop.
    let autofill = move || offer_autofill(session, tasks, errors, passkey_busy, AUTOFILL_ATTEMPTS);
    // Once the browser's capabilities are known: at once, or under a first screen the
    // edge rendered, when detected. Not on the edge (`ssr`): nothing runs there but the
    // views, even where a build with every feature turns effects on (workspace tests).
    #[cfg(not(feature = "ssr"))]
    Effect::new(move |offered: Option<bool>| {
        if offered == Some(true) {
            return true;
        }
        let ready = session.watch_capabilities().autofill;
        if ready {
            autofill();
        }
        ready
    });
    on_cleanup(move || {
        session.stop_autofill();
        session.forget_arrival();
    });

    let submit = move || {
        if let Some(email) = email.checked() {
            tasks.run(busy, session.identify(email), move |result| {
                if let Err(failure) = result {
                    errors.on_form(text::failure_message(tx, &failure));
                }
            });
        }
    };
    let passkey = move || {
        errors.clear();
        session.announce(text::announce::PASSKEY);
        tasks.run(
            passkey_busy,
            session.sign_in_with_passkey(None),
            move |result| {
                if let Err(failure) = result {
                    errors.on_form(text::failure_message(tx, &failure));
                    // Still here: offer passkeys in the autofill menu again.
                    autofill();
                }
            },
        );
    };

    let providers = session.connections().into_iter().map(|connection| {
        let label = text::provider::continue_with(tx, &connection.name);
        let provider_busy = RwSignal::new(false);
        let go = move |_| {
            if provider_busy.get_untracked() {
                return;
            }
            errors.clear();
            let id = connection.id.clone();
            tasks.run(provider_busy, session.sign_in_with_provider(id), move |result| {
                if let Err(failure) = result {
                    errors.on_form(text::failure_message(tx, &failure));
                }
            });
        };
        view! {
            <button class="pc-button pc-secondary" part="button provider" type="button" disabled=provider_busy on:click=go>
                {label}
            </button>
        }
    }).collect_view();

    view! {
        // Back from a provider that did not sign the person in: why, in their language.
        {move || session.arrival().map(|message| view! { <p class="pc-error" part="error" role="alert">{message}</p> })}
        {providers}
        <Form busy=busy errors=errors submit=tx.get(t::SUBMIT) busy_label=tx.get(t::BUSY) on_submit=Box::new(submit)>
            {email.view(tx.get(t::EMAIL), "username webauthn")}
        </Form>
        {email_code_link(session, errors, tx.get(text::email::SEND), move || email.checked(), false)}
        {move || session.watch_capabilities().passkeys.then(|| view! {
            <OtherWay label=tx.get(tp::SIGN_IN) busy_label=tx.get(tp::BUSY) busy=passkey_busy on_click=Box::new(passkey) />
        })}
        <p class="pc-switch" part="switch">
            {tx.get(t::NEW_HERE)} " "
            <LinkButton label=tx.get(t::CREATE_ACCOUNT) on_click=Box::new(move || session.show_sign_up()) />
        </p>
    }
}

/// Waits for a passkey picked from the email field's autofill menu, then signs in with
/// it; a refused passkey is explained and the menu offered again, `attempts` times.
fn offer_autofill(
    session: Session,
    tasks: Tasks,
    errors: FormErrors,
    busy: RwSignal<bool>,
    attempts: usize,
) {
    if attempts == 0 || !session.autofill_wanted() {
        return;
    }
    tasks.spawn(session.autofill(), move |assertion| {
        let Some(assertion) = assertion else {
            return;
        };
        errors.clear();
        session.announce(tp::BUSY);
        tasks.run(
            busy,
            session.sign_in_with_assertion(assertion),
            move |result| {
                if let Err(failure) = result {
                    errors.on_form(text::failure_message(session.text(), &failure));
                    offer_autofill(session, tasks, errors, busy, attempts - 1);
                }
            },
        );
    });
}
