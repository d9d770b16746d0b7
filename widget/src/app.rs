//! The widget's screens.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use portcullis_shared::api::ClientConfig;
use portcullis_shared::events::StepDetail;
use portcullis_shared::ApiError;

use crate::api::Api;
use crate::events::Events;

/// A started flow as the widget remembers it: never persisted, gone on reload.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Flow {
    id: String,
    email: String,
}

/// The whole widget: the client's title, then the current step.
pub fn view(api: Api, events: Events) -> impl IntoView {
    let (config, set_config) = signal(None::<Result<ClientConfig, ApiError>>);
    let (flow, set_flow) = signal(None::<Flow>);

    {
        let (api, events) = (api.clone(), events.clone());
        leptos::task::spawn_local(async move {
            let result = api.client_config().await;
            match &result {
                Ok(_) => events.ready(),
                Err(err) => events.error(err),
            }
            set_config.set(Some(result));
        });
    }

    view! {
        <section class="pc-card" part="card" aria-labelledby="pc-title">
            {move || match config.get() {
                None => view! { <p class="pc-muted" part="status" role="status">"Loading…"</p> }.into_any(),
                Some(Err(err)) => view! { <p class="pc-error" part="error" role="alert">{err.message}</p> }.into_any(),
                Some(Ok(config)) => {
                    let (api, events) = (api.clone(), events.clone());
                    view! {
                        <h2 id="pc-title" class="pc-title" part="title">"Sign in to " {config.name}</h2>
                        {move || match flow.get() {
                            None => view! { <Identify api=api.clone() events=events.clone() on_started=set_flow /> }.into_any(),
                            Some(current) => view! { <Continue api=api.clone() flow=current on_cancelled=set_flow /> }.into_any(),
                        }}
                    }
                    .into_any()
                }
            }}
        </section>
    }
}

/// The first step: ask for an email address and start a flow with it.
#[component]
fn Identify(
    /// Client for the edge's API.
    api: Api,
    /// Where `portcullis:*` events go.
    events: Events,
    /// Receives the flow once the edge has started it.
    on_started: WriteSignal<Option<Flow>>,
) -> impl IntoView {
    let (email, set_email) = signal(String::new());
    let (error, set_error) = signal(None::<String>);
    let input = NodeRef::<leptos::html::Input>::new();

    let start = Action::new_local(move |hint: &String| {
        let (api, events, hint) = (api.clone(), events.clone(), hint.clone());
        async move {
            match api.start_flow(hint.clone()).await {
                Ok(started) => {
                    events.step(&StepDetail {
                        step: started.next,
                        flow_id: started.flow_id.clone(),
                    });
                    on_started.set(Some(Flow {
                        id: started.flow_id,
                        email: hint,
                    }));
                }
                Err(err) => {
                    events.error(&err);
                    set_error.set(Some(err.message));
                }
            }
        }
    });
    let pending = start.pending();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let value = email.get_untracked().trim().to_string();
        if !looks_like_email(&value) {
            set_error.set(Some(
                "Enter your email address, like name@example.com.".into(),
            ));
            if let Some(el) = input.get_untracked() {
                let _ = el.focus();
            }
            return;
        }
        set_error.set(None);
        start.dispatch_local(value);
    };

    view! {
        <form class="pc-form" part="form" novalidate on:submit=submit>
            <label class="pc-label" part="label" for="pc-email">"Email"</label>
            <input
                id="pc-email"
                class="pc-input"
                part="input"
                type="email"
                name="username"
                autocomplete="username webauthn"
                inputmode="email"
                required
                node_ref=input
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby="pc-email-error"
                prop:value=email
                on:input=move |ev| set_email.set(event_target_value(&ev))
            />
            <p id="pc-email-error" class="pc-error" part="error" role="alert">
                {move || error.get().unwrap_or_default()}
            </p>
            <button class="pc-button" part="button" type="submit" disabled=pending aria-busy=move || pending.get().to_string()>
                {move || if pending.get() { "Continuing…" } else { "Continue" }}
            </button>
        </form>
    }
}

/// After identification: who is signing in, with a way back.
#[component]
fn Continue(
    /// Client for the edge's API.
    api: Api,
    /// The flow in progress.
    flow: Flow,
    /// Cleared when the person chooses another account.
    on_cancelled: WriteSignal<Option<Flow>>,
) -> impl IntoView {
    let flow_id = flow.id.clone();
    let cancel = Action::new_local(move |_: &()| {
        let (api, flow_id) = (api.clone(), flow_id.clone());
        async move {
            // Whether or not the edge still knew the flow, the person wants a fresh start.
            let _ = api.cancel_flow(&flow_id).await;
            on_cancelled.set(None);
        }
    });
    view! {
        <div class="pc-step" part="step" role="status">
            <p class="pc-identity" part="identity">{flow.email}</p>
            <button class="pc-link" part="link" type="button" on:click=move |_| { cancel.dispatch_local(()); }>
                "Use another account"
            </button>
        </div>
    }
}

/// A light check so obvious typos are caught before a round trip; the edge decides.
fn looks_like_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !value.contains(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_email;

    #[test]
    fn email_shape_check() {
        assert!(looks_like_email("a@b"));
        assert!(looks_like_email("name@example.com"));
        assert!(!looks_like_email(""));
        assert!(!looks_like_email("name"));
        assert!(!looks_like_email("@example.com"));
        assert!(!looks_like_email("name@"));
        assert!(!looks_like_email("na me@example.com"));
    }
}
