//! One mounted widget's state and the steps of a sign-in flow, shared by the screens as a
//! context.
//!
//! Everything here lives in memory for as long as the widget is mounted: the flow handle,
//! the PKCE verifier, the draft email. Tokens are handed to the host page in
//! `portcullis:signed-in`. To manage the person's passkeys, an embedded widget keeps an
//! access token of its own in memory (never in storage) while the person stays signed
//! in: one for the account API's audience (RFC 8707), which the page never sees, asked
//! for with the refresh token of the page's grant. It forgets it on sign-out.

mod account;
mod email;
mod factors;
mod federation;
mod flow;
mod identities;
mod passkeys;
mod password;
mod profile;
mod recovery;
mod second_factor;

pub use factors::{FactorChange, Shown};
pub use passkeys::Change;

use std::cell::{Cell, RefCell};
use std::future::Future;

use leptos::html::ElementType;
use leptos::prelude::*;
use portcullis_shared::api::{
    EmailSent, FlowOutcome, PasswordReset, PasswordSignIn, PasswordSignUp, SecondFactorMethod,
    StartFlow, Step,
};
use portcullis_shared::events::StepDetail;
use portcullis_shared::scope;
use wasm_bindgen::JsCast;

use crate::api::{AccessToken, Api, Failure, Tokens};
use crate::events::Events;
use crate::pkce::{self, Pkce};
use crate::text::{self, Key, Text};
use crate::webauthn::Capabilities;

/// Which screen the widget shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// Ask for an email address.
    Identify,
    /// Ask for the password of `email`.
    Password { email: String },
    /// Create an account.
    SignUp,
    /// An embedded flow finished: who is signed in, their passkeys, and a way out.
    SignedIn {
        /// Unknown after a usernameless passkey sign-in, until the account's passkey list
        /// names it.
        email: Option<String>,
        /// Offer to add a passkey: the person has just signed in with a password.
        offer_passkey: bool,
        /// Tell the person that proving the address removed the account's earlier
        /// password and passkeys.
        credentials_removed: bool,
    },
    /// A hosted flow finished: the window is navigating back to the client, or, when the
    /// person must first be told that the account's earlier credentials were removed,
    /// waits for them to continue to `continue_to`.
    Redirecting { continue_to: Option<String> },
    /// Enter the code emailed to `email`.
    EmailCode {
        /// Unknown after a usernameless passkey sign-in; then no new code can be asked for.
        email: Option<String>,
        /// The client signs in only verified addresses: the code confirms this one.
        verify: bool,
        sent: EmailSent,
    },
    /// Ask for a password reset link, or with `account`, for a reminder of how an
    /// address signs in (someone who forgot which address they used).
    Forgot { account: bool },
    /// A recovery email is on its way (or not, for an address without an account: the
    /// screen says the same). `link_minutes`: how long a reset link works.
    CheckEmail {
        email: String,
        link_minutes: Option<u64>,
    },
    /// Choose a new password with the token from an emailed reset link.
    Reset,
    /// The new password is set.
    ResetDone,
    /// The first factor was right; enter a code from the authenticator app, or with
    /// `recovery`, one of the recovery codes.
    SecondFactor {
        email: Option<String>,
        recovery: bool,
        /// The ways the account can prove it.
        methods: Vec<SecondFactorMethod>,
    },
    /// A code emailed to the account's verified address, as the second factor (where
    /// the client allows it).
    EmailFactor {
        email: Option<String>,
        /// The ways the account can prove a second factor, to go back to.
        methods: Vec<SecondFactorMethod>,
        sent: EmailSent,
    },
    /// The client requires a second factor the account lacks: set up an authenticator
    /// app (a QR code and the key to type), confirmed by its first code.
    EnrolTotp { email: Option<String> },
    /// The app is set up: the account's recovery codes, shown this once, before the
    /// sign-in completes.
    RecoveryCodes { codes: Vec<String> },
    /// Signed in; the client asks a few more details or agreement to documents first.
    Profile {
        email: Option<String>,
        attributes: Vec<portcullis_shared::profile::AskedAttribute>,
        documents: Vec<portcullis_shared::profile::ConsentDocument>,
    },
}

/// How the widget was embedded, which decides who starts flows and how they end.
// The edge's build (`ssr`) renders only the embedded first screen.
#[cfg_attr(feature = "ssr", allow(dead_code))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// On the customer's own page: the widget starts its flows with PKCE, redeems the
    /// authorization code at `/token` and hands the tokens to the page.
    Embedded {
        /// Requested when a flow starts.
        scope: String,
    },
    /// On the edge's hosted sign-in page: `/authorize` started the flow, whose handle the
    /// page passes in; the edge answers with a redirect back to the client.
    Hosted { flow_id: String },
}

/// How the person proved who they are, which decides what the signed-in screen offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Password,
    Passkey,
    /// An emailed code; proving the address removed what was set on the account before.
    Email {
        credentials_removed: bool,
    },
    /// A sign-in provider (federation).
    Provider,
}

impl Method {
    fn removed_credentials(self) -> bool {
        matches!(
            self,
            Method::Email {
                credentials_removed: true
            }
        )
    }
}

/// A flow in progress.
struct Flow {
    id: String,
    /// Embedded flows only: RFC 7636 `code_verifier` for the code this flow ends with.
    verifier: Option<String>,
}

/// What the screens do not render from.
struct Env {
    api: Api,
    events: Events,
    mode: Mode,
    flow: RefCell<Option<Flow>>,
    /// Set once the person has moved between screens: from then on, arriving screens
    /// take focus. Not on first load: the widget must not steal focus from the page.
    moved: Cell<bool>,
    /// The site owner allows passkeys in the email field's autofill menu.
    autofill_allowed: bool,
    /// Withdraws the pending autofill (conditional mediation) request, if any.
    autofill: RefCell<Option<web_sys::AbortController>>,
    /// The autofill request the loader made before the widget was ready, until the
    /// widget adopts it: a promise of its flow and the credential picked, or undefined.
    early_autofill: RefCell<Option<js_sys::Promise>>,
    /// Embedded only, while signed in: the access token for the account API (`/v1/me`).
    access_token: RefCell<Option<AccessToken>>,
    /// The client may get account API tokens (its configuration says so).
    account_api: Cell<bool>,
    /// Mounted with `mode="account"` (the hosted `/account` page): the signed-in area
    /// shows the whole account (see [`Session::account_area`]).
    account_area: Cell<bool>,
    /// The client asks for a human check: Turnstile's site key and script URL.
    human_check: RefCell<Option<(String, String)>>,
    /// The address of the account whose passkeys are shown, once the list named it.
    account_email: RefCell<Option<String>>,
    /// Why the next password step shows: said there once, then forgotten.
    notice: Cell<Option<Key>>,
    /// On the password reset page: the token from the emailed link, until it is used.
    reset_token: RefCell<Option<String>>,
    /// How the person authenticated before the client asked them to verify their
    /// address; the emailed code then finishes that sign-in.
    verifying: Cell<Method>,
    /// How the person proved the first factor, while the flow waits for a second.
    first_factor: Cell<Method>,
    /// The sign-in providers the client offers (its configuration).
    connections: RefCell<Vec<portcullis_shared::api::ConnectionButton>>,
    /// A finished flow's outcome, held while the recovery codes are shown.
    after_codes: RefCell<Option<(Option<String>, FlowOutcome, Method)>>,
    /// The next flow asks for a second factor (OIDC Core `acr_values`): the account API
    /// wants one before the person's factors change.
    step_up: Cell<bool>,
}

/// The widget's state, provided as a context to every screen. Cheap to copy.
#[derive(Clone, Copy)]
pub struct Session {
    env: StoredValue<Env, LocalStorage>,
    screen: RwSignal<Screen>,
    /// The email typed so far, kept across screens (starts as the `login-hint`).
    pub email: RwSignal<String>,
    /// Text of the polite live region that tells screen reader users where they are.
    announcement: RwSignal<String>,
    /// The widget's words, in the visitor's language.
    text: Text,
    /// What the browser can do with passkeys: detected before the first screen shows,
    /// or, under a first screen the edge rendered, a fixed guess until detected.
    capabilities: RwSignal<Capabilities>,
    /// Why the first screen shows after coming back from a provider; said there until
    /// the person leaves it.
    arrival: RwSignal<Option<String>>,
}

impl Session {
    pub fn new(
        api: Api,
        events: Events,
        mode: Mode,
        login_hint: Option<String>,
        autofill_allowed: bool,
        reset_token: Option<String>,
        text: Text,
    ) -> Session {
        let flow = match &mode {
            Mode::Hosted { flow_id } => Some(Flow {
                id: flow_id.clone(),
                verifier: None,
            }),
            Mode::Embedded { .. } => None,
        };
        Session {
            env: StoredValue::new_local(Env {
                api,
                events,
                mode,
                flow: RefCell::new(flow),
                moved: Cell::new(false),
                autofill_allowed,
                autofill: RefCell::new(None),
                early_autofill: RefCell::new(None),
                access_token: RefCell::new(None),
                account_api: Cell::new(false),
                account_area: Cell::new(false),
                human_check: RefCell::new(None),
                account_email: RefCell::new(None),
                notice: Cell::new(None),
                reset_token: RefCell::new(reset_token.clone()),
                verifying: Cell::new(Method::Password),
                first_factor: Cell::new(Method::Password),
                after_codes: RefCell::new(None),
                step_up: Cell::new(false),
                connections: RefCell::new(Vec::new()),
            }),
            screen: RwSignal::new(if reset_token.is_some() {
                Screen::Reset
            } else {
                Screen::Identify
            }),
            email: RwSignal::new(login_hint.unwrap_or_default()),
            announcement: RwSignal::new(String::new()),
            text,
            capabilities: RwSignal::new(Capabilities::default()),
            arrival: RwSignal::new(None),
        }
    }

    /// The widget's words, in the visitor's language.
    pub fn text(self) -> Text {
        self.text
    }

    pub fn api(self) -> Api {
        self.env.with_value(|env| env.api.clone())
    }

    pub fn events(self) -> Events {
        self.env.with_value(|env| env.events.clone())
    }

    fn embedded_scope(self) -> Option<String> {
        self.env.with_value(|env| match &env.mode {
            Mode::Embedded { scope } => Some(scope.clone()),
            Mode::Hosted { .. } => None,
        })
    }

    /// Whether the client's configuration lets the widget manage passkeys through the
    /// account API.
    pub fn set_account_api(self, allowed: bool) {
        self.env.with_value(|env| env.account_api.set(allowed));
    }

    /// The client's human check (Turnstile's site key and script URL), if it asks for one.
    pub fn set_human_check(self, check: Option<(String, String)>) {
        self.env.with_value(|env| env.human_check.replace(check));
    }

    pub fn human_check(self) -> Option<(String, String)> {
        self.env.with_value(|env| env.human_check.borrow().clone())
    }

    /// Whether this widget asks for an account API token when the person signs in.
    fn wants_account_api(self) -> bool {
        (self.capabilities().passkeys || self.account_area())
            && self.env.with_value(|env| env.account_api.get())
    }

    /// The scope an embedded flow asks for: the page's, and where the widget manages
    /// passkeys, the account API's `account` and the `offline_access` that brings the
    /// refresh token to ask for its token with.
    fn flow_scope(self) -> Option<String> {
        let mut scope = self.embedded_scope()?;
        if self.wants_account_api() {
            for extra in ["account", "offline_access"] {
                if !scope::has(&scope, extra) {
                    scope.push(' ');
                    scope.push_str(extra);
                }
            }
        }
        Some(scope)
    }

    /// What the first screen says after a return from a provider that did not sign the
    /// person in (tracked).
    pub fn arrival(self) -> Option<String> {
        self.arrival.get()
    }

    pub fn set_arrival(self, failure: &Failure) {
        self.arrival
            .set(Some(text::failure_message(self.text, failure)));
    }

    /// Said once: the first screen forgets it when the person leaves.
    pub fn forget_arrival(self) {
        self.arrival.set(None);
    }

    /// The notice for the password step, once.
    pub fn take_notice(self) -> Option<Key> {
        self.env.with_value(|env| env.notice.take())
    }

    /// The current screen (tracked).
    pub fn screen(self) -> Screen {
        self.screen.get()
    }

    pub fn screen_untracked(self) -> Screen {
        self.screen.get_untracked()
    }

    /// What the live region says (tracked).
    pub fn announcement(self) -> String {
        self.announcement.get()
    }

    /// Says `message` in the polite live region.
    pub fn announce(self, message: Key) {
        self.announcement.set(self.text.get(message).to_string());
    }

    fn go(self, screen: Screen, announcement: Key) {
        self.env.with_value(|env| env.moved.set(true));
        self.announce(announcement);
        self.screen.set(screen);
    }

    /// Focuses `node` once the screen is on the page, if the person got here by moving
    /// between screens.
    pub fn focus_on_arrival<E>(self, node: NodeRef<E>)
    where
        E: ElementType,
        E::Output: JsCast + Clone + 'static,
    {
        if self.env.with_value(|env| env.moved.get()) {
            request_animation_frame(move || focus_node(node));
        }
    }

    fn flow_id_now(self) -> Option<String> {
        self.env
            .with_value(|env| env.flow.borrow().as_ref().map(|f| f.id.clone()))
    }

    fn set_flow(self, flow: Option<Flow>) -> Option<Flow> {
        self.env.with_value(|env| env.flow.replace(flow))
    }

    pub fn show_sign_up(self) {
        // A new account has no second factor to step up to.
        self.env.with_value(|env| env.step_up.set(false));
        self.go(Screen::SignUp, text::announce::SIGN_UP);
    }

    /// Back to the password step for `email` (from the emailed-code step).
    pub fn show_password(self, email: String) {
        self.go(Screen::Password { email }, text::announce::PASSWORD);
    }

    pub fn show_identify(self) {
        self.go(Screen::Identify, text::announce::IDENTIFY);
    }

    /// Forgets the signed-in person (and the access token) and returns to the identify
    /// step.
    pub fn sign_out(self) {
        if !matches!(self.screen.get_untracked(), Screen::SignedIn { .. }) {
            return;
        }
        self.env.with_value(|env| {
            env.access_token.replace(None);
            env.account_email.replace(None);
        });
        self.events().signed_out();
        self.go(Screen::Identify, text::announce::SIGNED_OUT);
    }

    /// RFC 9470 step-up: changing passkeys needs a more recent sign-in, and changing
    /// second factors (with `second_factor`) one that proved a second factor too. The
    /// token is forgotten and the person signs in again as themselves (password, passkey
    /// or emailed code, then the second factor the next flow asks for with
    /// `acr_values`), which ends at the signed-in area with a fresh token.
    fn reauthenticate(self, second_factor: bool) {
        self.env.with_value(|env| {
            env.access_token.replace(None);
            env.step_up.set(second_factor);
        });
        let reason = if second_factor {
            text::failure::MFA_REQUIRED
        } else {
            text::failure::REAUTHENTICATE
        };
        match self
            .env
            .with_value(|env| env.account_email.borrow().clone())
        {
            Some(email) => {
                self.email.set(email.clone());
                self.env.with_value(|env| env.notice.set(Some(reason)));
                self.go(Screen::Password { email }, reason);
            }
            None => self.go(Screen::Identify, reason),
        }
    }

    /// `work`'s answer, with a failure reported first (see [`Session::report`]).
    async fn reported<T>(
        self,
        email: Option<&str>,
        work: impl Future<Output = Result<T, Failure>>,
    ) -> Result<T, Failure> {
        match work.await {
            Ok(value) => Ok(value),
            Err(failure) => Err(self.report(failure, email).await),
        }
    }

    /// Reports a failure as `portcullis:error` and recovers what can be recovered.
    async fn report(self, failure: Failure, email: Option<&str>) -> Failure {
        self.events().failed(&failure, self.text);
        match failure {
            // The handle is gone: an embedded widget starts afresh so that the next
            // submit just works; if that fails too, the next submit tries again.
            Failure::FlowExpired => {
                self.set_flow(None);
                if self.embedded_scope().is_some() {
                    if let Ok((step, _)) = self.start_flow(email).await {
                        self.events().step(&step);
                    }
                }
            }
            // The code was spent (or refused): the flow cannot be retried.
            Failure::Grant(_) => {
                self.set_flow(None);
            }
            _ => {}
        }
        failure
    }
}

/// Moves keyboard focus to the element behind `node`, if it is on the page.
pub fn focus_node<E>(node: NodeRef<E>)
where
    E: ElementType,
    E::Output: JsCast + Clone + 'static,
{
    if let Some(el) = node.get_untracked() {
        if let Some(el) = el.dyn_ref::<web_sys::HtmlElement>() {
            let _ = el.focus();
        }
    }
}
