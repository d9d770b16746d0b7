//! The administrator's views: people (search, detail, lifecycle actions — suspend,
//! reactivate, reset second factors, end sessions, delete — each with a confirmation
//! step, their recent events) and the System Log with filters.

use leptos::prelude::*;
use serde_json::Value;

use crate::api::{self, encoded, quoted, Failure, Token};
use crate::text::Text;

pub(crate) fn text_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// A search result: a person as the SCIM Users resource shows them (RFC 7643 §4.1).
#[derive(Clone, PartialEq)]
struct Found {
    id: String,
    email: String,
    active: bool,
}

impl Found {
    fn of(resource: &Value) -> Option<Found> {
        Some(Found {
            id: resource["id"].as_str()?.to_string(),
            email: text_of(&resource["userName"]),
            active: resource["active"].as_bool().unwrap_or(false),
        })
    }
}

/// A person as `GET /admin/v1/users/{id}` shows them.
#[derive(Clone, PartialEq)]
struct Person {
    id: String,
    email: String,
    name: String,
    /// Okta's status name: `STAGED`, `ACTIVE`, `SUSPENDED` or `DEPROVISIONED`.
    status: String,
    created: String,
    last_sign_in: String,
    apps: Vec<String>,
    passkeys: Vec<String>,
    sessions: Vec<String>,
    grants: u64,
    groups: Vec<String>,
}

impl Person {
    fn of(body: &Value) -> Option<Person> {
        let names = |list: &Value, field: &str| -> Vec<String> {
            list.as_array()
                .map(|items| items.iter().map(|i| text_of(&i[field])).collect())
                .unwrap_or_default()
        };
        Some(Person {
            id: body["id"].as_str()?.to_string(),
            email: text_of(&body["email"]),
            name: text_of(&body["name"]),
            status: text_of(&body["status"]),
            created: text_of(&body["created"]),
            last_sign_in: text_of(&body["last_sign_in"]),
            apps: names(&body["factors"]["authenticator_apps"], "name"),
            passkeys: names(&body["passkeys"], "name"),
            sessions: names(&body["sessions"], "signed_in"),
            grants: body["grants"].as_u64().unwrap_or(0),
            groups: body["groups"]
                .as_array()
                .map(|g| g.iter().map(text_of).collect())
                .unwrap_or_default(),
        })
    }
}

/// The catalogue's name of an Okta status.
fn status_text(text: Text, status: &str) -> &'static str {
    match status {
        "ACTIVE" => text.get("status-active"),
        "STAGED" => text.get("status-staged"),
        "DEPROVISIONED" => text.get("status-deprovisioned"),
        _ => text.get("status-suspended"),
    }
}

/// `items` joined for a definition list, or the catalogue's "None".
pub(crate) fn listed(text: Text, items: &[String]) -> String {
    if items.is_empty() {
        text.get("none").to_string()
    } else {
        items.join(", ")
    }
}

/// Moves focus to `heading` when `shown` first holds, so keyboard users land on what they
/// opened (and stay where they are when it reloads).
pub(crate) fn focus_once_shown(
    shown: impl Fn() -> bool + 'static,
    heading: NodeRef<leptos::html::H3>,
) {
    Effect::new(move |seen: Option<bool>| {
        let now = shown();
        if now && seen != Some(true) {
            if let Some(h) = heading.get() {
                let _ = h.focus();
            }
        }
        now
    });
}

/// Focuses `button` after the next frame: a step just un-hidden takes no focus before.
pub(crate) fn focus_next_frame(button: NodeRef<leptos::html::Button>) {
    request_animation_frame(move || {
        if let Some(b) = button.get_untracked() {
            let _ = b.focus();
        }
    });
}

/// A required, labelled input bound to `value`.
#[component]
pub(crate) fn Field(
    /// The input's id, which its label names.
    id: &'static str,
    /// The input's type: `text` or `email`.
    kind: &'static str,
    /// The label's text.
    label: &'static str,
    /// What is typed.
    value: RwSignal<String>,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input id=id type=kind autocomplete="off" required
            prop:value=move || value.get()
            on:input=move |ev| value.set(event_target_value(&ev)) />
    }
}

/// What the console says after a call failed.
pub(crate) fn failure_text(text: Text, failure: Failure) -> &'static str {
    match failure {
        Failure::Refused => text.get("refused"),
        Failure::SignInAgain => text.get("sign-in-again"),
        Failure::Rejected => text.get("rejected"),
        Failure::Failed => text.get("failed"),
    }
}

#[component]
pub fn Users(
    /// The visitor's language.
    text: Text,
    /// The administrator's access token.
    token: Token,
) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let found = RwSignal::new(None::<Vec<Found>>);
    let selected = RwSignal::new(None::<String>);
    let status = RwSignal::new("");
    let token = StoredValue::new(token);
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let filter = format!("userName eq {}", quoted(query.get_untracked().trim()));
        let path = format!("/scim/v2/Users?filter={}", encoded(&filter));
        selected.set(None);
        status.set(text.get("loading"));
        let token = token.get_value();
        leptos::task::spawn_local(async move {
            match api::call("GET", &path, &token).await {
                Ok(list) => {
                    let people: Vec<Found> = list["Resources"]
                        .as_array()
                        .map(|r| r.iter().filter_map(Found::of).collect())
                        .unwrap_or_default();
                    status.set(if people.is_empty() {
                        text.get("no-results")
                    } else {
                        ""
                    });
                    found.set(Some(people));
                }
                Err(failure) => status.set(failure_text(text, failure)),
            }
        });
    };
    view! {
        <section aria-labelledby="users-title">
            <h2 id="users-title">{text.get("nav-users")}</h2>
            <form role="search" on:submit=search>
                <Field id="user-search" kind="email" label=text.get("search-label") value=query />
                <button type="submit">{text.get("search")}</button>
            </form>
            <p role="status">{move || status.get()}</p>
            <ul class="results">
                {move || found.get().unwrap_or_default().into_iter().map(|person| {
                    let id = person.id.clone();
                    let state = if person.active { text.get("status-active") } else { text.get("status-inactive") };
                    view! {
                        <li><button type="button" on:click=move |_| selected.set(Some(id.clone()))>
                            {format!("{} · {}", person.email, state)}
                        </button></li>
                    }
                }).collect_view()}
            </ul>
            {move || selected.get().map(|id| view! { <Detail text token=token.get_value() id /> })}
        </section>
    }
}

/// A lifecycle action, asked for and then confirmed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Change {
    Suspend,
    Unsuspend,
    ResetFactors,
    RevokeSessions,
    Delete,
}

impl Change {
    /// The action's name in `/admin/v1/users/{id}/lifecycle/{action}`.
    fn action(self) -> &'static str {
        match self {
            Change::Suspend => "suspend",
            Change::Unsuspend => "unsuspend",
            Change::ResetFactors => "reset_factors",
            Change::RevokeSessions => "revoke_sessions",
            Change::Delete => "delete",
        }
    }

    /// The button's label and the confirmation's question in the catalogue.
    fn keys(self) -> (&'static str, &'static str) {
        match self {
            Change::Suspend => ("suspend", "confirm-suspend"),
            Change::Unsuspend => ("unsuspend", "confirm-unsuspend"),
            Change::ResetFactors => ("reset-factors", "confirm-reset-factors"),
            Change::RevokeSessions => ("revoke-sessions", "confirm-revoke-sessions"),
            Change::Delete => ("delete", "confirm-delete"),
        }
    }

    /// What can be done to an account in `status` (Okta's name).
    fn offered(status: &str) -> Vec<Change> {
        let mut changes = match status {
            "ACTIVE" => vec![Change::Suspend],
            "SUSPENDED" => vec![Change::Unsuspend],
            _ => Vec::new(),
        };
        changes.extend([Change::ResetFactors, Change::RevokeSessions, Change::Delete]);
        changes
    }
}

#[component]
fn Detail(
    /// The visitor's language.
    text: Text,
    /// The administrator's access token.
    token: Token,
    /// The person shown.
    id: String,
) -> impl IntoView {
    let person = RwSignal::new(None::<Person>);
    let asking = RwSignal::new(None::<Change>);
    let status = RwSignal::new(String::new());
    let version = RwSignal::new(0u32);
    let heading = NodeRef::<leptos::html::H3>::new();
    let confirm = NodeRef::<leptos::html::Button>::new();
    let token = StoredValue::new(token);
    let id = StoredValue::new(id);
    let load = move || {
        let path = format!("/admin/v1/users/{}", encoded(&id.get_value()));
        let token = token.get_value();
        leptos::task::spawn_local(async move {
            match api::call("GET", &path, &token).await {
                Ok(resource) => {
                    person.set(Person::of(&resource));
                    version.update(|v| *v += 1);
                }
                Err(failure) => status.set(failure_text(text, failure).into()),
            }
        });
    };
    load();
    // Keyboard users land on what they opened, and on the step that asks to confirm.
    Effect::new(move |_| {
        if person.with(Option::is_some) {
            if let Some(h) = heading.get() {
                let _ = h.focus();
            }
        }
    });
    let ask = move |change: Change| {
        asking.set(Some(change));
        focus_next_frame(confirm);
    };
    let apply = move |change: Change| {
        asking.set(None);
        let path = format!(
            "/admin/v1/users/{}/lifecycle/{}",
            encoded(&id.get_value()),
            change.action()
        );
        let token = token.get_value();
        leptos::task::spawn_local(async move {
            match api::call("POST", &path, &token).await {
                Ok(_) if change == Change::Delete => {
                    person.set(None);
                    status.set(text.get("deleted").into());
                }
                Ok(_) => {
                    status.set(text.get("saved").into());
                    load();
                }
                Err(failure) => status.set(failure_text(text, failure).into()),
            }
        });
    };
    view! {
        <section class="detail" aria-labelledby="detail-title">
            {move || person.get().map(|p| {
                let email = StoredValue::new(p.email.clone());
                let question = move || {
                    asking
                        .get()
                        .map(|c| text.format(c.keys().1, &[("email", &email.get_value())]))
                        .unwrap_or_default()
                };
                view! {
                    <h3 id="detail-title" tabindex="-1" node_ref=heading>{p.email.clone()}</h3>
                    <dl>
                        <dt>{text.get("field-name")}</dt><dd>{p.name.clone()}</dd>
                        <dt>{text.get("field-status")}</dt>
                        <dd id="detail-status">{status_text(text, &p.status)}</dd>
                        <dt>{text.get("field-created")}</dt><dd>{p.created.clone()}</dd>
                        <dt>{text.get("field-last-sign-in")}</dt><dd>{p.last_sign_in.clone()}</dd>
                        <dt>{text.get("field-id")}</dt><dd>{p.id.clone()}</dd>
                        <dt>{text.get("field-factors")}</dt><dd>{listed(text, &p.apps)}</dd>
                        <dt>{text.get("field-passkeys")}</dt><dd>{listed(text, &p.passkeys)}</dd>
                        <dt>{text.get("field-sessions")}</dt><dd>{listed(text, &p.sessions)}</dd>
                        <dt>{text.get("field-grants")}</dt><dd>{p.grants.to_string()}</dd>
                        <dt>{text.get("field-groups")}</dt><dd id="detail-groups">{listed(text, &p.groups)}</dd>
                    </dl>
                    <div class="actions" role="group" aria-label=text.get("actions-label")>
                        {Change::offered(&p.status).into_iter().map(|change| view! {
                            <button type="button" on:click=move |_| ask(change)>{text.get(change.keys().0)}</button>
                        }).collect_view()}
                    </div>
                    <div class="confirm" role="group" aria-labelledby="confirm-question" hidden=move || asking.get().is_none()>
                        <p id="confirm-question">{question}</p>
                        <button type="button" node_ref=confirm on:click=move |_| if let Some(c) = asking.get() { apply(c) }>
                            {text.get("confirm")}
                        </button>
                        <button type="button" on:click=move |_| asking.set(None)>{text.get("cancel")}</button>
                    </div>
                }
            })}
            <p role="status">{move || status.get()}</p>
            {move || {
                version.get();
                let filter = format!("target.id eq {}", quoted(&id.get_value()));
                view! { <Events text token=token.get_value() filter title=text.get("recent-events") /> }
            }}
        </section>
    }
}

/// Events of the System Log matching `filter` (an Okta filter expression), newest
/// first, with a refresh button.
#[component]
fn Events(
    /// The visitor's language.
    text: Text,
    /// The administrator's access token.
    token: Token,
    /// The `filter` parameter of `GET /api/v1/logs`; empty for every event.
    filter: String,
    /// The table's caption.
    title: &'static str,
) -> impl IntoView {
    let rows = RwSignal::new(Vec::<Value>::new());
    let status = RwSignal::new("");
    let token = StoredValue::new(token);
    let filter = StoredValue::new(filter);
    let load = move || {
        let mut path = "/api/v1/logs?sortOrder=DESCENDING&limit=25".to_string();
        let filter = filter.get_value();
        if !filter.is_empty() {
            path.push_str(&format!("&filter={}", encoded(&filter)));
        }
        let token = token.get_value();
        status.set(text.get("loading"));
        leptos::task::spawn_local(async move {
            match api::call("GET", &path, &token).await {
                Ok(Value::Array(events)) => {
                    status.set(if events.is_empty() {
                        text.get("no-events")
                    } else {
                        ""
                    });
                    rows.set(events);
                }
                Ok(_) => status.set(text.get("failed")),
                Err(failure) => status.set(failure_text(text, failure)),
            }
        });
    };
    load();
    let cell = |v: &Value| v.as_str().unwrap_or_default().to_string();
    view! {
        <div class="events">
            <button type="button" on:click=move |_| load()>{text.get("refresh")}</button>
            <p role="status">{move || status.get()}</p>
            // No table without rows: a table of headers only describes nothing.
            {move || (!rows.with(Vec::is_empty)).then(|| view! {
                <table>
                    <caption>{title}</caption>
                    <thead><tr>
                        <th scope="col">{text.get("col-time")}</th>
                        <th scope="col">{text.get("col-event")}</th>
                        <th scope="col">{text.get("col-outcome")}</th>
                        <th scope="col">{text.get("col-actor")}</th>
                    </tr></thead>
                    <tbody>
                        {rows.get().iter().map(|e| {
                            let actor = e["actor"]["alternateId"].as_str()
                                .or(e["actor"]["displayName"].as_str())
                                .unwrap_or_default().to_string();
                            view! { <tr>
                                <td>{cell(&e["published"])}</td>
                                <td>{cell(&e["eventType"])}</td>
                                <td>{cell(&e["outcome"]["result"])}</td>
                                <td>{actor}</td>
                            </tr> }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </div>
    }
}

#[component]
pub fn Log(
    /// The visitor's language.
    text: Text,
    /// The administrator's access token.
    token: Token,
) -> impl IntoView {
    let event_type = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let actor = RwSignal::new(String::new());
    let applied = RwSignal::new(String::new());
    let token = StoredValue::new(token);
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut terms = Vec::new();
        let typed = event_type.get_untracked();
        if !typed.trim().is_empty() {
            terms.push(format!("eventType eq {}", quoted(typed.trim())));
        }
        let result = outcome.get_untracked();
        if !result.is_empty() {
            terms.push(format!("outcome.result eq {}", quoted(&result)));
        }
        let who = actor.get_untracked();
        if !who.trim().is_empty() {
            terms.push(format!("actor.id eq {}", quoted(who.trim())));
        }
        applied.set(terms.join(" and "));
    };
    view! {
        <section aria-labelledby="log-title">
            <h2 id="log-title">{text.get("nav-log")}</h2>
            <form on:submit=apply class="filters">
                <label for="log-type">{text.get("filter-type")}</label>
                <input id="log-type" type="text" prop:value=move || event_type.get()
                    on:input=move |ev| event_type.set(event_target_value(&ev)) />
                <label for="log-outcome">{text.get("filter-outcome")}</label>
                <select id="log-outcome" on:change=move |ev| outcome.set(event_target_value(&ev))>
                    <option value="">{text.get("outcome-any")}</option>
                    <option value="SUCCESS">{text.get("outcome-success")}</option>
                    <option value="FAILURE">{text.get("outcome-failure")}</option>
                </select>
                <label for="log-actor">{text.get("filter-actor")}</label>
                <input id="log-actor" type="text" prop:value=move || actor.get()
                    on:input=move |ev| actor.set(event_target_value(&ev)) />
                <button type="submit">{text.get("apply")}</button>
            </form>
            {move || view! { <Events text token=token.get_value() filter=applied.get() title=text.get("nav-log") /> }}
        </section>
    }
}
