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
// column scrolls sideways; make such a region reachable with the keyboard, and only such
// a region. Widths are read in a ResizeObserver callback, which the browser calls right
// after it has laid the page out, so reading them costs nothing (read at any other time,
// each could force a layout of the whole page). The same callback follows later changes
// of width (a window resized, a tab switched, a <details> opened). Resolves once the
// regions on display have been checked.
//
// Code blocks too: Material mounts a code block (and makes it focusable if it overflows)
// only once it is on the screen (feature `content.lazy`, which spares the page one forced
// layout per block while it loads); until then this observer has done it.
const SCROLL_REGIONS = ".md-typeset__scrollwrap, .katex-display, div.arithmatex, pre > code";
let regionObserver = null;

function focusableScrollRegions(body) {
  regionObserver?.disconnect(); // regions of the page before an instant navigation
  const regions = [...body.querySelectorAll(SCROLL_REGIONS)];
  if (regions.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    regionObserver = new ResizeObserver((entries) => {
      for (const { target } of entries) {
        const overflows = target.scrollWidth > target.clientWidth;
        const ours = "scribblesScroll" in target.dataset; // a tabindex we set, not the author
        if (overflows && !target.hasAttribute("tabindex")) {
          target.tabIndex = 0;
          target.dataset.scribblesScroll = "";
        } else if (!overflows && ours) {
          target.removeAttribute("tabindex");
          delete target.dataset.scribblesScroll;
        }
      }
      resolve(); // the first call reports every region being rendered
    });
    for (const region of regions) regionObserver.observe(region);
    // Regions not rendered (in a closed <details>) are reported only once shown; when no
    // region is rendered, there is no first call: the frame after this one ends the wait.
    requestAnimationFrame(() => setTimeout(resolve));
  });
}

// Content added later (an API source listing, opened) is watched as well.
document.addEventListener("scribbles:content", (event) => {
  for (const region of event.target.querySelectorAll(SCROLL_REGIONS)) regionObserver?.observe(region);
});

// `document$` is Material's observable: it fires on first load and after each instant
// navigation.
document$.subscribe(async ({ body }) => {
  try {
    await renderRemainingMath(body);
  } finally {
    await focusableScrollRegions(body);
    document.body.dataset.mathRendered = "true"; // lets the browser tests wait for it
  }
});
