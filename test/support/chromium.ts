/**
 * Real headless Chromium for the console's browser tests: Debian's `chromium` package, driven by
 * playwright-core (which never downloads a browser of its own here). One browser per test file:
 *
 *   const browser = await launchChromium();          // fails, saying how to install it, when absent
 *   const page = await browser.newPage();
 *   expect(await axeScan(page)).toEqual([]);          // serious and critical WCAG 2.2 AA violations
 *   await screenshot(page, 'review');                 // docs/console/review.png with WARDWATCH_SCREENSHOTS=1
 *   await browser.close();
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { z } from 'zod';

export const CHROMIUM_PATH = '/usr/bin/chromium';

const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Without the background-networking flags Chromium keeps trying to reach Google's hosts, which a
 * closed test machine refuses many times a second; the sandbox needs user namespaces that a CI
 * container run as root does not have.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The browser tests need Chromium: when it is missing they fail (CI installs it, so a silent skip
 * would hide a broken machine), saying how to put it there.
 */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The console's browser tests need Debian's Chromium at ${CHROMIUM_PATH}, and it is not there. ` +
        'Please run .ci/run (it installs what the tests need), or `apt-get install chromium`.',
    );
  }
}

/** Starts headless Chromium with a fresh, empty profile (Playwright's own temporary one). */
export async function launchChromium(): Promise<Browser> {
  requireChromium();
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/* -------------------------------------------------------------------- accessibility */

/** The WCAG 2.2 AA rules (and the 2.0 and 2.1 A and AA rules it builds on). */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] as const;

export interface AxeViolation {
  /** axe's rule id, such as `color-contrast`. */
  id: string;
  impact: 'serious' | 'critical';
  help: string;
  /** The page it was found on. */
  url: string;
  /** The offending elements' HTML, shortened. */
  nodes: string[];
}

const AxeRunSchema = z.object({
  url: z.string(),
  violations: z.array(
    z.object({
      id: z.string(),
      impact: z.enum(['minor', 'moderate', 'serious', 'critical']).nullable().optional(),
      help: z.string(),
      nodes: z.array(z.object({ html: z.string() })),
    }),
  ),
});

let axeSource: string | undefined;
function axeScript(): string {
  if (axeSource === undefined) {
    const require = createRequire(import.meta.url);
    axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  }
  return axeSource;
}

/**
 * Runs axe-core in the page as it is now and returns its serious and critical violations of
 * WCAG 2.2 AA. The console's Content-Security-Policy forbids inline scripts, and rightly: axe is
 * evaluated through the DevTools protocol (`page.evaluate`), which the policy does not govern, so
 * the page is scanned exactly as it is served.
 */
export async function axeScan(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeScript());
  const raw: unknown = await page.evaluate(`(async () => {
    const result = await globalThis.axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(AXE_TAGS)} }, resultTypes: ['violations'] });
    return { url: location.href, violations: result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ html: n.html })) })) };
  })()`);
  const run = AxeRunSchema.parse(raw);
  const out: AxeViolation[] = [];
  for (const v of run.violations) {
    if (v.impact !== 'serious' && v.impact !== 'critical') continue;
    out.push({ id: v.id, impact: v.impact, help: v.help, url: run.url, nodes: v.nodes.map((n) => n.html.slice(0, 200)) });
  }
  return out;
}

/* -------------------------------------------------------------------- screenshots */

/** Screenshots go to docs/console/ only when asked (WARDWATCH_SCREENSHOTS=1), so that a test run leaves the repository as it was. */
export function screenshotsForDocs(): boolean {
  return process.env['WARDWATCH_SCREENSHOTS'] === '1';
}

let screenshotTempDir: string | undefined;
/** Where screenshots go in this run. */
export function screenshotDir(): string {
  if (screenshotsForDocs()) {
    const dir = path.join(REPO_ROOT, 'docs/console');
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  screenshotTempDir ??= mkdtempSync(path.join(tmpdir(), 'wardwatch-screenshots-'));
  return screenshotTempDir;
}

/** A full-page screenshot as `<name>.png`; returns the file. */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`A screenshot's name is lower-case letters, digits and hyphens: "${name}".`);
  const file = path.join(screenshotDir(), `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}
