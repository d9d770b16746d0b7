//! The screens after the first, each family in its own wasm module: fetched the first
//! time one of its screens shows, or earlier, when the browser is idle after the first
//! screen ([`prefetch`]). The first screen ([`super::identify`]) is in the main module.
//!
//! `scripts/build-widget` splits the module at these functions (`wasm-split-cli`); in
//! native builds (unit tests) they are plain calls.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use leptos::prelude::*;
use leptos::wasm_split::{wasm_split, SplitLoaderError};

use super::later::Later;
use super::{email_code, password, profile, recovery, second_factor, sign_up, signed_in};
use crate::api::Failure;
use crate::session::{Screen, Session};

/// A screen's module could not be fetched (offline, or the bundle was replaced since the
/// page loaded). Not kept: the next attempt fetches it again.
pub struct Unloaded;

impl From<SplitLoaderError> for Unloaded {
    fn from(_: SplitLoaderError) -> Self {
        Unloaded
    }
}

/// A screen's view, built once its module is loaded.
type Loaded = Result<Later, Unloaded>;

/// The families of screens, one module each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Password,
    SignUp,
    EmailCode,
    Recovery,
    SecondFactor,
    SignedIn,
    Profile,
}

impl Family {
    /// Loads the family's module (at once if it already is).
    fn load(self) -> Pin<Box<dyn Future<Output = Result<(), SplitLoaderError>>>> {
        match self {
            Family::Password => Box::pin(preload_password()),
            Family::SignUp => Box::pin(preload_sign_up()),
            Family::EmailCode => Box::pin(preload_email_code()),
            Family::Recovery => Box::pin(preload_recovery()),
            Family::SecondFactor => Box::pin(preload_second_factor()),
            Family::SignedIn => Box::pin(preload_signed_in()),
            Family::Profile => Box::pin(preload_profile()),
        }
    }

    /// Builds `screen` with the family's module.
    fn build(self, screen: Screen) -> Pin<Box<dyn Future<Output = Loaded>>> {
        match self {
            Family::Password => Box::pin(password(screen)),
            Family::SignUp => Box::pin(sign_up(screen)),
            Family::EmailCode => Box::pin(email_code(screen)),
            Family::Recovery => Box::pin(recovery(screen)),
            Family::SecondFactor => Box::pin(second_factor(screen)),
            Family::SignedIn => Box::pin(signed_in(screen)),
            Family::Profile => Box::pin(profile(screen)),
        }
    }
}

/// What [`lazily`] has to show.
pub enum Shown {
    /// The screen, built now (in the caller's reactive owner, as any other view).
    Ready(Later),
    /// Its module is on its way: the card's busy status shows until `loaded` changes.
    Loading,
    /// Its module could not be fetched.
    Failed,
}

/// How the modules the card waits on are doing, tracked by whoever shows screens.
#[derive(Clone, Copy)]
pub struct Loads {
    /// Bumped when a module the card waited on arrived.
    arrived: RwSignal<u32>,
    /// A module the card waited on could not be fetched.
    failed: RwSignal<bool>,
}

impl Loads {
    pub fn new() -> Self {
        Loads {
            arrived: RwSignal::new(0),
            failed: RwSignal::new(false),
        }
    }

    /// Tracks both, so that the caller builds its screen again when either changes.
    pub fn track(self) {
        self.arrived.track();
        self.failed.track();
    }
}

/// Builds `screen` from `family`'s module if it is loaded, else starts loading it and,
/// once it arrives (or cannot), changes `loads` while `screen` is still the one to show,
/// so that the caller, which tracks `loads`, builds it then.
pub fn lazily(session: Session, family: Family, screen: Screen, loads: Loads) -> Shown {
    let mut waker = Context::from_waker(Waker::noop());
    let mut load = family.load();
    match load.as_mut().poll(&mut waker) {
        Poll::Ready(Ok(())) => match family.build(screen).as_mut().poll(&mut waker) {
            Poll::Ready(Ok(view)) => Shown::Ready(view),
            // A loaded module builds at once; neither happens.
            Poll::Ready(Err(Unloaded)) | Poll::Pending => Shown::Failed,
        },
        Poll::Ready(Err(_)) => Shown::Failed,
        // Said once; reloading the page tries again.
        Poll::Pending if loads.failed.get_untracked() => Shown::Failed,
        Poll::Pending => {
            leptos::task::spawn_local(async move {
                let result = load.await;
                if session.screen_untracked() != screen {
                    return;
                }
                match result {
                    Ok(()) => loads.arrived.update(|n| *n = n.wrapping_add(1)),
                    Err(_) => loads.failed.set(true),
                }
            });
            Shown::Loading
        }
    }
}

// Each function below is one split point: its module holds the screens it builds and
// the code only they use. The views are built untracked, as components are.

#[wasm_split(password, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_password))]
pub fn password(screen: Screen) -> Loaded {
    Ok(untrack(|| match screen {
        Screen::Password { email } => Later::new(view! { <password::Password email=email /> }),
        _ => Later::new(""),
    }))
}

#[wasm_split(sign_up, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_sign_up))]
pub fn sign_up(screen: Screen) -> Loaded {
    Ok(untrack(|| match screen {
        Screen::SignUp => Later::new(view! { <sign_up::SignUp /> }),
        _ => Later::new(""),
    }))
}

#[wasm_split(email_code, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_email_code))]
pub fn email_code(screen: Screen) -> Loaded {
    Ok(untrack(|| match screen {
        Screen::EmailCode {
            email,
            verify,
            sent,
        } => {
            Later::new(view! { <email_code::EmailCodeStep email=email verify=verify sent=sent /> })
        }
        _ => Later::new(""),
    }))
}

/// Forgot password or address, "check your email", and the reset from an emailed link.
#[wasm_split(recovery, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_recovery))]
pub fn recovery(screen: Screen) -> Loaded {
    Ok(untrack(|| {
        let tx = expect_context::<Session>().text();
        match screen {
            Screen::Forgot { account } => {
                Later::new(view! { <recovery::Forgot account=account /> })
            }
            Screen::CheckEmail {
                email,
                link_minutes,
            } => Later::new(recovery::check_email(tx, &email, link_minutes)),
            Screen::Reset => Later::new(view! { <recovery::Reset /> }),
            Screen::ResetDone => Later::new(recovery::reset_done(tx)),
            _ => Later::new(""),
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
        } => Later::new(view! {
            <second_factor::SecondFactorStep email=email recovery=recovery methods=methods />
        }),
        Screen::EmailFactor {
            email,
            methods,
            sent,
        } => Later::new(view! {
            <second_factor::EmailFactorStep email=email methods=methods sent=sent />
        }),
        Screen::EnrolTotp { email } => {
            Later::new(view! { <second_factor::EnrolTotp email=email /> })
        }
        Screen::RecoveryCodes { codes } => {
            Later::new(view! { <second_factor::RecoveryCodes codes=codes /> })
        }
        _ => Later::new(""),
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
        } => Later::new(view! {
            <signed_in::SignedIn email=email offer_passkey=offer_passkey credentials_removed=credentials_removed />
        }),
        _ => Later::new(""),
    }))
}

/// The "tell us a bit more" step a client's profile policy asks for after sign-in.
#[wasm_split(profile, wasm_split_path = ::leptos::wasm_split, fallible, preload(preload_profile))]
pub fn profile(screen: Screen) -> Loaded {
    Ok(untrack(|| match screen {
        Screen::Profile {
            email,
            attributes,
            documents,
        } => Later::new(
            view! { <profile::ProfileStep email=email attributes=attributes documents=documents /> },
        ),
        _ => Later::new(""),
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
    let _ = preload_profile().await;
}
