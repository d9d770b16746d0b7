//! Recovery by email: asking for a password reset link (or a reminder of which address
//! has an account), "check your email", and choosing a new password from the link.

use leptos::html::{Input, P};
use leptos::prelude::*;

use crate::api::Failure;
use crate::fields::{EmailField, Form, FormErrors, LinkButton, PasswordField};
use crate::session::Session;
use crate::task::Tasks;
use crate::text::{self, forgot as t, reset as tr, sign_up as ts, Text};

/// Asks for the address to send a reset link to, or with `account`, an address to send a
/// reminder to. Filled in with the address typed so far.
#[component]
pub fn Forgot(
    /// Someone who forgot which address they used, rather than their password.
    account: bool,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let tasks = Tasks::here();
    let email = EmailField::new(session, errors);
    session.focus_on_arrival(email.node());

    let submit = move || {
        if let Some(email) = email.checked() {
            tasks.run(busy, session.recover(account, email), move |result| {
                if let Err(failure) = result {
                    errors.on_form(text::failure_message(tx, &failure));
                }
            });
        }
    };
    let (intro, submit_label) = if account {
        (tx.get(t::ACCOUNT_TEXT), tx.get(t::ACCOUNT_SUBMIT))
    } else {
        (tx.get(t::RESET_TEXT), tx.get(t::RESET_SUBMIT))
    };

    view! {
        <p class="pc-hint pc-intro" part="hint">{intro}</p>
        <Form busy=busy errors=errors submit=submit_label busy_label=tx.get(t::BUSY) on_submit=Box::new(submit)>
            {email.view(tx.get(t::EMAIL), "username")}
        </Form>
        {(!account).then(|| view! {
            <p class="pc-switch" part="switch">
                <LinkButton label=tx.get(t::FORGOT_EMAIL) on_click=Box::new(move || session.show_forgot(true)) />
            </p>
        })}
        <p class="pc-switch" part="switch">
            <LinkButton label=tx.get(t::BACK) on_click=Box::new(move || session.show_identify()) />
        </p>
    }
}

/// "Check your email": the same words for every address; whether it has an account is
/// the email's business.
pub fn check_email(tx: Text, email: &str, link_minutes: Option<u64>) -> impl IntoView {
    let more = match link_minutes {
        Some(minutes) => t::link_works(tx, minutes),
        None => tx.get(t::REMINDER_WORKS).to_string(),
    };
    view! { <Notice message=t::check_email(tx, email) detail=Some(more) action=tx.get(t::BACK) /> }
}

/// The password is changed; signing in is one step away.
pub fn reset_done(tx: Text) -> impl IntoView {
    view! { <Notice message=tx.get(tr::DONE).to_string() detail=None action=tx.get(tr::SIGN_IN) /> }
}

/// A message that takes focus, more words under it, and a button to the first screen.
#[component]
fn Notice(
    /// What happened.
    message: String,
    /// What to know about it.
    detail: Option<String>,
    /// The button's label.
    action: &'static str,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let status = NodeRef::<P>::new();
    session.focus_on_arrival(status);
    view! {
        <div class="pc-step" part="notice">
            <p class="pc-identity" part="status" tabindex="-1" node_ref=status>{message}</p>
            {detail.map(|detail| view! { <p class="pc-hint" part="hint">{detail}</p> })}
            <button class="pc-button" part="button" type="button" on:click=move |_| session.show_identify()>
                {action}
            </button>
        </div>
    }
}

/// Asks for a new password for the account whose reset link opened the page. A link
/// that expired or was used offers to ask for a new one.
#[component]
pub fn Reset() -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let tasks = Tasks::here();
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let expired = RwSignal::new(false);
    let password = RwSignal::new(String::new());
    let password_input = NodeRef::<Input>::new();
    session.focus_on_arrival(password_input);

    let submit = move || {
        let secret = password.get_untracked();
        if secret.is_empty() {
            FormErrors::on_field(
                errors.password,
                password_input,
                tx.get(ts::PASSWORD_MISSING).into(),
            );
            return;
        }
        tasks.run(busy, session.reset_password(secret), move |result| {
            match result {
                Ok(()) => {}
                // The link still works: choose another password.
                Err(failure @ Failure::PasswordRejected(_)) => {
                    let message = text::failure_message(tx, &failure);
                    FormErrors::on_field(errors.password, password_input, message);
                }
                Err(failure) => {
                    expired.set(matches!(failure, Failure::LinkExpired));
                    errors.on_form(text::failure_message(tx, &failure));
                }
            }
        });
    };

    view! {
        <Form busy=busy errors=errors submit=tx.get(tr::SUBMIT) busy_label=tx.get(tr::BUSY) on_submit=Box::new(submit)>
            <PasswordField
                id="pc-new-password"
                label=tx.get(tr::PASSWORD)
                autocomplete="new-password"
                hint=tx.get(ts::PASSWORD_HINT)
                value=password
                error=errors.password
                node_ref=password_input
            />
        </Form>
        {move || expired.get().then(|| view! {
            <p class="pc-switch" part="switch">
                <LinkButton label=tx.get(tr::NEW_LINK) on_click=Box::new(move || session.show_forgot(false)) />
            </p>
        })}
        <p class="pc-switch" part="switch">
            <LinkButton label=tx.get(t::BACK) on_click=Box::new(move || session.show_identify()) />
        </p>
    }
}
