//! The signed-in state of an embedded widget.

use leptos::html::P;
use leptos::prelude::*;

use super::account::AccountArea;
use super::factors::TwoStep;
use super::identities::LinkedAccounts;
use super::passkeys::Passkeys;
use crate::session::Session;
use crate::text::signed_in as t;

/// Who is signed in, their passkeys, second factors and linked provider accounts (and
/// with `mode="account"`, the whole account), and a way to sign out.
#[component]
pub fn SignedIn(
    /// The email address the person signed in with, if the widget knows it.
    email: Option<String>,
    /// Offer to add a passkey (the person has just used a password).
    offer_passkey: bool,
    /// Say that proving the address removed the password and passkeys set before.
    credentials_removed: bool,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let status = NodeRef::<P>::new();
    session.focus_on_arrival(status);
    let who = RwSignal::new(email);
    view! {
        <div class="pc-step" part="signed-in">
            <p class="pc-identity" part="identity" tabindex="-1" node_ref=status>
                {move || match who.get() {
                    Some(email) => t::signed_in_as(tx, &email),
                    None => tx.get(t::SIGNED_IN).to_string(),
                }}
            </p>
            {credentials_removed.then(|| view! {
                <p class="pc-hint" part="hint">{tx.get(crate::text::email::CREDENTIALS_REMOVED)}</p>
            })}
            {session.manages_passkeys().then(|| view! { <Passkeys offer=offer_passkey who=who /> })}
            {session.manages_account().then(|| view! { <TwoStep /> })}
            {session.manages_account().then(|| view! { <LinkedAccounts /> })}
            {(session.manages_account() && session.account_area()).then(|| view! { <AccountArea /> })}
            <button class="pc-button pc-secondary" part="button" type="button" on:click=move |_| session.sign_out()>
                {tx.get(t::SIGN_OUT)}
            </button>
        </div>
    }
}
