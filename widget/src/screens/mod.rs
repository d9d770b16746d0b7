//! The widget's screens, one per step, and the switch between them.

mod email_code;
mod identify;
mod passkeys;
mod password;
mod recovery;
mod second_factor;
mod sign_up;
mod signed_in;

use leptos::prelude::*;

use crate::fields::{BusyLink, FormErrors};
use crate::session::{Screen, Session};
use crate::task::Tasks;
use crate::text;

/// The screen the session is on.
#[component]
pub fn Current() -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    move || {
        match session.screen() {
        Screen::Identify => view! { <identify::Identify /> }.into_any(),
        Screen::Password { email } => view! { <password::Password email=email /> }.into_any(),
        Screen::SignUp => view! { <sign_up::SignUp /> }.into_any(),
        Screen::SignedIn {
            email,
            offer_passkey,
            credentials_removed,
        } => view! {
            <signed_in::SignedIn email=email offer_passkey=offer_passkey credentials_removed=credentials_removed />
        }
        .into_any(),
        Screen::Redirecting { continue_to: None } => view! {
            <p class="pc-muted" part="status">{tx.get(text::signed_in::REDIRECTING)}</p>
        }
        .into_any(),
        // Told before the window leaves: the account's earlier credentials are gone.
        Screen::Redirecting {
            continue_to: Some(url),
        } => view! {
            <p class="pc-hint pc-intro" part="hint">{tx.get(text::email::CREDENTIALS_REMOVED)}</p>
            <a class="pc-button" part="button" href=url>{tx.get(text::email::SUBMIT)}</a>
        }
        .into_any(),
        Screen::EmailCode {
            email,
            verify,
            sent,
        } => view! { <email_code::EmailCodeStep email=email verify=verify sent=sent /> }.into_any(),
        Screen::Forgot { account } => view! { <recovery::Forgot account=account /> }.into_any(),
        Screen::CheckEmail {
            email,
            link_minutes,
        } => recovery::check_email(session.text(), &email, link_minutes).into_any(),
        Screen::Reset => view! { <recovery::Reset /> }.into_any(),
        Screen::ResetDone => recovery::reset_done(session.text()).into_any(),
        Screen::SecondFactor {
            email,
            recovery,
            methods,
        } => view! {
            <second_factor::SecondFactorStep email=email recovery=recovery methods=methods />
        }
        .into_any(),
        Screen::EnrolTotp { email } => view! { <second_factor::EnrolTotp email=email /> }.into_any(),
        Screen::RecoveryCodes { codes } => view! { <second_factor::RecoveryCodes codes=codes /> }.into_any(),
    }
    }
}

/// "Email me a sign-in code" (or "Send a new code"): a link-like button that emails a
/// code to `email` and shows the code step; failures go to the form.
fn email_code_link(
    session: Session,
    errors: FormErrors,
    label: &'static str,
    email: impl Fn() -> Option<String> + 'static,
    verify: bool,
) -> impl IntoView {
    let tasks = Tasks::here();
    let busy = RwSignal::new(false);
    let send = move || {
        errors.clear();
        // `None`: the address is not usable, and the caller has said why.
        if let Some(email) = email() {
            send_code(session, tasks, busy, errors, email, verify);
        }
    };
    view! { <BusyLink label=label busy_label=session.text().get(text::email::SENDING) busy=busy on_click=Box::new(send) /> }
}

/// Not generic, so that every screen that emails a code shares one compiled task.
fn send_code(
    session: Session,
    tasks: Tasks,
    busy: RwSignal<bool>,
    errors: FormErrors,
    email: String,
    verify: bool,
) {
    tasks.run(
        busy,
        session.send_email_code(email, verify),
        move |result| {
            if let Err(failure) = result {
                errors.on_form(text::failure_message(session.text(), &failure));
            }
        },
    );
}
