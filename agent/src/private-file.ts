/**
 * Files that hold a secret (a jump client's or a support button's
 * credential): readable by their owner only, from the first byte on.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes `text` to a temporary file created with mode 0600 (never briefly
 * world-readable, whatever the umask) in a folder only the owner may enter,
 * then replaces `file` with it in one rename.
 */
export function writePrivateFile(file: string, text: string): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, text);
    fs.fchmodSync(fd, 0o600);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
