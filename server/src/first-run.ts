/** What the first start prints once: the generated administrator password, never logged or stored in clear. */
export function adminCreatedBanner(username: string, password: string): string {
  return `\nFirst run: created the administrator account.\n  user: ${username}\n  password: ${password}\nKeep it now; it will not be shown again.\n\n`;
}
