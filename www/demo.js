// What a host page does with the widget: log its events, and after portcullis:signed-in
// show who is signed in, fetched the standard way (OpenID Connect Core §5.3 userinfo with
// the access token), beside the ID token's decoded header and claims. Tokens stay in
// this module's memory: never in localStorage.
const widget = document.getElementById("signin");
const log = document.getElementById("events");
const account = document.getElementById("account");
const userinfo = document.getElementById("userinfo");
const userinfoStatus = document.getElementById("userinfo-status");
const idTokenHeader = document.getElementById("id-token-header");
const idTokenClaims = document.getElementById("id-token-claims");

const EVENTS = ["portcullis:ready", "portcullis:step", "portcullis:error", "portcullis:signed-in", "portcullis:signed-out"];

/** The event's detail with token values replaced: the log shows that they came, not what they are. */
function redacted(detail) {
  if (!detail || typeof detail !== "object") return detail;
  return Object.fromEntries(
    Object.entries(detail).map(([key, value]) => [key, key.endsWith("_token") ? "[redacted]" : value]),
  );
}

for (const name of EVENTS) {
  widget.addEventListener(name, (event) => {
    const item = document.createElement("li");
    item.textContent = `${name} ${JSON.stringify(redacted(event.detail))}`;
    log.append(item);
  });
}

/** Decodes one base64url JWS segment (RFC 7515 §2) as UTF-8 JSON. */
function decodeSegment(segment) {
  const binary = atob(segment.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

function showIdToken(idToken) {
  try {
    const [header, claims] = idToken.split(".");
    idTokenHeader.textContent = JSON.stringify(decodeSegment(header), null, 2);
    idTokenClaims.textContent = JSON.stringify(decodeSegment(claims), null, 2);
  } catch {
    idTokenHeader.textContent = "";
    idTokenClaims.textContent = idToken ? "Not a JWT this page can read." : "No ID token was issued.";
  }
}

async function showUserinfo(accessToken) {
  userinfoStatus.textContent = "Asking /userinfo…";
  userinfo.replaceChildren();
  try {
    const response = await fetch("/userinfo", { headers: { authorization: `Bearer ${accessToken}` } });
    if (!response.ok) {
      const challenge = response.headers.get("www-authenticate");
      userinfoStatus.textContent = `/userinfo answered ${response.status}${challenge ? `: ${challenge}` : ""}`;
      return;
    }
    const claims = await response.json();
    userinfo.replaceChildren(
      ...Object.entries(claims).flatMap(([name, value]) => {
        const term = document.createElement("dt");
        term.textContent = name;
        const definition = document.createElement("dd");
        definition.textContent = typeof value === "string" ? value : JSON.stringify(value);
        return [term, definition];
      }),
    );
    userinfoStatus.textContent = "";
  } catch (error) {
    userinfoStatus.textContent = `Could not reach /userinfo: ${error}`;
  }
}

widget.addEventListener("portcullis:signed-in", (event) => {
  const { access_token: accessToken, id_token: idToken } = event.detail;
  account.hidden = false;
  showIdToken(idToken);
  showUserinfo(accessToken);
});

widget.addEventListener("portcullis:signed-out", () => {
  account.hidden = true;
  userinfo.replaceChildren();
  userinfoStatus.textContent = "";
  idTokenHeader.textContent = "";
  idTokenClaims.textContent = "";
});

// The page's own button signs out through the widget, which announces portcullis:signed-out.
document.getElementById("sign-out").addEventListener("click", () => widget.signOut());
