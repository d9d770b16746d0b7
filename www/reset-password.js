// The password reset page: reads the token and client from the emailed link and puts the
// widget on the page in reset mode ("Choose a new password"). No inline script, so the
// page's CSP can forbid inline code.
import { problem, TOKEN } from "./hosted-page.js";

const main = document.getElementById("main");
const query = new URLSearchParams(window.location.search);
const token = query.get("token");
const clientId = query.get("client_id");
// The language the reset email was written in.
const lang = query.get("lang");

if (!token || !clientId || !TOKEN.test(token) || !TOKEN.test(clientId)) {
  main.append(
    problem(
      "This reset link is incomplete",
      "Open the link from your password reset email again. If it still does not work, ask for a new one from the sign-in page.",
    ),
  );
} else {
  const widget = document.createElement("portcullis-signin");
  widget.setAttribute("client-id", clientId);
  widget.setAttribute("reset-token", token);
  // The edge's own page, as /signin: light DOM, so that password managers offer to save
  // the new password.
  widget.setAttribute("dom", "light");
  if (lang) widget.setAttribute("lang", lang);
  main.append(widget);
}
