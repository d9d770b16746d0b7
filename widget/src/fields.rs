//! Form parts shared by the screens: every input has a visible label, its hint and
//! error are tied to it with `aria-describedby`, and errors are announced (`role=alert`).
//!
//! Props take signals and boxed callbacks rather than generic closures so that each
//! component is compiled once, whatever screen uses it: the wasm size is a budget.

use leptos::ev::SubmitEvent;
use leptos::html::{Input, P};
use leptos::prelude::*;

use crate::session::{focus_node, Session};
use crate::text;

/// A message slot: `None` shows nothing.
pub type Message = RwSignal<Option<String>>;

/// The error state of a form: a message per field that can be wrong (the forms have at
/// most an email and a password) and one for the whole form.
#[derive(Clone, Copy)]
pub struct FormErrors {
    pub email: Message,
    pub password: Message,
    /// Errors about the request (network, expiry, limits), shown above the button.
    pub form: Message,
    /// Where `form` is shown, to move focus to it (a screen may show it outside a form).
    pub form_node: NodeRef<P>,
}

impl FormErrors {
    pub fn new() -> FormErrors {
        FormErrors {
            email: RwSignal::new(None),
            password: RwSignal::new(None),
            form: RwSignal::new(None),
            form_node: NodeRef::new(),
        }
    }

    /// Clears every message, so that a repeated error is announced again.
    pub fn clear(self) {
        self.email.set(None);
        self.password.set(None);
        self.form.set(None);
    }

    /// Shows `message` under a field and moves focus to the field.
    pub fn on_field(slot: Message, input: NodeRef<Input>, message: String) {
        slot.set(Some(message));
        focus_node(input);
    }

    /// Shows `message` for the whole form and moves focus to it.
    pub fn on_form(self, message: String) {
        self.form.set(Some(message));
        focus_node(self.form_node);
    }
}

/// The email address field of every screen that asks for one: the address typed so far
/// (kept across screens), its error slot, and the light check made before a round trip.
#[derive(Clone, Copy)]
pub struct EmailField {
    value: RwSignal<String>,
    error: Message,
    input: NodeRef<Input>,
    invalid: &'static str,
}

impl EmailField {
    pub fn new(session: Session, errors: FormErrors) -> EmailField {
        EmailField {
            value: session.email,
            error: errors.email,
            input: NodeRef::new(),
            invalid: session.text().get(text::identify::EMAIL_INVALID),
        }
    }

    /// The input, to move focus to.
    pub fn node(self) -> NodeRef<Input> {
        self.input
    }

    /// The typed address, trimmed, if it looks like one; otherwise says why under the
    /// field and moves focus there.
    pub fn checked(self) -> Option<String> {
        let email = self.value.get_untracked().trim().to_string();
        if looks_like_email(&email) {
            return Some(email);
        }
        FormErrors::on_field(self.error, self.input, self.invalid.into());
        None
    }

    /// The labelled input; `autocomplete` holds `webauthn` where passkeys are offered in
    /// its autofill menu (conditional mediation).
    pub fn view(self, label: &'static str, autocomplete: &'static str) -> impl IntoView {
        view! {
            <TextField
                id="pc-email"
                label=label
                kind="email"
                autocomplete=autocomplete
                inputmode="email"
                required=true
                value=self.value
                error=self.error
                node_ref=self.input
            />
        }
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

/// A form with what every screen's form has: its fields, a form-wide error, and a submit
/// button that is disabled and relabelled while the request runs (the form is
/// `aria-busy` meanwhile).
///
/// The fields come as typed children rather than `Children`: a view erased to `AnyView`
/// carries the code to hydrate it asynchronously, which the widget never does.
#[component]
pub fn Form<C: IntoView + 'static>(
    /// Whether the form's request is running; submitting is ignored meanwhile.
    busy: RwSignal<bool>,
    /// The form's messages, cleared on every submit.
    errors: FormErrors,
    /// The button's label at rest.
    #[prop(into)]
    submit: Signal<&'static str>,
    /// The button's label while the request runs, e.g. "Signing in…".
    #[prop(into)]
    busy_label: Signal<&'static str>,
    /// Checks the fields and starts the request.
    on_submit: Box<dyn Fn()>,
    children: TypedChildren<C>,
) -> impl IntoView {
    let children = children.into_inner();
    let submitted = move |ev: SubmitEvent| {
        ev.prevent_default();
        if !busy.get_untracked() {
            errors.clear();
            on_submit();
        }
    };
    view! {
        <form class="pc-form" part="form" novalidate aria-busy=move || busy.get().to_string() on:submit=submitted>
            {children()}
            <ErrorText id="pc-form-error" error=errors.form node_ref=errors.form_node />
            <button class="pc-button" part="button" type="submit" disabled=busy>
                {move || if busy.get() { busy_label.get() } else { submit.get() }}
            </button>
        </form>
    }
}

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
    error: Message,
    /// Lets the form move focus here.
    node_ref: NodeRef<Input>,
    /// The `inputmode` attribute, for the right on-screen keyboard.
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// Whether the field must be filled in.
    #[prop(optional)]
    required: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
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
            aria-describedby=error_id.clone()
            prop:value=value
            on:input=move |ev| value.set(event_target_value(&ev))
        />
        <ErrorText id=error_id error=error />
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
    error: Message,
    /// Lets the form move focus here.
    node_ref: NodeRef<Input>,
    /// Shown under the label and read with the field, e.g. the length rule.
    #[prop(optional)]
    hint: Option<&'static str>,
) -> impl IntoView {
    let text = expect_context::<Session>().text();
    let shown = RwSignal::new(false);
    let error_id = format!("{id}-error");
    let described_by = match hint {
        Some(_) => format!("{id}-hint {error_id}"),
        None => error_id.clone(),
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
                on:click=move |_| shown.update(|shown| *shown = !*shown)
            >
                {text.get(text::field::SHOW_PASSWORD)}
                <span class="pc-visually-hidden">{text.get(text::field::SHOW_PASSWORD_REST)}</span>
            </button>
        </div>
        <ErrorText id=error_id error=error />
    }
}

/// An error message slot, announced when its text changes. Always in the document so
/// that `aria-describedby` has a target and the live region exists before it speaks.
/// `tabindex=-1` lets a form-wide error take focus.
#[component]
pub fn ErrorText(
    /// The id that `aria-describedby` points at.
    #[prop(into)]
    id: String,
    /// The message, if any.
    error: Message,
    /// Where the form keeps hold of it, to focus it.
    #[prop(optional)]
    node_ref: NodeRef<P>,
) -> impl IntoView {
    view! {
        <p id=id class="pc-error" part="error" role="alert" tabindex="-1" node_ref=node_ref>
            {move || error.get().unwrap_or_default()}
        </p>
    }
}

/// A secondary button for another way to do what the screen's form does (a passkey
/// instead of a password), relabelled and disabled while its request runs.
#[component]
pub fn OtherWay(
    /// Its text at rest, also its accessible name.
    label: &'static str,
    /// Its text while the request runs.
    busy_label: &'static str,
    /// Whether the request runs.
    busy: RwSignal<bool>,
    /// Starts the request.
    on_click: Box<dyn Fn()>,
) -> impl IntoView {
    view! {
        <p class="pc-or" part="or">{expect_context::<Session>().text().get(text::passkey::OR)}</p>
        <button
            class="pc-button pc-secondary"
            part="button passkey"
            type="button"
            disabled=busy
            on:click=move |_| if !busy.get_untracked() { on_click() }
        >
            {move || if busy.get() { busy_label } else { label }}
        </button>
    }
}

/// A button that looks like a link for a request of its own (emailing a code), in a
/// paragraph under the form; relabelled and disabled while the request runs.
#[component]
pub fn BusyLink(
    /// Its text at rest, also its accessible name.
    label: &'static str,
    /// Its text while the request runs.
    busy_label: &'static str,
    /// Whether the request runs.
    busy: RwSignal<bool>,
    /// Starts the request.
    on_click: Box<dyn Fn()>,
) -> impl IntoView {
    view! {
        <p class="pc-switch" part="switch">
            <button
                class="pc-link"
                part="link"
                type="button"
                disabled=busy
                on:click=move |_| if !busy.get_untracked() { on_click() }
            >
                {move || if busy.get() { busy_label } else { label }}
            </button>
        </p>
    }
}

/// A button that looks like a link, for moving between screens.
#[component]
pub fn LinkButton(
    /// Its text, also its accessible name.
    label: &'static str,
    /// What it does.
    on_click: Box<dyn Fn()>,
) -> impl IntoView {
    view! {
        <button class="pc-link" part="link" type="button" on:click=move |_| on_click()>
            {label}
        </button>
    }
}

fn invalid(error: Message) -> &'static str {
    if error.with(Option::is_some) {
        "true"
    } else {
        "false"
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
