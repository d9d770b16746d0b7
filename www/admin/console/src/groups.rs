//! The groups view: every group, a group's members by email, adding a person found by
//! their email, removing one, and making a group, through SCIM Groups only
//! (RFC 7643 §4.2, RFC 7644 §3.5.2 PATCH).

use leptos::prelude::*;
use serde_json::{json, Value};

use crate::api::{self, encoded, quoted, Token};
use crate::text::Text;
use crate::views::{failure_text, focus_once_shown, text_of, Field};

const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The members whose email the console looks up: one read each.
const MEMBERS_SHOWN: usize = 100;

/// A member: their user id and email (the id when the user cannot be read).
#[derive(Clone, PartialEq)]
struct Member {
    id: String,
    email: String,
}

/// A PATCH of `group`'s members (RFC 7644 §3.5.2).
fn members_patch(operation: Value) -> Value {
    json!({"schemas": [PATCH_SCHEMA], "Operations": [operation]})
}

#[component]
pub fn Groups(
    /// The visitor's language.
    text: Text,
    /// The administrator's access token.
    token: Token,
) -> impl IntoView {
    // Each group's id and name.
    let groups = RwSignal::new(Vec::<(String, String)>::new());
    let selected = RwSignal::new(None::<String>);
    let status = RwSignal::new("");
    let name = RwSignal::new(String::new());
    let token = StoredValue::new(token);
    let load = move || {
        let token = token.get_value();
        leptos::task::spawn_local(async move {
            match api::call("GET", "/scim/v2/Groups?count=100", &token).await {
                Ok(list) => groups.set(
                    list["Resources"]
                        .as_array()
                        .map(|r| {
                            r.iter()
                                .map(|g| (text_of(&g["id"]), text_of(&g["displayName"])))
                                .collect()
                        })
                        .unwrap_or_default(),
                ),
                Err(failure) => status.set(failure_text(text, failure)),
            }
        });
    };
    load();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = json!({"schemas": [GROUP_SCHEMA], "displayName": name.get_untracked().trim()});
        let token = token.get_value();
        status.set(text.get("loading"));
        leptos::task::spawn_local(async move {
            match api::send("POST", "/scim/v2/Groups", &token, Some(&body)).await {
                Ok(group) => {
                    name.set(String::new());
                    status.set(text.get("saved"));
                    load();
                    selected.set(group["id"].as_str().map(str::to_string));
                }
                Err(failure) => status.set(failure_text(text, failure)),
            }
        });
    };
    view! {
        <section aria-labelledby="groups-title">
            <h2 id="groups-title">{text.get("nav-groups")}</h2>
            <form on:submit=create>
                <Field id="group-name" kind="text" label=text.get("group-name") value=name />
                <button type="submit">{text.get("create-group")}</button>
            </form>
            <p role="status">{move || status.get()}</p>
            <ul class="results" aria-labelledby="groups-title">
                {move || groups.get().into_iter().map(|(id, name)| view! {
                    <li><button type="button" on:click=move |_| selected.set(Some(id.clone()))>
                        {name}
                    </button></li>
                }).collect_view()}
            </ul>
            {move || selected.get().map(|id| view! { <GroupDetail text token=token.get_value() id /> })}
        </section>
    }
}

#[component]
fn GroupDetail(
    /// The visitor's language.
    text: Text,
    /// The administrator's access token.
    token: Token,
    /// The group shown.
    id: String,
) -> impl IntoView {
    let name = RwSignal::new(None::<String>);
    let members = RwSignal::new(Vec::<Member>::new());
    let email = RwSignal::new(String::new());
    let status = RwSignal::new("");
    let heading = NodeRef::<leptos::html::H3>::new();
    let token = StoredValue::new(token);
    let path = StoredValue::new(format!("/scim/v2/Groups/{}", encoded(&id)));
    let load = move || {
        let token = token.get_value();
        leptos::task::spawn_local(async move {
            let group = match api::call("GET", &path.get_value(), &token).await {
                Ok(group) => group,
                Err(failure) => return status.set(failure_text(text, failure)),
            };
            let mut found = Vec::new();
            let ids = group["members"].as_array().cloned().unwrap_or_default();
            for member in ids.iter().take(MEMBERS_SHOWN) {
                let id = text_of(&member["value"]);
                let user = format!("/scim/v2/Users/{}", encoded(&id));
                let email = match api::call("GET", &user, &token).await {
                    Ok(user) => text_of(&user["userName"]),
                    Err(_) => id.clone(),
                };
                found.push(Member { id, email });
            }
            members.set(found);
            name.set(Some(text_of(&group["displayName"])));
        });
    };
    load();
    focus_once_shown(move || name.with(Option::is_some), heading);
    let change = move |operation: Value| {
        let token = token.get_value();
        leptos::task::spawn_local(async move {
            let body = members_patch(operation);
            match api::send("PATCH", &path.get_value(), &token, Some(&body)).await {
                Ok(_) => {
                    status.set(text.get("saved"));
                    load();
                }
                Err(failure) => status.set(failure_text(text, failure)),
            }
        });
    };
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let filter = format!("userName eq {}", quoted(email.get_untracked().trim()));
        let search = format!("/scim/v2/Users?filter={}", encoded(&filter));
        let token = token.get_value();
        status.set(text.get("loading"));
        leptos::task::spawn_local(async move {
            let found = match api::call("GET", &search, &token).await {
                Ok(list) => list["Resources"][0]["id"].as_str().map(str::to_string),
                Err(failure) => return status.set(failure_text(text, failure)),
            };
            match found {
                Some(user) => {
                    email.set(String::new());
                    change(json!({"op": "add", "path": "members", "value": [{"value": user}]}));
                }
                None => status.set(text.get("no-results")),
            }
        });
    };
    let remove = move |user: String| {
        let path = format!("members[value eq {}]", quoted(&user));
        change(json!({"op": "remove", "path": path}));
    };
    view! {
        <section class="detail" aria-labelledby="group-title">
            <h3 id="group-title" tabindex="-1" node_ref=heading>{move || name.get().unwrap_or_default()}</h3>
            <h4 id="group-members-title">{text.get("group-members")}</h4>
            <ul id="group-members" aria-labelledby="group-members-title">
                {move || {
                    let list = members.get();
                    if list.is_empty() {
                        return view! { <li>{text.get("none")}</li> }.into_any();
                    }
                    list.into_iter().map(|member| {
                        let label = text.format("remove-member", &[("email", &member.email)]);
                        let id = member.id.clone();
                        view! {
                            <li>
                                <span>{member.email}</span>" "
                                <button type="button" on:click=move |_| remove(id.clone())>{label}</button>
                            </li>
                        }
                    }).collect_view().into_any()
                }}
            </ul>
            <form on:submit=add>
                <Field id="member-email" kind="email" label=text.get("member-email") value=email />
                <button type="submit">{text.get("add-member")}</button>
            </form>
            <p role="status">{move || status.get()}</p>
        </section>
    }
}
