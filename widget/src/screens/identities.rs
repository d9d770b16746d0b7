//! The signed-in person's linked accounts at sign-in providers, each of which can be
//! unlinked: the edge asks for a recent sign-in (the person signs in again) and never
//! unlinks the last way to sign in (the answer says so). Shown only when there is one.

use leptos::html::{H3, P};
use leptos::prelude::*;
use portcullis_shared::api::{IdentityList, IdentitySummary};

use super::passkeys::dates;
use crate::api::Failure;
use crate::fields::{ErrorText, Message};
use crate::session::{focus_node, Session};
use crate::task::Tasks;
use crate::text::{self, identities as t};

/// The section's state; every action goes through it.
#[derive(Clone, Copy)]
struct Identities {
    session: Session,
    tasks: Tasks,
    /// `None` until the first answer.
    list: RwSignal<Option<IdentityList>>,
    busy: RwSignal<bool>,
    error: Message,
    error_node: NodeRef<P>,
    heading: NodeRef<H3>,
}

impl Identities {
    /// Unlinks `id` (or only lists), then shows the answer.
    fn change(self, unlink: Option<String>) {
        self.error.set(None);
        let session = self.session;
        let unlinking = unlink.is_some();
        self.tasks.run(
            self.busy,
            session.identities(unlink),
            move |result| match result {
                Ok(list) => {
                    self.list.set(Some(list));
                    if unlinking {
                        session.announce(t::UNLINKED);
                        focus_node(self.heading);
                    }
                }
                // The session went on to the sign-in it needs; this section is leaving.
                Err(Failure::ReauthenticationRequired | Failure::MfaRequired) => {}
                Err(failure) => {
                    self.error
                        .set(Some(text::failure_message(session.text(), &failure)));
                    focus_node(self.error_node);
                }
            },
        );
    }
}

/// The linked accounts and their unlink buttons.
#[component]
pub fn LinkedAccounts() -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let section = Identities {
        session,
        tasks: Tasks::here(),
        list: RwSignal::new(None),
        busy: RwSignal::new(false),
        error: RwSignal::new(None),
        error_node: NodeRef::new(),
        heading: NodeRef::new(),
    };
    section.change(None);
    let any = move || {
        section
            .list
            .with(|l| l.as_ref().is_some_and(|l| !l.identities.is_empty()))
    };
    view! {
        <section class="pc-passkeys" part="identities" aria-labelledby="pc-identities-title" hidden=move || !any()>
            <h3 id="pc-identities-title" class="pc-subtitle" part="subtitle" tabindex="-1" node_ref=section.heading>
                {tx.get(t::TITLE)}
            </h3>
            <ul class="pc-list" part="list">
                {move || section.list.get().map(|list| {
                    list.identities.into_iter().map(|i| row(section, i)).collect_view()
                })}
            </ul>
            <ErrorText id="pc-identities-error" error=section.error node_ref=section.error_node />
        </section>
    }
}

/// One identity: the provider's name and the address it gave, when it was linked, and
/// the button that unlinks it (named with the row for screen readers).
fn row(section: Identities, identity: IdentitySummary) -> impl IntoView {
    let tx = section.session.text();
    let provider = section.session.connection_name(&identity.connection);
    let name = match &identity.email {
        Some(email) => format!("{provider} ({email})"),
        None => provider,
    };
    let which = format!(" {name}");
    let about = dates(tx, identity.created_at, None);
    let id = identity.id;
    let click = move |_| section.change(Some(id.clone()));
    view! {
        <li class="pc-passkey" part="linked-account">
            <p class="pc-passkey-name" part="linked-account-name">{name}</p>
            <p class="pc-hint" part="hint">{about}</p>
            <div class="pc-actions" part="actions">
                <button class="pc-link" part="link" type="button" disabled=section.busy on:click=click>
                    {tx.get(t::UNLINK)}<span class="pc-visually-hidden">{which}</span>
                </button>
            </div>
        </li>
    }
}
