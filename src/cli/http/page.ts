/**
 * The status page: one HTML file, its script and its style, served as they
 * are written (no build step, nothing from a CDN: the machines that run
 * tock may not reach the internet). The script renders every value with
 * `textContent` and DOM nodes, never as markup.
 *
 * @module
 */

import html from "./page/index.html" with { type: "text" };
import script from "./page/page.js" with { type: "text" };
import style from "./page/page.css" with { type: "text" };
import icon from "./page/favicon.svg" with { type: "text" };

/** A file of the page. */
export interface PageAsset {
  readonly body: string;
  readonly contentType: string;
}

const ASSETS: ReadonlyMap<string, PageAsset> = new Map([
  ["", { body: html, contentType: "text/html; charset=utf-8" }],
  ["page.js", { body: script, contentType: "text/javascript; charset=utf-8" }],
  ["page.css", { body: style, contentType: "text/css; charset=utf-8" }],
  ["favicon.svg", { body: icon, contentType: "image/svg+xml" }],
]);

/** The page's file at `path` (without the leading `/`), if it is one. */
export function pageAsset(path: string): PageAsset | undefined {
  return ASSETS.get(path);
}
