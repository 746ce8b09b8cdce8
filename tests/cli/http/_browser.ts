// A real headless Chromium for browser tests, driven by puppeteer-core (which
// never downloads a browser): the system binary, TOCK_CHROMIUM if set, else
// /usr/bin/chromium, else a `chromium` on PATH. CI installs it (.ci/run);
// locally a test should `ignore` itself when `chromiumPath()` is undefined.
import puppeteer from "puppeteer-core";
import type { Browser, Page } from "puppeteer-core";

export type { Browser, Page } from "puppeteer-core";

/** The default browser binary (Debian's `chromium` package). */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/** Why browser tests are skipped when there is no browser. */
export const NO_CHROMIUM =
  `no chromium: install it (apt-get install chromium) or set TOCK_CHROMIUM`;

/**
 * The browser binary to use, or undefined when there is none: TOCK_CHROMIUM
 * if set, else /usr/bin/chromium, else the first `chromium` on PATH.
 */
export function chromiumPath(): string | undefined {
  const named = Deno.env.get("TOCK_CHROMIUM");
  if (named) return isFile(named) ? named : undefined;
  if (isFile(DEFAULT_CHROMIUM)) return DEFAULT_CHROMIUM;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && isFile(`${dir}/chromium`)) return `${dir}/chromium`;
  }
  return undefined;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** A launched browser that closes itself (and its process) on dispose. */
export type OpenBrowser = Browser & AsyncDisposable;

/**
 * Launches headless Chromium; `await using browser = await openBrowser()`.
 * Disposing closes every page, ends the browser process and removes its
 * temporary profile, so Deno's test sanitizers see nothing left over.
 */
export async function openBrowser(): Promise<OpenBrowser> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) throw new Error(NO_CHROMIUM);
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    // Talk over the child's stdio pipes rather than a WebSocket on a
    // debugging port: nothing listening, no network permission involved.
    pipe: true,
    // The test runner, not a library, decides what signals do.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      "--no-sandbox", // tests run as root
      "--disable-gpu",
      "--disable-dev-shm-usage",
    ],
  });
  const close = async () => {
    if (browser.connected) await browser.close();
  };
  return Object.assign(browser, { [Symbol.asyncDispose]: close });
}

/** Runs `fn` with a fresh browser, closing it afterwards whatever happens. */
export async function withBrowser<T>(
  fn: (browser: Browser) => Promise<T>,
): Promise<T> {
  await using browser = await openBrowser();
  return await fn(browser);
}

/**
 * Waits until the first element matching `selector` has exactly `text` as
 * its textContent. (Deno type-checks tests without the DOM library, so the
 * in-page predicate is passed as a string rather than a typed function.)
 */
export async function waitForText(
  page: Page,
  selector: string,
  text: string,
  timeout = 5_000,
): Promise<void> {
  const predicate = `document.querySelector(${
    JSON.stringify(selector)
  })?.textContent === ${JSON.stringify(text)}`;
  await page.waitForFunction(predicate, { timeout });
}
