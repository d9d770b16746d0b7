//! The profile schema: every attribute Portcullis keeps about a person beyond their
//! address, in one place that the account API (`/v1/me/profile`), the export, the OIDC
//! claims (ID token and userinfo) and the forms that ask for them all read.
//!
//! - **Typed.** Each attribute has an [`AttributeType`] that says how a value is written
//!   and checked (E.164 phone numbers, real calendar dates not in the future, ISO 3166-1
//!   countries, BCP 47 locales, IANA time zones, one of an enum's options, booleans);
//!   a stored value is always the checked, normalised one.
//! - **Who may see and change it.** [`Access::Person`]: the person sees and edits it;
//!   [`Access::Admin`]: the person sees it, only an administrator changes it;
//!   [`Access::Hook`]: set by the site's own code (inline hooks), never shown to the
//!   person through the account API.
//! - **Claims by scope.** An attribute with a standard OIDC claim (Core §5.1) is released
//!   under its scope (§5.4): `profile` for names, `birthdate`, `locale`, `zoneinfo`;
//!   `phone` for `phone_number`; `address` for the country (`address.country`).
//! - **Changed all or nothing.** A change is checked whole; one bad attribute refuses
//!   it with every problem named ([`FieldError`]), in the person's language.
//!
//! Names live in the user's own columns (`name`, `given_name`, `family_name`, which SCIM
//! also writes); every other attribute lives in the user's `profile` (a JSON object).

pub mod policy;

use std::collections::BTreeMap;

use portcullis_shared::profile::{AttributeType, AttributeView, FieldError, FieldProblem};
use serde_json::{Map, Value};

use crate::time::{civil_from_days, days_from_civil, UnixMillis};
use crate::users::{Holder, User};

/// Who may see and change an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The person sees and changes it.
    Person,
    /// The person sees it; only an administrator changes it.
    Admin,
    /// Set only by the site's code (inline hooks); the account API never shows it.
    Hook,
}

/// Where an attribute's value is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storage {
    Name,
    GivenName,
    FamilyName,
    /// A key of the user's `profile` object.
    Profile,
}

/// One attribute of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Attribute {
    pub name: &'static str,
    pub kind: AttributeType,
    /// With [`AttributeType::Enum`]: the allowed values.
    pub options: &'static [&'static str],
    /// With [`AttributeType::String`]: the most characters allowed.
    pub max_chars: usize,
    pub access: Access,
    /// The OIDC scope that releases it as a claim, if it is a standard claim.
    pub scope: Option<&'static str>,
    /// The HTML autofill token a form uses (WHATWG HTML §4.10.18.7.1).
    pub autocomplete: Option<&'static str>,
    storage: Storage,
}

const NAME_CHARS: usize = 100;

const fn text(name: &'static str, storage: Storage, autocomplete: &'static str) -> Attribute {
    Attribute {
        name,
        kind: AttributeType::String,
        options: &[],
        max_chars: NAME_CHARS,
        access: Access::Person,
        scope: Some("profile"),
        autocomplete: Some(autocomplete),
        storage,
    }
}

const fn kept(
    name: &'static str,
    kind: AttributeType,
    access: Access,
    scope: Option<&'static str>,
    autocomplete: Option<&'static str>,
) -> Attribute {
    Attribute {
        name,
        kind,
        options: &[],
        max_chars: 200,
        access,
        scope,
        autocomplete,
        storage: Storage::Profile,
    }
}

/// The deployment's profile schema.
pub const SCHEMA: &[Attribute] = &[
    text("given_name", Storage::GivenName, "given-name"),
    text("family_name", Storage::FamilyName, "family-name"),
    text("name", Storage::Name, "name"),
    kept(
        "birthdate",
        AttributeType::Date,
        Access::Person,
        Some("profile"),
        Some("bday"),
    ),
    kept(
        "phone_number",
        AttributeType::Phone,
        Access::Person,
        Some("phone"),
        Some("tel"),
    ),
    kept(
        "locale",
        AttributeType::Locale,
        Access::Person,
        Some("profile"),
        Some("language"),
    ),
    kept(
        "zoneinfo",
        AttributeType::TimeZone,
        Access::Person,
        Some("profile"),
        None,
    ),
    kept(
        "country",
        AttributeType::Country,
        Access::Person,
        Some("address"),
        Some("country"),
    ),
    kept(
        "sms_updates",
        AttributeType::Boolean,
        Access::Person,
        None,
        None,
    ),
    Attribute {
        options: &["standard", "gold", "platinum"],
        ..kept(
            "customer_tier",
            AttributeType::Enum,
            Access::Admin,
            None,
            None,
        )
    },
    kept(
        "crm_segment",
        AttributeType::String,
        Access::Hook,
        None,
        None,
    ),
];

/// The attribute of that name.
pub fn attribute(name: &str) -> Option<&'static Attribute> {
    SCHEMA.iter().find(|a| a.name == name)
}

impl Attribute {
    /// The HTML `input` type a form uses for it.
    pub fn input_type(&self) -> &'static str {
        match self.kind {
            AttributeType::Email => "email",
            AttributeType::Phone => "tel",
            AttributeType::Date => "date",
            AttributeType::Boolean => "checkbox",
            AttributeType::Enum => "select",
            _ => "text",
        }
    }

    fn view(&self) -> AttributeView {
        AttributeView {
            name: self.name.to_string(),
            kind: self.kind,
            options: self.options.iter().map(|o| o.to_string()).collect(),
            editable: self.access == Access::Person,
            input_type: self.input_type().to_string(),
            autocomplete: self.autocomplete.map(str::to_string),
        }
    }

    /// The person's value of this attribute, if set.
    pub fn value_of(&self, user: &User) -> Option<Value> {
        let names = [&user.name, &user.given_name, &user.family_name];
        self.read(names, &user.profile)
    }

    /// The value as a grant keeps the person.
    fn held_by(&self, holder: &Holder) -> Option<Value> {
        let names = [&holder.name, &holder.given_name, &holder.family_name];
        self.read(names, &holder.profile)
    }

    /// The value from the name columns (`name`, `given_name`, `family_name`) or the
    /// profile object.
    fn read(&self, names: [&Option<String>; 3], profile: &crate::users::Profile) -> Option<Value> {
        let column = match self.storage {
            Storage::Name => names[0],
            Storage::GivenName => names[1],
            Storage::FamilyName => names[2],
            Storage::Profile => return profile.get(self.name).cloned(),
        };
        column.clone().map(Value::String)
    }

    fn set(&self, user: &mut User, value: Option<Value>) {
        let text = || value.as_ref().and_then(Value::as_str).map(str::to_string);
        match self.storage {
            Storage::Name => user.name = text(),
            Storage::GivenName => user.given_name = text(),
            Storage::FamilyName => user.family_name = text(),
            Storage::Profile => match value {
                Some(value) => {
                    user.profile.insert(self.name.to_string(), value);
                }
                None => {
                    user.profile.remove(self.name);
                }
            },
        }
    }

    /// Checks `value` against the attribute's type; `Ok(None)` clears it (`null` or an
    /// empty string), `Ok(Some(v))` is the value to keep, normalised.
    pub fn check(&self, value: &Value, today: UnixMillis) -> Result<Option<Value>, FieldProblem> {
        if value.is_null() {
            return Ok(None);
        }
        if self.kind == AttributeType::Boolean {
            return value
                .as_bool()
                .map(|b| Some(Value::Bool(b)))
                .ok_or(FieldProblem::InvalidBoolean);
        }
        let raw = value.as_str().ok_or(FieldProblem::NotText)?.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        if raw.chars().count() > self.max_chars {
            return Err(FieldProblem::TooLong);
        }
        if raw.chars().any(char::is_control) {
            return Err(self.malformed());
        }
        let kept = match self.kind {
            AttributeType::String => raw.to_string(),
            AttributeType::Email => {
                crate::users::normalize_email(raw).map_err(|_| FieldProblem::InvalidEmail)?
            }
            AttributeType::Phone => e164(raw).ok_or(FieldProblem::InvalidPhoneNumber)?,
            AttributeType::Date => date_not_after(raw, today)?,
            AttributeType::Enum => self
                .options
                .iter()
                .find(|o| **o == raw)
                .map(|o| o.to_string())
                .ok_or(FieldProblem::InvalidOption)?,
            AttributeType::Country => country(raw).ok_or(FieldProblem::InvalidCountry)?,
            AttributeType::Locale => locale(raw).ok_or(FieldProblem::InvalidLocale)?,
            AttributeType::TimeZone => time_zone(raw).ok_or(FieldProblem::InvalidTimeZone)?,
            AttributeType::Boolean => return Err(FieldProblem::InvalidBoolean),
        };
        Ok(Some(Value::String(kept)))
    }

    fn malformed(&self) -> FieldProblem {
        match self.kind {
            AttributeType::String => FieldProblem::NotText,
            AttributeType::Email => FieldProblem::InvalidEmail,
            AttributeType::Phone => FieldProblem::InvalidPhoneNumber,
            AttributeType::Date => FieldProblem::InvalidDate,
            AttributeType::Enum => FieldProblem::InvalidOption,
            AttributeType::Boolean => FieldProblem::InvalidBoolean,
            AttributeType::Country => FieldProblem::InvalidCountry,
            AttributeType::Locale => FieldProblem::InvalidLocale,
            AttributeType::TimeZone => FieldProblem::InvalidTimeZone,
        }
    }
}

/// ITU-T E.164: `+`, a country code not starting with 0, at most 15 digits in all.
/// Spaces, dots, hyphens and parentheses between digits are dropped.
fn e164(raw: &str) -> Option<String> {
    let digits = raw.strip_prefix('+')?;
    let digits: String = digits
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let ok = (7..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    ok.then(|| format!("+{digits}"))
}

/// ISO 8601 `YYYY-MM-DD` (OIDC Core §5.1 `birthdate`): a real calendar date, from 1900,
/// not after `today`.
fn date_not_after(raw: &str, today: UnixMillis) -> Result<String, FieldProblem> {
    let b = raw.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = raw.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let parsed = (b.len() == 10 && b[4] == b'-' && b[7] == b'-')
        .then(|| Some((number(0..4)?, number(5..7)?, number(8..10)?)))
        .flatten();
    let (year, month, day) = parsed.ok_or(FieldProblem::InvalidDate)?;
    let (month, day) = (
        u32::try_from(month).map_err(|_| FieldProblem::InvalidDate)?,
        u32::try_from(day).map_err(|_| FieldProblem::InvalidDate)?,
    );
    if year < 1900 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return Err(FieldProblem::InvalidDate);
    }
    let days = days_from_civil(year, month, day);
    // A day past the month's end (`2023-02-29`) comes back as another date.
    if civil_from_days(days) != (year, month, day) {
        return Err(FieldProblem::InvalidDate);
    }
    let today_days = i64::try_from(today.as_seconds() / 86_400).unwrap_or(i64::MAX);
    if days > today_days {
        return Err(FieldProblem::DateInFuture);
    }
    Ok(raw.to_string())
}

/// ISO 3166-1 alpha-2 officially assigned codes.
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ \
GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN \
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS \
MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT \
PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF \
TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM \
ZW";

fn country(raw: &str) -> Option<String> {
    let code = raw.to_ascii_uppercase();
    (code.len() == 2 && COUNTRIES.split_whitespace().any(|c| c == code)).then_some(code)
}

/// BCP 47 (RFC 5646 §2.1) in its common shape: a 2–3 letter language, then subtags of
/// 1–8 letters or digits.
fn locale(raw: &str) -> Option<String> {
    let mut subtags = raw.split(['-', '_']);
    let language = subtags.next()?;
    let language_ok =
        (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_alphabetic());
    let rest: Vec<&str> = subtags.collect();
    let rest_ok = rest
        .iter()
        .all(|s| (1..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()));
    (language_ok && rest_ok && raw.len() <= 35).then(|| {
        std::iter::once(language.to_ascii_lowercase())
            .chain(rest.iter().map(|s| s.to_string()))
            .collect::<Vec<_>>()
            .join("-")
    })
}

/// The IANA time zone database's areas.
const TIME_ZONE_AREAS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
    "Etc",
];

/// An IANA time zone name (`Europe/Paris`, `America/Argentina/Buenos_Aires`) or `UTC`.
fn time_zone(raw: &str) -> Option<String> {
    if raw == "UTC" {
        return Some(raw.to_string());
    }
    let mut parts = raw.split('/');
    let area = parts.next()?;
    let places: Vec<&str> = parts.collect();
    let place_ok = |p: &&str| {
        (1..=30).contains(&p.len())
            && p.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-+".contains(c))
    };
    (TIME_ZONE_AREAS.contains(&area)
        && (1..=2).contains(&places.len())
        && places.iter().all(place_ok))
    .then(|| raw.to_string())
}

/// Who is changing a profile: what they may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editor {
    /// The person, through the account API.
    Person,
    /// An administrator (SCIM, admin API).
    Admin,
}

impl Editor {
    fn may_see(self, attribute: &Attribute) -> bool {
        attribute.access != Access::Hook || self == Editor::Admin
    }

    fn may_change(self, attribute: &Attribute) -> bool {
        match attribute.access {
            Access::Person => true,
            Access::Admin | Access::Hook => self == Editor::Admin,
        }
    }
}

/// A profile change refused: each attribute at fault and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub Vec<(String, FieldProblem)>);

impl Refused {
    /// The problems as the API shows them, with messages in `words`' language.
    pub fn field_errors(&self, words: &crate::i18n::Words) -> Vec<FieldError> {
        self.0
            .iter()
            .map(|(field, code)| FieldError {
                field: field.clone(),
                code: *code,
                message: words.get(&format!("profile.{}", code.as_str())),
            })
            .collect()
    }
}

/// Applies `change` (attribute name → new value, `null` to clear: RFC 7396 merge-patch
/// semantics) to `user` as `editor` may; returns the changed person and the names of the
/// attributes whose value changed, or every problem found.
pub fn apply(
    user: &User,
    change: &Map<String, Value>,
    editor: Editor,
    now: UnixMillis,
) -> Result<(User, Vec<&'static str>), Refused> {
    let mut changed = user.clone();
    let mut names = Vec::new();
    let mut problems = Vec::new();
    for (name, value) in change {
        let attribute = attribute(name).filter(|a| editor.may_see(a));
        let Some(attribute) = attribute else {
            problems.push((name.clone(), FieldProblem::UnknownAttribute));
            continue;
        };
        if !editor.may_change(attribute) {
            problems.push((name.clone(), FieldProblem::NotEditable));
            continue;
        }
        match attribute.check(value, now) {
            Ok(new) => {
                if attribute.value_of(&changed) != new {
                    attribute.set(&mut changed, new);
                    names.push(attribute.name);
                }
            }
            Err(problem) => problems.push((name.clone(), problem)),
        }
    }
    if problems.is_empty() {
        Ok((changed, names))
    } else {
        Err(Refused(problems))
    }
}

/// The attributes `editor` may see, with the person's values.
pub fn view(user: &User, editor: Editor) -> portcullis_shared::profile::ProfileView {
    let visible = || SCHEMA.iter().filter(move |a| editor.may_see(a));
    portcullis_shared::profile::ProfileView {
        attributes: visible()
            .filter_map(|a| Some((a.name.to_string(), a.value_of(user)?)))
            .collect(),
        schema: visible().map(Attribute::view).collect(),
    }
}

/// The standard claims (OIDC Core §5.1) of the profile that `scope` releases (§5.4), as
/// ID tokens and userinfo carry them: `address` as an object (§5.1.1) holding the
/// country.
pub fn claims(holder: &Holder, granted: impl Fn(&str) -> bool) -> BTreeMap<String, Value> {
    let mut claims = BTreeMap::new();
    for attribute in SCHEMA {
        let Some(released_by) = attribute.scope else {
            continue;
        };
        if !granted(released_by) {
            continue;
        }
        let Some(value) = attribute.held_by(holder) else {
            continue;
        };
        if attribute.name == "country" {
            claims.insert("address".into(), serde_json::json!({ "country": value }));
        } else {
            claims.insert(attribute.name.into(), value);
        }
    }
    // §5.1: a phone number this deployment has not verified says so.
    if claims.contains_key("phone_number") {
        claims.insert("phone_number_verified".into(), Value::Bool(false));
    }
    claims
}

#[cfg(test)]
mod tests;
