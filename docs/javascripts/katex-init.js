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

const whenIdle =
  window.requestIdleCallback || ((callback) => setTimeout(() => callback({ timeRemaining: () => 8 }), 1));

// Accessibility (axe "scrollable-region-focusable"): a table or formula wider than the
// column scrolls sideways; make such a region reachable with the keyboard. Measuring a
// region lays out its block (blocks far from the screen are skipped by
// `content-visibility`), so regions are measured in idle time, a few at a time, never in
// one long task. Resolves when every region has been checked.
function focusableScrollRegions(body) {
  const regions = [...body.querySelectorAll(".md-typeset__scrollwrap, .katex-display, div.arithmatex")]
    .filter((region) => !region.hasAttribute("tabindex"));
  return new Promise((resolve) => {
    const step = (deadline) => {
      while (regions.length && deadline.timeRemaining() > 2) {
        const region = regions.shift();
        if (region.scrollWidth > region.clientWidth) region.tabIndex = 0;
      }
      if (regions.length) whenIdle(step);
      else resolve();
    };
    whenIdle(step);
  });
}

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
