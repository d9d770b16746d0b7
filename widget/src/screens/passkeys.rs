//! The signed-in person's passkeys: the offer to add one after a password sign-in, and
//! the list, where each can be renamed or deleted.
//!
//! Written as one component with plain view functions: every distinct view costs the
//! widget's wasm, so the list re-renders as a whole rather than item by item.

use leptos::ev::SubmitEvent;
use leptos::html::{Input, H3, P};
use leptos::prelude::*;
use portcullis_shared::api::{PasskeyList, PasskeySummary};
use wasm_bindgen::JsValue;

use crate::api::Failure;
use crate::fields::{ErrorText, FormErrors, Message, TextField};
use crate::session::{focus_node, Change, Session};
use crate::task::Tasks;
use crate::text::{self, passkeys as t, Key};

/// The list's state; every action goes through it.
#[derive(Clone, Copy)]
struct List {
    session: Session,
    /// The list's requests, whose answers go only to a list still on the page.
    tasks: Tasks,
    /// `None` until the first answer.
    passkeys: RwSignal<Option<PasskeyList>>,
    /// The offer to add a passkey shows.
    offer: RwSignal<bool>,
    /// A request runs: the buttons wait.
    busy: RwSignal<bool>,
    error: Message,
    error_node: NodeRef<P>,
    heading: NodeRef<H3>,
    /// The passkey being renamed, its new name, and that field's error.
    renaming: RwSignal<Option<String>>,
    draft: RwSignal<String>,
    name_error: Message,
    name_input: NodeRef<Input>,
    /// The access token was refused: nothing more can be managed here.
    ended: RwSignal<bool>,
    /// Who is signed in, filled in from the list if the screen does not know yet.
    who: RwSignal<Option<String>>,
}

impl List {
    /// Makes `change` (or only lists), then shows the list (and `done`, said, with focus
    /// on the list's heading), or what went wrong (focused).
    fn change(self, change: Option<Change>, done: Option<Key>) {
        self.error.set(None);
        let session = self.session;
        let adding = matches!(change, Some(Change::Add));
        self.tasks
            .run(self.busy, session.passkeys(change), move |result| {
                match result {
                    Ok(passkeys) => {
                        if self.who.get_untracked().is_none() {
                            self.who.set(Some(passkeys.name.clone()));
                        }
                        self.passkeys.set(Some(passkeys));
                        self.renaming.set(None);
                        if adding {
                            self.offer.set(false);
                        }
                        if let Some(done) = done {
                            session.announce(done);
                            focus_node(self.heading);
                        }
                    }
                    // The session went on to the sign-in it needs; this list is leaving.
                    Err(Failure::ReauthenticationRequired | Failure::MfaRequired) => {}
                    Err(failure) => {
                        if matches!(failure, Failure::Unauthorized) {
                            self.ended.set(true);
                        }
                        self.error
                            .set(Some(text::failure_message(session.text(), &failure)));
                        focus_node(self.error_node);
                    }
                }
            });
    }

    fn rename(self, id: String, name: String) {
        self.error.set(None);
        self.name_error.set(None);
        self.draft.set(name);
        self.renaming.set(Some(id));
    }

    fn save(self) {
        let Some(id) = self.renaming.get_untracked() else {
            return;
        };
        let name = self.draft.get_untracked().trim().to_string();
        if name.is_empty() {
            let message = self.session.text().get(t::NAME_MISSING);
            FormErrors::on_field(self.name_error, self.name_input, message.into());
            return;
        }
        self.name_error.set(None);
        self.change(Some(Change::Rename { id, name }), Some(t::RENAMED));
    }

    /// What the list says instead of items.
    fn status(self) -> &'static str {
        match self
            .passkeys
            .with(|list| list.as_ref().map(|l| l.passkeys.is_empty()))
        {
            _ if self.ended.get() => "",
            None => self.session.text().get(t::LOADING),
            Some(true) => self.session.text().get(t::NONE),
            Some(false) => "",
        }
    }
}

/// The offer to add a passkey, and the list of the person's passkeys.
#[component]
pub fn Passkeys(
    /// Start with the offer to add a passkey showing.
    offer: bool,
    /// Who is signed in, filled in from the account if the screen does not know yet.
    who: RwSignal<Option<String>>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let list = List {
        session,
        tasks: Tasks::here(),
        passkeys: RwSignal::new(None),
        offer: RwSignal::new(offer),
        busy: RwSignal::new(false),
        error: RwSignal::new(None),
        error_node: NodeRef::new(),
        heading: NodeRef::new(),
        renaming: RwSignal::new(None),
        draft: RwSignal::new(String::new()),
        name_error: RwSignal::new(None),
        name_input: NodeRef::new(),
        ended: RwSignal::new(false),
        who,
    };
    list.change(None, None);
    let not_now = move |_| {
        list.offer.set(false);
        focus_node(list.heading);
    };
    let managing = move || !list.ended.get();

    view! {
        {move || (list.offer.get() && managing()).then(|| view! {
            <section class="pc-offer" part="passkey-offer" aria-labelledby="pc-offer-title">
                <h3 id="pc-offer-title" class="pc-subtitle" part="subtitle">{tx.get(t::OFFER_TITLE)}</h3>
                <p class="pc-hint" part="hint">{tx.get(t::OFFER_TEXT)}</p>
                <div class="pc-actions" part="actions">
                    {add_button(list, "pc-button")}
                    <button class="pc-link" part="link" type="button" on:click=not_now>{tx.get(t::NOT_NOW)}</button>
                </div>
            </section>
        })}
        <section class="pc-passkeys" part="passkeys" aria-labelledby="pc-passkeys-title">
            <h3 id="pc-passkeys-title" class="pc-subtitle" part="subtitle" tabindex="-1" node_ref=list.heading>
                {tx.get(t::TITLE)}
            </h3>
            <p class="pc-muted" part="status">{move || list.status()}</p>
            <ul class="pc-list" part="list">
                {move || {
                    let renaming = list.renaming.get();
                    list.passkeys.get().map(|account| {
                        account
                            .passkeys
                            .into_iter()
                            .map(|passkey| {
                                let editing = renaming.as_deref() == Some(passkey.id.as_str());
                                item(list, passkey, editing)
                            })
                            .collect_view()
                    })
                }}
            </ul>
            <ErrorText id="pc-passkeys-error" error=list.error node_ref=list.error_node />
            {move || (!list.offer.get() && managing()).then(|| add_button(list, "pc-button pc-secondary"))}
        </section>
    }
}

fn add_button(list: List, class: &'static str) -> impl IntoView {
    let tx = list.session.text();
    view! {
        <button class=class part="button" type="button" disabled=list.busy on:click=move |_| list.change(Some(Change::Add), Some(t::ADDED))>
            {move || if list.busy.get() { tx.get(t::ADD_BUSY) } else { tx.get(t::ADD) }}
        </button>
    }
}

/// One passkey: its name and dates with its buttons, or the form that renames it.
fn item(list: List, passkey: PasskeySummary, editing: bool) -> impl IntoView {
    let tx = list.session.text();
    let PasskeySummary {
        id,
        name,
        created_at,
        last_used_at,
        backed_up,
    } = passkey;
    if editing {
        let save = move |ev: SubmitEvent| {
            ev.prevent_default();
            list.save();
        };
        let cancel = move |_| {
            list.renaming.set(None);
            focus_node(list.heading);
        };
        // Focus moves to the name field the moment it is in the document: the Rename
        // button that had it is gone, and focus left on nothing would leave a screen
        // reader on the page's body. (The node reference may still hold an earlier,
        // detached field until this one mounts.)
        Effect::new(move |_| {
            if let Some(input) = list.name_input.get() {
                if input.is_connected() {
                    let _ = input.focus();
                }
            }
        });
        return view! {
            <li class="pc-passkey" part="passkey">
                <form class="pc-form" part="form" novalidate on:submit=save>
                    <TextField
                        id="pc-passkey-name"
                        label=tx.get(t::NAME)
                        kind="text"
                        autocomplete="off"
                        value=list.draft
                        error=list.name_error
                        node_ref=list.name_input
                    />
                    <div class="pc-actions" part="actions">
                        <button class="pc-button" part="button" type="submit" disabled=list.busy>{tx.get(t::SAVE)}</button>
                        <button class="pc-link" part="link" type="button" on:click=cancel>{tx.get(t::CANCEL)}</button>
                    </div>
                </form>
            </li>
        }
        .into_any();
    }
    let mut about = dates(tx, created_at, last_used_at);
    if backed_up {
        about.push_str(tx.get(t::SEPARATOR));
        about.push_str(tx.get(t::SYNCED));
    }
    // The visible word, then the passkey's name for screen readers: "Rename Passkey 2".
    let which = format!(" {name}");
    let rename = {
        let (id, name) = (id.clone(), name.clone());
        move |_| list.rename(id.clone(), name.clone())
    };
    view! {
        <li class="pc-passkey" part="passkey">
            <p class="pc-passkey-name" part="passkey-name">{name}</p>
            <p class="pc-hint" part="hint">{about}</p>
            <div class="pc-actions" part="actions">
                <button class="pc-link" part="link" type="button" disabled=list.busy on:click=rename>
                    {tx.get(t::RENAME)}<span class="pc-visually-hidden">{which.clone()}</span>
                </button>
                <button class="pc-link" part="link" type="button" disabled=list.busy on:click=move |_| list.change(Some(Change::Delete { id: id.clone() }), Some(t::DELETED))>
                    {tx.get(t::DELETE)}<span class="pc-visually-hidden">{which}</span>
                </button>
            </div>
        </li>
    }
    .into_any()
}

/// "Created 23 Nov 2026 · Last used 1 Dec 2026", in the widget's language.
pub(super) fn dates(tx: crate::text::Text, created_at: u64, last_used_at: Option<u64>) -> String {
    let mut about = t::created(tx, &date(tx.lang(), created_at));
    if let Some(at) = last_used_at {
        about.push_str(tx.get(t::SEPARATOR));
        about.push_str(&t::last_used(tx, &date(tx.lang(), at)));
    }
    about
}

/// A date in the widget's language, e.g. "23 Nov 2026".
pub(super) fn date(lang: &str, seconds: u64) -> String {
    // Seconds since 1970 fit an f64 exactly until the year 285 million.
    let when = js_sys::Date::new(&JsValue::from_f64(seconds as f64 * 1000.0));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    when.to_locale_date_string(lang, &options).into()
}
