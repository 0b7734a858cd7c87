/**
 * Host names that can only mean this machine: the one place a plain-text SMTP login may go. Kept
 * apart from the SMTP sender so that reading a configuration does not load the mail libraries.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
