//! The console's words, from `www/admin/console/locales/` (one catalogue per language,
//! the widget's 40). English is built in; the visitor's catalogue is fetched once.

use std::collections::HashMap;

use portcullis_shared::messages::{self, RIGHT_TO_LEFT};
use wasm_bindgen::JsValue;

const ENGLISH_JSON: &str = include_str!("../locales/en.json");

/// One language's messages; cheap to copy, lives as long as the page.
#[derive(Clone, Copy)]
pub struct Text {
    lang: &'static str,
    messages: &'static HashMap<String, String>,
    english: &'static HashMap<String, String>,
}

fn parse(json: &str) -> &'static HashMap<String, String> {
    // One catalogue or two a page: leaking them makes every message `&'static str`.
    Box::leak(Box::new(serde_json::from_str(json).unwrap_or_default()))
}

impl Text {
    /// The visitor's language (`navigator.languages`), its catalogue fetched; English if
    /// none fits or the fetch fails.
    pub async fn load() -> Text {
        let english = parse(ENGLISH_JSON);
        let wanted: Vec<String> = web_sys::window()
            .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("navigator")).ok())
            .and_then(|n| js_sys::Reflect::get(&n, &JsValue::from_str("languages")).ok())
            .map(|list| {
                js_sys::Array::from(&list)
                    .iter()
                    .filter_map(|v| v.as_string())
                    .collect()
            })
            .unwrap_or_default();
        let lang = messages::negotiate(wanted.iter().map(String::as_str));
        let messages = if lang == "en" {
            english
        } else {
            match crate::api::get_text(&format!("/admin/locales/{lang}.json")).await {
                Some(json) => parse(&json),
                None => english,
            }
        };
        Text {
            lang: if std::ptr::eq(messages, english) {
                "en"
            } else {
                lang
            },
            messages,
            english,
        }
    }

    /// The BCP 47 tag of this language.
    pub fn lang(self) -> &'static str {
        self.lang
    }

    /// `rtl` for Arabic, Persian and Hebrew.
    pub fn dir(self) -> &'static str {
        if RIGHT_TO_LEFT.contains(&self.lang) {
            "rtl"
        } else {
            "ltr"
        }
    }

    /// The message `key`, in this language or else in English.
    pub fn get(self, key: &str) -> &'static str {
        self.messages
            .get(key)
            .or_else(|| self.english.get(key))
            .map_or("", String::as_str)
    }

    /// The message `key` with its `{name}` arguments filled in.
    pub fn format(self, key: &str, args: &[(&str, &str)]) -> String {
        messages::fill(self.get(key), args)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value};

    fn catalogue(tag: &str) -> Map<String, Value> {
        let path = format!("{}/locales/{tag}.json", env!("CARGO_MANIFEST_DIR"));
        let json = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn every_language_has_every_console_message_translated_with_the_same_arguments() {
        let english = catalogue("en");
        for tag in portcullis_shared::messages::LANGUAGES {
            let problems = portcullis_shared::messages::problems(&english, &catalogue(tag));
            assert!(problems.is_empty(), "{tag}: {problems:?}");
        }
    }
}
