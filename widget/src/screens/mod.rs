//! The widget's screens, one per step, and the switch between them.

mod account;
mod email_code;
mod factors;
mod identify;
mod identities;
mod later;
mod passkeys;
mod password;
mod profile;
mod recovery;
mod second_factor;
mod sign_up;
mod signed_in;
#[cfg(not(feature = "ssr"))]
pub mod split;
#[cfg(feature = "ssr")]
#[path = "split_ssr.rs"]
pub mod split;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::either::{EitherOf3, EitherOf4};
use leptos::html::Input;
use leptos::prelude::*;

use crate::api::Failure;
use crate::fields::{BusyLink, Form, FormErrors, Message, TextField};
use crate::session::{Screen, Session};
use crate::task::Tasks;
use crate::text::{self, card, Text};

/// The card's title and the screen the session is on: the first screen from the main
/// module, the others from their family's module ([`split`]). While a module is on its
/// way the card shows its busy status, and the title comes with the screen.
#[component]
pub fn Current(
    /// The client's name, for the title.
    client: String,
) -> impl IntoView {
    use split::{Family, Shown};
    let session = expect_context::<Session>();
    let tx = session.text();
    let loads = split::Loads::new();
    move || {
        loads.track();
        let screen = session.screen();
        let family = match &screen {
            Screen::Password { .. } => Some(Family::Password),
            Screen::SignUp => Some(Family::SignUp),
            Screen::SignedIn { .. } => Some(Family::SignedIn),
            Screen::EmailCode { .. } => Some(Family::EmailCode),
            Screen::Forgot { .. }
            | Screen::CheckEmail { .. }
            | Screen::Reset
            | Screen::ResetDone => Some(Family::Recovery),
            Screen::SecondFactor { .. }
            | Screen::EmailFactor { .. }
            | Screen::EnrolTotp { .. }
            | Screen::RecoveryCodes { .. } => Some(Family::SecondFactor),
            Screen::Profile { .. } => Some(Family::Profile),
            Screen::Identify | Screen::Redirecting { .. } => None,
        };
        let title = title(tx, &screen, &client);
        // Either-of, not `into_any`, for the first screen's views: see `fields::Form`. A
        // later screen comes from its module type-erased, as a `later::Later`.
        let body = match (family, screen) {
            (Some(family), screen) => match split::lazily(session, family, screen, loads) {
                Shown::Ready(view) => EitherOf4::A(view),
                Shown::Loading => {
                    return EitherOf3::A(
                        view! { <p class="pc-muted" part="status">{tx.get(card::LOADING)}</p> },
                    );
                }
                Shown::Failed => {
                    let message = text::failure_message(tx, &Failure::Network);
                    return EitherOf3::B(
                        view! { <p class="pc-error" part="error" role="alert">{message}</p> },
                    );
                }
            },
            (None, Screen::Redirecting { continue_to: None }) => EitherOf4::B(view! {
                <p class="pc-muted" part="status">{tx.get(text::signed_in::REDIRECTING)}</p>
            }),
            // Told before the window leaves: the account's earlier credentials are gone.
            (
                None,
                Screen::Redirecting {
                    continue_to: Some(url),
                },
            ) => EitherOf4::C(view! {
                <p class="pc-hint pc-intro" part="hint">{tx.get(text::email::CREDENTIALS_REMOVED)}</p>
                <a class="pc-button" part="button" href=url>{tx.get(text::email::SUBMIT)}</a>
            }),
            (None, _) => EitherOf4::D(view! { <identify::Identify /> }),
        };
        EitherOf3::C(view! {
            <h2 id="pc-title" class="pc-title" part="title">{title}</h2>
            {body}
        })
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

/// The request a code form makes with the typed code; `Ok` leaves the screen.
type SendCode = Rc<dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<(), Failure>>>>>;

/// What a code looks like, checked before a round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeShape {
    /// So many digits: an emailed code, or an authenticator app's (RFC 6238).
    Digits(usize),
    /// A recovery code.
    Recovery,
}

/// An authenticator app's code, as apps show it.
const TOTP: CodeShape = CodeShape::Digits(6);

impl CodeShape {
    fn fits(self, code: &str) -> bool {
        match self {
            CodeShape::Digits(n) => code.len() == n && code.chars().all(|c| c.is_ascii_digit()),
            CodeShape::Recovery => !code.is_empty() && code.len() <= 64,
        }
    }
}

/// The code as typed, without the spaces and dashes people paste it with.
fn typed(code: RwSignal<String>) -> String {
    code.get_untracked()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// A form with one code field: an emailed code, an app's code or a recovery code. A
/// wrong code that may be typed again clears the field and says so under it.
#[component]
fn CodeForm(
    /// What the code looks like; also its label and on-screen keyboard.
    shape: CodeShape,
    /// What a code of the wrong shape is told.
    #[prop(into)]
    missing: String,
    /// The form's messages (shared with a link that sends a new code).
    errors: FormErrors,
    /// The field's message.
    code_error: Message,
    /// Runs the request for the typed code.
    send: SendCode,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let tasks = Tasks::here();
    let busy = RwSignal::new(false);
    let code = RwSignal::new(String::new());
    let code_input = NodeRef::<Input>::new();
    session.focus_on_arrival(code_input);
    let submit = move || {
        code_error.set(None);
        let value = typed(code);
        if !shape.fits(&value) {
            FormErrors::on_field(code_error, code_input, missing.clone());
            return;
        }
        tasks.run(busy, send(value), move |result| match result {
            Ok(()) => {}
            // Wrong, but the code lives on: type it again.
            Err(failure @ (Failure::CodeInvalid | Failure::FactorCodeInvalid)) => {
                code.set(String::new());
                FormErrors::on_field(code_error, code_input, text::failure_message(tx, &failure));
            }
            Err(failure) => errors.on_form(text::failure_message(tx, &failure)),
        });
    };
    let (label, autocomplete, inputmode) = match shape {
        CodeShape::Recovery => (tx.get(text::mfa::RECOVERY_CODE), "off", "text"),
        CodeShape::Digits(_) => (tx.get(text::email::CODE), "one-time-code", "numeric"),
    };
    view! {
        <Form busy=busy errors=errors submit=tx.get(text::email::SUBMIT) busy_label=tx.get(text::email::BUSY) on_submit=Box::new(submit)>
            <TextField
                id="pc-code"
                label=label
                kind="text"
                autocomplete=autocomplete
                inputmode=inputmode
                required=true
                value=code
                error=code_error
                node_ref=code_input
            />
        </Form>
    }
}

/// The card's title on `screen`.
fn title(tx: Text, screen: &Screen, client: &str) -> String {
    let fixed = match screen {
        Screen::SignUp => return card::sign_up_title(tx, client),
        Screen::SignedIn { .. } => return card::signed_in_title(tx, client),
        Screen::Identify
        | Screen::Password { .. }
        | Screen::Redirecting { .. }
        | Screen::EmailCode { verify: false, .. }
        | Screen::SecondFactor { .. }
        | Screen::EmailFactor { .. }
        | Screen::EnrolTotp { .. }
        | Screen::RecoveryCodes { .. } => return card::sign_in_title(tx, client),
        Screen::EmailCode { verify: true, .. } => tx.get(card::VERIFY_TITLE),
        Screen::Forgot { account: false } => tx.get(card::FORGOT_TITLE),
        Screen::Forgot { account: true } => tx.get(card::FIND_ACCOUNT_TITLE),
        Screen::CheckEmail { .. } => tx.get(card::CHECK_EMAIL_TITLE),
        Screen::Reset => tx.get(card::RESET_TITLE),
        Screen::ResetDone => tx.get(card::RESET_DONE_TITLE),
        Screen::Profile { .. } => tx.get(text::profile::TITLE),
    };
    fixed.to_string()
}
