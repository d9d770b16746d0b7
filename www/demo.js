// Shows the widget's portcullis:* events on the demo page, as a host page would use them.
const list = document.getElementById("events");
for (const name of ["portcullis:ready", "portcullis:step", "portcullis:error", "portcullis:signed-in"]) {
  document.getElementById("signin").addEventListener(name, (event) => {
    const item = document.createElement("li");
    item.textContent = `${name} ${JSON.stringify(event.detail)}`;
    list.append(item);
  });
}
