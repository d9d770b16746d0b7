// Shared by the edge's own pages that put the widget on the page from their URL
// (signin.js, reset-password.js).

// Flow handles, reset tokens and client ids are URL-safe; anything else is a mangled link.
export const TOKEN = /^[A-Za-z0-9._~-]{1,255}$/;

/** An alert section saying what is wrong with the page's link. */
export function problem(title, text) {
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
