//! The edge's own words — its emails and the few pages it renders — in the person's
//! language. The catalogues are `edge/locales/{tag}.json`, one per language the widget
//! speaks (see `portcullis_shared::messages`), built into the worker. Numbers (how long a
//! code or link works) are written into the messages, in each language's own plural form.

use std::collections::HashMap;

use portcullis_shared::messages::{self, RIGHT_TO_LEFT};

/// Every catalogue, by tag: the languages of `portcullis_shared::messages::LANGUAGES`.
const CATALOGUES: &[(&str, &str)] = &[
    ("ar", include_str!("../locales/ar.json")),
    ("bg", include_str!("../locales/bg.json")),
    ("ca", include_str!("../locales/ca.json")),
    ("cs", include_str!("../locales/cs.json")),
    ("da", include_str!("../locales/da.json")),
    ("de", include_str!("../locales/de.json")),
    ("el", include_str!("../locales/el.json")),
    ("en", include_str!("../locales/en.json")),
    ("es", include_str!("../locales/es.json")),
    ("et", include_str!("../locales/et.json")),
    ("fa", include_str!("../locales/fa.json")),
    ("fi", include_str!("../locales/fi.json")),
    ("fr", include_str!("../locales/fr.json")),
    ("he", include_str!("../locales/he.json")),
    ("hi", include_str!("../locales/hi.json")),
    ("hr", include_str!("../locales/hr.json")),
    ("hu", include_str!("../locales/hu.json")),
    ("id", include_str!("../locales/id.json")),
    ("it", include_str!("../locales/it.json")),
    ("ja", include_str!("../locales/ja.json")),
    ("ko", include_str!("../locales/ko.json")),
    ("lt", include_str!("../locales/lt.json")),
    ("lv", include_str!("../locales/lv.json")),
    ("nb", include_str!("../locales/nb.json")),
    ("nl", include_str!("../locales/nl.json")),
    ("pl", include_str!("../locales/pl.json")),
    ("pt-BR", include_str!("../locales/pt-BR.json")),
    ("pt-PT", include_str!("../locales/pt-PT.json")),
    ("ro", include_str!("../locales/ro.json")),
    ("ru", include_str!("../locales/ru.json")),
    ("sk", include_str!("../locales/sk.json")),
    ("sl", include_str!("../locales/sl.json")),
    ("sr", include_str!("../locales/sr.json")),
    ("sv", include_str!("../locales/sv.json")),
    ("th", include_str!("../locales/th.json")),
    ("tr", include_str!("../locales/tr.json")),
    ("uk", include_str!("../locales/uk.json")),
    ("vi", include_str!("../locales/vi.json")),
    ("zh-CN", include_str!("../locales/zh-CN.json")),
    ("zh-TW", include_str!("../locales/zh-TW.json")),
];

/// One language's messages.
pub struct Words {
    lang: &'static str,
    messages: HashMap<String, String>,
}

impl Words {
    /// The language `tag` names exactly (the widget sends the one it shows), else the
    /// best match for it, else English.
    pub fn for_tag(tag: &str) -> Words {
        Words::load(messages::negotiate([tag]))
    }

    pub fn english() -> Words {
        Words::load("en")
    }

    fn load(lang: &'static str) -> Words {
        let messages = CATALOGUES
            .iter()
            .find(|(tag, _)| *tag == lang)
            .and_then(|(_, json)| serde_json::from_str(json).ok())
            .unwrap_or_default();
        Words { lang, messages }
    }

    /// The BCP 47 tag, for `lang` attributes and links.
    pub fn lang(&self) -> &'static str {
        self.lang
    }

    /// `rtl` or `ltr`, for `dir` attributes.
    pub fn dir(&self) -> &'static str {
        if RIGHT_TO_LEFT.contains(&self.lang) {
            "rtl"
        } else {
            "ltr"
        }
    }

    /// The message for `key`; English where the catalogue lacks it (tests see that none
    /// does), the key itself as the last resort.
    pub fn get(&self, key: &str) -> String {
        if let Some(text) = self.messages.get(key) {
            return text.clone();
        }
        if self.lang != "en" {
            return Words::english().get(key);
        }
        key.to_string()
    }

    /// The message for `key` with its `{name}` arguments filled in.
    pub fn format(&self, key: &str, args: &[(&str, &str)]) -> String {
        messages::fill(&self.get(key), args)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value};

    use super::*;
    use crate::events::RequestContext;

    fn catalogue(tag: &str) -> Map<String, Value> {
        let json = CATALOGUES
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, json)| *json);
        serde_json::from_str(json.unwrap_or_else(|| panic!("no catalogue for {tag}"))).unwrap()
    }

    #[test]
    fn every_language_of_the_widget_has_a_full_catalogue() {
        let tags: Vec<&str> = CATALOGUES.iter().map(|(tag, _)| *tag).collect();
        assert_eq!(tags, messages::LANGUAGES);
        let english = catalogue("en");
        assert!(
            english.values().all(Value::is_string),
            "plain messages only"
        );
        for tag in tags {
            let problems = messages::problems(&english, &catalogue(tag));
            assert!(problems.is_empty(), "{tag}: {problems:#?}");
        }
    }

    #[test]
    fn the_language_comes_from_the_request() {
        let request = |header: Option<&str>| RequestContext {
            accept_language: header.map(str::to_string),
            ..RequestContext::default()
        };
        assert_eq!(
            request(Some("de-CH, de;q=0.9, en;q=0.5")).words().lang(),
            "de"
        );
        assert_eq!(request(Some("tlh")).language(), "en");
        assert_eq!(request(None).words().lang(), "en");
        let arabic = Words::for_tag("ar");
        assert_eq!((arabic.lang(), arabic.dir()), ("ar", "rtl"));
        assert_eq!(Words::for_tag("ja").dir(), "ltr");
        assert_eq!(
            Words::english().format("sign-in.subject", &[("app", "Shop")]),
            "Your sign-in code for Shop"
        );
        assert_ne!(Words::for_tag("fr").get("sign-in.button"), "Sign in");
    }
}
