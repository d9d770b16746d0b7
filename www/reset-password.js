// The password reset page: reads the token and client from the emailed link and puts the
// widget on the page in reset mode ("Choose a new password"). No inline script, so the
// page's CSP can forbid inline code.
const main = document.getElementById("main");
const query = new URLSearchParams(window.location.search);
const token = query.get("token");
const clientId = query.get("client_id");

// Tokens and client ids are URL-safe; anything else is a mangled link.
const TOKEN = /^[A-Za-z0-9._~-]{1,255}$/;

function problem(title, text) {
  const section = document.createElement("section");
  section.className = "problem";
  section.setAttribute("role", "alert");
  const heading = document.createElement("h2");
  heading.textContent = title;
  const paragraph = document.createElement("p");
  paragraph.textContent = text;
  section.append(heading, paragraph);
  return section;
}

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
  main.append(widget);
}
