// Switches the demo widget between the theme presets and languages live: the `theme` and
// `lang` attributes are read when the element connects, so each choice mounts a fresh
// widget with them.

const stage = document.getElementById("stage");
const showing = document.getElementById("showing");
const language = document.getElementById("language");
const preset = () => document.querySelector('input[name="preset"]:checked').value;

function show() {
  const chosen = preset();
  const widget = document.createElement("portcullis-signin");
  widget.setAttribute("client-id", "demo");
  widget.setAttribute("theme", chosen);
  if (language.value) widget.setAttribute("lang", language.value);
  // Passkey autofill belongs to the demo's sign-in page, not to a style preview.
  widget.setAttribute("passkey-autofill", "off");
  stage.replaceChildren(widget);
  const label = document.querySelector(`input[value="${chosen}"]`).parentElement.textContent.trim();
  showing.textContent = `Showing the ${label} theme.`;
}

document.getElementById("presets").addEventListener("change", show);
language.addEventListener("change", show);
show();
