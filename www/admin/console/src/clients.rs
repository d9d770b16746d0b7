//! The clients view: every registered client, a client's settings, registering one, and
//! giving a confidential client a new secret, through `/admin/v1/clients` only. A secret
//! is shown once, in the view that received it; the API never returns it again and the
//! console keeps it nowhere else.

use leptos::prelude::*;
use serde_json::{json, Value};

use crate::api::{self, encoded, Token};
use crate::text::Text;
use crate::views::{failure_text, focus_next_frame, focus_once_shown, listed, text_of, Field};

/// What a new client is for, and so its type and grants (RFC 6749 §2.1, §4.1, §4.4).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A browser or phone app: public, authorization code with PKCE.
    App,
    /// An app with a server: confidential, authorization code.
    Server,
    /// A service calling APIs for itself: confidential, client credentials.
    Machine,
}

impl Kind {
    fn named(value: &str) -> Kind {
        match value {
            "server" => Kind::Server,
            "machine" => Kind::Machine,
            _ => Kind::App,
        }
    }

    /// The registration's `client_type` and `grant_types`.
    fn registration(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Kind::App => ("public", &["authorization_code", "refresh_token"]),
            Kind::Server => ("confidential", &["authorization_code", "refresh_token"]),
            Kind::Machine => ("confidential", &["client_credentials"]),
        }
    }
}

/// The strings of a list setting.
fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| items.iter().map(text_of).collect())
        .unwrap_or_default()
}

#[component]
pub fn Clients(
    /// The visitor's language.
    text: Text,
    /// The administrator's access token.
    token: Token,
) -> impl IntoView {
    let clients = RwSignal::new(Vec::<(String, String)>::new());
    let selected = RwSignal::new(None::<String>);
    // A new client's secret, handed to its detail once and then forgotten here.
    let fresh = StoredValue::new(None::<String>);
    let status = RwSignal::new("");
    let name = RwSignal::new(String::new());
    let kind = RwSignal::new(Kind::App);
    let redirect = RwSignal::new(String::new());
    let scopes = RwSignal::new(String::new());
    let token = StoredValue::new(token);
    let load = move || {
        let token = token.get_value();
        leptos::task::spawn_local(async move {
            match api::call("GET", "/admin/v1/clients", &token).await {
                Ok(Value::Array(list)) => clients.set(
                    list.iter()
                        .map(|c| (text_of(&c["id"]), text_of(&c["name"])))
                        .collect(),
                ),
                Ok(_) => status.set(text.get("failed")),
                Err(failure) => status.set(failure_text(text, failure)),
            }
        });
    };
    load();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (client_type, grant_types) = kind.get_untracked().registration();
        let uri = redirect.get_untracked().trim().to_string();
        let body = json!({
            "name": name.get_untracked().trim(),
            "client_type": client_type,
            "grant_types": grant_types,
            "redirect_uris": if uri.is_empty() { Vec::new() } else { vec![uri] },
            "allowed_scopes": scopes.get_untracked().split_whitespace().collect::<Vec<_>>(),
        });
        let token = token.get_value();
        status.set(text.get("loading"));
        leptos::task::spawn_local(async move {
            match api::send("POST", "/admin/v1/clients", &token, Some(&body)).await {
                Ok(created) => {
                    name.set(String::new());
                    redirect.set(String::new());
                    scopes.set(String::new());
                    status.set(text.get("saved"));
                    load();
                    selected.set(None);
                    fresh.set_value(created["client_secret"].as_str().map(str::to_string));
                    selected.set(created["id"].as_str().map(str::to_string));
                }
                Err(failure) => status.set(failure_text(text, failure)),
            }
        });
    };
    view! {
        <section aria-labelledby="clients-title">
            <h2 id="clients-title">{text.get("nav-clients")}</h2>
            <form on:submit=create class="register">
                <Field id="client-name" kind="text" label=text.get("client-name") value=name />
                <label for="client-kind">{text.get("client-kind")}</label>
                <select id="client-kind" on:change=move |ev| kind.set(Kind::named(&event_target_value(&ev)))>
                    <option value="app">{text.get("kind-app")}</option>
                    <option value="server">{text.get("kind-server")}</option>
                    <option value="machine">{text.get("kind-machine")}</option>
                </select>
                <label for="client-redirect">{text.get("client-redirect")}</label>
                <input id="client-redirect" type="url" autocomplete="off"
                    required=move || kind.get() != Kind::Machine
                    prop:value=move || redirect.get()
                    on:input=move |ev| redirect.set(event_target_value(&ev)) />
                <label for="client-scopes">{text.get("client-scopes")}</label>
                <input id="client-scopes" type="text" autocomplete="off"
                    prop:value=move || scopes.get()
                    on:input=move |ev| scopes.set(event_target_value(&ev)) />
                <button type="submit">{text.get("create-client")}</button>
            </form>
            <p role="status">{move || status.get()}</p>
            <ul class="results" aria-labelledby="clients-title">
                {move || clients.get().into_iter().map(|(id, name)| {
                    let label = format!("{name} · {id}");
                    view! {
                        <li><button type="button" on:click=move |_| {
                            fresh.set_value(None);
                            selected.set(Some(id.clone()));
                        }>{label}</button></li>
                    }
                }).collect_view()}
            </ul>
            {move || selected.get().map(|id| {
                let secret = fresh.try_update_value(Option::take).flatten();
                view! { <ClientDetail text token=token.get_value() id secret /> }
            })}
        </section>
    }
}

#[component]
fn ClientDetail(
    /// The visitor's language.
    text: Text,
    /// The administrator's access token.
    token: Token,
    /// The client shown.
    id: String,
    /// The secret the API has just returned for it, shown once.
    secret: Option<String>,
) -> impl IntoView {
    let client = RwSignal::new(None::<Value>);
    let secret = RwSignal::new(secret);
    let asking = RwSignal::new(false);
    let status = RwSignal::new("");
    let heading = NodeRef::<leptos::html::H3>::new();
    let confirm = NodeRef::<leptos::html::Button>::new();
    let token = StoredValue::new(token);
    let path = StoredValue::new(format!("/admin/v1/clients/{}", encoded(&id)));
    {
        let token = token.get_value();
        leptos::task::spawn_local(async move {
            match api::call("GET", &path.get_value(), &token).await {
                Ok(found) => client.set(Some(found)),
                Err(failure) => status.set(failure_text(text, failure)),
            }
        });
    }
    focus_once_shown(move || client.with(Option::is_some), heading);
    let ask = move || {
        asking.set(true);
        focus_next_frame(confirm);
    };
    let rotate = move || {
        asking.set(false);
        let token = token.get_value();
        leptos::task::spawn_local(async move {
            let rotated = format!("{}/secret", path.get_value());
            match api::call("POST", &rotated, &token).await {
                Ok(answer) => {
                    secret.set(answer["client_secret"].as_str().map(str::to_string));
                    status.set(text.get("saved"));
                }
                Err(failure) => status.set(failure_text(text, failure)),
            }
        });
    };
    view! {
        <section class="detail" aria-labelledby="client-title">
            {move || client.get().map(|c| {
                let confidential = c["client_type"] == "confidential";
                let kind = if confidential { text.get("type-confidential") } else { text.get("type-public") };
                let client_name = text_of(&c["name"]);
                let question = text.format("confirm-rotate", &[("name", &client_name)]);
                view! {
                    <h3 id="client-title" tabindex="-1" node_ref=heading>{client_name}</h3>
                    <dl>
                        <dt>{text.get("field-id")}</dt><dd id="client-id">{text_of(&c["id"])}</dd>
                        <dt>{text.get("field-type")}</dt><dd>{kind}</dd>
                        <dt>{text.get("field-grant-types")}</dt><dd>{listed(text, &strings(&c["grant_types"]))}</dd>
                        <dt>{text.get("field-redirect-uris")}</dt><dd>{listed(text, &strings(&c["redirect_uris"]))}</dd>
                        <dt>{text.get("field-origins")}</dt><dd>{listed(text, &strings(&c["allowed_origins"]))}</dd>
                        <dt>{text.get("field-scopes")}</dt><dd>{listed(text, &strings(&c["allowed_scopes"]))}</dd>
                    </dl>
                    {confidential.then(|| view! {
                        <div class="actions" role="group" aria-label=text.get("actions-label")>
                            <button type="button" on:click=move |_| ask()>{text.get("rotate-secret")}</button>
                        </div>
                        <div class="confirm" role="group" aria-labelledby="confirm-rotate" hidden=move || !asking.get()>
                            <p id="confirm-rotate">{question}</p>
                            <button type="button" node_ref=confirm on:click=move |_| rotate()>{text.get("confirm")}</button>
                            <button type="button" on:click=move |_| asking.set(false)>{text.get("cancel")}</button>
                        </div>
                    })}
                }
            })}
            {move || secret.get().map(|s| view! {
                <div class="secret" role="group" aria-labelledby="secret-note">
                    <p id="secret-note">{text.get("secret-once")}</p>
                    <code id="client-secret">{s}</code>
                </div>
            })}
            <p role="status">{move || status.get()}</p>
        </section>
    }
}
