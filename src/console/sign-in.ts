/**
 * The sign-in page (a GOV.UK form: username and password, an error summary when they are not
 * right, a button to the council's own sign-in when single sign-on is set up), the pages before
 * and after single sign-on, what a sign-in form may carry, and how a refused username is named.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { html, type Html } from './html.js';

/** The same words for an unknown username and a wrong password: the page does not say which. */
export const WRONG_CREDENTIALS = 'The username or password is not right. Please check them and try again.';
export const SESSION_ENDED = 'Your session has ended; please sign in again.';
export const SIGNED_OUT = 'You have signed out.';

export interface FieldError {
  /** The id of the field the summary links to. */
  field: 'username' | 'password' | 'sso';
  text: string;
}

export interface SignInPageOptions {
  username?: string;
  /** Where to go after signing in (a path of the console). */
  next?: string;
  errors?: readonly FieldError[];
  /** The words on the single sign-on button; absent when single sign-on is not set up. */
  ssoButton?: string;
}

/**
 * The longest typed username the log or the console's audit may name; and only then when it is an
 * account's (anything else typed into the username box may be a password typed in the wrong box).
 */
export const MAX_RECORDED_USERNAME = 100;

/**
 * How the log and the audit name a username that is no account: "an unknown username" and the first
 * six hexadecimal digits of the SHA-256 of what was typed. Enough to tell whether the same unknown
 * name keeps coming back; too little to confirm a guess at a password typed there (some sixteen
 * million other texts share each prefix).
 */
export function unknownUsername(typed: string): string {
  return `an unknown username (SHA-256 ${createHash('sha256').update(typed, 'utf8').digest('hex').slice(0, 6)}…)`;
}

/** What a sign-in form may carry; anything longer is not a sign-in. */
export const SignInForm = z.object({
  username: z.string().trim().max(254, { message: 'The username is too long.' }),
  password: z.string().max(1024, { message: 'The password is too long.' }),
  next: z.string().max(2000).optional(),
});

/**
 * `next` when it is a path of this console to return to after signing in: it starts with one `/`
 * (never `//` or `/\`, which a browser reads as another site), has no control characters, and is
 * not the sign-in pages themselves.
 */
export function safeNext(next: string | null | undefined): string | undefined {
  if (typeof next !== 'string' || next === '' || next.length > 2000) return undefined;
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return undefined;
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return undefined;
  if (next === '/sign-in' || next.startsWith('/sign-in/') || next.startsWith('/sign-in?') || next.startsWith('/sign-out')) return undefined;
  return next;
}

function errorSummary(errors: readonly FieldError[]): Html | null {
  if (errors.length === 0) return null;
  return html`<div class="govuk-error-summary" data-module="govuk-error-summary">
      <div role="alert">
        <h2 class="govuk-error-summary__title">There is a problem</h2>
        <div class="govuk-error-summary__body">
          <ul class="govuk-list govuk-error-summary__list">
            ${errors.map((e) => html`<li><a href="#${e.field}">${e.text}</a></li>`)}
          </ul>
        </div>
      </div>
    </div>`;
}

function errorMessage(id: string, error: FieldError | undefined): Html | null {
  if (error === undefined) return null;
  return html`<p id="${id}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ${error.text}</p>`;
}

/** The page's title: GOV.UK pages put "Error: " first when the form has errors. */
export function signInTitle(options: SignInPageOptions): string {
  return (options.errors?.length ?? 0) > 0 ? 'Error: Sign in' : 'Sign in';
}

export function signInBody(options: SignInPageOptions): Html {
  const errors = options.errors ?? [];
  const userError = errors.find((e) => e.field === 'username');
  const passwordError = errors.find((e) => e.field === 'password');
  const ssoError = errors.find((e) => e.field === 'sso');
  const sso =
    options.ssoButton === undefined
      ? null
      : html`<h2 class="govuk-heading-m" id="sso">Or use your council account</h2>
        ${ssoError ? html`<p class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ${ssoError.text}</p>` : null}
        <p class="govuk-body">If the Clerk has given your council e-mail address an account, you can sign in with it.</p>
        <form method="post" action="/sign-in/sso" novalidate>
          <button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button">${options.ssoButton}</button>
        </form>`;
  return html`<div class="govuk-grid-row">
    <div class="govuk-grid-column-two-thirds">
      ${errorSummary(errors)}
      <h1 class="govuk-heading-l">Sign in to Wardwatch</h1>
      <p class="govuk-body">Use the username and password the Clerk set up for you.</p>
      <form method="post" action="/sign-in" novalidate>
        ${options.next !== undefined ? html`<input type="hidden" name="next" value="${options.next}">` : null}
        <div class="govuk-form-group${userError ? ' govuk-form-group--error' : ''}">
          <label class="govuk-label" for="username">Username</label>
          ${errorMessage('username', userError)}
          <input class="govuk-input${userError ? ' govuk-input--error' : ''}" id="username" name="username" type="text" autocomplete="username" spellcheck="false" autocapitalize="none" value="${options.username ?? ''}"${userError ? html` aria-describedby="username-error"` : null}>
        </div>
        <div class="govuk-form-group govuk-password-input${passwordError ? ' govuk-form-group--error' : ''}">
          <label class="govuk-label" for="password">Password</label>
          ${errorMessage('password', passwordError)}
          <div class="govuk-input__wrapper govuk-password-input__wrapper">
            <input class="govuk-input govuk-password-input__input${passwordError ? ' govuk-input--error' : ''}" id="password" name="password" type="password" spellcheck="false" autocomplete="current-password" autocapitalize="none"${passwordError ? html` aria-describedby="password-error"` : null}>
          </div>
        </div>
        <button type="submit" class="govuk-button" data-module="govuk-button">Sign in</button>
      </form>
      ${sso}
    </div>
  </div>`;
}

/**
 * After single sign-on the browser arrives from the council's sign-in service, another site, and
 * a SameSite=Strict cookie is not sent on the rest of that journey: a redirect from here would
 * reach the console without the new session. This page moves on by itself (a refresh from this
 * site, so the cookie goes with it), and offers a link for a browser that does not.
 */
export function signedInBody(displayName: string): Html {
  return html`<h1 class="govuk-heading-l">You are signed in</h1>
    <p class="govuk-body">Welcome, ${displayName}.</p>
    <p class="govuk-body"><a href="/" class="govuk-link">Continue to today’s page</a></p>`;
}

/**
 * Single sign-on starts with a form (a POST, so that another site cannot start it), and the
 * sign-in page's Content-Security-Policy (`form-action 'self'`) lets a form lead only to the
 * console — Chromium holds a form's redirect to another site to it too. So the console answers
 * with this page, which moves on to the council's sign-in service by itself (a refresh is not a
 * form), and offers a link for a browser that does not.
 */
export function leavingForSsoBody(to: string): Html {
  return html`<h1 class="govuk-heading-l">Taking you to your council’s sign-in</h1>
    <p class="govuk-body">Your browser should move on by itself to the page where you sign in with your council account.</p>
    <p class="govuk-body"><a href="${to}" class="govuk-link">Continue to your council’s sign-in page</a></p>`;
}
