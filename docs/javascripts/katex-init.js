// Math is rendered at build time by KaTeX (the scribbles plugin), so a page built by
// MkDocs needs no math JavaScript. A build without our plugin (Zensical) leaves TeX in
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

// Whether a region's content is wider than the region. A region inside a block the browser
// skips for now (below) is measured all the same: reading a size there lays out that one
// block. A formula can be such a block itself (`data-scribbles-skip`); its own scroll width
// is then that of an empty box, and its child (the formula, as wide as its content) tells.
// (Only there: a block laid out that way keeps its content in the box of its estimated
// height, and one estimated too short, as the API pages' docstring parts may be, would
// then scroll vertically.)
function overflows(region) {
  const width = region.clientWidth;
  if (region.scrollWidth > width) return true;
  return "scribblesSkip" in region.dataset && [...region.children].some((child) => child.offsetWidth > width);
}

function updateFocusable(region) {
  const wide = overflows(region);
  const ours = "scribblesScroll" in region.dataset; // a tabindex we set, not the author
  if (wide && !region.hasAttribute("tabindex")) {
    region.tabIndex = 0;
    region.dataset.scribblesScroll = "";
  } else if (!wide && ours) {
    if (document.activeElement === region) {
      // not while the reader is on it: once they move on
      region.addEventListener("blur", () => updateFocusable(region), { once: true });
      return;
    }
    region.removeAttribute("tabindex");
    delete region.dataset.scribblesScroll;
  }
}

// Blocks far below the screen are not rendered while the page loads (`content-visibility:
// auto`, see scribbles_site/block_heights.py), and the ResizeObserver reports their regions only
// once they come near the screen. A reader tabbing down the page would pass a wide
// formula there by. So those regions are measured in idle time, a few at a time, and again
// after the window changes size. (A skipped block that is a region itself, a formula, is
// reported by the observer: it has a box, of the estimated height.)
function skippedRegions(body) {
  return [...body.querySelectorAll(`[data-scribbles-skip] :is(${SCROLL_REGIONS})`)].filter(
    (region) => !(region.checkVisibility?.({ contentVisibilityAuto: true }) ?? false),
  );
}

const idle = window.requestIdleCallback ?? ((work) => setTimeout(() => work({ timeRemaining: () => 8 }), 1));

function measureInIdleTime(regions) {
  return new Promise((resolve) => {
    const queue = [...regions];
    const step = (deadline) => {
      while (queue.length > 0 && deadline.timeRemaining() > 2) updateFocusable(queue.shift());
      if (queue.length > 0) idle(step, { timeout: 1000 });
      else resolve();
    };
    idle(step, { timeout: 1000 });
  });
}

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => measureInIdleTime(skippedRegions(document.body)), 200);
});

function focusableScrollRegions(body) {
  regionObserver?.disconnect(); // regions of the page before an instant navigation
  const regions = [...body.querySelectorAll(SCROLL_REGIONS)];
  if (regions.length === 0) return Promise.resolve();
  const rendered = new Promise((resolve) => {
    regionObserver = new ResizeObserver((entries) => {
      for (const { target } of entries) updateFocusable(target);
      resolve(); // the first call reports every region being rendered
    });
    for (const region of regions) regionObserver.observe(region);
    // Regions not rendered (in a closed <details>) are reported only once shown; when no
    // region is rendered, there is no first call: the frame after this one ends the wait.
    requestAnimationFrame(() => setTimeout(resolve));
  });
  return rendered.then(() => measureInIdleTime(skippedRegions(body)));
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
