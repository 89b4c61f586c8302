/** What the first start prints once: the generated one-time administrator password, never logged or stored in clear. */
export function adminCreatedBanner(username: string, password: string): string {
  return `\nFirst run: created the administrator account.\n  user: ${username}\n  one-time password: ${password}\n`
    + `Keep it now; it will not be shown again. Signing in with it, you choose your own.\n\n`;
}
