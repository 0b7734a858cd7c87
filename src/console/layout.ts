/**
 * The console's page shell, after the GOV.UK Design System's page template: skip link, a generic
 * header with the council's name (Wardwatch is not a GOV.UK service, so no crown and no GOV.UK
 * logotype), the service navigation, who is signed in with a Sign out button, a notification
 * banner for the message a change left behind, the page's own body in <main>, and a footer.
 * Server-rendered and without JavaScript: every control is a link or a form.
 */
import type { ConsoleRole } from '../store/types.js';
import { html, type Html } from './html.js';
import { ASSETS_PREFIX, STYLESHEET, stylesheetVersion } from './assets.js';
import { CSRF_FIELD } from './csrf.js';
import type { NavSection } from './types.js';

export const SERVICE_NAME = 'Wardwatch';

/** The service navigation, in the order it is shown. */
export const NAVIGATION: readonly { section: NavSection; text: string; href: string }[] = [
  { section: 'today', text: 'Today', href: '/' },
  { section: 'review', text: 'Review', href: '/review' },
  { section: 'history', text: 'History', href: '/history' },
  { section: 'failed', text: 'Failed', href: '/failed' },
  { section: 'not-a-breach', text: 'Not a breach', href: '/not-a-breach' },
  { section: 'rules', text: 'Rules', href: '/rules' },
  { section: 'authorisations', text: 'Authorisations', href: '/authorisations' },
  { section: 'elections', text: 'Elections', href: '/elections' },
  { section: 'sources', text: 'Sources', href: '/sources' },
  { section: 'digests', text: 'Digests', href: '/digests' },
  { section: 'audit', text: 'Audit', href: '/audit' },
];

/** A message shown once, at the top of the next page: `success` after a change, `important` otherwise. */
export interface Flash {
  kind: 'success' | 'important';
  text: string;
}

export interface SignedIn {
  displayName: string;
  role: ConsoleRole;
  csrfToken: string;
}

export interface LayoutOptions {
  /** The page's own title; the window title adds the service and the council. */
  title: string;
  body: Html;
  councilName: string;
  /** The version of govuk-frontend, in the stylesheet's address (it is cached for a year). */
  assetsVersion: string;
  nav?: NavSection;
  /** Absent on the pages seen before signing in (no navigation, no Sign out). */
  user?: SignedIn;
  flash?: Flash;
  /**
   * Where the page moves on to by itself, at once: a path of the console (after single sign-on),
   * or the council's sign-in service (as single sign-on starts; see sign-in.ts's leavingForSsoBody).
   */
  refreshTo?: string;
}

/** The hidden field every console form carries (the server refuses a POST without it). */
export function csrfField(token: string): Html {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

/** "Review – Wardwatch – Millbrook Town Council". */
export function windowTitle(title: string, councilName: string): string {
  return `${title} – ${SERVICE_NAME} – ${councilName}`;
}

function navigation(current: NavSection | undefined): Html {
  const items = NAVIGATION.map(({ section, text, href }) =>
    section === current
      ? html`<li class="govuk-service-navigation__item govuk-service-navigation__item--active">
              <a class="govuk-service-navigation__link" href="${href}" aria-current="page"><strong class="govuk-service-navigation__active-fallback">${text}</strong></a>
            </li>`
      : html`<li class="govuk-service-navigation__item">
              <a class="govuk-service-navigation__link" href="${href}">${text}</a>
            </li>`,
  );
  return html`<nav aria-label="Menu" class="govuk-service-navigation__wrapper">
          <ul class="govuk-service-navigation__list" id="navigation">
            ${items}
          </ul>
        </nav>`;
}

function serviceNavigation(user: SignedIn | undefined, current: NavSection | undefined): Html {
  return html`<section aria-label="Service information" class="govuk-service-navigation">
    <div class="govuk-width-container">
      <div class="govuk-service-navigation__container">
        <span class="govuk-service-navigation__service-name">
          <a href="/" class="govuk-service-navigation__link">${SERVICE_NAME}</a>
        </span>
        ${user ? navigation(current) : null}
      </div>
    </div>
  </section>`;
}

function account(user: SignedIn): Html {
  const can = user.role === 'clerk' ? 'can act' : 'can look, not change';
  return html`<div class="govuk-width-container">
    <form method="post" action="/sign-out" class="govuk-!-margin-top-2 govuk-!-margin-bottom-2">
      ${csrfField(user.csrfToken)}
      <p class="govuk-body-s govuk-!-margin-bottom-0">
        Signed in as <strong>${user.displayName}</strong> (${user.role}: ${can})
        <button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0 govuk-!-margin-left-2" data-module="govuk-button">Sign out</button>
      </p>
    </form>
  </div>`;
}

function banner(flash: Flash): Html {
  const success = flash.kind === 'success';
  return html`<div class="govuk-notification-banner${success ? ' govuk-notification-banner--success' : ''}" role="${success ? 'alert' : 'region'}" aria-labelledby="govuk-notification-banner-title" data-module="govuk-notification-banner">
      <div class="govuk-notification-banner__header">
        <h2 class="govuk-notification-banner__title" id="govuk-notification-banner-title">${success ? 'Success' : 'Important'}</h2>
      </div>
      <div class="govuk-notification-banner__content">
        <p class="govuk-notification-banner__heading">${flash.text}</p>
      </div>
    </div>`;
}

function footer(councilName: string): Html {
  return html`<footer class="govuk-template__footer">
    <div class="govuk-footer">
      <div class="govuk-width-container">
        <div class="govuk-footer__meta">
          <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
            <p class="govuk-footer__licence-description">${SERVICE_NAME}, the protocol watch of ${councilName}. Dates and times are in the council’s time zone.</p>
          </div>
        </div>
      </div>
    </div>
  </footer>`;
}

/** The whole page, as a string ready to send. */
export function renderLayout(options: LayoutOptions): string {
  const { title, body, councilName, user, nav, flash } = options;
  const page = html`<!DOCTYPE html>
<html lang="en-GB" class="govuk-template">
  <head>
    <meta charset="utf-8">
    <title>${windowTitle(title, councilName)}</title>
    <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
    <meta name="theme-color" content="#1d70b8">
    <meta name="robots" content="noindex, nofollow">
    ${options.refreshTo !== undefined ? html`<meta http-equiv="refresh" content="0; url=${options.refreshTo}">` : null}
    <link rel="stylesheet" href="${ASSETS_PREFIX}${STYLESHEET}?v=${options.assetsVersion}-${stylesheetVersion()}">
  </head>
  <body class="govuk-template__body">
    <a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">Skip to main content</a>
    <header class="govuk-template__header">
      <div class="govuk-generic-header">
        <div class="govuk-generic-header__container govuk-width-container">
          <div class="govuk-generic-header__logo">
            <a href="/" class="govuk-generic-header__homepage-link">${councilName}</a>
          </div>
        </div>
      </div>
      ${serviceNavigation(user, nav)}
      ${user ? account(user) : null}
    </header>
    <div class="govuk-width-container">
      <main class="govuk-main-wrapper" id="main-content">
        ${flash ? banner(flash) : null}
        ${body}
      </main>
    </div>
    ${footer(councilName)}
  </body>
</html>
`;
  return page.value;
}
