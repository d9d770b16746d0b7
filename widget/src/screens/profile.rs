//! "Tell us a bit more": after the sign-in, the details the client asks for, rendered
//! from the profile schema (input type and autofill token per attribute), and the
//! documents to agree to. Optional details may be left empty or skipped together.

use leptos::html::Input;
use leptos::prelude::*;
use portcullis_shared::profile::{AskedAttribute, ConsentDocument, ProfileAnswers};
use serde_json::Value;

use crate::api::Failure;
use crate::fields::{ErrorText, Form, FormErrors, LinkButton, Message};
use crate::session::Session;
use crate::task::Tasks;
use crate::text::{self, profile as t, Text};

/// One asked detail and its state on the form (also the account page's details form).
#[derive(Clone)]
pub(super) struct Field {
    asked: AskedAttribute,
    value: RwSignal<String>,
    checked: RwSignal<bool>,
    error: Message,
    input: NodeRef<Input>,
}

impl Field {
    /// The field of `asked`, holding `value` to start with.
    pub(super) fn new(asked: AskedAttribute, value: Option<&Value>) -> Field {
        Field {
            asked,
            value: RwSignal::new(match value {
                Some(Value::String(text)) => text.clone(),
                _ => String::new(),
            }),
            checked: RwSignal::new(value == Some(&Value::Bool(true))),
            error: RwSignal::new(None),
            input: NodeRef::new(),
        }
    }

    pub(super) fn name(&self) -> &str {
        &self.asked.attribute.name
    }

    /// Shows the edge's message for this field and, if it is the first, moves there.
    pub(super) fn refused(&self, message: String, first: bool) {
        self.error.set(Some(message));
        if first {
            crate::session::focus_node(self.input);
        }
    }

    pub(super) fn clear(&self) {
        self.error.set(None);
    }

    fn id(&self) -> String {
        format!("pc-profile-{}", self.asked.attribute.name)
    }

    /// The value to send, `None` when left empty.
    pub(super) fn answer(&self) -> Option<Value> {
        if self.asked.attribute.input_type == "checkbox" {
            return Some(Value::Bool(self.checked.get_untracked()));
        }
        let value = self.value.get_untracked().trim().to_string();
        (!value.is_empty()).then_some(Value::String(value))
    }
}

/// A document to agree to and whether the box is ticked.
#[derive(Clone)]
struct Agreement {
    document: ConsentDocument,
    agreed: RwSignal<bool>,
    error: Message,
}

fn label_of(tx: Text, name: &str) -> String {
    let known = match name {
        "given_name" => tx.get(t::GIVEN_NAME),
        "family_name" => tx.get(t::FAMILY_NAME),
        "name" => tx.get(t::NAME),
        "birthdate" => tx.get(t::BIRTHDATE),
        "phone_number" => tx.get(t::PHONE_NUMBER),
        "locale" => tx.get(t::LOCALE),
        "zoneinfo" => tx.get(t::ZONEINFO),
        "country" => tx.get(t::COUNTRY),
        "sms_updates" => tx.get(t::SMS_UPDATES),
        // An attribute newer than this widget: its name.
        other => return other.replace('_', " "),
    };
    known.to_string()
}

fn document_name(tx: Text, purpose: &str) -> String {
    match purpose {
        "terms" => tx.get(t::DOC_TERMS).to_string(),
        "privacy" => tx.get(t::DOC_PRIVACY).to_string(),
        other => other.replace(['_', '.'], " "),
    }
}

/// The step: a field per asked attribute, a checkbox per document.
#[component]
pub fn ProfileStep(
    /// Who signed in, for the events the widget reports.
    email: Option<String>,
    /// The attributes asked, from the schema.
    attributes: Vec<AskedAttribute>,
    /// The documents to agree to.
    documents: Vec<ConsentDocument>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let tx = session.text();
    let tasks = Tasks::here();
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let skippable = attributes.iter().all(|a| !a.required) && documents.iter().all(|d| !d.required);
    let fields: Vec<Field> = attributes
        .into_iter()
        .map(|asked| Field::new(asked, None))
        .collect();
    let agreements: Vec<Agreement> = documents
        .into_iter()
        .map(|document| Agreement {
            document,
            agreed: RwSignal::new(false),
            error: RwSignal::new(None),
        })
        .collect();
    if let Some(first) = fields.first() {
        session.focus_on_arrival(first.input);
    }

    let send = {
        let (fields, agreements, email) = (fields.clone(), agreements.clone(), email.clone());
        move |skip: bool| {
            for field in &fields {
                field.error.set(None);
            }
            let mut answers = ProfileAnswers::default();
            if !skip {
                for field in &fields {
                    if let Some(value) = field.answer() {
                        answers
                            .attributes
                            .insert(field.asked.attribute.name.clone(), value);
                    }
                }
                answers.agreed = agreements
                    .iter()
                    .filter(|a| a.agreed.get_untracked())
                    .map(|a| a.document.purpose.clone())
                    .collect();
            }
            let (fields, agreements) = (fields.clone(), agreements.clone());
            let work = session.answer_profile(email.clone(), answers);
            tasks.run(busy, work, move |result| match result {
                Ok(()) => {}
                Err(Failure::InvalidProfile(problems)) => {
                    for problem in &problems {
                        if let Some(field) = fields
                            .iter()
                            .find(|f| f.asked.attribute.name == problem.field)
                        {
                            field.error.set(Some(problem.message.clone()));
                        } else if let Some(doc) = agreements
                            .iter()
                            .find(|a| a.document.purpose == problem.field)
                        {
                            doc.error.set(Some(problem.message.clone()));
                        }
                    }
                    errors.on_form(tx.get(t::CHECK).into());
                    let first = fields
                        .iter()
                        .find(|f| f.error.with_untracked(Option::is_some));
                    if let Some(first) = first {
                        crate::session::focus_node(first.input);
                    }
                }
                Err(failure) => errors.on_form(text::failure_message(tx, &failure)),
            });
        }
    };
    let submit = {
        let send = send.clone();
        move || send(false)
    };

    view! {
        <p class="pc-hint pc-intro" part="hint">{tx.get(t::LEAD)}</p>
        <Form busy=busy errors=errors submit=tx.get(t::SUBMIT) busy_label=tx.get(t::BUSY) on_submit=Box::new(submit)>
            {fields.into_iter().map(|field| attribute_input(tx, field)).collect_view()}
            {agreements.into_iter().map(|agreement| agreement_input(tx, agreement)).collect_view()}
        </Form>
        {skippable.then(|| view! {
            <p class="pc-switch" part="switch">
                <LinkButton label=tx.get(t::SKIP) on_click=Box::new(move || send(true)) />
            </p>
        })}
    }
}

/// The labelled input of one attribute: its type and autofill token from the schema.
pub(super) fn attribute_input(tx: Text, field: Field) -> impl IntoView {
    let id = field.id();
    let error_id = format!("{id}-error");
    let attribute = &field.asked.attribute;
    let label = label_of(tx, &attribute.name);
    let optional = (!field.asked.required).then(|| format!(" {}", tx.get(t::OPTIONAL)));
    let error = field.error;
    let invalid = move || {
        if error.with(Option::is_some) {
            "true"
        } else {
            "false"
        }
    };
    let (value, checked) = (field.value, field.checked);
    let control = match attribute.input_type.as_str() {
        "checkbox" => view! {
            <input id=id.clone() class="pc-checkbox" part="checkbox" type="checkbox" node_ref=field.input
                aria-invalid=invalid aria-describedby=error_id.clone()
                prop:checked=checked on:change=move |ev| checked.set(event_target_checked(&ev)) />
        }
        .into_any(),
        "select" => view! {
            <select id=id.clone() class="pc-input" part="input" aria-invalid=invalid aria-describedby=error_id.clone()
                required=field.asked.required prop:value=value
                on:change=move |ev| value.set(event_target_value(&ev))>
                <option value="">"—"</option>
                {attribute.options.iter().map(|o| view! { <option value=o.clone()>{o.clone()}</option> }).collect_view()}
            </select>
        }
        .into_any(),
        kind => view! {
            <input id=id.clone() class="pc-input" part="input" type=kind.to_string() name=attribute.name.clone()
                autocomplete=attribute.autocomplete.clone().unwrap_or_else(|| "off".into())
                inputmode=(kind == "tel").then_some("tel")
                required=field.asked.required node_ref=field.input
                aria-invalid=invalid aria-describedby=error_id.clone()
                prop:value=value on:input=move |ev| value.set(event_target_value(&ev)) />
        }
        .into_any(),
    };
    view! {
        <label class="pc-label" part="label" for=id>{label}{optional}</label>
        {control}
        <ErrorText id=error_id error=error />
    }
}

/// A checkbox to agree to one version of a document, with a link to its text.
fn agreement_input(tx: Text, agreement: Agreement) -> impl IntoView {
    let document = agreement.document;
    let id = format!("pc-agree-{}", document.purpose);
    let error_id = format!("{id}-error");
    let name = document_name(tx, &document.purpose);
    let label = tx.format(
        t::AGREE,
        &[("document", &name), ("version", &document.version)],
    );
    let agreed = agreement.agreed;
    let error = agreement.error;
    let read = document.url.clone().map(|url| {
        let words = tx.format(t::READ, &[("document", &name)]);
        view! { <a class="pc-link" part="link" href=url target="_blank" rel="noopener noreferrer">{words}</a> }
    });
    view! {
        <div class="pc-agree" part="agree">
            <input id=id.clone() class="pc-checkbox" part="checkbox" type="checkbox" required=document.required
                aria-describedby=error_id.clone()
                prop:checked=agreed on:change=move |ev| agreed.set(event_target_checked(&ev)) />
            <label class="pc-label" part="label" for=id>{label}</label>
        </div>
        {read}
        <ErrorText id=error_id error=error />
    }
}
