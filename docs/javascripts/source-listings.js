// The API reference's source listings arrive inside a <noscript> in their <details>
// (scribbles_site/html.py, _defer_listing): with scripting on, that is one piece
// of text, not thousands of elements to style and lay out while the page loads. When a
// listing is opened, its HTML takes the place of the <noscript>. A page that came by
// Material's instant navigation was parsed without scripting: there the <noscript> holds
// elements already, which are moved out of it.
function revealListing(details) {
  const holder = details.querySelector(":scope > noscript.scribbles-listing");
  if (!holder) return;
  const template = document.createElement("template");
  template.innerHTML = holder.children.length ? holder.innerHTML : holder.textContent;
  holder.replaceWith(template.content);
  details.dispatchEvent(new Event("scribbles:content", { bubbles: true })); // katex-init.js
}

document.addEventListener(
  "toggle",
  (event) => {
    if (event.target instanceof HTMLDetailsElement && event.target.open) revealListing(event.target);
  },
  true, // `toggle` does not bubble
);

// A listing opened before this script ran, or opened by the browser's find-in-page.
document$.subscribe(({ body }) => {
  for (const details of body.querySelectorAll("details[open]")) revealListing(details);
});
