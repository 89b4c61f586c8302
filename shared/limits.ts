/** Sizes every boundary agrees on. */
export const LIMITS = {
  /** Largest WebSocket text message the server parses; larger ones get ERR_MESSAGE_TOO_LARGE. */
  wsMessageBytes: 64 * 1024,
  /** Largest data-channel message (ARCHITECTURE: no message over 64 KiB). */
  channelMessageBytes: 64 * 1024,
  chatTextChars: 4000,
  /** Clipboard text synchronised in one control message (fits well under the channel limit as JSON). */
  clipboardChars: 16 * 1024,
  /** simple-peer signalling payloads (SDP with candidates) stay well under this. */
  signalBytes: 16 * 1024,
  displayNameChars: 80,
} as const;
