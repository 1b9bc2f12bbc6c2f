// Render TeX to HTML with KaTeX at build time (scribbles_site/math.py drives it).
//
// Protocol: one JSON request per line on stdin, `[{"tex": "...", "display": false}, ...]`;
// one JSON reply per line on stdout, `[{"html": "..."} | {"error": "..."}, ...]` in the
// same order. KaTeX comes from the project's node_modules (npm registry, package-lock).
"use strict";

const readline = require("node:readline");
const katex = require("katex");

const lines = readline.createInterface({ input: process.stdin, terminal: false });

lines.on("line", (line) => {
  const replies = JSON.parse(line).map(({ tex, display }) => {
    try {
      // HTML for the eye and MathML for screen readers (KaTeX's default output).
      return { html: katex.renderToString(tex, { displayMode: display, throwOnError: true }) };
    } catch (error) {
      return { error: String(error.message || error) };
    }
  });
  process.stdout.write(JSON.stringify(replies) + "\n");
});
