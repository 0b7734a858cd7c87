/**
 * The files the console's pages use, served under /assets/:
 *
 * - its stylesheet, /assets/console.css: GOV.UK Frontend compiled with the council's settings
 *   (Arial, not GOV.UK's own typeface; see src/console/console.scss) and the console's own rules.
 *   `npm run build` compiles it to dist/console/console.css (scripts/build-console-css.mjs);
 * - govuk-frontend's images and manifest, straight from the installed package (/assets/images/…,
 *   /assets/manifest.json — the addresses the stylesheet itself uses, as its $govuk-assets-path is
 *   "/assets/"). Its fonts are not served: the stylesheet has no @font-face and needs none.
 *
 * A request's path is never joined to a folder as it comes: each segment must be a plain file
 * name, the extension must be one of a few, and the resolved file must still lie inside the
 * package's assets folder. No script is served (the console has none).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { packageRoot } from '../config/profiles.js';

export const ASSETS_PREFIX = '/assets/';
export const STYLESHEET = 'console.css';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/manifest+json; charset=utf-8',
};

/** A file name: starts with a letter or digit (so never `.` or `..`), then letters, digits, `.`, `_` and `-`. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface Asset {
  body: Buffer;
  contentType: string;
}

/** govuk-frontend's dist/govuk folder, found the way Node finds the package (from src/ or dist/ alike). */
export function govukFrontendRoot(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('govuk-frontend/package.json')), 'dist', 'govuk');
}

/** The installed govuk-frontend's version. */
export function govukFrontendVersion(): string {
  const require = createRequire(import.meta.url);
  const pkg: unknown = require('govuk-frontend/package.json');
  const version = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined;
  return typeof version === 'string' ? version : 'unknown';
}

/**
 * The compiled stylesheet, dist/console/console.css in the package's root — found from this
 * module's own place, so alike when run from dist/src/console/ (built) and src/console/ (vitest).
 */
export function stylesheetFile(): string {
  return path.join(packageRoot(import.meta.url), 'dist', 'console', 'console.css');
}

interface Stylesheet {
  body: Buffer;
  /** The first 12 hex digits of the file's SHA-256: changes whenever the stylesheet does. */
  version: string;
}

const stylesheets = new Map<string, Stylesheet>();

/**
 * The compiled stylesheet and its version, read once (it does not change while the service runs).
 * Throws, saying what to do, when it has not been built.
 */
function loadStylesheet(file: string = stylesheetFile()): Stylesheet {
  const cached = stylesheets.get(file);
  if (cached) return cached;
  let body: Buffer;
  try {
    body = readFileSync(file);
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    if (code === 'ENOENT') {
      throw new Error(`The console's stylesheet ${file} is missing: it has not been built. Run npm run build (it compiles src/console/console.scss).`);
    }
    throw err;
  }
  const stylesheet: Stylesheet = { body, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
  stylesheets.set(file, stylesheet);
  return stylesheet;
}

/**
 * The version put in the stylesheet's address (/assets/console.css?v=…), so that a changed
 * stylesheet is fetched afresh although each one is cached for a year. When the stylesheet has not
 * been built the page still renders, with "unbuilt" (the stylesheet itself then answers 500).
 */
export function stylesheetVersion(file: string = stylesheetFile()): string {
  try {
    return loadStylesheet(file).version;
  } catch {
    return 'unbuilt';
  }
}

/**
 * The govuk-frontend file an /assets/ path stands for (an image or the manifest), or undefined
 * when it is not one that may be served. `root` is govuk-frontend's dist/govuk folder; `relative`
 * is the path after /assets/, as received (still percent-encoded). The stylesheet is not one of
 * these: see Assets.get.
 */
export function assetFile(root: string, relative: string): string | undefined {
  const segments = relative.split('/');
  if (segments.length === 0 || !segments.every((s) => SEGMENT.test(s))) return undefined;
  // Images (the stylesheet refers to some) and the manifest; not the package's fonts, stylesheets or scripts.
  const servable = (segments.length === 2 && segments[0] === 'images') || relative === 'manifest.json';
  if (!servable) return undefined;
  const extension = path.extname(relative).toLowerCase();
  if (extension === '.css' || CONTENT_TYPES[extension] === undefined) return undefined;
  const base = path.join(root, 'assets');
  const file = path.resolve(base, ...segments);
  if (!file.startsWith(base + path.sep)) return undefined;
  return file;
}

export class Assets {
  private readonly cache = new Map<string, Asset>();

  constructor(
    private readonly root: string = govukFrontendRoot(),
    private readonly stylesheet: string = stylesheetFile(),
  ) {}

  /**
   * The asset at `relative` (the path after /assets/), or undefined when there is none to serve.
   * Throws when the stylesheet is asked for and has not been built (the server answers 500 and
   * logs the error, which says to run npm run build).
   */
  async get(relative: string): Promise<Asset | undefined> {
    if (relative === STYLESHEET) return { body: loadStylesheet(this.stylesheet).body, contentType: CONTENT_TYPES['.css'] ?? 'text/css' };
    const cached = this.cache.get(relative);
    if (cached) return cached;
    const file = assetFile(this.root, relative);
    if (file === undefined) return undefined;
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return undefined;
    }
    const asset: Asset = { body, contentType: CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream' };
    // The package's files do not change while the service runs; a handful of them, kept in memory.
    this.cache.set(relative, asset);
    return asset;
  }
}
