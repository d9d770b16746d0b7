//! Signing in with a code sent by email, and confirming an address the same way
//! when the client signs in only verified addresses.

use std::rc::Rc;

use leptos::prelude::*;
use portcullis_shared::api::EmailSent;

use super::{email_code_link, CodeForm, CodeShape, SendCode};
use crate::fields::{FormErrors, LinkButton, Message};
use crate::session::Session;
use crate::text::email as t;

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
    let errors = FormErrors::new();
    let code_error: Message = RwSignal::new(None);
    let length = sent.code_length;
    let send: SendCode = {
        let email = email.clone();
        Rc::new(move |code: String| Box::pin(session.email_code(email.clone(), verify, code)))
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
        <CodeForm
            shape=CodeShape::Digits(usize::from(length))
            missing=t::code_missing(tx, length)
            errors=errors
            code_error=code_error
            send=send
        />
        {resend.map(|resend| email_code_link(session, errors, tx.get(t::RESEND), resend, verify))}
        <p class="pc-switch" part="switch">
            <LinkButton label=if verify { tx.get(t::OTHER_ACCOUNT) } else { tx.get(t::OTHER_WAY) } on_click=back />
        </p>
    }
}
