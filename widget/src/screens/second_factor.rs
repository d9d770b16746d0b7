//! The second step of a sign-in: a code from an authenticator app or a recovery code;
//! setting up an app where the client requires one; the recovery codes, shown once.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::html::Input;
use leptos::prelude::*;

use crate::api::Failure;
use portcullis_shared::api::SecondFactorMethod;

use crate::fields::{ErrorText, Form, FormErrors, LinkButton, Message, OtherWay, TextField};
use crate::session::Session;
use crate::task::Tasks;
use crate::text::{self, email as e, mfa as t};

/// The request a code form makes with the typed code.
type SendCode = Rc<dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<(), Failure>>>>>;

/// Digits of an authenticator app's code (RFC 6238 as apps use it).
const TOTP_DIGITS: usize = 6;

/// The code as typed, without the spaces and dashes people paste it with.
fn typed(code: RwSignal<String>) -> String {
    code.get_untracked()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// One code field in a form, for the app's code or a recovery code.
#[component]
fn CodeForm(
    /// A recovery code rather than the app's code.
    recovery: bool,
    /// Whether the typed code has the shape of one.
    check: fn(&str) -> bool,
    /// What a code that does not pass `check` is told.
    missing: &'static str,
    /// Runs the request for the typed code; `Ok` leaves the screen.
    send: SendCode,
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
    let submit = move || {
        code_error.set(None);
        let value = typed(code);
        if !check(&value) {
            FormErrors::on_field(code_error, code_input, missing.to_string());
            return;
        }
        tasks.run(busy, send(value), move |result| match result {
            Ok(()) => {}
            Err(failure @ Failure::FactorCodeInvalid) => {
                code.set(String::new());
                FormErrors::on_field(code_error, code_input, text::failure_message(tx, &failure));
            }
            Err(failure) => errors.on_form(text::failure_message(tx, &failure)),
        });
    };
    let (label, autocomplete, inputmode) = if recovery {
        (tx.get(t::RECOVERY_CODE), "off", "text")
    } else {
        (tx.get(e::CODE), "one-time-code", "numeric")
    };
    view! {
        <Form busy=busy errors=errors submit=tx.get(e::SUBMIT) busy_label=tx.get(e::BUSY) on_submit=Box::new(submit)>
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

fn totp_shape(code: &str) -> bool {
    code.len() == TOTP_DIGITS && code.chars().all(|c| c.is_ascii_digit())
}

fn recovery_shape(code: &str) -> bool {
    !code.is_empty() && code.len() <= 64
}

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
    let send: SendCode = {
        let email = email.clone();
        Rc::new(move |code: String| Box::pin(session.second_factor(email.clone(), recovery, code)))
    };
    let (intro, missing, check): (_, _, fn(&str) -> bool) = if recovery {
        (
            tx.get(t::RECOVERY_INTRO),
            tx.get(t::RECOVERY_MISSING),
            recovery_shape,
        )
    } else if with_app {
        (tx.get(t::TOTP_INTRO), tx.get(t::TOTP_MISSING), totp_shape)
    } else {
        (tx.get(t::KEY_INTRO), tx.get(t::TOTP_MISSING), totp_shape)
    };
    let form = with_app
        .then(|| view! { <CodeForm recovery=recovery check=check missing=missing send=send /> });
    // A passkey or security key: the browser's own dialog, no field to fill.
    let key = (!recovery && offers(SecondFactorMethod::SecurityKey)).then(|| {
        let busy = RwSignal::new(false);
        let email = email.clone();
        let use_key = move || {
            errors.clear();
            tasks.run(busy, session.second_factor_key(email.clone()), move |result| {
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
    view! {
        <p class="pc-hint pc-intro" part="hint">{intro}</p>
        {form}
        {key}
        {switch}
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
                let src = format!(
                    "data:image/svg+xml,{}",
                    String::from(js_sys::encode_uri_component(&svg))
                );
                view! {
                    <img class="pc-qr" part="qr" src=src alt=tx.get(t::QR) width="200" height="200" />
                    <p class="pc-hint" part="hint">{tx.get(t::MANUAL_KEY)}</p>
                    <p class="pc-key" part="key"><code>{secret}</code></p>
                    <CodeForm recovery=false check=totp_shape missing=tx.get(t::TOTP_MISSING) send=send.get_value() />
                }
                .into_any()
            }
        }}
        <p class="pc-switch" part="switch">
            <LinkButton label=tx.get(e::OTHER_ACCOUNT) on_click=Box::new(move || leptos::task::spawn_local(session.use_another_account())) />
        </p>
    }
}

/// The recovery codes, shown once: copy them, download them, then continue.
#[component]
pub fn RecoveryCodes(
    /// The codes, as the edge made them.
    codes: Vec<String>,
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
    let submit = move || {
        tasks.run(busy, session.after_recovery_codes(), move |result| {
            if let Err(failure) = result {
                errors.on_form(text::failure_message(tx, &failure));
            }
        });
    };
    view! {
        <p class="pc-hint pc-intro" part="hint">{tx.get(t::CODES_INTRO)}</p>
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
