//! The signed-in state of an embedded widget.

use leptos::html::P;
use leptos::prelude::*;

use crate::session::Session;
use crate::text::signed_in as t;

/// Who is signed in, and a way to sign out.
#[component]
pub fn SignedIn(
    /// The email address the person signed in with.
    email: String,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let status = NodeRef::<P>::new();
    session.focus_on_arrival(status);
    view! {
        <div class="pc-step" part="signed-in">
            <p class="pc-identity" part="identity" tabindex="-1" node_ref=status>{t::PREFIX}{email}</p>
            <button class="pc-button pc-secondary" part="button" type="button" on:click=move |_| session.sign_out()>
                {t::SIGN_OUT}
            </button>
        </div>
    }
}
