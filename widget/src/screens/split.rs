//! The screens after the first, each family in its own wasm module: fetched the first
//! time one of its screens shows, or earlier, when the browser is idle after the first
//! screen ([`prefetch`]). The first screen ([`super::identify`]) is in the main module.
//!
//! `scripts/build-widget` splits the module at these functions (`wasm-split-cli`); in
//! native builds (unit tests) they are plain calls.

use std::future::Future;
use std::pin::Pin;

use leptos::prelude::*;
use leptos::wasm_split::{wasm_split, SplitLoaderError};

use super::{email_code, password, recovery, second_factor, sign_up, signed_in};
use crate::api::Failure;
use crate::session::{Screen, Session};
use crate::text::{self, card as t};

/// A screen's module could not be fetched (offline, or the bundle was replaced since the
/// page loaded). Not kept: the next attempt fetches it again.
pub struct Unloaded;

impl From<SplitLoaderError> for Unloaded {
    fn from(_: SplitLoaderError) -> Self {
        Unloaded
    }
}

/// A screen's view, built once its module is loaded.
type Loaded = Result<AnyView, Unloaded>;

/// Shows `screen` from its family's module: the card's busy status ("Loading…") while
/// the module is fetched (nothing when it already is), the network failure if it cannot be.
pub fn lazily<F, Fut>(screen: Screen, load: F) -> AnyView
where
    F: Fn(Screen) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Loaded> + Send + 'static,
{
    let tx = expect_context::<Session>().text();
    let busy = move || view! { <p class="pc-muted" part="status">{tx.get(t::LOADING)}</p> };
    let shown = move || {
        let loading = load(screen.clone());
        Suspend::new(async move {
            loading.await.unwrap_or_else(|Unloaded| {
                let message = text::failure_message(tx, &Failure::Network);
                view! { <p class="pc-error" part="error" role="alert">{message}</p> }.into_any()
            })
        })
    };
    view! { <Suspense fallback=busy>{shown}</Suspense> }.into_any()
}

// Each function below is one split point: its module holds the screens it builds and
// the code only they use. Components run untracked, so the views are built the same
// whether the module was already loaded or not.

#[wasm_split(password, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_password))]
pub fn password(screen: Screen) -> Loaded {
    Ok(untrack(|| match screen {
        Screen::Password { email } => view! { <password::Password email=email /> }.into_any(),
        _ => ().into_any(),
    }))
}

#[wasm_split(sign_up, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_sign_up))]
pub fn sign_up(screen: Screen) -> Loaded {
    Ok(untrack(|| match screen {
        Screen::SignUp => view! { <sign_up::SignUp /> }.into_any(),
        _ => ().into_any(),
    }))
}

#[wasm_split(email_code, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_email_code))]
pub fn email_code(screen: Screen) -> Loaded {
    Ok(untrack(|| match screen {
        Screen::EmailCode {
            email,
            verify,
            sent,
        } => view! { <email_code::EmailCodeStep email=email verify=verify sent=sent /> }.into_any(),
        _ => ().into_any(),
    }))
}

/// Forgot password or address, "check your email", and the reset from an emailed link.
#[wasm_split(recovery, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_recovery))]
pub fn recovery(screen: Screen) -> Loaded {
    Ok(untrack(|| {
        let tx = expect_context::<Session>().text();
        match screen {
            Screen::Forgot { account } => view! { <recovery::Forgot account=account /> }.into_any(),
            Screen::CheckEmail {
                email,
                link_minutes,
            } => recovery::check_email(tx, &email, link_minutes).into_any(),
            Screen::Reset => view! { <recovery::Reset /> }.into_any(),
            Screen::ResetDone => recovery::reset_done(tx).into_any(),
            _ => ().into_any(),
        }
    }))
}

/// The second factor at sign-in, and setting up an app with its recovery codes.
#[wasm_split(second_factor, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_second_factor))]
pub fn second_factor(screen: Screen) -> Loaded {
    Ok(untrack(|| match screen {
        Screen::SecondFactor {
            email,
            recovery,
            methods,
        } => view! {
            <second_factor::SecondFactorStep email=email recovery=recovery methods=methods />
        }
        .into_any(),
        Screen::EnrolTotp { email } => view! { <second_factor::EnrolTotp email=email /> }.into_any(),
        Screen::RecoveryCodes { codes } => {
            view! { <second_factor::RecoveryCodes codes=codes /> }.into_any()
        }
        _ => ().into_any(),
    }))
}

/// The signed-in area of an embedded widget: passkeys and two-step management.
#[wasm_split(signed_in, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_signed_in))]
pub fn signed_in(screen: Screen) -> Loaded {
    Ok(untrack(|| match screen {
        Screen::SignedIn {
            email,
            offer_passkey,
            credentials_removed,
        } => view! {
            <signed_in::SignedIn email=email offer_passkey=offer_passkey credentials_removed=credentials_removed />
        }
        .into_any(),
        _ => ().into_any(),
    }))
}

/// What resuming a flow after a sign-in provider sent the person back resolves to.
pub type Resumed = Pin<Box<dyn Future<Output = Option<Result<(), Failure>>>>>;

/// Resumes a flow when the page comes back from a sign-in provider (rare: only then is
/// this module fetched).
#[wasm_split(federation_resume, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn federation_resume(session: Session) -> Result<Resumed, Unloaded> {
    Ok(Box::pin(session.resume_from_provider()))
}

/// Fetches the screens' modules, the likeliest next one first, so that the next step
/// shows without waiting on the network. One that fails is fetched again when shown.
pub async fn prefetch() {
    let _ = preload_password().await;
    let _ = preload_sign_up().await;
    let _ = preload_email_code().await;
    let _ = preload_second_factor().await;
    let _ = preload_recovery().await;
    let _ = preload_signed_in().await;
}
