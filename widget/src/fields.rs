//! Form controls shared by the screens: every input has a visible label, its hint and
//! error are tied to it with `aria-describedby`, and errors are announced (`role=alert`).

use leptos::html::{Input, P};
use leptos::prelude::*;

use crate::text;

/// A labelled text input with an error slot.
#[component]
pub fn TextField(
    /// The input's id; `{id}-error` derives from it.
    id: &'static str,
    /// The visible label.
    label: &'static str,
    /// The `type` attribute, e.g. `email` or `text`.
    kind: &'static str,
    /// `autocomplete` tokens, so browsers and password managers fill the right thing.
    autocomplete: &'static str,
    /// The value, kept in sync both ways.
    value: RwSignal<String>,
    /// The error shown under the field; the field is marked invalid while there is one.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// Lets the form move focus here.
    node_ref: NodeRef<Input>,
    /// The `inputmode` attribute, for the right on-screen keyboard.
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// Whether the field must be filled in.
    #[prop(optional)]
    required: bool,
) -> impl IntoView {
    view! {
        <label class="pc-label" part="label" for=id>{label}</label>
        <input
            id=id
            class="pc-input"
            part="input"
            type=kind
            name=id
            autocomplete=autocomplete
            autocapitalize="none"
            spellcheck="false"
            inputmode=inputmode
            required=required
            node_ref=node_ref
            aria-invalid=move || invalid(error)
            aria-describedby=format!("{id}-error")
            prop:value=value
            on:input=move |ev| value.set(event_target_value(&ev))
        />
        <ErrorText id=format!("{id}-error") error=error />
    }
}

/// A labelled password input with a show/hide toggle, an optional hint and an error slot.
#[component]
pub fn PasswordField(
    /// The input's id; `{id}-hint` and `{id}-error` derive from it.
    id: &'static str,
    /// The visible label.
    label: &'static str,
    /// `current-password` to sign in, `new-password` to choose one.
    autocomplete: &'static str,
    /// The value, kept in sync both ways.
    value: RwSignal<String>,
    /// The error shown under the field; the field is marked invalid while there is one.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// Lets the form move focus here.
    node_ref: NodeRef<Input>,
    /// Shown under the label and read with the field, e.g. the length rule.
    #[prop(optional)]
    hint: Option<&'static str>,
) -> impl IntoView {
    let (shown, set_shown) = signal(false);
    let described_by = match hint {
        Some(_) => format!("{id}-hint {id}-error"),
        None => format!("{id}-error"),
    };
    view! {
        <label class="pc-label" part="label" for=id>{label}</label>
        {hint.map(|hint| view! { <p id=format!("{id}-hint") class="pc-hint" part="hint">{hint}</p> })}
        <div class="pc-password" part="password">
            <input
                id=id
                class="pc-input"
                part="input"
                type=move || if shown.get() { "text" } else { "password" }
                name=id
                autocomplete=autocomplete
                autocapitalize="none"
                spellcheck="false"
                required
                node_ref=node_ref
                aria-invalid=move || invalid(error)
                aria-describedby=described_by
                prop:value=value
                on:input=move |ev| value.set(event_target_value(&ev))
            />
            // The name stays "Show password" and aria-pressed carries the state, so the
            // visible text is always part of the name (WCAG 2.5.3).
            <button
                class="pc-toggle"
                part="toggle"
                type="button"
                aria-controls=id
                aria-pressed=move || shown.get().to_string()
                on:click=move |_| set_shown.update(|shown| *shown = !*shown)
            >
                {text::field::SHOW_PASSWORD}
                <span class="pc-visually-hidden">{text::field::SHOW_PASSWORD_REST}</span>
            </button>
        </div>
        <ErrorText id=format!("{id}-error") error=error />
    }
}

/// An error message slot, announced when its text changes. Always in the document so
/// that `aria-describedby` has a target and the live region exists before it speaks.
#[component]
pub fn ErrorText(
    /// The id that `aria-describedby` points at.
    id: String,
    /// The message, if any.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// Set for a form-wide error, which takes focus itself (`tabindex=-1`).
    #[prop(optional)]
    node_ref: Option<NodeRef<P>>,
) -> impl IntoView {
    let node_ref = node_ref.unwrap_or_default();
    view! {
        <p id=id class="pc-error" part="error" role="alert" tabindex="-1" node_ref=node_ref>
            {move || error.get().unwrap_or_default()}
        </p>
    }
}

/// The submit button, disabled and relabelled while its request runs.
#[component]
pub fn Submit(
    /// The label at rest.
    label: &'static str,
    /// The label while the request runs, e.g. "Signing in…".
    busy_label: &'static str,
    /// Whether the request is running.
    #[prop(into)]
    pending: Signal<bool>,
) -> impl IntoView {
    view! {
        <button class="pc-button" part="button" type="submit" disabled=pending>
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
}

/// A button that looks like a link, for moving between screens.
#[component]
pub fn LinkButton(
    /// Its text, also its accessible name.
    label: &'static str,
    /// What it does.
    on_click: impl Fn() + 'static,
) -> impl IntoView {
    view! {
        <button class="pc-link" part="link" type="button" on:click=move |_| on_click()>
            {label}
        </button>
    }
}

fn invalid(error: Signal<Option<String>>) -> &'static str {
    if error.with(Option::is_some) {
        "true"
    } else {
        "false"
    }
}
