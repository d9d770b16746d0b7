//! The whole account, in the signed-in area of a widget mounted with `mode="account"`
//! (the hosted `/account` page): the person's details from the profile schema, their
//! email address (the new one proven by an emailed code before it replaces the old), a
//! new password, where they are signed in (each session can be ended, or all but this one), the
//! applications holding access (each revocable), their consents (each withdrawable),
//! an export of their data, and the deletion of the account.
//!
//! Each section lists from one account API route and re-lists after a change, like the
//! passkey and factor sections; a change that needs a more recent sign-in takes the
//! person through one (the session's step-up) and brings them back here.

use leptos::html::{H3, P};
use leptos::prelude::*;
use portcullis_shared::api::{ApplicationList, SessionList};
use portcullis_shared::consent::{ConsentList, ConsentState};
use portcullis_shared::profile::{AskedAttribute, ProfileView};
use serde_json::{json, Map, Value};

use super::passkeys::date;
use super::profile::{attribute_input, Field};
use crate::api::{encode, Failure};
use crate::fields::{ErrorText, Form, FormErrors, Message, PasswordField, TextField};
use crate::session::{focus_node, Session};
use crate::task::Tasks;
use crate::text::{self, account as t, Key, Text};

/// One section: what its account API route last answered, and its state.
#[derive(Clone, Copy)]
struct Part {
    session: Session,
    tasks: Tasks,
    /// The route the section lists from.
    path: &'static str,
    /// `None` until the first answer.
    data: RwSignal<Option<Value>>,
    busy: RwSignal<bool>,
    error: Message,
    error_node: NodeRef<P>,
    heading: NodeRef<H3>,
}

impl Part {
    /// The section of `path`, which asks nothing yet.
    fn idle(session: Session, path: &'static str) -> Part {
        Part {
            session,
            tasks: Tasks::here(),
            path,
            data: RwSignal::new(None),
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
            error_node: NodeRef::new(),
            heading: NodeRef::new(),
        }
    }

    /// The section listing from `path`, asked at once.
    fn new(session: Session, path: &'static str) -> Part {
        let part = Part::idle(session, path);
        part.change("GET", String::new(), None, None);
        part
    }

    /// Makes `method path` with `body` (nothing for `GET`), then lists again; with
    /// `done`, says it and moves focus to the section's heading.
    fn change(self, method: &'static str, path: String, body: Option<String>, done: Option<Key>) {
        self.error.set(None);
        let (session, list) = (self.session, self.path);
        let work = async move {
            if method != "GET" {
                session.me(method, path, body).await?;
            }
            session.me("GET", list.to_string(), None).await
        };
        self.tasks.run(self.busy, work, move |result| match result {
            Ok(value) => {
                self.data.set(Some(value));
                if let Some(done) = done {
                    session.announce(done);
                    focus_node(self.heading);
                }
            }
            Err(failure) => self.fail(failure),
        });
    }

    /// Shows `failure` under the section, unless the session went on to the sign-in the
    /// change needs (the section is leaving then).
    fn fail(self, failure: Failure) {
        if !matches!(
            failure,
            Failure::ReauthenticationRequired | Failure::MfaRequired
        ) {
            let message = text::failure_message(self.session.text(), &failure);
            self.error.set(Some(message));
            focus_node(self.error_node);
        }
    }

    /// The section's answer read as `T`, once there is one.
    fn read<T: serde::de::DeserializeOwned>(self) -> Option<T> {
        serde_json::from_value(self.data.get()?).ok()
    }
}

/// The account area's sections, under the passkeys and second factors.
#[component]
pub fn AccountArea() -> impl IntoView {
    view! {
        <Details />
        <EmailAddress />
        <Password />
        <Sessions />
        <Applications />
        <Consents />
        <YourData />
    }
}

/// A section with its heading and error slot around `body`.
fn section(part: Part, name: &'static str, title: Key, body: impl IntoView) -> impl IntoView {
    let tx = part.session.text();
    let title_id = format!("pc-{name}-title");
    let labelled_by = title_id.clone();
    view! {
        <section class="pc-passkeys" part=name aria-labelledby=labelled_by>
            <h3 id=title_id class="pc-subtitle" part="subtitle" tabindex="-1" node_ref=part.heading>
                {tx.get(title)}
            </h3>
            {body}
            <ErrorText id=format!("pc-{name}-error") error=part.error node_ref=part.error_node />
        </section>
    }
}

/// One listed thing: its name, what is known of it, and a button that changes it
/// (named with the row for screen readers).
fn row(
    part: Part,
    name: String,
    about: String,
    button: Option<(Key, Box<dyn Fn()>)>,
) -> impl IntoView {
    let tx = part.session.text();
    let which = format!(" {name}");
    view! {
        <li class="pc-passkey" part="item">
            <p class="pc-passkey-name" part="item-name">{name}</p>
            <p class="pc-hint" part="hint">{about}</p>
            {button.map(|(label, click)| view! {
                <div class="pc-actions" part="actions">
                    <button class="pc-link" part="link" type="button" disabled=part.busy on:click=move |_| click()>
                        {tx.get(label)}<span class="pc-visually-hidden">{which}</span>
                    </button>
                </div>
            })}
        </li>
    }
}

/// The person's details the schema lets them change, saved together; each refused
/// value is named under its field in the person's language.
#[component]
fn Details() -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let part = Part::new(session, "/v1/me/profile");
    let form = move || {
        let profile: ProfileView = part.read()?;
        let fields: Vec<(Field, Option<Value>)> = profile
            .schema
            .into_iter()
            .filter(|attribute| attribute.editable)
            .map(|attribute| {
                let now = profile.attributes.get(&attribute.name).cloned();
                let asked = AskedAttribute {
                    attribute,
                    required: false,
                };
                (Field::new(asked, now.as_ref()), now)
            })
            .collect();
        Some(details_form(part, tx, fields))
    };
    section(part, "details", t::PROFILE, form)
}

/// The details form: sends what changed (`null` for a value removed).
fn details_form(part: Part, tx: Text, fields: Vec<(Field, Option<Value>)>) -> impl IntoView {
    let errors = FormErrors::new();
    let inputs: Vec<Field> = fields.iter().map(|(field, _)| field.clone()).collect();
    let submit = move || {
        let mut change = Map::new();
        for (field, before) in &fields {
            field.clear();
            let now = field.answer();
            if now != *before && !(now == Some(Value::Bool(false)) && before.is_none()) {
                change.insert(field.name().to_string(), now.unwrap_or(Value::Null));
            }
        }
        let fields = fields.clone();
        let session = part.session;
        let work = session.me(
            "PATCH",
            part.path.to_string(),
            Some(Value::Object(change).to_string()),
        );
        part.tasks.run(part.busy, work, move |result| match result {
            Ok(value) => {
                part.data.set(Some(value));
                session.announce(t::SAVED);
                focus_node(part.heading);
            }
            Err(Failure::InvalidProfile(problems)) => {
                let mut first = true;
                for problem in problems {
                    if let Some((field, _)) = fields.iter().find(|(f, _)| f.name() == problem.field)
                    {
                        field.refused(problem.message, first);
                        first = false;
                    }
                }
                errors.on_form(tx.get(text::profile::CHECK).into());
            }
            Err(failure) => part.fail(failure),
        });
    };
    view! {
        <Form busy=part.busy errors=errors submit=tx.get(t::SAVE) busy_label=tx.get(t::SAVING) on_submit=Box::new(submit)>
            {inputs.into_iter().map(|field| attribute_input(tx, field)).collect_view()}
        </Form>
    }
}

/// A new email address: a code is emailed to it, and only that code makes it the
/// account's address (the old one is told).
#[component]
fn EmailAddress() -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let part = Part::idle(session, "/v1/me/email");
    let change_id = RwSignal::new(None::<String>);
    let (email, code) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let field_error = RwSignal::new(None);
    let (email_input, code_input) = (NodeRef::new(), NodeRef::new());
    let send = move || {
        field_error.set(None);
        let body = json!({ "email": email.get_untracked().trim() }).to_string();
        let work = session.me("POST", part.path.to_string(), Some(body));
        part.tasks.run(part.busy, work, move |result| match result {
            Ok(started) => {
                change_id.set(started["change_id"].as_str().map(str::to_string));
                session.announce(t::CODE_SENT);
                request_animation_frame(move || focus_node(code_input));
            }
            Err(failure) => part.fail(failure),
        });
    };
    let confirm = move || {
        field_error.set(None);
        let body = json!({
            "change_id": change_id.get_untracked(),
            "code": code.get_untracked().trim(),
        });
        let work = session.me(
            "POST",
            "/v1/me/email/confirm".into(),
            Some(body.to_string()),
        );
        part.tasks.run(part.busy, work, move |result| match result {
            Ok(changed) => {
                part.data.set(Some(changed));
                change_id.set(None);
                code.set(String::new());
                session.announce(t::EMAIL_CHANGED);
                focus_node(part.heading);
            }
            Err(failure @ (Failure::CodeInvalid | Failure::CodeExpired)) => {
                FormErrors::on_field(field_error, code_input, text::failure_message(tx, &failure));
            }
            Err(failure) => part.fail(failure),
        });
    };
    let body = move || {
        match change_id.get() {
        None => {
            let changed = part.data.get().and_then(|d| d["email"].as_str().map(str::to_string));
            view! {
                {changed.map(|email| view! { <p class="pc-hint" part="status">{email}</p> })}
                {small_form(part, t::SEND_CODE, send, view! {
                    <TextField id="pc-new-email" label=tx.get(t::NEW_EMAIL) kind="email" autocomplete="email"
                        required=true value=email error=field_error node_ref=email_input />
                })}
            }
            .into_any()
        }
        Some(_) => view! {
            <p class="pc-hint" part="hint">{tx.get(t::CODE_SENT)}</p>
            {small_form(part, t::CONFIRM, confirm, view! {
                <TextField id="pc-email-code" label=tx.get(text::email::CODE) kind="text" autocomplete="one-time-code"
                    inputmode="numeric" required=true value=code error=field_error node_ref=code_input />
            })}
        }
        .into_any(),
    }
    };
    section(part, "email", t::EMAIL, body)
}

/// A new password (`POST /v1/me/password`): the edge asks for a recent sign-in (the
/// person signs in again and comes back) and tells the owner by email.
#[component]
fn Password() -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let part = Part::idle(session, "/v1/me/password");
    let password = RwSignal::new(String::new());
    let field_error = RwSignal::new(None);
    let input = NodeRef::new();
    let submit = move || {
        field_error.set(None);
        let body = json!({ "password": password.get_untracked() }).to_string();
        let work = session.me("POST", part.path.to_string(), Some(body));
        part.tasks.run(part.busy, work, move |result| match result {
            Ok(_) => {
                password.set(String::new());
                session.announce(t::PASSWORD_CHANGED);
                focus_node(part.heading);
            }
            Err(failure @ Failure::PasswordRejected(_)) => {
                FormErrors::on_field(field_error, input, text::failure_message(tx, &failure));
            }
            Err(failure) => part.fail(failure),
        });
    };
    let body = small_form(
        part,
        t::SET_PASSWORD,
        submit,
        view! {
            <PasswordField id="pc-new-password" label=tx.get(t::NEW_PASSWORD) autocomplete="new-password"
                value=password error=field_error node_ref=input />
        },
    );
    section(part, "password", t::PASSWORD, body)
}

/// A one-field form of a section, its button waiting while the section's request runs.
fn small_form(
    part: Part,
    label: Key,
    submit: impl Fn() + 'static,
    field: impl IntoView,
) -> impl IntoView {
    let tx = part.session.text();
    let submitted = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !part.busy.get_untracked() {
            submit();
        }
    };
    view! {
        <form class="pc-form" part="form" novalidate on:submit=submitted>
            {field}
            <button class="pc-button" part="button" type="submit" disabled=part.busy>{tx.get(label)}</button>
        </form>
    }
}

/// Where the person is signed in: which application, from where, when; this session
/// marked; each other one can be ended, or all of them at once.
#[component]
fn Sessions() -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let part = Part::new(session, "/v1/me/sessions");
    let list = move || {
        let list: SessionList = part.read()?;
        let others = list.sessions.iter().any(|s| !s.current);
        let rows = list
            .sessions
            .into_iter()
            .map(|s| {
                let mut about: Vec<String> = s.user_agent.into_iter().chain(s.country).collect();
                about.push(date(tx.lang(), s.signed_in_at));
                let name = if s.current {
                    format!("{} ({})", s.client_name, tx.get(t::THIS_DEVICE))
                } else {
                    s.client_name
                };
                let path = format!("/v1/me/sessions/{}", encode(&s.id));
                let end = move || part.change("DELETE", path.clone(), None, Some(t::ENDED));
                let button = (!s.current).then(|| (t::END, Box::new(end) as Box<dyn Fn()>));
                row(part, name, about.join(" · "), button)
            })
            .collect_view();
        let end_others = move |_| part.change("DELETE", part.path.into(), None, Some(t::ENDED));
        Some(view! {
            <ul class="pc-list" part="list">{rows}</ul>
            {others.then(|| view! {
                <p class="pc-switch" part="switch">
                    <button class="pc-link" part="link" type="button" disabled=part.busy on:click=end_others>
                        {tx.get(t::END_OTHERS)}
                    </button>
                </p>
            })}
        })
    };
    section(part, "sessions", t::SESSIONS, list)
}

/// The applications holding access to the account, with what they may do and the
/// consents given to each; access can be removed (all their tokens end). The page's own
/// client is not offered: removing it would end this page's own session.
#[component]
fn Applications() -> impl IntoView {
    let session = expect_context::<Session>();
    let own = session.api().client_id().to_string();
    let part = Part::new(session, "/v1/me/applications");
    let list = move || {
        let list: ApplicationList = part.read()?;
        let rows = list
            .applications
            .into_iter()
            .map(|app| {
                let mut about = app.scopes.join(" ");
                for consent in &app.consents {
                    about.push_str(&format!(
                        " · {} {}",
                        consent.purpose, consent.document_version
                    ));
                }
                let path = format!("/v1/me/applications/{}", encode(&app.client_id));
                let revoke = move || part.change("DELETE", path.clone(), None, Some(t::REVOKED));
                let button =
                    (app.client_id != own).then(|| (t::REVOKE, Box::new(revoke) as Box<dyn Fn()>));
                row(part, app.name, about, button)
            })
            .collect_view();
        Some(view! { <ul class="pc-list" part="list">{rows}</ul> })
    };
    section(part, "applications", t::APPS, list)
}

/// What the person agreed to, each purpose's latest record; a granted one can be
/// withdrawn (a new record, the old ones stay).
#[component]
fn Consents() -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let part = Part::new(session, "/v1/me/consents");
    let list = move || {
        let list: ConsentList = part.read()?;
        let rows = list
            .current
            .into_iter()
            .map(|record| {
                let granted = record.state == ConsentState::Granted;
                let about = format!(
                    "{} · {} · {}",
                    record.document_version,
                    record.state.as_str(),
                    date(tx.lang(), record.recorded_at)
                );
                let body = json!({
                    "purpose": record.purpose,
                    "state": "withdrawn",
                    "document_version": record.document_version,
                    "text_sha256": record.text_sha256,
                    "locale": tx.lang(),
                })
                .to_string();
                let path = part.path.to_string();
                let withdraw = move || {
                    part.change("POST", path.clone(), Some(body.clone()), Some(t::WITHDRAWN))
                };
                let button = granted.then(|| (t::WITHDRAW, Box::new(withdraw) as Box<dyn Fn()>));
                row(part, record.purpose.replace(['_', '.'], " "), about, button)
            })
            .collect_view();
        Some(view! { <ul class="pc-list" part="list">{rows}</ul> })
    };
    section(part, "consents", t::CONSENTS, list)
}

/// Download everything held about the person (JSON), and delete the account: the edge
/// asks for a recent sign-in, then says when the erasure happens and emails a link that
/// cancels it.
#[component]
fn YourData() -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let part = Part::idle(session, "/v1/me");
    let file = RwSignal::new(None::<String>);
    let link = NodeRef::<leptos::html::A>::new();
    let export = move |_| {
        let work = session.me("GET", "/v1/me/export".into(), None);
        part.tasks.run(part.busy, work, move |result| match result {
            Ok(data) => {
                let json = crate::json::to_string_pretty(&data).unwrap_or_default();
                let encoded: String = js_sys::encode_uri_component(&json).into();
                file.set(Some(format!(
                    "data:application/json;charset=utf-8,{encoded}"
                )));
                request_animation_frame(move || {
                    if let Some(link) = link.get_untracked() {
                        link.click();
                        let _ = link.focus();
                    }
                });
            }
            Err(failure) => part.fail(failure),
        });
    };
    let delete = move |_| {
        let work = session.me("DELETE", part.path.to_string(), None);
        part.tasks.run(part.busy, work, move |result| match result {
            Ok(scheduled) => {
                part.data.set(Some(scheduled));
                focus_node(part.heading);
            }
            Err(failure) => part.fail(failure),
        });
    };
    let scheduled = move || {
        let due = part.data.get()?["due_at"].as_u64()?;
        Some(view! {
            <p class="pc-hint" part="status" role="status">{t::deleting(tx, &date(tx.lang(), due))}</p>
        })
    };
    let body = view! {
        <p class="pc-switch" part="switch">
            <button class="pc-link" part="link" type="button" disabled=part.busy on:click=export>
                {tx.get(t::EXPORT)}
            </button>
        </p>
        {move || file.get().map(|href| view! {
            <p class="pc-switch" part="switch">
                <a class="pc-link" part="link" href=href download="account-data.json" node_ref=link>
                    {tx.get(t::EXPORT)}" (JSON)"
                </a>
            </p>
        })}
        <p class="pc-hint" part="hint">{tx.get(t::DELETE_TEXT)}</p>
        <button class="pc-button pc-secondary" part="button" type="button" disabled=part.busy on:click=delete>
            {tx.get(t::DELETE)}
        </button>
        {scheduled}
    };
    section(part, "your-data", t::DATA, body)
}
