// Lists the development mailbox's messages to one address (GET /v1/dev/mailbox?to=…),
// newest first: each message's subject, time, text with its links, and its HTML part
// in a sandboxed frame (no scripts, no same-origin access).

const form = document.getElementById("lookup");
const input = document.getElementById("to");
const status = document.getElementById("status");
const list = document.getElementById("messages");

const params = new URLSearchParams(location.search);
if (params.get("to")) input.value = params.get("to");

function linkify(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(/https?:\/\/\S+/g)) {
    fragment.append(text.slice(last, match.index));
    const a = document.createElement("a");
    a.href = match[0];
    a.textContent = match[0];
    fragment.append(a);
    last = match.index + match[0].length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

function render(message) {
  const item = document.createElement("li");
  const article = document.createElement("article");
  const title = document.createElement("h2");
  title.textContent = message.subject;
  const meta = document.createElement("p");
  meta.className = "meta";
  meta.textContent = `To ${message.to} · ${new Date(message.created_at * 1000).toLocaleString()}`;
  const text = document.createElement("pre");
  text.append(linkify(message.text));
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = "HTML version";
  const frame = document.createElement("iframe");
  frame.title = `HTML version of “${message.subject}”`;
  frame.setAttribute("sandbox", "");
  frame.srcdoc = message.html;
  details.append(summary, frame);
  article.append(title, meta, text, details);
  item.append(article);
  return item;
}

async function show(to) {
  status.textContent = "Loading…";
  list.replaceChildren();
  const response = await fetch(`/v1/dev/mailbox?to=${encodeURIComponent(to)}`);
  if (response.status === 404) {
    status.textContent = "This deployment has no development mailbox: its mail is really sent.";
    return;
  }
  const body = await response.json();
  if (!response.ok) {
    status.textContent = body.message ?? "The mailbox could not be read.";
    return;
  }
  status.textContent = body.messages.length
    ? `${body.messages.length} message${body.messages.length === 1 ? "" : "s"} to ${to}.`
    : `No messages to ${to} yet.`;
  list.replaceChildren(...body.messages.map(render));
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const to = input.value.trim();
  history.replaceState(null, "", `?to=${encodeURIComponent(to)}`);
  show(to).catch(() => (status.textContent = "The mailbox could not be read."));
});

if (input.value) show(input.value.trim()).catch(() => (status.textContent = "The mailbox could not be read."));
