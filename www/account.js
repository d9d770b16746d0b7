// The hosted account page: the widget in account mode (`mode="account"`) for the
// deployment's own first-party client, `portcullis-account`, which the operator registers
// (README, "The account page"). The person signs in on this page (an embedded flow with
// PKCE, tokens kept in this page's memory only) and then manages their whole account. No
// inline script, so the page's CSP can forbid inline code.

/** The client the account page signs people in to. */
const ACCOUNT_CLIENT = "portcullis-account";

const main = document.getElementById("main");
// The language to show, as a link from an app may ask (`?lang=de`); else the browser's.
const lang = new URLSearchParams(window.location.search).get("lang");

const widget = document.createElement("portcullis-signin");
widget.setAttribute("client-id", ACCOUNT_CLIENT);
widget.setAttribute("mode", "account");
// The edge's own page, as /signin: light DOM, so that password managers and passkey
// autofill work in the email field.
widget.setAttribute("dom", "light");
if (lang && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(lang)) widget.setAttribute("lang", lang);
main.append(widget);
