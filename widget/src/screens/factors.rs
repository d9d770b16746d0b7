//! The signed-in person's two-step verification: their authenticator apps and how many
//! recovery codes are left; adding an app (QR code, key, first code), removing one, and
//! new recovery codes, each shown once; the devices remembered after a second factor,
//! each of which can be forgotten.
//!
//! Like the passkey list, one component with plain view functions that re-renders as a
//! whole: every distinct view costs the widget's wasm.

use std::rc::Rc;

use leptos::html::{H3, P};
use leptos::prelude::*;
use portcullis_shared::api::{FactorList, FactorSummary, SecondFactorMethod};

use super::passkeys::dates;
use super::second_factor::{qr_code, RecoveryCodes};
use super::{CodeForm, SendCode, TOTP};
use crate::api::Failure;
use crate::fields::{BusyLink, ErrorText, FormErrors, LinkButton, Message};
use crate::session::{focus_node, FactorChange, Session, Shown};
use crate::task::Tasks;
use crate::text::{self, factors as t, mfa, passkeys as p, Key};

/// The section's state; every action goes through it.
#[derive(Clone, Copy)]
struct Factors {
    session: Session,
    /// The section's requests, whose answers go only to a section still on the page.
    tasks: Tasks,
    /// `None` until the first answer.
    list: RwSignal<Option<FactorList>>,
    /// A new app's key or recovery codes, shown in place of the list.
    shown: RwSignal<Shown>,
    /// The codes shown replace older ones.
    renewed: RwSignal<bool>,
    /// A request runs: the buttons wait.
    busy: RwSignal<bool>,
    error: Message,
    error_node: NodeRef<P>,
    heading: NodeRef<H3>,
}

impl Factors {
    /// Makes `change` (or only lists); then shows the answer, with `done` said.
    fn change(self, change: Option<FactorChange>, done: Option<Key>) {
        self.error.set(None);
        let renewing = matches!(change, Some(FactorChange::NewCodes));
        let session = self.session;
        self.tasks.run(
            self.busy,
            session.factors(change),
            move |result| match result {
                Ok(answer) => self.show(answer, renewing, done),
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

    /// The factors as they now are and what the change has to show; with `done`, said,
    /// and focus on the section's heading.
    fn show(self, (list, shown): (FactorList, Shown), renewed: bool, done: Option<Key>) {
        self.list.set(Some(list));
        self.renewed.set(renewed);
        let codes = matches!(shown, Shown::Codes(_));
        self.shown.set(shown);
        let said = if codes {
            Some(text::announce::RECOVERY_CODES)
        } else {
            done
        };
        if let Some(said) = said {
            self.session.announce(said);
            focus_node(self.heading);
        }
    }

    /// Back to the list from a key or codes shown.
    fn close(self) {
        self.shown.set(Shown::Nothing);
        focus_node(self.heading);
    }

    /// The request the code form makes with the new app's first code; its answer is
    /// shown by the section, if it is still on the page.
    fn confirm(self) -> SendCode {
        Rc::new(move |code: String| {
            Box::pin(async move {
                let answer = self
                    .session
                    .factors(Some(FactorChange::Confirm { code }))
                    .await?;
                self.tasks.spawn(async { answer }, move |answer| {
                    self.show(answer, false, Some(t::ADDED));
                });
                Ok(())
            })
        })
    }
}

/// The person's authenticator apps and recovery codes, and the ways to change them.
#[component]
pub fn TwoStep() -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let factors = Factors {
        session,
        tasks: Tasks::here(),
        list: RwSignal::new(None),
        shown: RwSignal::new(Shown::Nothing),
        renewed: RwSignal::new(false),
        busy: RwSignal::new(false),
        error: RwSignal::new(None),
        error_node: NodeRef::new(),
        heading: NodeRef::new(),
    };
    factors.change(None, None);
    // Kept apart from the view's closures, which must be `Send`.
    let confirm = StoredValue::new_local(factors.confirm());
    view! {
        <section class="pc-passkeys" part="factors" aria-labelledby="pc-factors-title">
            <h3 id="pc-factors-title" class="pc-subtitle" part="subtitle" tabindex="-1" node_ref=factors.heading>
                {tx.get(t::TITLE)}
            </h3>
            {move || match factors.shown.get() {
                Shown::App { secret, qr_svg } => view! {
                    <p class="pc-hint" part="hint">{tx.get(t::ENROL_INTRO)}</p>
                    {qr_code(tx, &qr_svg, secret)}
                    <CodeForm shape=TOTP missing=tx.get(mfa::TOTP_MISSING) errors=FormErrors::new() code_error=RwSignal::new(None) send=confirm.get_value() />
                    <p class="pc-switch" part="switch">
                        <LinkButton label=tx.get(p::CANCEL) on_click=Box::new(move || factors.close()) />
                    </p>
                }
                .into_any(),
                Shown::Codes(codes) => view! {
                    <RecoveryCodes codes=codes replaced=factors.renewed.get_untracked() done=Box::new(move || factors.close()) />
                }
                .into_any(),
                Shown::Nothing => list(factors).into_any(),
            }}
            <ErrorText id="pc-factors-error" error=factors.error node_ref=factors.error_node />
        </section>
    }
}

/// The apps, the recovery codes left (or that there is no app), and the buttons that
/// change them: the shared link buttons, since every new element type costs the wasm.
fn list(factors: Factors) -> impl IntoView {
    let tx = factors.session.text();
    let FactorList {
        factors: apps,
        recovery_codes_left,
        remembered_devices,
    } = factors.list.get()?;
    let none = apps.is_empty();
    let (apps, keys): (Vec<_>, Vec<_>) = apps
        .into_iter()
        .partition(|f| f.kind == SecondFactorMethod::Totp);
    let has_apps = !apps.is_empty();
    let several = apps.len() > 1;
    let items = apps
        .into_iter()
        .enumerate()
        .map(|(n, app)| item(factors, app, several.then_some(n + 1)))
        .collect_view();
    // Passkeys and security keys, by the names their owner gave them.
    let keys = keys
        .into_iter()
        .map(|key| {
            let about = dates(tx, key.created_at, key.last_used_at);
            row(factors, key.name, about, key.id, remove(p::DELETED))
        })
        .collect_view();
    let devices = (!remembered_devices.is_empty()).then(|| {
        let rows = remembered_devices
            .into_iter()
            .map(|device| {
                let about = dates(tx, device.created_at, device.last_used_at);
                let forget = Button {
                    label: t::FORGET,
                    done: t::FORGOTTEN,
                    change: |id| FactorChange::Forget { id },
                };
                row(factors, device.name, about, device.id, forget)
            })
            .collect_view();
        view! {
            <p class="pc-hint" part="status">{tx.get(t::DEVICES)}</p>
            <ul class="pc-list" part="list">{rows}</ul>
        }
    });
    let status = if none {
        Some(tx.get(t::NONE).to_string())
    } else {
        has_apps.then(|| t::codes_left(tx, recovery_codes_left))
    };
    let action = move |label, change: fn() -> FactorChange| {
        let on_click = Box::new(move || factors.change(Some(change()), None));
        view! { <BusyLink label=tx.get(label) busy_label=tx.get(label) busy=factors.busy on_click=on_click /> }
    };
    Some(view! {
        <ul class="pc-list" part="list">{items}{keys}</ul>
        {status.map(|status| view! { <p class="pc-hint" part="status">{status}</p> })}
        {action(t::ADD, || FactorChange::Begin)}
        // Recovery codes stand in for an app: none to renew without one.
        {has_apps.then(|| action(t::NEW_CODES, || FactorChange::NewCodes))}
        {devices}
    })
}

/// One app: its name in the widget's language (numbered when there are several), its
/// dates, and the button that removes it.
fn item(factors: Factors, app: FactorSummary, number: Option<usize>) -> impl IntoView {
    let tx = factors.session.text();
    let mut name = tx.get(t::APP).to_string();
    if let Some(n) = number {
        name.push_str(&format!(" {n}"));
    }
    let about = dates(tx, app.created_at, app.last_used_at);
    row(factors, name, about, app.id, remove(t::REMOVED))
}

/// Removes an app or a key (`DELETE /v1/me/factors/{id}`), saying `done`.
fn remove(done: Key) -> Button {
    Button {
        label: p::DELETE,
        done,
        change: |id| FactorChange::Remove { id },
    }
}

/// The button of a [`row`]: its label, what it changes, and what is said when done.
struct Button {
    label: Key,
    done: Key,
    change: fn(String) -> FactorChange,
}

/// One app or remembered device: its name, its dates, and the button that removes it
/// (named with the row for screen readers).
fn row(factors: Factors, name: String, about: String, id: String, button: Button) -> impl IntoView {
    let tx = factors.session.text();
    let which = format!(" {name}");
    let Button {
        label,
        done,
        change,
    } = button;
    let click = move |_| factors.change(Some(change(id.clone())), Some(done));
    view! {
        <li class="pc-passkey" part="factor">
            <p class="pc-passkey-name" part="factor-name">{name}</p>
            <p class="pc-hint" part="hint">{about}</p>
            <div class="pc-actions" part="actions">
                <button class="pc-link" part="link" type="button" disabled=factors.busy on:click=click>
                    {tx.get(label)}<span class="pc-visually-hidden">{which}</span>
                </button>
            </div>
        </li>
    }
}
