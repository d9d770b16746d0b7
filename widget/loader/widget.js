// Portcullis widget loader: defines <portcullis-signin> and the mount() API.
//
//   <script type="module" src="https://EDGE/widget.js"></script>
//   <portcullis-signin client-id="demo"></portcullis-signin>
//
// The element renders into its own shadow root, so the page's CSS and the widget's CSS
// stay apart. The wasm starts downloading as soon as this module runs.

const assets = new URL("./widget/", import.meta.url);
const defaultIssuer = new URL(import.meta.url).origin;

let runtime;
function loadRuntime() {
  runtime ??= import(new URL("portcullis-widget.js", assets).href).then(async (glue) => {
    await glue.default({ module_or_path: new URL("portcullis-widget_bg.wasm", assets) });
    return glue;
  });
  return runtime;
}
loadRuntime().catch(() => {});

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

/**
 * Mounts the widget into `element`.
 * @param {HTMLElement} element where the widget renders (it gets a shadow root)
 * @param {{clientId: string, issuer?: string}} options
 */
export async function mount(element, options) {
  if (!options || !options.clientId) {
    throw new TypeError("portcullis: mount() needs options.clientId");
  }
  const root = element.shadowRoot ?? element.attachShadow({ mode: "open" });
  const style = document.createElement("link");
  style.rel = "stylesheet";
  style.href = new URL("widget.css", assets).href;
  const container = document.createElement("div");
  container.setAttribute("part", "container");
  root.replaceChildren(style, container);
  try {
    const glue = await loadRuntime();
    glue.mount(container, element, options.issuer ?? defaultIssuer, options.clientId);
  } catch (error) {
    fail(element, error);
    throw error;
  }
}

class PortcullisSignin extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const clientId = this.getAttribute("client-id");
    if (!clientId) {
      fail(this, new Error('<portcullis-signin> needs a client-id="…" attribute'));
      return;
    }
    mount(this, { clientId, issuer: this.getAttribute("issuer") ?? undefined }).catch(() => {});
  }
}

if (!customElements.get("portcullis-signin")) {
  customElements.define("portcullis-signin", PortcullisSignin);
}
