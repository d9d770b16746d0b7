//! Message catalogues: the widget's (`widget/locales/`) and the edge's emails and pages
//! (`edge/locales/`). A catalogue is a JSON object from message key to text with `{name}`
//! arguments, or, for a message that counts something, to an object of its language's
//! CLDR plural forms (`"one"`, `"few"`, `"other"`, …). One file per language, named by
//! its BCP 47 tag.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// Every language Portcullis speaks. The widget's loader lists the same tags.
pub const LANGUAGES: &[&str] = &[
    "ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr", "he", "hi", "hr",
    "hu", "id", "it", "ja", "ko", "lt", "lv", "nb", "nl", "pl", "pt-BR", "pt-PT", "ro", "ru", "sk",
    "sl", "sr", "sv", "th", "tr", "uk", "vi", "zh-CN", "zh-TW",
];

/// Written right to left.
pub const RIGHT_TO_LEFT: &[&str] = &["ar", "fa", "he"];

/// Tags that name a language Portcullis speaks under another tag.
const ALIASES: &[(&str, &str)] = &[
    ("iw", "he"),
    ("no", "nb"),
    ("nn", "nb"),
    ("pt", "pt-BR"),
    ("zh", "zh-CN"),
    ("zh-hans", "zh-CN"),
    ("zh-sg", "zh-CN"),
    ("zh-hant", "zh-TW"),
    ("zh-hk", "zh-TW"),
    ("zh-mo", "zh-TW"),
];

/// The first of `wanted` (BCP 47 tags, most wanted first) that Portcullis speaks, trying
/// each tag and then ever shorter prefixes of it (`zh-Hant-TW`, `zh-Hant`, `zh`); English
/// if none. The loader (`widget.js`) chooses the widget's language the same way.
pub fn negotiate<'a>(wanted: impl IntoIterator<Item = &'a str>) -> &'static str {
    for tag in wanted {
        let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
        let subtags: Vec<&str> = tag.split('-').collect();
        for n in (1..=subtags.len()).rev() {
            let prefix = subtags[..n].join("-");
            let prefix = ALIASES
                .iter()
                .find(|(alias, _)| *alias == prefix)
                .map_or(prefix.as_str(), |(_, tag)| tag);
            if let Some(found) = LANGUAGES.iter().find(|l| l.eq_ignore_ascii_case(prefix)) {
                return found;
            }
        }
    }
    "en"
}

/// The tags of an `Accept-Language` header, most wanted first (RFC 9110 §12.5.4).
pub fn accept_language(header: &str) -> Vec<&str> {
    let mut ranked: Vec<(f32, usize, &str)> = header
        .split(',')
        .enumerate()
        .filter_map(|(i, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (!tag.is_empty() && tag != "*" && q > 0.0).then_some((q, i, tag))
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranked.into_iter().map(|(_, _, tag)| tag).collect()
}

/// `template` with each `{name}` replaced by its argument.
pub fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// Every `{name}` in a message.
pub fn arguments(text: &str) -> BTreeSet<&str> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

const PLURAL_CATEGORIES: &[&str] = &["zero", "one", "two", "few", "many", "other"];

/// How many messages of a translation may read exactly as in English (" · ", "OK").
const SAME_AS_ENGLISH: usize = 6;

/// What is wrong with `translated` as a translation of `english`: keys missing or extra,
/// arguments changed, plural forms where none belong or without `other`, empty text, or
/// too much left in English. Empty when it is a full translation.
pub fn problems(english: &Map<String, Value>, translated: &Map<String, Value>) -> Vec<String> {
    let mut problems = Vec::new();
    for key in translated.keys().filter(|k| !english.contains_key(*k)) {
        problems.push(format!("{key}: not in en.json"));
    }
    let mut same = 0;
    for (key, source) in english {
        let wanted = match source {
            Value::String(text) => arguments(text),
            Value::Object(forms) => {
                arguments(forms.get("other").and_then(Value::as_str).unwrap_or(""))
            }
            _ => BTreeSet::new(),
        };
        match (source, translated.get(key)) {
            (_, None) => problems.push(format!("{key}: missing")),
            (Value::String(source), Some(Value::String(text))) => {
                if text.trim().is_empty() && !key.ends_with("-rest") {
                    problems.push(format!("{key}: empty"));
                }
                if arguments(text) != wanted {
                    problems.push(format!(
                        "{key}: arguments {:?}, not {wanted:?}",
                        arguments(text)
                    ));
                }
                same += usize::from(text == source);
            }
            (Value::Object(_), Some(Value::Object(forms))) => match forms
                .get("other")
                .and_then(Value::as_str)
            {
                None => problems.push(format!("{key}: no \"other\" form")),
                Some(other) if arguments(other) != wanted => {
                    problems.push(format!("{key}: arguments of \"other\" are not {wanted:?}"));
                }
                Some(_) => {
                    for (category, form) in forms {
                        if !PLURAL_CATEGORIES.contains(&category.as_str()) {
                            problems
                                .push(format!("{key}: {category} is not a CLDR plural category"));
                        }
                        // A form may leave the number out ("a minute"), never add one.
                        if !form
                            .as_str()
                            .is_some_and(|f| arguments(f).is_subset(&wanted))
                        {
                            problems
                                .push(format!("{key} {category}: a string with no new argument"));
                        }
                    }
                }
            },
            _ => problems.push(format!(
                "{key}: a plain message and plural forms do not match"
            )),
        }
    }
    if same > SAME_AS_ENGLISH && translated != english {
        problems.push(format!("{same} messages left in English"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalogue(json: &str) -> Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn negotiation_tries_prefixes_and_aliases_then_english() {
        assert_eq!(negotiate(["de-AT"]), "de");
        assert_eq!(negotiate(["zh-Hant-TW"]), "zh-TW");
        assert_eq!(negotiate(["zh-HK"]), "zh-TW");
        assert_eq!(negotiate(["zh"]), "zh-CN");
        assert_eq!(negotiate(["pt_PT"]), "pt-PT");
        assert_eq!(negotiate(["pt-AO"]), "pt-BR");
        assert_eq!(negotiate(["no"]), "nb");
        assert_eq!(negotiate(["tlh", "sw", "fr-CA"]), "fr");
        assert_eq!(negotiate(["tlh"]), "en");
        assert_eq!(negotiate([]), "en");
    }

    #[test]
    fn accept_language_is_ranked_by_quality_then_order() {
        assert_eq!(
            accept_language("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"),
            ["fr-CH", "fr", "en", "de"]
        );
        assert_eq!(accept_language("en;q=0.1, ja"), ["ja", "en"]);
        assert_eq!(accept_language("ar;q=0, he"), ["he"]);
        assert_eq!(accept_language("de;q=x, it"), ["it"]);
        assert!(accept_language("").is_empty());
    }

    #[test]
    fn problems_name_what_a_translation_gets_wrong() {
        let english = catalogue(
            r#"{"a": "Hello {name}", "b": {"one": "{n} minute", "other": "{n} minutes"}, "c": "Bye"}"#,
        );
        let good = catalogue(
            r#"{"a": "Hallo {name}", "b": {"one": "eine Minute", "other": "{n} Minuten"}, "c": "Tschüss"}"#,
        );
        assert!(
            problems(&english, &good).is_empty(),
            "{:?}",
            problems(&english, &good)
        );
        let bad = catalogue(r#"{"a": "Hallo {nom}", "b": {"one": "{n} Minute {x}"}, "d": ""}"#);
        let found = problems(&english, &bad);
        assert!(
            found.iter().any(|p| p.starts_with("a: arguments")),
            "{found:?}"
        );
        assert!(
            found.iter().any(|p| p.starts_with("b: no \"other\"")),
            "{found:?}"
        );
        assert!(found.iter().any(|p| p == "c: missing"), "{found:?}");
        assert!(found.iter().any(|p| p == "d: not in en.json"), "{found:?}");
        assert!(!problems(&english, &english)
            .iter()
            .any(|p| p.contains("left in English")));
    }
}
