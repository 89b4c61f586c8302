/**
 * What a technician may do in a session. Each tool is a permission the
 * server grants per technician and, separately, a consent the user gives;
 * the agent enforces both (the server's grant arrives over the server's own
 * connection, never from the console).
 */
import { z } from 'zod';

export const TOOLS = ['view', 'control', 'files', 'sysinfo', 'shell', 'shell_elevated', 'scripts'] as const;
export const Tool = z.enum(TOOLS);
export type Tool = z.infer<typeof Tool>;

/** What a new account may do until an administrator changes it. Elevated shells are opt-in. */
export const DEFAULT_PERMISSIONS: Record<'admin' | 'technician', readonly Tool[]> = {
  admin: TOOLS,
  technician: ['view', 'control', 'files', 'sysinfo', 'shell', 'scripts'],
};

export const TOOL_LABELS: Record<Tool, string> = {
  view: 'see the screen',
  control: 'control mouse and keyboard',
  files: 'transfer files',
  sysinfo: 'read system information',
  shell: 'open a command shell',
  shell_elevated: 'open an administrator shell',
  scripts: 'run prepared scripts',
};
