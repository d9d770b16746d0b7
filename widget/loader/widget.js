// Portcullis widget loader: defines <portcullis-signin> and the mount() API.
//
//   <script type="module" src="https://EDGE/widget.js"></script>
//   <portcullis-signin client-id="demo"></portcullis-signin>
//
// Attributes (read once, when the element is connected) and the matching mount() options:
//
//   client-id   clientId   required: the registered client this page signs people in to
//   issuer      issuer     the edge's origin; defaults to where this script was loaded from
//   login-hint  loginHint  an email address to fill in
//   scope       scope      space-separated scopes for embedded flows;
//                          defaults to "openid profile email"
//   flow        flow       hosted mode: the flow handle from the edge's /signin page URL.
//                          Without it the widget is embedded: it starts its own flow with
//                          PKCE, redeems the code at the edge's /token and hands the tokens
//                          to the page. With it, it continues that flow and the edge
//                          redirects the window back to the client.
//   mode="account" mode: "account"
//                          after sign-in, show the whole account (details, email address,
//                          sessions, applications, consents, export, deletion) besides
//                          passkeys and second factors, as the edge's /account page does.
//                          Without it the signed-in area stays as it was.
//   passkey-autofill="off" passkeyAutofill: false
//                          keep passkeys out of the email field's autofill menu. By default,
//                          where the browser supports it, the email field offers the site's
//                          passkeys as soon as the widget shows (WebAuthn conditional
//                          mediation); the "Sign in with a passkey" button works either way.
//   dom="light" dom: "light"
//                          render into the element itself instead of a shadow root. Some
//                          browsers and password managers do not offer autofill (passkeys
//                          included) in fields inside a shadow root. The trade-off: the
//                          page's CSS now reaches the widget (its own rules are all scoped
//                          under .pc-root and never touch the page), and its element ids
//                          (pc-email, …) are in the page's document, so use one light-DOM
//                          widget per page.
//   reset-token resetToken the token from an emailed password reset link: the widget
//                          starts on "Choose a new password" and sets it with this token
//                          (the edge's /reset-password page passes it in). Then
//                          "Sign in" leads to the usual first screen.
//   lang        lang       the language to show, as a BCP 47 tag (de, pt-BR, zh-TW, …),
//                          or several, space-separated, most wanted first.
//                          Without it, or when Portcullis does not speak it, the widget
//                          takes the first of the browser's preferred languages that it
//                          speaks (pt-AO → pt-BR, zh-HK → zh-TW, no → nb), else English.
//                          Arabic, Persian and Hebrew are laid out right to left. Only
//                          that language's messages are downloaded; English is built in.
//   theme       theme      a theme preset: neutral, high-contrast, playful or midnight.
//                          Overrides the client's theme (set on the edge with
//                          scripts/clients --theme). Either is applied as --pc-* custom
//                          properties on the element, which the page's own CSS can still
//                          override one by one.
//
// Email: the first and password screens offer "Email me a sign-in code" (a code to type,
// and a link that finishes the sign-in here when opened anywhere, even on another
// device); the password screen has "Forgot password?" (a reset link, or a reminder of
// which address has an account). A client that signs in only verified addresses gets a
// "Confirm your email address" screen after sign-up or sign-in, which the emailed code or
// link completes.
//
// Passkeys: where the browser has WebAuthn with its JSON helpers, the widget offers
// "Sign in with a passkey", "Use a passkey instead" (password step) and "Create with a
// passkey instead" (sign-up). Embedded, after sign-in it keeps the access token in memory
// (never in storage) to list, add, rename and delete the person's passkeys, and offers to
// add one after a password sign-in; it forgets the token on sign-out. The hosted page
// signs in and up with passkeys but manages none. With autofill on, the loader offers
// passkeys in the email field's menu as soon as the edge's first screen shows (see
// startAutofill); the widget takes the request over once it has loaded.
//
// Events, dispatched on the element (they bubble and cross the shadow boundary):
//
//   portcullis:ready       the client's configuration loaded; detail {}
//   portcullis:step        the flow moved on; detail {step, flow_id}
//   portcullis:error       a request failed (the widget shows it too); detail {code, message}
//   portcullis:signed-in   embedded sign-in or sign-up finished; detail is the token
//                          response {access_token, token_type, expires_in, id_token, scope,
//                          refresh_token?}. The widget keeps only the access token, in
//                          memory, until sign-out, to manage the person's passkeys.
//   portcullis:signed-out  the person signed out of the widget; detail {}
//
// element.signOut() (or the object mount() resolves to) signs out as the widget's own
// button does. Tokens are never written to storage.
//
// By default the element renders into its own shadow root, so the page's CSS and the
// widget's CSS stay apart. The modules of the password step are fetched with the wasm;
// those of the other screens after the first when the browser is idle after the first
// screen shows, or when one of those screens is needed first.
//
// First paint: the edge renders the first screen (GET /v1/clients/{id}/first-screen, one
// cacheable answer per client, language and theme) with the widget's own views. The
// loader shows it as soon as it arrives, so the email field takes typing, and password
// managers see autocomplete="username webauthn", before the widget's wasm has loaded;
// the wasm, asked for at the same time, then adopts (hydrates) that markup, keeping what was
// typed and where focus is. A click on a button (or Enter) before then is held and
// done once the widget is ready. Passkey autofill (conditional mediation) starts once the
// widget is ready, not here: its WebAuthn challenge is single-use and made for one flow,
// which a cacheable first screen cannot carry. The reset page (reset-token) starts on
// another screen and is rendered by the widget alone.

const assets = new URL("./widget/", import.meta.url);
/**
 * This build's wasm, glue and split modules: a directory named by their contents
 * (`scripts/build-widget` sets PORTCULLIS_BUILD), so that a page never mixes the
 * modules of two deploys.
 */
const runtimeAssets = new URL(`${PORTCULLIS_BUILD}/`, assets);

/** The languages with a catalogue in widget/locales/ (built into the build's locales/). */
const LOCALES = [
  "ar", "bg", "ca", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr", "he",
  "hi", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "nb", "nl", "pl", "pt-BR",
  "pt-PT", "ro", "ru", "sk", "sl", "sr", "sv", "th", "tr", "uk", "vi", "zh-CN", "zh-TW",
];
const RIGHT_TO_LEFT = new Set(["ar", "fa", "he"]);
/** Tags that name a language Portcullis speaks under another tag. */
const ALIASES = {
  iw: "he", no: "nb", nn: "nb", pt: "pt-BR", zh: "zh-CN", "zh-hans": "zh-CN",
  "zh-sg": "zh-CN", "zh-hant": "zh-TW", "zh-hk": "zh-TW", "zh-mo": "zh-TW",
};
const byLowerCase = new Map(LOCALES.map((tag) => [tag.toLowerCase(), tag]));

/**
 * The first of `wanted` (BCP 47 tags, most wanted first) that Portcullis speaks, trying
 * each tag and then ever shorter prefixes of it (zh-Hant-TW, zh-Hant, zh); English if
 * none.
 */
function negotiate(wanted) {
  for (const tag of wanted) {
    if (typeof tag !== "string") continue;
    const subtags = tag.trim().toLowerCase().replaceAll("_", "-").split("-");
    for (let n = subtags.length; n > 0; n--) {
      const prefix = subtags.slice(0, n).join("-");
      const found = byLowerCase.get(prefix) ?? byLowerCase.get(ALIASES[prefix]?.toLowerCase());
      if (found) return found;
    }
  }
  return "en";
}

const catalogues = new Map();
/** The catalogue (JSON text) for `lang`, fetched once per page; undefined for English. */
function loadMessages(lang) {
  if (lang === "en") return Promise.resolve(undefined);
  if (!catalogues.has(lang)) {
    const url = new URL(`locales/${lang}.json`, runtimeAssets);
    const text = fetch(url).then((response) => {
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      return response.text();
    });
    catalogues.set(lang, text);
  }
  return catalogues.get(lang).catch((error) => {
    console.warn(`portcullis: the ${lang} messages could not be loaded; showing English:`, error);
    return undefined;
  });
}
const defaultIssuer = new URL(import.meta.url).origin;

let runtime;
/**
 * The widget's wasm and glue, loaded once per page. Its files are all asked for at once
 * (the module loader beside the glue is otherwise found only once the glue has arrived),
 * and the modules of the password step, the one most sign-ins go to next, as the main
 * module's last bytes arrive (see `packAfter`): the step then shows as soon as the edge
 * answers the address.
 */
function loadRuntime() {
  runtime ??= (async () => {
    const splitLoader = import(new URL("__wasm_split.js", runtimeAssets).href);
    const fetchAhead = () => splitLoader.then((split) => split.fetchAhead()).catch(() => {});
    const wasm = fetch(new URL("portcullis-widget_bg.wasm", runtimeAssets)).then((response) =>
      packAfter(response, fetchAhead),
    );
    wasm.catch(() => {});
    const [glue] = await Promise.all([import(new URL("portcullis-widget.js", runtimeAssets).href), splitLoader]);
    await glue.default({ module_or_path: wasm });
    return glue;
  })();
  return runtime;
}

/**
 * The main module's response, passed through as it arrives; `start` (fetching the
 * password step's pack) runs once most of it is in. On a slow link the main module then
 * has the link to itself, and the pack arrives while the address makes its round trip
 * to the edge. At once if the response cannot be followed.
 */
function packAfter(response, start) {
  const expected = typeof PORTCULLIS_MAIN_BYTES === "number" ? PORTCULLIS_MAIN_BYTES : 0;
  if (!response.ok || !response.body || !(expected > 0) || typeof TransformStream !== "function") {
    start();
    return response;
  }
  let seen = 0;
  let started = false;
  const follow = new TransformStream({
    transform(chunk, controller) {
      seen += chunk.byteLength;
      if (!started && seen >= expected * 0.85) {
        started = true;
        start();
      }
      controller.enqueue(chunk);
    },
    flush() {
      if (!started) start();
    },
  });
  return new Response(response.body.pipeThrough(follow), {
    headers: { "content-type": "application/wasm" },
  });
}

/**
 * The first screen the edge rendered for this client, language and theme:
 * {config, lang, dir, html, css?}; undefined when it cannot be had (the widget then
 * renders everything itself).
 */
async function loadFirstScreen(issuer, clientId, lang, theme) {
  const url = new URL(`/v1/clients/${encodeURIComponent(clientId)}/first-screen`, issuer);
  url.searchParams.set("lang", lang);
  if (theme) url.searchParams.set("theme", theme);
  try {
    const response = await fetch(url, { priority: "high" });
    if (response.ok) return await response.json();
    console.warn(`portcullis: ${url} answered ${response.status}; the widget renders the first screen`);
  } catch (error) {
    console.warn("portcullis: the first screen could not be loaded; the widget renders it:", error);
  }
  return undefined;
}

const base64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");

/**
 * Passkeys in the email field's autofill menu from the moment the edge's first screen
 * shows, before the widget's wasm has arrived: the loader starts the flow (embedded, with
 * a PKCE pair; hosted, the page's own), asks the edge for usernameless options and makes
 * the conditional request (WebAuthn §5.1.4, `mediation: "conditional"`). The widget
 * adopts the request when it is ready (the flow, the verifier, and the credential the
 * person picks meanwhile) and withdraws it like its own, through `controller`.
 * `ready` gives undefined where the browser cannot offer passkeys in autofill; none is
 * started where the page turned autofill off or is back from a sign-in provider (the
 * widget resumes that flow instead).
 */
function startAutofill(issuer, options, lang, config) {
  if (options.passkeyAutofill === false || options.resetToken) return undefined;
  if (/portcullis_federation/.test(`${location.search}${location.hash}`)) return undefined;
  const credentials = globalThis.PublicKeyCredential;
  if (!navigator.credentials || !credentials?.parseRequestOptionsFromJSON || !credentials.parseCreationOptionsFromJSON) return undefined;
  if (!credentials.isConditionalMediationAvailable) return undefined;
  // The scope the widget asks for (session.rs, flow_scope): where it manages passkeys,
  // the account API's too. The widget adopts the flow only if it is the same.
  const scope = (options.scope ?? "openid profile email").split(/\s+/).filter(Boolean);
  if (config?.account_api) {
    for (const extra of ["account", "offline_access"]) if (!scope.includes(extra)) scope.push(extra);
  }
  const controller = new AbortController();
  const { signal } = controller;
  const hosted = typeof options.flow === "string";
  const call = async (path, body) => {
    const response = await fetch(new URL(path, issuer), {
      method: "POST",
      mode: "cors",
      credentials: hosted ? "same-origin" : "omit",
      headers: { "content-type": "application/json", "accept-language": lang },
      body: JSON.stringify(body),
      signal,
    });
    if (!response.ok) throw new Error(`${path} answered ${response.status}`);
    return response.json();
  };
  const ready = (async () => {
    if (!(await credentials.isConditionalMediationAvailable())) return undefined;
    let flowId = options.flow;
    let verifier;
    if (!hosted) {
      verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
      const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
      const started = await call("/v1/flows", {
        client_id: options.clientId,
        code_challenge: challenge,
        code_challenge_method: "S256",
        scope: scope.join(" "),
      });
      flowId = started.flow_id;
    }
    const { publicKey } = await call(`/v1/flows/${encodeURIComponent(flowId)}/passkey/options`, {});
    signal.throwIfAborted();
    const credential = navigator.credentials
      .get({ mediation: "conditional", publicKey: credentials.parseRequestOptionsFromJSON(publicKey), signal })
      .then((picked) => ({ json: JSON.stringify(picked.toJSON()), id: picked.id }));
    // Read by the widget; a withdrawn request is not an unhandled rejection meanwhile.
    credential.catch(() => {});
    return { flowId, verifier, scope: hosted ? undefined : scope.join(" "), rpId: publicKey.rpId ?? location.hostname, credential };
  })().catch((error) => {
    if (!signal.aborted) console.warn("portcullis: passkey autofill waits for the widget:", error);
    return undefined;
  });
  return { controller, ready };
}

let htmlPolicy;
/**
 * The edge's first screen as HTML the page lets in. A page that enforces Trusted Types
 * (`require-trusted-types-for 'script'`) takes it through the `portcullis` policy, which
 * it allows by naming it (`trusted-types portcullis`): the HTML is the edge's rendering
 * of fixed views, and is inserted as sent. Undefined where the page allows no such
 * policy; the widget then renders the first screen itself.
 */
function firstScreenHtml(html) {
  if (!globalThis.trustedTypes?.createPolicy) return html;
  try {
    htmlPolicy ??= trustedTypes.createPolicy("portcullis", { createHTML: (sent) => sent });
    return htmlPolicy.createHTML(html);
  } catch (error) {
    console.warn("portcullis: the page allows no 'portcullis' Trusted Types policy; the widget renders the first screen:", error);
    return undefined;
  }
}

/**
 * Holds the clicks (and Enter) that land on the edge's first screen before the widget
 * can act on them: the default action (a form submission that would reload the page) is
 * stopped, and the last button pressed remembered. Returns a function that stops holding
 * and gives that button, to be clicked again once the widget is ready.
 */
function holdEarlyActions(container) {
  let pressed;
  const onClick = (event) => {
    const button = event.target instanceof Element ? event.target.closest("button") : null;
    if (!button || !container.contains(button)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    pressed = button;
  };
  const onSubmit = (event) => {
    event.preventDefault();
    event.stopImmediatePropagation();
    pressed = event.submitter ?? event.target.querySelector('button[type="submit"]') ?? pressed;
  };
  container.addEventListener("click", onClick, true);
  container.addEventListener("submit", onSubmit, true);
  return () => {
    container.removeEventListener("click", onClick, true);
    container.removeEventListener("submit", onSubmit, true);
    return pressed;
  };
}

function fail(host, error) {
  console.error("portcullis: the sign-in widget could not start:", error);
  host.dispatchEvent(
    new CustomEvent("portcullis:error", {
      bubbles: true,
      composed: true,
      detail: { code: "widget_load_failed", message: String(error) },
    }),
  );
}

/** Runs `work` when the browser is idle (or after 2 s at the latest). */
function whenIdle(work) {
  if (typeof requestIdleCallback === "function") requestIdleCallback(work, { timeout: 2000 });
  else setTimeout(work, 200);
}

const themes = new WeakMap();

/**
 * Gives the widget on `element` its theme: a constructed stylesheet (allowed under a CSP
 * without 'unsafe-inline') adopted by the shadow root, or in light DOM by the document,
 * where its rules match only this element (marked data-pc-themed).
 */
function adoptTheme(element, root, css) {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  const owner = root instanceof ShadowRoot ? root : element.ownerDocument;
  if (owner === element.ownerDocument) element.setAttribute("data-pc-themed", "");
  const previous = themes.get(element);
  owner.adoptedStyleSheets = [...owner.adoptedStyleSheets.filter((s) => s !== previous), sheet];
  themes.set(element, sheet);
}

/**
 * Mounts the widget into `element`.
 * @param {HTMLElement} element where the widget renders (into a shadow root unless
 *   options.dom is "light")
 * @param {{clientId: string, issuer?: string, flow?: string, mode?: "account", loginHint?: string,
 *   scope?: string, passkeyAutofill?: boolean, dom?: "shadow" | "light",
 *   resetToken?: string, theme?: string, lang?: string}} options
 * @returns {Promise<{signOut(): void}>}
 */
export async function mount(element, options) {
  if (!options || !options.clientId) {
    throw new TypeError("portcullis: mount() needs options.clientId");
  }
  const root =
    options.dom === "light" ? element : (element.shadowRoot ?? element.attachShadow({ mode: "open" }));
  // `lang` may list several tags, most wanted first (OpenID Connect ui_locales).
  const asked = typeof options.lang === "string" ? options.lang.split(/[\s,]+/) : [];
  const wanted = [...asked, ...(navigator.languages ?? [navigator.language])];
  const lang = negotiate(wanted);
  const issuer = options.issuer ?? defaultIssuer;
  const style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = new URL("widget.css", assets).href;
  const container = document.createElement("div");
  container.className = "pc-root";
  container.setAttribute("part", "container");
  root.replaceChildren(style, container);
  let release;
  try {
    // The first screen is asked for first and at high priority: it is small, and shows
    // while the rest arrives. The wasm and the messages are asked for at the same time,
    // so that the widget is ready sooner after it.
    const screenLoad = options.resetToken
      ? undefined
      : loadFirstScreen(issuer, options.clientId, lang, options.theme);
    const rest = Promise.all([loadRuntime(), loadMessages(lang)]);
    // Awaited below; a failure meanwhile is not an unhandled one.
    rest.catch(() => {});
    let screen = await screenLoad;
    const html = screen && firstScreenHtml(screen.html);
    if (html === undefined) screen = undefined;
    // Asked for once the first screen, with its email field, is there to show it.
    const autofill = screen ? startAutofill(issuer, options, lang, screen.config) : undefined;
    if (screen) {
      container.lang = screen.lang;
      container.dir = screen.dir;
      if (screen.css) adoptTheme(element, root, screen.css);
      // Exactly as sent: its comments mark where the widget's views hydrate.
      container.innerHTML = html;
      const email = container.querySelector("#pc-email");
      if (email && options.loginHint) email.value = options.loginHint;
      release = holdEarlyActions(container);
    }
    const [glue, catalogue] = await rest;
    const shown = catalogue === undefined ? "en" : lang;
    container.lang = shown;
    container.dir = RIGHT_TO_LEFT.has(shown) ? "rtl" : "ltr";
    // The screens after the first load from their own modules: fetch them once the
    // first screen shows and the browser is idle, or at the person's first touch of the
    // widget if that comes sooner, so that the next step needs no round trip of its own.
    let prefetched = false;
    const prefetch = () => {
      if (prefetched) return;
      prefetched = true;
      glue.prefetch();
    };
    element.addEventListener("portcullis:ready", () => whenIdle(prefetch), { once: true });
    for (const first of ["focusin", "pointerdown", "keydown"]) {
      element.addEventListener(first, prefetch, { once: true });
    }
    const settings = {
      issuer,
      clientId: options.clientId,
      flow: options.flow,
      mode: options.mode,
      loginHint: options.loginHint,
      scope: options.scope,
      passkeyAutofill: options.passkeyAutofill !== false,
      resetToken: options.resetToken,
      theme: options.theme,
      lang: shown,
      messages: catalogue,
      applyTheme: (css) => adoptTheme(element, root, css),
      autofill,
    };
    if (!screen) return glue.mount(container, element, settings);
    // What the person typed meanwhile is the widget's starting address.
    const typed = container.querySelector("#pc-email")?.value;
    if (typed) settings.loginHint = typed;
    const pressed = release();
    release = undefined;
    if (shown !== screen.lang) {
      // Its words did not load: the widget renders the first screen in English instead.
      container.replaceChildren();
      return glue.mount(container, element, settings);
    }
    const widget = glue.hydrate(container, element, { ...settings, config: JSON.stringify(screen.config) });
    pressed?.click();
    return widget;
  } catch (error) {
    release?.();
    fail(element, error);
    throw error;
  }
}

class PortcullisSignin extends HTMLElement {
  #widget;

  connectedCallback() {
    // Once: moving the element around the page does not mount it again.
    if (this.#widget || this.shadowRoot) return;
    const clientId = this.getAttribute("client-id");
    if (!clientId) {
      fail(this, new Error('<portcullis-signin> needs a client-id="…" attribute'));
      return;
    }
    const attr = (name) => this.getAttribute(name) ?? undefined;
    this.#widget = mount(this, {
      clientId,
      issuer: attr("issuer"),
      flow: attr("flow"),
      mode: attr("mode"),
      loginHint: attr("login-hint"),
      scope: attr("scope"),
      passkeyAutofill: this.getAttribute("passkey-autofill") !== "off",
      dom: this.getAttribute("dom") === "light" ? "light" : "shadow",
      resetToken: attr("reset-token"),
      theme: attr("theme"),
      lang: attr("lang"),
    });
    this.#widget.catch(() => {});
  }

  /** Signs the person out of the widget and dispatches portcullis:signed-out. */
  async signOut() {
    (await this.#widget)?.signOut();
  }
}

if (!customElements.get("portcullis-signin")) {
  customElements.define("portcullis-signin", PortcullisSignin);
}
