// Switches the demo widget between the theme presets live: the `theme` attribute is read
// when the element connects, so each choice mounts a fresh widget with it.

const stage = document.getElementById("stage");
const showing = document.getElementById("showing");

function show(preset) {
  const widget = document.createElement("portcullis-signin");
  widget.setAttribute("client-id", "demo");
  widget.setAttribute("theme", preset);
  // Passkey autofill belongs to the demo's sign-in page, not to a style preview.
  widget.setAttribute("passkey-autofill", "off");
  stage.replaceChildren(widget);
  const label = document.querySelector(`input[value="${preset}"]`).parentElement.textContent.trim();
  showing.textContent = `Showing the ${label} theme.`;
}

document.getElementById("presets").addEventListener("change", (event) => show(event.target.value));
show(document.querySelector('input[name="preset"]:checked').value);
