//! The widget's first screen rendered to HTML, for the edge to send with the client's
//! configuration (`/v1/clients/{id}/first-screen`): the same views the browser then
//! hydrates, started from the same state, so the markup matches node for node.
//!
//! What depends on the browser renders one fixed way ([`Capabilities::FIRST_PAINT`]),
//! nothing else runs (no requests, no effects), and the words come from the first screen's
//! part of each catalogue, built in from `locales/` (see `build.rs`).

use std::sync::OnceLock;

use leptos::prelude::*;
use portcullis_shared::api::ClientConfig;
use portcullis_shared::messages::LANGUAGES;
use portcullis_shared::theme::Theme;

use crate::app::{self, Look, Start};
use crate::events::Events;
use crate::session::{Mode, Session};
use crate::text::Text;
use crate::DEFAULT_SCOPE;

mod catalogues {
    include!(concat!(env!("OUT_DIR"), "/first_screen.rs"));
}

/// The first screen for one client, language and theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstScreen {
    /// The card, with Leptos' hydration markers (`<!>` comments): insert it as sent.
    pub html: String,
    /// The theme's stylesheet (custom properties), when the page's preset or the client
    /// has a theme.
    pub css: Option<String>,
}

/// The first screen of `config`'s widget in `lang` (a tag of
/// [`portcullis_shared::messages::LANGUAGES`]), themed by the page's `preset` or else the
/// client's theme. `None` for a language the widget does not speak.
pub fn render(config: &ClientConfig, lang: &str, preset: Option<&str>) -> Option<FirstScreen> {
    Some(render_in(config, words(lang)?, preset))
}

/// As [`render`], in the words of `text`.
pub fn render_in(config: &ClientConfig, text: Text, preset: Option<&str>) -> FirstScreen {
    let page = preset.and_then(Theme::preset);
    let css = page
        .as_ref()
        .or(config.theme.as_ref())
        .map(crate::theme::stylesheet);
    let owner = Owner::new();
    let html = owner.with(|| {
        // Embedded or hosted renders the same first screen: no flow is known yet.
        let mode = Mode::Embedded {
            scope: DEFAULT_SCOPE.into(),
        };
        let api = crate::api::Api::new(String::new(), config.client_id.clone(), false, text.lang());
        let session = Session::new(api, Events::none(), mode, None, true, None, text);
        let look = Look {
            preset: preset.map(str::to_string),
            apply: None,
        };
        app::view(session, look, Start::Rendered(config.clone())).to_html()
    });
    owner.cleanup();
    FirstScreen { html, css }
}

/// Whether the first screen is offered in `lang`.
pub fn speaks(lang: &str) -> bool {
    LANGUAGES.contains(&lang)
}

/// The first screen's words in `lang`, parsed once per language and kept.
fn words(lang: &str) -> Option<Text> {
    static WORDS: OnceLock<Vec<(&'static str, Text)>> = OnceLock::new();
    let all = WORDS.get_or_init(|| {
        catalogues::CATALOGUES
            .iter()
            .filter_map(|(tag, json)| Some((*tag, Text::load(tag, json)?)))
            .collect()
    });
    all.iter()
        .find(|(tag, _)| *tag == lang)
        .map(|(_, text)| *text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> ClientConfig {
        ClientConfig {
            client_id: "demo".into(),
            name: "Demo <Shop> & Co".into(),
            theme: None,
            account_api: false,
            turnstile_site_key: None,
            turnstile_script_url: None,
            connections: vec![portcullis_shared::api::ConnectionButton {
                id: "acme".into(),
                name: "Acme".into(),
            }],
        }
    }

    #[test]
    fn every_language_renders_the_same_first_screen_from_the_built_in_part_as_from_its_whole_catalogue(
    ) {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/locales");
        for lang in LANGUAGES {
            let path = format!("{dir}/{lang}.json");
            let whole =
                std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
            let whole =
                Text::load(lang, &whole).unwrap_or_else(|| panic!("{path}: not a catalogue"));
            let built_in = render(&client(), lang, None)
                .unwrap_or_else(|| panic!("no first screen in {lang}"));
            assert_eq!(built_in, render_in(&client(), whole, None), "{lang}");
        }
    }

    #[test]
    fn the_first_screen_has_the_email_field_for_password_managers_and_passkey_autofill_and_every_way_in(
    ) {
        let screen = render(&client(), "de", None).unwrap_or_else(|| unreachable!());
        let html = &screen.html;
        assert!(
            html.contains(r#"autocomplete="username webauthn""#),
            "{html}"
        );
        assert!(
            html.contains("Bei Demo &lt;Shop&gt; &amp; Co anmelden"),
            "{html}"
        );
        for key in [
            "identify.submit",
            "passkey.sign-in",
            "email.send",
            "identify.create-account",
        ] {
            let word = words("de")
                .unwrap_or_else(|| unreachable!())
                .get(crate::text::Key(key));
            assert!(html.contains(word), "{key}: {word} in {html}");
        }
        assert!(html.contains("Acme"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert_eq!(screen.css, None);
    }

    #[test]
    fn a_language_the_widget_does_not_speak_has_no_first_screen() {
        assert_eq!(render(&client(), "xx", None), None);
        assert_eq!(render(&client(), "", None), None);
        assert!(!speaks("de-AT"));
    }

    #[test]
    fn the_pages_preset_beats_the_clients_theme() {
        let mut config = client();
        config.theme = Theme::preset("playful");
        let midnight = Theme::preset("midnight").unwrap_or_else(|| unreachable!());
        let screen = render(&config, "en", Some("midnight")).unwrap_or_else(|| unreachable!());
        assert_eq!(screen.css, Some(crate::theme::stylesheet(&midnight)));
    }
}
