//! The widget's card: the client's name, the current screen, and a live region.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use portcullis_shared::api::ClientConfig;
use portcullis_shared::theme::Theme;
use wasm_bindgen::JsValue;

use crate::api::Failure;
use crate::screens::Current;
use crate::session::Session;
use crate::text::{self, card as t};
use crate::webauthn::Capabilities;

/// How the widget should look: a preset the page asked for (beats the client's theme),
/// and the loader's function that adopts a stylesheet for the widget's element.
pub struct Look {
    pub preset: Option<String>,
    pub apply: Option<js_sys::Function>,
}

impl Look {
    /// Applies the page's preset, else the client's theme; returns its logo, if any.
    fn apply(&self, client: Option<&Theme>) -> Option<String> {
        let page = self.preset.as_deref().and_then(Theme::preset);
        let theme = page.as_ref().or(client)?;
        if let Some(apply) = &self.apply {
            let css = JsValue::from_str(&crate::theme::stylesheet(theme));
            if apply.call1(&JsValue::NULL, &css).is_err() {
                web_sys::console::warn_1(&"portcullis: the theme could not be applied".into());
            }
        }
        theme.logo_url.clone()
    }
}

/// How the widget starts.
// The browser's build never renders for the edge, the edge's only renders.
#[allow(dead_code)]
pub enum Start {
    /// In the browser, from nothing: the client's configuration is fetched first.
    Fetch,
    /// In the browser, over the first screen the edge rendered with this configuration
    /// (hydration): the same starting state as [`Start::Rendered`].
    Hydrate(ClientConfig),
    /// On the edge, rendering the first screen to HTML: nothing runs but the views.
    Rendered(ClientConfig),
}

/// What the client's configuration tells the session.
fn configure(session: Session, config: &ClientConfig) {
    session.set_account_api(config.account_api);
    let check = config.turnstile_site_key.clone();
    session.set_human_check(check.zip(config.turnstile_script_url.clone()));
    session.set_connections(config.connections.clone());
}

/// What the widget does in the browser once its views exist: fetch the client's
/// configuration unless it was `known`, detect what the browser can do with passkeys,
/// say it is ready, and finish a return from a sign-in provider.
#[cfg(not(feature = "ssr"))]
fn run_in_browser(
    session: Session,
    known: Option<ClientConfig>,
    set_config: WriteSignal<Option<Result<ClientConfig, Failure>>>,
) {
    let fetch = known.is_none();
    leptos::task::spawn_local(async move {
        let result = match known {
            Some(config) => Ok(config),
            None => session.api().client_config().await,
        };
        let capabilities = Capabilities::detect().await;
        let events = session.events();
        match &result {
            Ok(config) => {
                if fetch {
                    configure(session, config);
                }
                events.ready();
                if let Some(Err(failure)) = session.come_back().await {
                    session.set_arrival(&failure);
                }
            }
            Err(failure) => events.failed(failure, session.text()),
        }
        // Known before a fetched first screen renders, so that no passkey button flickers;
        // and only once a return from a provider has settled, since passkey autofill, which
        // they start on the first screen, would otherwise begin a flow of its own beside the
        // one coming back.
        session.set_capabilities(capabilities);
        if fetch {
            set_config.set(Some(result));
        }
    });
}

/// The edge (the `ssr` build) only renders.
#[cfg(feature = "ssr")]
fn run_in_browser(
    _: Session,
    _: Option<ClientConfig>,
    _: WriteSignal<Option<Result<ClientConfig, Failure>>>,
) {
}

/// The whole widget for one mounted element.
pub fn view(session: Session, look: Look, start: Start) -> impl IntoView {
    provide_context(session);
    let tx = session.text();
    let rendered = matches!(start, Start::Rendered(_));
    let given = match start {
        Start::Fetch => None,
        Start::Hydrate(config) | Start::Rendered(config) => Some(config),
    };
    if let Some(config) = &given {
        configure(session, config);
        // Browser-dependent parts render one fixed way until the browser is asked.
        session.set_capabilities(Capabilities::FIRST_PAINT);
    }
    let known = given.clone();
    let (config, set_config) = signal(given.map(Ok::<ClientConfig, Failure>));
    if !rendered {
        run_in_browser(session, known, set_config);
    }

    // Named by its title, which the card has only once the client's configuration loaded.
    let titled = move || {
        config
            .with(|c| matches!(c, Some(Ok(_))))
            .then_some("pc-title")
    };
    view! {
        <section class="pc-card" part="card" aria-labelledby=titled>
            // Either-of, not `into_any`: see `fields::Form`.
            {move || match config.get() {
                None => EitherOf3::A(view! { <p class="pc-muted" part="status">{tx.get(t::LOADING)}</p> }),
                Some(Err(failure)) => EitherOf3::B(view! {
                    <p class="pc-error" part="error" role="alert">{text::failure_message(tx, &failure)}</p>
                }),
                Some(Ok(config)) => EitherOf3::C(view! {
                    {look.apply(config.theme.as_ref()).map(|src| view! {
                        // The title names the client; the logo adds nothing for a screen reader.
                        <img class="pc-logo" part="logo" src=src alt="" />
                    })}
                    <Current client=config.name />
                }),
            }}
            // Step changes, said politely; errors speak for themselves (role=alert).
            <p class="pc-visually-hidden" part="announcement" role="status">{move || session.announcement()}</p>
        </section>
    }
}
