/** Messages between the download store (main thread) and the download worker. Types only. */

export type DownloadWorkerCommand =
  /** First message: the page's run, under which its files live. */
  | { t: 'init'; run: string }
  /** Creates (or empties) the file of a transfer and starts its hash. */
  | { t: 'open'; transfer: number }
  /** Answered with the bytes written so far. */
  | { t: 'write'; transfer: number; offset: number; bytes: ArrayBuffer }
  /** Answered with `{ sha256, size }`; the file is closed. */
  | { t: 'finish'; transfer: number }
  /** Answered with the finished file (a disk-backed File). */
  | { t: 'file'; transfer: number }
  | { t: 'remove'; transfer: number };

export interface DownloadWorkerRequest {
  seq: number;
  cmd: DownloadWorkerCommand;
}

export type DownloadWorkerReply = { seq: number; ok: true; value: unknown } | { seq: number; ok: false; message: string };
