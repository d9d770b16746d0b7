//! The edge's answers that the first screen reads, read without serde.
//!
//! serde's derived readers, with the deserializer they run on and the number formatting
//! its error messages bring, cost the main module more than the first screen's own code.
//! So the answers the first screen needs (the client's configuration, a started flow, an
//! error) and the message catalogues are read here from the browser's own parse of the
//! JSON ([`Json`] for `JsValue`). Native builds read serde_json's parse of the same
//! text through the same functions, and the tests check them against the shared types'
//! wire form.

use std::collections::HashMap;

use portcullis_shared::api::{
    ClientConfig, ConnectionButton, FlowStarted, PasswordProblem, PasswordRejected, Step,
};
use portcullis_shared::theme::{ButtonStyle, ColorScheme, Palette, Theme};

/// What the readers ask of a parsed JSON value. A member that is missing or `null` is
/// `None`, as serde reads an absent `Option`.
pub trait Json: Sized {
    fn member(&self, key: &str) -> Option<Self>;
    fn text(&self) -> Option<String>;
    fn number(&self) -> Option<f64>;
    fn boolean(&self) -> Option<bool>;
    fn items(&self) -> Option<Vec<Self>>;
    /// An object's members, in order.
    fn entries(&self) -> Option<Vec<(String, Self)>>;
}

/// The browser's parse, in the widget.
#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
pub type Parsed = wasm_bindgen::JsValue;
/// serde_json's parse of the same text, in native builds and the edge's.
#[cfg(not(all(target_arch = "wasm32", not(feature = "ssr"))))]
pub type Parsed = serde_json::Value;

/// Parses JSON text: by the browser in the widget.
#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
pub fn parse(text: &str) -> Option<Parsed> {
    js_sys::JSON::parse(text).ok()
}

#[cfg(not(all(target_arch = "wasm32", not(feature = "ssr"))))]
pub fn parse(text: &str) -> Option<Parsed> {
    serde_json::from_str(text).ok()
}

impl Json for wasm_bindgen::JsValue {
    fn member(&self, key: &str) -> Option<Self> {
        if !self.is_object() {
            return None;
        }
        js_sys::Reflect::get(self, &key.into())
            .ok()
            .filter(|value| !value.is_undefined() && !value.is_null())
    }

    fn text(&self) -> Option<String> {
        self.as_string()
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn items(&self) -> Option<Vec<Self>> {
        js_sys::Array::is_array(self).then(|| js_sys::Array::from(self).iter().collect())
    }

    fn entries(&self) -> Option<Vec<(String, Self)>> {
        use wasm_bindgen::JsCast;
        if js_sys::Array::is_array(self) {
            return None;
        }
        let object = self.dyn_ref::<js_sys::Object>()?;
        js_sys::Object::entries(object)
            .iter()
            .map(|entry| {
                let entry = js_sys::Array::from(&entry);
                Some((entry.get(0).as_string()?, entry.get(1)))
            })
            .collect()
    }
}

impl Json for serde_json::Value {
    fn member(&self, key: &str) -> Option<Self> {
        self.get(key).filter(|value| !value.is_null()).cloned()
    }

    fn text(&self) -> Option<String> {
        self.as_str().map(str::to_string)
    }

    fn number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn boolean(&self) -> Option<bool> {
        self.as_bool()
    }

    fn items(&self) -> Option<Vec<Self>> {
        self.as_array().cloned()
    }

    fn entries(&self) -> Option<Vec<(String, Self)>> {
        let object = self.as_object()?;
        Some(object.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
    }
}

/// The text member `key`; `None` when missing, `null` or of another type.
pub fn text<J: Json>(object: &J, key: &str) -> Option<String> {
    object.member(key)?.text()
}

/// The boolean member `key`.
pub fn flag<J: Json>(object: &J, key: &str) -> Option<bool> {
    object.member(key)?.boolean()
}

/// The items of the array member `key`; empty when it is missing or not an array.
pub fn objects<J: Json>(object: &J, key: &str) -> Vec<J> {
    object
        .member(key)
        .and_then(|list| list.items())
        .unwrap_or_default()
}

/// The texts of the array member `key`, leaving out items of other types; empty when it
/// is missing or not an array.
pub fn strings<J: Json>(object: &J, key: &str) -> Vec<String> {
    objects(object, key).iter().filter_map(Json::text).collect()
}

/// A whole number that fits `T` (seconds, lengths, pixels).
pub fn whole<J: Json, T: TryFrom<u64>>(object: &J, key: &str) -> Option<T> {
    let n = object.member(key)?.number()?;
    // Exact below 2^53, which every count here is far inside.
    let whole =
        (n >= 0.0 && n.fract() == 0.0 && n < 9_007_199_254_740_992.0).then_some(n as u64)?;
    T::try_from(whole).ok()
}

/// `GET /v1/clients/{id}`, or the configuration beside the edge's first screen.
pub fn client_config<J: Json>(body: &J) -> Option<ClientConfig> {
    let connections = match body.member("connections") {
        None => Vec::new(),
        Some(list) => list
            .items()?
            .iter()
            .map(|c| {
                Some(ConnectionButton {
                    id: text(c, "id")?,
                    name: text(c, "name")?,
                })
            })
            .collect::<Option<_>>()?,
    };
    Some(ClientConfig {
        client_id: text(body, "client_id")?,
        name: text(body, "name")?,
        theme: match body.member("theme") {
            None => None,
            Some(theme) => Some(self::theme(&theme)?),
        },
        account_api: match body.member("account_api") {
            None => false,
            Some(flag) => flag.boolean()?,
        },
        turnstile_site_key: text(body, "turnstile_site_key"),
        turnstile_script_url: text(body, "turnstile_script_url"),
        connections,
    })
}

fn theme<J: Json>(theme: &J) -> Option<Theme> {
    Some(Theme {
        light: palette(&theme.member("light")?)?,
        dark: palette(&theme.member("dark")?)?,
        color_scheme: match text(theme, "color_scheme")?.as_str() {
            "auto" => ColorScheme::Auto,
            "light" => ColorScheme::Light,
            "dark" => ColorScheme::Dark,
            _ => return None,
        },
        radius_px: whole(theme, "radius_px")?,
        space_px: whole(theme, "space_px")?,
        font: text(theme, "font")?,
        button: match text(theme, "button")?.as_str() {
            "solid" => ButtonStyle::Solid,
            "outline" => ButtonStyle::Outline,
            "pill" => ButtonStyle::Pill,
            _ => return None,
        },
        logo_url: text(theme, "logo_url"),
    })
}

fn palette<J: Json>(palette: &J) -> Option<Palette> {
    Some(Palette {
        bg: text(palette, "bg")?,
        fg: text(palette, "fg")?,
        muted: text(palette, "muted")?,
        border: text(palette, "border")?,
        accent: text(palette, "accent")?,
        accent_fg: text(palette, "accent_fg")?,
        error: text(palette, "error")?,
    })
}

/// `POST /v1/flows`.
pub fn flow_started<J: Json>(body: &J) -> Option<FlowStarted> {
    Some(FlowStarted {
        flow_id: text(body, "flow_id")?,
        expires_in: whole(body, "expires_in")?,
        next: match text(body, "next")?.as_str() {
            "identify" => Step::Identify,
            "password" => Step::Password,
            "provider" => Step::Provider,
            _ => return None,
        },
        connection: text(body, "connection"),
    })
}

/// The `code`, `message` and `site_message` of a `/v1` error.
pub fn error_body<J: Json>(body: &J) -> Option<(String, String, Option<String>)> {
    Some((
        text(body, "code")?,
        text(body, "message").unwrap_or_default(),
        text(body, "site_message"),
    ))
}

/// A `password_rejected` error's details.
pub fn password_rejected<J: Json>(body: &J) -> Option<PasswordRejected> {
    Some(PasswordRejected {
        problem: match text(body, "problem")?.as_str() {
            "too_short" => PasswordProblem::TooShort,
            "too_long" => PasswordProblem::TooLong,
            "common" => PasswordProblem::Common,
            "context_specific" => PasswordProblem::ContextSpecific,
            _ => return None,
        },
        min_length: whole(body, "min_length")?,
    })
}

/// One message of a catalogue: its text, or its text per CLDR plural category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Text(String),
    Plural(HashMap<String, String>),
}

/// A message catalogue (`widget/locales/*.json`); a member of another shape is left out.
pub fn catalogue<J: Json>(body: &J) -> Option<HashMap<String, Message>> {
    let message = |value: &J| match value.text() {
        Some(text) => Some(Message::Text(text)),
        None => {
            let forms = value.entries()?;
            let forms = forms
                .into_iter()
                .filter_map(|(category, form)| Some((category, form.text()?)))
                .collect();
            Some(Message::Plural(forms))
        }
    };
    Some(
        body.entries()?
            .into_iter()
            .filter_map(|(key, value)| Some((key, message(&value)?)))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_shared::api::FirstScreenBody;

    /// `value` as the edge writes it, then read back here.
    fn wire<T: serde::Serialize>(value: &T) -> serde_json::Value {
        serde_json::to_value(value).unwrap()
    }

    #[test]
    fn client_configurations_read_as_the_edge_writes_them() {
        let plain = ClientConfig {
            client_id: "demo".into(),
            name: "Demo".into(),
            theme: None,
            account_api: false,
            turnstile_site_key: None,
            turnstile_script_url: None,
            connections: Vec::new(),
        };
        assert_eq!(client_config(&wire(&plain)), Some(plain.clone()));
        for (preset, scheme, button) in [
            ("neutral", ColorScheme::Auto, ButtonStyle::Solid),
            ("playful", ColorScheme::Light, ButtonStyle::Pill),
            ("midnight", ColorScheme::Dark, ButtonStyle::Outline),
        ] {
            let mut theme = Theme::preset(preset).unwrap();
            theme.color_scheme = scheme;
            theme.button = button;
            theme.logo_url = Some("https://example.com/logo.svg".into());
            let full = ClientConfig {
                theme: Some(theme),
                account_api: true,
                turnstile_site_key: Some("site".into()),
                turnstile_script_url: Some("https://example.com/t.js".into()),
                connections: vec![ConnectionButton {
                    id: "google".into(),
                    name: "Google".into(),
                }],
                ..plain.clone()
            };
            assert_eq!(client_config(&wire(&full)), Some(full.clone()));
            // As it comes beside the edge's first screen.
            let screen = FirstScreenBody {
                config: full.clone(),
                lang: "en".into(),
                dir: "ltr".into(),
                html: String::new(),
                css: None,
            };
            let config = wire(&screen).member("config").unwrap();
            assert_eq!(client_config(&config), Some(full));
        }
        let broken = serde_json::json!({"client_id": "demo", "name": 7});
        assert_eq!(client_config(&broken), None);
    }

    #[test]
    fn started_flows_and_errors_read_as_the_edge_writes_them() {
        for next in [Step::Identify, Step::Password, Step::Provider] {
            let started = FlowStarted {
                flow_id: "f".into(),
                expires_in: 600,
                next,
                connection: (next == Step::Provider).then(|| "okta".into()),
            };
            assert_eq!(flow_started(&wire(&started)), Some(started));
        }
        for problem in [
            PasswordProblem::TooShort,
            PasswordProblem::TooLong,
            PasswordProblem::Common,
            PasswordProblem::ContextSpecific,
        ] {
            let rejected = PasswordRejected {
                problem,
                min_length: 15,
            };
            assert_eq!(password_rejected(&wire(&rejected)), Some(rejected));
        }
        let error = serde_json::json!({"code": "registration_denied", "message": "No.", "site_message": "Invite only."});
        assert_eq!(
            error_body(&error),
            Some((
                "registration_denied".into(),
                "No.".into(),
                Some("Invite only.".into())
            ))
        );
        let bare = serde_json::json!({"code": "x"});
        assert_eq!(error_body(&bare), Some(("x".into(), String::new(), None)));
        assert_eq!(
            flow_started(
                &serde_json::json!({"flow_id": "f", "expires_in": 1.5, "next": "password"})
            ),
            None
        );
    }

    #[test]
    fn catalogues_keep_texts_and_plural_forms() {
        let read = catalogue(&serde_json::json!({
            "a": "A",
            "b": {"one": "1 b", "other": "{n} b"},
            "c": 3
        }))
        .unwrap();
        assert_eq!(read.get("a"), Some(&Message::Text("A".into())));
        let Some(Message::Plural(forms)) = read.get("b") else {
            panic!("b is plural")
        };
        assert_eq!(forms.get("one").map(String::as_str), Some("1 b"));
        assert!(!read.contains_key("c"));
    }
}
