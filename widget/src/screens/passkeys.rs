//! The signed-in person's passkeys: the offer to add one after a password sign-in, and
//! the list, where each can be renamed or deleted.

use leptos::ev::SubmitEvent;
use leptos::html::{Input, H3, P};
use leptos::prelude::*;
use portcullis_shared::api::{PasskeyList, PasskeySummary};
use wasm_bindgen::{JsCast, JsValue};

use super::run;
use crate::api::Failure;
use crate::fields::{ErrorText, FormErrors, Message, TextField};
use crate::session::{focus_node, Session};
use crate::text::{self, passkeys as t};

/// State shared by the list and its items.
#[derive(Clone, Copy)]
struct List {
    /// `None` until the first answer.
    passkeys: RwSignal<Option<PasskeyList>>,
    /// A request runs: the buttons wait.
    busy: RwSignal<bool>,
    error: Message,
    error_node: NodeRef<P>,
    heading: NodeRef<H3>,
    /// The passkey being renamed.
    renaming: RwSignal<Option<String>>,
    /// The access token was refused: nothing more can be managed here.
    ended: RwSignal<bool>,
}

impl List {
    /// Shows the outcome of a request: the new list (and `done`, said and with focus on
    /// the list's heading), or what went wrong (focused).
    fn show(self, session: Session, result: Result<PasskeyList, Failure>, done: Option<&str>) {
        match result {
            Ok(passkeys) => {
                self.passkeys.set(Some(passkeys));
                self.renaming.set(None);
                if let Some(done) = done {
                    session.announce(done);
                    focus_node(self.heading);
                }
            }
            Err(failure) => {
                if failure == Failure::Unauthorized {
                    self.ended.set(true);
                }
                self.error.set(Some(text::failure_message(&failure)));
                focus_node(self.error_node);
            }
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
    let offer = RwSignal::new(offer);
    let list = List {
        passkeys: RwSignal::new(None),
        busy: RwSignal::new(false),
        error: RwSignal::new(None),
        error_node: NodeRef::new(),
        heading: NodeRef::new(),
        renaming: RwSignal::new(None),
        ended: RwSignal::new(false),
    };
    leptos::task::spawn_local(async move {
        let result = session.passkeys().await;
        if let (Ok(passkeys), None) = (&result, who.get_untracked()) {
            who.try_set(Some(passkeys.name.clone()));
        }
        list.show(session, result, None);
    });
    let add = move || {
        list.error.set(None);
        run(list.busy, async move {
            let result = session.add_passkey().await;
            if result.is_ok() {
                offer.set(false);
            }
            list.show(session, result, Some(t::ADDED));
        });
    };
    let add_label = move || if list.busy.get() { t::ADD_BUSY } else { t::ADD };
    let not_now = move |_| {
        offer.set(false);
        focus_node(list.heading);
    };

    view! {
        {move || (offer.get() && !list.ended.get()).then(|| view! {
            <section class="pc-offer" part="passkey-offer" aria-labelledby="pc-offer-title">
                <h3 id="pc-offer-title" class="pc-subtitle" part="subtitle">{t::OFFER_TITLE}</h3>
                <p class="pc-hint" part="hint">{t::OFFER_TEXT}</p>
                <div class="pc-actions" part="actions">
                    <button class="pc-button" part="button" type="button" disabled=list.busy on:click=move |_| add()>
                        {add_label}
                    </button>
                    <button class="pc-link" part="link" type="button" on:click=not_now>{t::NOT_NOW}</button>
                </div>
            </section>
        })}
        <section class="pc-passkeys" part="passkeys" aria-labelledby="pc-passkeys-title">
            <h3 id="pc-passkeys-title" class="pc-subtitle" part="subtitle" tabindex="-1" node_ref=list.heading>
                {t::TITLE}
            </h3>
            {move || match list.passkeys.get() {
                _ if list.ended.get() => ().into_any(),
                None => view! { <p class="pc-muted" part="status">{t::LOADING}</p> }.into_any(),
                Some(account) if account.passkeys.is_empty() => {
                    view! { <p class="pc-muted" part="status">{t::NONE}</p> }.into_any()
                }
                Some(account) => view! {
                    <ul class="pc-list" part="list">
                        {account
                            .passkeys
                            .into_iter()
                            .map(|passkey| view! { <Item passkey=passkey list=list /> })
                            .collect_view()}
                    </ul>
                }
                .into_any(),
            }}
            <ErrorText id="pc-passkeys-error" error=list.error node_ref=list.error_node />
            {move || (!offer.get() && !list.ended.get()).then(|| view! {
                <button class="pc-button pc-secondary" part="button" type="button" disabled=list.busy on:click=move |_| add()>
                    {add_label}
                </button>
            })}
        </section>
    }
}

/// One passkey: its name and dates, or the form that renames it.
#[component]
fn Item(
    /// The passkey as the edge listed it.
    passkey: PasskeySummary,
    /// The list it is in.
    list: List,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let PasskeySummary {
        id,
        name,
        created_at,
        last_used_at,
        backed_up,
    } = passkey;
    let draft = RwSignal::new(name.clone());
    let name_error: Message = RwSignal::new(None);
    let input = NodeRef::<Input>::new();
    let renaming = {
        let id = id.clone();
        Memo::new(move |_| list.renaming.with(|r| r.as_deref() == Some(id.as_str())))
    };
    let start_rename = {
        let id = id.clone();
        move |_| {
            list.error.set(None);
            list.renaming.set(Some(id.clone()));
            request_animation_frame(move || focus_node(input));
        }
    };
    let save = {
        let id = id.clone();
        move |ev: SubmitEvent| {
            ev.prevent_default();
            let new_name = draft.get_untracked().trim().to_string();
            if new_name.is_empty() {
                FormErrors::on_field(name_error, input, t::NAME_MISSING.into());
                return;
            }
            name_error.set(None);
            let id = id.clone();
            run(list.busy, async move {
                let result = session.rename_passkey(id, new_name).await;
                list.show(session, result, Some(t::RENAMED));
            });
        }
    };
    let cancel = move |_| {
        list.renaming.set(None);
        focus_node(list.heading);
    };
    let delete = {
        let id = id.clone();
        move |_| {
            list.error.set(None);
            let id = id.clone();
            run(list.busy, async move {
                let result = session.delete_passkey(id).await;
                list.show(session, result, Some(t::DELETED));
            });
        }
    };
    let mut about = vec![t::created(&date(created_at))];
    about.extend(last_used_at.map(|at| t::last_used(&date(at))));
    if backed_up {
        about.push(t::SYNCED.into());
    }
    let about = about.join(" · ");
    // The visible word, then the passkey's name for screen readers: "Rename Passkey 2".
    let which = format!(" {name}");

    view! {
        <li class="pc-passkey" part="passkey">
            <Show
                when=move || renaming.get()
                fallback=move || view! {
                    <p class="pc-passkey-name" part="passkey-name">{name.clone()}</p>
                    <p class="pc-hint" part="hint">{about.clone()}</p>
                    <div class="pc-actions" part="actions">
                        <button class="pc-link" part="link" type="button" disabled=list.busy on:click=start_rename.clone()>
                            {t::RENAME}<span class="pc-visually-hidden">{which.clone()}</span>
                        </button>
                        <button class="pc-link" part="link" type="button" disabled=list.busy on:click=delete.clone()>
                            {t::DELETE}<span class="pc-visually-hidden">{which.clone()}</span>
                        </button>
                    </div>
                }
            >
                <form class="pc-form" part="form" novalidate on:submit=save.clone()>
                    <TextField
                        id="pc-passkey-name"
                        label=t::NAME
                        kind="text"
                        autocomplete="off"
                        value=draft
                        error=name_error
                        node_ref=input
                    />
                    <div class="pc-actions" part="actions">
                        <button class="pc-button" part="button" type="submit" disabled=list.busy>{t::SAVE}</button>
                        <button class="pc-link" part="link" type="button" on:click=cancel>{t::CANCEL}</button>
                    </div>
                </form>
            </Show>
        </li>
    }
}

/// A date in the browser's locale, e.g. "23 Nov 2026".
fn date(seconds: u64) -> String {
    // Seconds since 1970 fit an f64 exactly until the year 285 million.
    let when = js_sys::Date::new(&JsValue::from_f64(seconds as f64 * 1000.0));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    // `toLocaleDateString(undefined, …)`: js-sys's binding insists on a locale string.
    js_sys::Reflect::get(&when, &"toLocaleDateString".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        .and_then(|f| f.call2(&when, &JsValue::UNDEFINED, &options).ok())
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}
