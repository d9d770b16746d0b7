// The hosted sign-in page: reads the flow that /authorize started from the URL and puts
// the widget on the page in hosted mode. No inline script, so the page's CSP can forbid
// inline code.
import { problem, TOKEN } from "./hosted-page.js";

const main = document.getElementById("main");
const query = new URLSearchParams(window.location.search);
const flow = query.get("flow");
const clientId = query.get("client_id");
const loginHint = query.get("login_hint");
// OpenID Connect ui_locales: the languages the app asked for, most wanted first.
const uiLocales = query.get("ui_locales");

if (!flow || !clientId || !TOKEN.test(flow) || !TOKEN.test(clientId)) {
  main.append(
    problem(
      "This sign-in link is incomplete",
      "Go back to the app or site you came from and choose Sign in again.",
    ),
  );
} else {
  const widget = document.createElement("portcullis-signin");
  widget.setAttribute("client-id", clientId);
  widget.setAttribute("flow", flow);
  // This page is the edge's own, with nothing on it to keep apart from the widget: light
  // DOM, so that browsers that do not autofill inside a shadow root still offer passkeys
  // in the email field.
  widget.setAttribute("dom", "light");
  if (loginHint) widget.setAttribute("login-hint", loginHint);
  if (uiLocales) widget.setAttribute("lang", uiLocales);
  main.append(widget);

  // An expired flow cannot be restarted here: only the app can start another.
  widget.addEventListener("portcullis:error", (event) => {
    if (event.detail?.code !== "flow_not_found" || document.getElementById("expired")) return;
    const hint = document.createElement("p");
    hint.id = "expired";
    hint.className = "hint";
    hint.textContent = "To start again, go back to the app or site you came from and choose Sign in.";
    main.append(hint);
  });
}
