// Math is rendered at build time by KaTeX (hooks/scribbles_hooks.py), so a page built by
// MkDocs needs no math JavaScript. A build without our hooks (Zensical) leaves TeX in
// `.arithmatex` elements: only then are KaTeX's scripts loaded, from this site.
const katexBase = new URL("../assets/katex/", document.currentScript.src);

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = resolve;
    script.onerror = reject;
    document.head.appendChild(script);
  });
}

let katexLoaded = null;

async function renderRemainingMath(body) {
  const raw = [...body.querySelectorAll(".arithmatex")].filter((e) => !e.querySelector(".katex"));
  if (raw.length === 0) return;
  katexLoaded ??= loadScript(new URL("katex.min.js", katexBase)).then(() =>
    loadScript(new URL("contrib/auto-render.min.js", katexBase)),
  );
  await katexLoaded;
  for (const element of raw) {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false,
    });
  }
}

// Accessibility (axe "scrollable-region-focusable"): a table or formula wider than the
// column scrolls sideways; make such a region reachable with the keyboard. All sizes are
// read first and written after, so the page is laid out once, not once per formula.
function focusableScrollRegions(body) {
  const regions = [...body.querySelectorAll(".md-typeset__scrollwrap, .katex-display, div.arithmatex")];
  const overflowing = regions.filter(
    (region) => !region.hasAttribute("tabindex") && region.scrollWidth > region.clientWidth,
  );
  for (const region of overflowing) region.tabIndex = 0;
}

// `document$` is Material's observable: it fires on first load and after each instant
// navigation.
document$.subscribe(async ({ body }) => {
  try {
    await renderRemainingMath(body);
  } finally {
    focusableScrollRegions(body);
    document.body.dataset.mathRendered = "true"; // lets the browser tests wait for it
  }
});
