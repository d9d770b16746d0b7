//! `/v1/me/profile`: the signed-in person's profile attributes, the schema that says how
//! to ask for each, and what is wrong with a refused change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How an attribute's value is written and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeType {
    /// Free text, trimmed, without control characters.
    String,
    /// An email address.
    Email,
    /// A phone number in E.164 (`+` and up to 15 digits).
    Phone,
    /// A calendar date, `YYYY-MM-DD` (ISO 8601), not in the future.
    Date,
    /// One of the attribute's `options`.
    Enum,
    /// `true` or `false`.
    Boolean,
    /// An ISO 3166-1 alpha-2 country code (`FR`).
    Country,
    /// A BCP 47 language tag (`fr-CA`).
    Locale,
    /// An IANA time zone name (`Europe/Paris`).
    TimeZone,
}

impl AttributeType {
    pub const ALL: [AttributeType; 9] = [
        AttributeType::String,
        AttributeType::Email,
        AttributeType::Phone,
        AttributeType::Date,
        AttributeType::Enum,
        AttributeType::Boolean,
        AttributeType::Country,
        AttributeType::Locale,
        AttributeType::TimeZone,
    ];

    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::String => "string",
            AttributeType::Email => "email",
            AttributeType::Phone => "phone",
            AttributeType::Date => "date",
            AttributeType::Enum => "enum",
            AttributeType::Boolean => "boolean",
            AttributeType::Country => "country",
            AttributeType::Locale => "locale",
            AttributeType::TimeZone => "time_zone",
        }
    }

    /// The type of a wire string (for readers without serde).
    pub fn parse(value: &str) -> Option<AttributeType> {
        Self::ALL.into_iter().find(|t| t.as_str() == value)
    }
}

/// One attribute the person sees, and how a form asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeView {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: AttributeType,
    /// With `enum`: the values allowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// The person may change it (else only an administrator may).
    pub editable: bool,
    /// The HTML `input` type a form uses (`text`, `tel`, `date`, `email`, `checkbox`).
    pub input_type: String,
    /// The HTML autofill token (`given-name`, `tel`, `bday`), when one fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autocomplete: Option<String>,
}

/// `GET /v1/me/profile` and the answer to a `PATCH`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileView {
    /// The values the person may see, by attribute name (absent when unset).
    pub attributes: BTreeMap<String, Value>,
    /// Every attribute the person may see, set or not.
    pub schema: Vec<AttributeView>,
}

/// Why one attribute of a change was refused. The wire strings are part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldProblem {
    /// No attribute of that name (or one the person cannot see).
    UnknownAttribute,
    /// Only an administrator (or the site's hooks) may change it.
    NotEditable,
    /// A text attribute got something other than a string.
    NotText,
    /// Longer than the attribute allows.
    TooLong,
    /// The sign-in cannot end without it (an attribute or a document to agree to).
    Required,
    InvalidEmail,
    InvalidPhoneNumber,
    InvalidDate,
    DateInFuture,
    InvalidOption,
    InvalidBoolean,
    InvalidCountry,
    InvalidLocale,
    InvalidTimeZone,
}

impl FieldProblem {
    pub const ALL: [FieldProblem; 14] = [
        FieldProblem::UnknownAttribute,
        FieldProblem::NotEditable,
        FieldProblem::NotText,
        FieldProblem::TooLong,
        FieldProblem::Required,
        FieldProblem::InvalidEmail,
        FieldProblem::InvalidPhoneNumber,
        FieldProblem::InvalidDate,
        FieldProblem::DateInFuture,
        FieldProblem::InvalidOption,
        FieldProblem::InvalidBoolean,
        FieldProblem::InvalidCountry,
        FieldProblem::InvalidLocale,
        FieldProblem::InvalidTimeZone,
    ];

    /// The wire string, which is also the message key (`profile.{code}`) of the edge's
    /// catalogues.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldProblem::UnknownAttribute => "unknown_attribute",
            FieldProblem::NotEditable => "not_editable",
            FieldProblem::NotText => "not_text",
            FieldProblem::TooLong => "too_long",
            FieldProblem::Required => "required",
            FieldProblem::InvalidEmail => "invalid_email",
            FieldProblem::InvalidPhoneNumber => "invalid_phone_number",
            FieldProblem::InvalidDate => "invalid_date",
            FieldProblem::DateInFuture => "date_in_future",
            FieldProblem::InvalidOption => "invalid_option",
            FieldProblem::InvalidBoolean => "invalid_boolean",
            FieldProblem::InvalidCountry => "invalid_country",
            FieldProblem::InvalidLocale => "invalid_locale",
            FieldProblem::InvalidTimeZone => "invalid_time_zone",
        }
    }

    /// The problem of a wire string (for readers without serde).
    pub fn parse(value: &str) -> Option<FieldProblem> {
        Self::ALL.into_iter().find(|p| p.as_str() == value)
    }
}

/// One refused attribute of an `invalid_profile` error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub code: FieldProblem,
    /// For the person, in their language (`Accept-Language`).
    pub message: String,
}

/// An attribute a sign-in asks for (`profile_required`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AskedAttribute {
    pub attribute: AttributeView,
    /// The sign-in cannot end without it; otherwise it may be skipped.
    pub required: bool,
}

/// A document a client asks people to agree to: its purpose (`terms`, `privacy`,
/// `marketing_email`, or the client's own), current version, and the SHA-256 (hex) of
/// the exact text shown, which the consent record keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentDocument {
    pub purpose: String,
    pub version: String,
    pub text_sha256: String,
    /// Where the text is published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The sign-in cannot end until the person agrees to this version.
    #[serde(default)]
    pub required: bool,
}

/// `POST /v1/flows/{flow_id}/profile`: the person's answers to `profile_required`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileAnswers {
    /// Attribute name to value, for the attributes asked (others are refused).
    #[serde(default)]
    pub attributes: serde_json::Map<String, Value>,
    /// The purposes of the documents the person agreed to, as offered.
    #[serde(default)]
    pub agreed: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_problem_serialises_to_its_documented_wire_string() {
        for problem in FieldProblem::ALL {
            let json = serde_json::to_string(&problem).unwrap();
            assert_eq!(json, format!("\"{}\"", problem.as_str()));
            assert_eq!(
                serde_json::from_str::<FieldProblem>(&json).unwrap(),
                problem
            );
            assert_eq!(FieldProblem::parse(problem.as_str()), Some(problem));
        }
        for kind in AttributeType::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(AttributeType::parse(kind.as_str()), Some(kind));
        }
    }
}
