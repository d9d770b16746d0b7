//! The second step of a sign-in: a code from an authenticator app, a recovery code, a
//! security key or an emailed code; setting up an app where the client requires one;
//! the recovery codes, shown once.

use std::rc::Rc;

use leptos::prelude::*;

use portcullis_shared::api::{EmailSent, SecondFactorMethod};

use super::{CodeForm, CodeShape, SendCode, TOTP};
use crate::fields::{BusyLink, ErrorText, Form, FormErrors, LinkButton, Message, OtherWay};
use crate::session::Session;
use crate::task::Tasks;
use crate::text::{self, email as e, mfa as t};

/// Asks for the app's code, or with `recovery`, a recovery code.
#[component]
pub fn SecondFactorStep(
    /// The account's address, if known.
    email: Option<String>,
    /// Ask for a recovery code instead of the app's code.
    recovery: bool,
    /// The ways the account can prove a second factor.
    methods: Vec<SecondFactorMethod>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let tasks = Tasks::here();
    let errors = FormErrors::new();
    let offers = |m| methods.contains(&m);
    let with_app = recovery || offers(SecondFactorMethod::Totp);
    let recovery_offered = offers(SecondFactorMethod::RecoveryCode);
    // "Remember this device": read when the code or the key is sent.
    let remember = RwSignal::new(false);
    let send: SendCode = {
        let email = email.clone();
        Rc::new(move |code: String| {
            let remember = remember.get_untracked();
            Box::pin(session.second_factor(email.clone(), recovery, code, remember))
        })
    };
    let (intro, missing, shape) = if recovery {
        (
            tx.get(t::RECOVERY_INTRO),
            tx.get(t::RECOVERY_MISSING),
            CodeShape::Recovery,
        )
    } else if with_app {
        (tx.get(t::TOTP_INTRO), tx.get(t::TOTP_MISSING), TOTP)
    } else {
        (tx.get(t::KEY_INTRO), tx.get(t::TOTP_MISSING), TOTP)
    };
    let form = with_app.then(|| {
        view! {
            <CodeForm shape=shape missing=missing errors=FormErrors::new() code_error=RwSignal::new(None) send=send />
        }
    });
    // A passkey or security key: the browser's own dialog, no field to fill.
    let key = (!recovery && offers(SecondFactorMethod::SecurityKey)).then(|| {
        let busy = RwSignal::new(false);
        let email = email.clone();
        let use_key = move || {
            errors.clear();
            let remember = remember.get_untracked();
            tasks.run(busy, session.second_factor_key(email.clone(), remember), move |result| {
                if let Err(failure) = result {
                    errors.on_form(text::failure_message(tx, &failure));
                }
            });
        };
        view! {
            <OtherWay label=tx.get(t::USE_KEY) busy_label=tx.get(t::KEY_BUSY) busy=busy on_click=Box::new(use_key) />
            <ErrorText id="pc-key-error" error=errors.form node_ref=errors.form_node />
        }
    });
    // A code emailed to the verified address, where the client allows it; sent at once
    // when it is the only way.
    let by_email = (!recovery && offers(SecondFactorMethod::EmailCode)).then(|| {
        let busy = RwSignal::new(false);
        let email_errors = FormErrors::new();
        let email = email.clone();
        let methods = methods.clone();
        let only = !with_app && !offers(SecondFactorMethod::SecurityKey);
        let send = move || {
            email_errors.clear();
            let sending = session.send_email_factor(email.clone(), methods.clone());
            tasks.run(busy, sending, move |result| {
                if let Err(failure) = result {
                    email_errors.on_form(text::failure_message(tx, &failure));
                }
            });
        };
        if only {
            send();
        }
        let (label, busy_label) = (tx.get(t::USE_EMAIL), tx.get(e::SENDING));
        let button = if only {
            view! { <BusyLink label=label busy_label=busy_label busy=busy on_click=Box::new(send) /> }.into_any()
        } else {
            view! { <OtherWay label=label busy_label=busy_label busy=busy on_click=Box::new(send) /> }.into_any()
        };
        view! {
            {button}
            <ErrorText id="pc-email-factor-error" error=email_errors.form node_ref=email_errors.form_node />
        }
    });
    let switch = (recovery || recovery_offered).then(|| {
        let email = email.clone();
        let methods = methods.clone();
        let label = if recovery {
            tx.get(t::USE_APP)
        } else {
            tx.get(t::USE_RECOVERY)
        };
        view! {
            <p class="pc-switch" part="switch">
                <LinkButton label=label on_click=Box::new(move || session.show_second_factor(email.clone(), !recovery, methods.clone())) />
            </p>
        }
    });
    // With only an emailed code, the code is on its way: its screen says the rest.
    let intro = (with_app || key.is_some()).then(|| {
        view! {
            <p class="pc-hint pc-intro" part="hint">{intro}</p>
            {remember_box(tx, remember)}
        }
    });
    view! {
        {intro}
        {form}
        {key}
        {by_email}
        {switch}
        <p class="pc-switch" part="switch">
            <LinkButton label=tx.get(e::OTHER_ACCOUNT) on_click=Box::new(move || leptos::task::spawn_local(session.use_another_account())) />
        </p>
    }
}

/// "Remember this device", read when the second factor is sent.
fn remember_box(tx: crate::text::Text, remember: RwSignal<bool>) -> impl IntoView {
    view! {
        <p class="pc-check" part="check">
            <label>
                <input type="checkbox" part="checkbox" on:change=move |ev| remember.set(event_target_checked(&ev)) />
                {tx.get(t::REMEMBER)}
            </label>
        </p>
    }
}

/// Asks for the code emailed to the account's verified address, as the second factor.
#[component]
pub fn EmailFactorStep(
    /// The account's address, if known.
    email: Option<String>,
    /// The ways the account can prove a second factor, to choose another.
    methods: Vec<SecondFactorMethod>,
    /// How long the code lives and how many digits it has.
    sent: EmailSent,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let tasks = Tasks::here();
    let errors = FormErrors::new();
    let code_error: Message = RwSignal::new(None);
    let remember = RwSignal::new(false);
    let length = sent.code_length;
    let send: SendCode = {
        let email = email.clone();
        Rc::new(move |code: String| {
            let remember = remember.get_untracked();
            Box::pin(session.email_factor(email.clone(), code, remember))
        })
    };
    let resend_busy = RwSignal::new(false);
    let resend = {
        let (email, methods) = (email.clone(), methods.clone());
        move || {
            errors.clear();
            code_error.set(None);
            let sending = session.send_email_factor(email.clone(), methods.clone());
            tasks.run(resend_busy, sending, move |result| {
                if let Err(failure) = result {
                    errors.on_form(text::failure_message(tx, &failure));
                }
            });
        }
    };
    // Other ways: back to the choice, where the account has any.
    let others = methods
        .iter()
        .any(|m| *m != SecondFactorMethod::EmailCode)
        .then(|| {
            let (email, methods) = (email.clone(), methods.clone());
            view! {
                <p class="pc-switch" part="switch">
                    <LinkButton label=tx.get(e::OTHER_WAY) on_click=Box::new(move || session.show_second_factor(email.clone(), false, methods.clone())) />
                </p>
            }
        });
    view! {
        <p class="pc-hint pc-intro" part="hint">{e::sent(tx, email.as_deref(), length)}</p>
        {remember_box(tx, remember)}
        <CodeForm
            shape=CodeShape::Digits(usize::from(length))
            missing=e::code_missing(tx, length)
            errors=errors
            code_error=code_error
            send=send
        />
        <BusyLink label=tx.get(e::RESEND) busy_label=tx.get(e::SENDING) busy=resend_busy on_click=Box::new(resend) />
        {others}
        <p class="pc-switch" part="switch">
            <LinkButton label=tx.get(e::OTHER_ACCOUNT) on_click=Box::new(move || leptos::task::spawn_local(session.use_another_account())) />
        </p>
    }
}

/// Sets up an authenticator app: its QR code (drawn by the edge as SVG), the key to
/// type where the code can't be scanned, and the app's first code to confirm.
#[component]
pub fn EnrolTotp(
    /// The account's address, if known.
    email: Option<String>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let tasks = Tasks::here();
    let errors = FormErrors::new();
    let loading = RwSignal::new(false);
    let key = RwSignal::new(None::<(String, String)>);
    tasks.run(
        loading,
        session.totp_enrolment(),
        move |result| match result {
            Ok(shown) => key.set(Some(shown)),
            Err(failure) => errors.on_form(text::failure_message(tx, &failure)),
        },
    );
    let send: SendCode = {
        let email = email.clone();
        Rc::new(move |code: String| Box::pin(session.confirm_totp(email.clone(), code)))
    };
    // Kept apart from the view's closures, which must be `Send`.
    let send = StoredValue::new_local(send);
    view! {
        <p class="pc-hint pc-intro" part="hint">{tx.get(t::ENROL_INTRO)}</p>
        {move || match key.get() {
            None => view! { <p class="pc-muted" part="status">{tx.get(t::PREPARING)}</p> }.into_any(),
            Some((secret, svg)) => {
                view! {
                    {qr_code(tx, &svg, secret)}
                    <CodeForm shape=TOTP missing=tx.get(t::TOTP_MISSING) errors=FormErrors::new() code_error=RwSignal::new(None) send=send.get_value() />
                }
                .into_any()
            }
        }}
        <p class="pc-switch" part="switch">
            <LinkButton label=tx.get(e::OTHER_ACCOUNT) on_click=Box::new(move || leptos::task::spawn_local(session.use_another_account())) />
        </p>
    }
}

/// A new app's key: its QR code (drawn by the edge as SVG) and the key to type where
/// the code can't be scanned.
pub fn qr_code(tx: crate::text::Text, svg: &str, secret: String) -> impl IntoView {
    let src = format!(
        "data:image/svg+xml,{}",
        String::from(js_sys::encode_uri_component(svg))
    );
    view! {
        <img class="pc-qr" part="qr" src=src alt=tx.get(t::QR) width="200" height="200" />
        <p class="pc-hint" part="hint">{tx.get(t::MANUAL_KEY)}</p>
        <p class="pc-key" part="key"><code>{secret}</code></p>
    }
}

/// The recovery codes, shown once: copy them, download them, then continue.
#[component]
pub fn RecoveryCodes(
    /// The codes, as the edge made them.
    codes: Vec<String>,
    /// They replace older codes, which no longer work: say so.
    #[prop(optional)]
    replaced: bool,
    /// What continuing does; by default, the sign-in they came with completes.
    #[prop(optional)]
    done: Option<Box<dyn Fn()>>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let tasks = Tasks::here();
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let all = codes.join("\n");
    let download = format!(
        "data:text/plain;charset=utf-8,{}",
        String::from(js_sys::encode_uri_component(&format!("{all}\n")))
    );
    let copy = move |_| {
        if copy_text(&all) {
            session.announce(t::COPIED);
        }
    };
    let submit = move || match &done {
        Some(done) => done(),
        None => tasks.run(busy, session.after_recovery_codes(), move |result| {
            if let Err(failure) = result {
                errors.on_form(text::failure_message(tx, &failure));
            }
        }),
    };
    view! {
        <p class="pc-hint pc-intro" part="hint">{tx.get(t::CODES_INTRO)}</p>
        {replaced.then(|| view! { <p class="pc-hint" part="hint">{tx.get(text::factors::CODES_REPLACED)}</p> })}
        <p class="pc-switch" part="switch">
            <button type="button" class="pc-link" part="link" on:click=copy>{tx.get(t::COPY)}</button>
            " "
            <a class="pc-link" part="link" href=download download="recovery-codes.txt">{tx.get(t::DOWNLOAD)}</a>
        </p>
        <Form busy=busy errors=errors submit=tx.get(t::CODES_DONE) busy_label=tx.get(e::BUSY) on_submit=Box::new(submit)>
            <ul class="pc-codes" part="codes">
                {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
            </ul>
        </Form>
    }
}

/// Puts `text` on the clipboard (`navigator.clipboard.writeText`); `false` where the
/// browser has no clipboard API.
fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let get =
        |object: &wasm_bindgen::JsValue, key: &str| js_sys::Reflect::get(object, &key.into()).ok();
    let clipboard = get(&window.into(), "navigator").and_then(|n| get(&n, "clipboard"));
    let write = clipboard
        .as_ref()
        .and_then(|c| get(c, "writeText"))
        .and_then(|f| wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f).ok());
    match (clipboard, write) {
        (Some(clipboard), Some(write)) => write.call1(&clipboard, &text.into()).is_ok(),
        _ => false,
    }
}
