//! The browser's WebAuthn client (Web Authentication Level 3), as the widget uses it.
//!
//! The edge sends options as `PublicKeyCredential*OptionsJSON` (§5.1.4.1, §5.1.5.1) and
//! takes `credential.toJSON()` back, so the widget never handles the binary members
//! itself: the browser's own `parse*OptionsFromJSON` and `toJSON` convert them. That keeps
//! a WebAuthn types crate out of the widget's wasm.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

#[wasm_bindgen]
extern "C" {
    /// Credential Management Level 1 §2.3.1 `navigator.credentials.get(options)`.
    #[wasm_bindgen(js_namespace = ["navigator", "credentials"], js_name = get, catch)]
    fn credentials_get(options: &js_sys::Object) -> Result<js_sys::Promise, JsValue>;

    /// Credential Management Level 1 §2.3.1 `navigator.credentials.create(options)`.
    #[wasm_bindgen(js_namespace = ["navigator", "credentials"], js_name = create, catch)]
    fn credentials_create(options: &js_sys::Object) -> Result<js_sys::Promise, JsValue>;

    /// §5.1.10 `parseRequestOptionsFromJSON`.
    #[wasm_bindgen(js_namespace = PublicKeyCredential, js_name = parseRequestOptionsFromJSON, catch)]
    fn parse_request_options(json: &JsValue) -> Result<JsValue, JsValue>;

    /// §5.1.9 `parseCreationOptionsFromJSON`.
    #[wasm_bindgen(js_namespace = PublicKeyCredential, js_name = parseCreationOptionsFromJSON, catch)]
    fn parse_creation_options(json: &JsValue) -> Result<JsValue, JsValue>;

    /// §5.1.7 `getClientCapabilities()`.
    #[wasm_bindgen(js_namespace = PublicKeyCredential, js_name = getClientCapabilities, catch)]
    fn get_client_capabilities() -> Result<js_sys::Promise, JsValue>;

    /// §5.1.6 `isConditionalMediationAvailable()`, for browsers without capabilities.
    #[wasm_bindgen(js_namespace = PublicKeyCredential, js_name = isConditionalMediationAvailable, catch)]
    fn is_conditional_mediation_available() -> Result<js_sys::Promise, JsValue>;

    /// §5.1.11 Signal API.
    #[wasm_bindgen(js_namespace = PublicKeyCredential, js_name = signalUnknownCredential, catch)]
    fn signal_unknown_credential(options: &js_sys::Object) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = PublicKeyCredential, js_name = signalAllAcceptedCredentials, catch)]
    fn signal_all_accepted_credentials(
        options: &js_sys::Object,
    ) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = PublicKeyCredential, js_name = signalCurrentUserDetails, catch)]
    fn signal_current_user_details(options: &js_sys::Object) -> Result<js_sys::Promise, JsValue>;

    /// A `PublicKeyCredential` the browser returned (named apart from the class, whose
    /// static functions are above).
    type NewCredential;

    #[wasm_bindgen(method, getter)]
    fn id(this: &NewCredential) -> String;

    /// §5.1.8 `toJSON()`: the credential with its binary members base64url-encoded.
    #[wasm_bindgen(method, js_name = toJSON, catch)]
    fn to_json(this: &NewCredential) -> Result<JsValue, JsValue>;
}

/// What this browser can do with passkeys, detected once when the widget mounts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// WebAuthn with the JSON helpers: without them the widget shows no passkey UI.
    pub passkeys: bool,
    /// Passkeys can be offered in the autofill menu (conditional mediation).
    pub autofill: bool,
    /// This device can make a passkey without a security key (a platform authenticator,
    /// or a phone over the hybrid transport): worth offering one after a password sign-in.
    pub easy_to_create: bool,
    pub signal_unknown: bool,
    pub signal_all_accepted: bool,
    pub signal_user_details: bool,
}

impl Capabilities {
    /// What a first screen rendered on the edge assumes, the same for every browser so
    /// that the widget hydrates the markup it was sent: the passkey button shows (most
    /// browsers have WebAuthn with its JSON helpers), autofill waits for detection.
    pub const FIRST_PAINT: Capabilities = Capabilities {
        passkeys: true,
        autofill: false,
        easy_to_create: false,
        signal_unknown: false,
        signal_all_accepted: false,
        signal_user_details: false,
    };

    /// §5.1.7: `getClientCapabilities()` where the browser has it; otherwise the older
    /// single-purpose checks.
    pub async fn detect() -> Capabilities {
        let Some(class) = member(&js_sys::global(), "PublicKeyCredential") else {
            return Capabilities::default();
        };
        let has = |name: &str| member(&class, name).is_some_and(|f| f.is_function());
        let credentials = member(&js_sys::global(), "navigator")
            .and_then(|navigator| member(&navigator, "credentials"))
            .is_some();
        if !(credentials
            && has("parseRequestOptionsFromJSON")
            && has("parseCreationOptionsFromJSON"))
        {
            return Capabilities::default();
        }
        let signals = Capabilities {
            passkeys: true,
            autofill: false,
            easy_to_create: true,
            signal_unknown: has("signalUnknownCredential"),
            signal_all_accepted: has("signalAllAcceptedCredentials"),
            signal_user_details: has("signalCurrentUserDetails"),
        };
        if has("getClientCapabilities") {
            if let Some(caps) = settle(get_client_capabilities()).await {
                let yes = |key: &str| member(&caps, key).and_then(|v| v.as_bool()) == Some(true);
                return Capabilities {
                    autofill: yes("conditionalGet"),
                    easy_to_create: yes("passkeyPlatformAuthenticator") || yes("hybridTransport"),
                    signal_unknown: signals.signal_unknown && yes("signalUnknownCredential"),
                    signal_all_accepted: signals.signal_all_accepted
                        && yes("signalAllAcceptedCredentials"),
                    signal_user_details: signals.signal_user_details
                        && yes("signalCurrentUserDetails"),
                    ..signals
                };
            }
        }
        let autofill = has("isConditionalMediationAvailable")
            && settle(is_conditional_mediation_available())
                .await
                .and_then(|v| v.as_bool())
                == Some(true);
        Capabilities {
            autofill,
            ..signals
        }
    }
}

/// Why the browser's half of a ceremony did not produce a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    /// `NotAllowedError`: the person cancelled, the request timed out, or (on purpose
    /// indistinguishably, §13.5.7) this device has no matching passkey.
    Cancelled,
    /// `InvalidStateError` on create: an excluded credential is on this authenticator,
    /// i.e. the device already holds a passkey for this account.
    AlreadyRegistered,
    /// `AbortError`: the widget withdrew the request itself.
    Aborted,
    /// `SecurityError`, `NotSupportedError`, or no WebAuthn at all: not on this page.
    Unsupported,
    /// Anything else, including options the browser could not parse.
    Failed,
}

impl Ceremony {
    fn from_error(error: &JsValue) -> Ceremony {
        match member(error, "name")
            .and_then(|name| name.as_string())
            .as_deref()
        {
            Some("NotAllowedError") => Ceremony::Cancelled,
            Some("InvalidStateError") => Ceremony::AlreadyRegistered,
            Some("AbortError") => Ceremony::Aborted,
            Some("SecurityError" | "NotSupportedError" | "ReferenceError") => Ceremony::Unsupported,
            _ => Ceremony::Failed,
        }
    }
}

/// Options from the edge (`{"publicKey": …OptionsJSON}`), still in their JSON form.
pub struct Options {
    json: JsValue,
    /// The relying party the options name, for the Signal API.
    pub rp_id: String,
}

impl Options {
    /// Reads a `/v1` options response; `None` without a `publicKey` object.
    pub fn from_response(body: &JsValue) -> Option<Options> {
        let json = member(body, "publicKey").filter(JsValue::is_object)?;
        // Request options carry `rpId`, creation options `rp.id`; either may be left out,
        // and then the RP ID is the page's effective domain (§5.1.3 step 8, §5.1.4.1).
        let rp_id = member(&json, "rpId")
            .or_else(|| member(&json, "rp").and_then(|rp| member(&rp, "id")))
            .and_then(|id| id.as_string())
            .or_else(|| web_sys::window()?.location().hostname().ok())
            .unwrap_or_default();
        Some(Options { json, rp_id })
    }
}

/// A credential the browser produced, ready for the edge.
pub struct Credential {
    /// `credential.toJSON()` serialised.
    pub json: String,
    /// `credential.id`, base64url.
    pub id: String,
}

/// How a `get` is mediated (Credential Management §2.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mediation {
    /// A dialog the person opened with a button.
    Modal,
    /// The autofill menu of the field with `autocomplete="… webauthn"`.
    Conditional,
}

/// §5.1.4 authentication: `navigator.credentials.get()` with the edge's options.
pub async fn get(
    options: &Options,
    mediation: Mediation,
    signal: Option<&AbortSignal>,
) -> Result<Credential, Ceremony> {
    let public_key = parse_request_options(&options.json).map_err(|e| Ceremony::from_error(&e))?;
    let request = js_sys::Object::new();
    set(&request, "publicKey", &public_key);
    if mediation == Mediation::Conditional {
        set(&request, "mediation", &"conditional".into());
    }
    if let Some(signal) = signal {
        set(&request, "signal", signal);
    }
    finish(credentials_get(&request)).await
}

/// §5.1.3 registration: `navigator.credentials.create()` with the edge's options.
pub async fn create(options: &Options) -> Result<Credential, Ceremony> {
    let public_key = parse_creation_options(&options.json).map_err(|e| Ceremony::from_error(&e))?;
    let request = js_sys::Object::new();
    set(&request, "publicKey", &public_key);
    finish(credentials_create(&request)).await
}

async fn finish(promise: Result<js_sys::Promise, JsValue>) -> Result<Credential, Ceremony> {
    let promise = promise.map_err(|e| Ceremony::from_error(&e))?;
    let credential = JsFuture::from(promise)
        .await
        .map_err(|e| Ceremony::from_error(&e))?;
    if credential.is_null() || credential.is_undefined() {
        return Err(Ceremony::Cancelled);
    }
    let credential: NewCredential = credential.unchecked_into();
    let json = credential
        .to_json()
        .ok()
        .and_then(|json| js_sys::JSON::stringify(&json).ok())
        .and_then(|json| json.as_string())
        .ok_or(Ceremony::Failed)?;
    Ok(Credential {
        json,
        id: credential.id(),
    })
}

/// §5.1.11.1: tells the passkey provider that the relying party does not know this
/// credential (deleted from the account), so it can hide or remove it.
pub fn forget_unknown(caps: Capabilities, rp_id: &str, credential_id: &str) {
    if !caps.signal_unknown {
        return;
    }
    let options = js_sys::Object::new();
    set(&options, "rpId", &rp_id.into());
    set(&options, "credentialId", &credential_id.into());
    ignore(signal_unknown_credential(&options));
}

/// §5.1.11.2 and §5.1.11.3: the account's current passkeys and names, so the provider
/// can hide deleted passkeys and show the right account name.
pub fn sync_account(
    caps: Capabilities,
    rp_id: &str,
    user_id: &str,
    name: &str,
    display_name: &str,
    ids: &[&str],
) {
    if caps.signal_all_accepted {
        let options = js_sys::Object::new();
        set(&options, "rpId", &rp_id.into());
        set(&options, "userId", &user_id.into());
        let list: js_sys::Array = ids.iter().map(|id| JsValue::from_str(id)).collect();
        set(&options, "allAcceptedCredentialIds", &list);
        ignore(signal_all_accepted_credentials(&options));
    }
    if caps.signal_user_details {
        let options = js_sys::Object::new();
        set(&options, "rpId", &rp_id.into());
        set(&options, "userId", &user_id.into());
        set(&options, "name", &name.into());
        set(&options, "displayName", &display_name.into());
        ignore(signal_current_user_details(&options));
    }
}

/// A signal is a hint to the provider: its outcome changes nothing for the person, but
/// a rejected promise must not surface as an unhandled rejection.
fn ignore(promise: Result<js_sys::Promise, JsValue>) {
    if let Ok(promise) = promise {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(promise).await;
        });
    }
}

async fn settle(promise: Result<js_sys::Promise, JsValue>) -> Option<JsValue> {
    JsFuture::from(promise.ok()?).await.ok()
}

fn member(object: &JsValue, key: &str) -> Option<JsValue> {
    js_sys::Reflect::get(object, &JsValue::from_str(key))
        .ok()
        .filter(|value| !value.is_undefined() && !value.is_null())
}

fn set(object: &js_sys::Object, key: &str, value: &JsValue) {
    // Setting a data property on a plain object cannot fail.
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), value);
}
