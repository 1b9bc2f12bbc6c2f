// Render every arithmatex span/div with KaTeX served by this site (assets/katex/).
// `document$` is Material's observable: it fires on first load and after each instant
// navigation, so math renders in both cases.
document$.subscribe(({ body }) => {
  try {
    renderMathInElement(body, {
      delimiters: [
        { left: "$$", right: "$$", display: true },
        { left: "$", right: "$", display: false },
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      ignoredClasses: ["highlight", "md-search"],
      throwOnError: false,
    });
  } finally {
    document.body.dataset.mathRendered = "true"; // lets the browser tests wait for it
  }
});

// Accessibility (axe "scrollable-region-focusable"): a table or formula wider than the
// column scrolls sideways; make such a region reachable with the keyboard.
document$.subscribe(() => {
  for (const region of document.querySelectorAll(
    ".md-typeset__scrollwrap, .katex-display, .md-typeset .arithmatex"
  )) {
    if (region.scrollWidth > region.clientWidth && !region.hasAttribute("tabindex")) {
      region.tabIndex = 0;
    }
  }
});
