import type { IceServer } from '../../shared/protocol.js';
import type { AuditService } from './audit/service.js';
import type { AuthService } from './auth/service.js';
import type { ButtonService } from './buttons/service.js';
import type { TeamChatService } from './team-chat/service.js';
import type { ChatService } from './chat/service.js';
import type { CodeService } from './codes/service.js';
import type { Db } from './db/index.js';
import type { Desk } from './queue/desk.js';
import type { QueueService } from './queue/service.js';
import type { FailureLimiter } from './rate-limit.js';
import type { JumpPresence } from './jump/presence.js';
import type { JumpService } from './jump/service.js';
import type { Hub } from './sessions/hub.js';
import type { ScriptService } from './scripts/service.js';
import type { TeamService } from './teams/service.js';

/** The server's services, built once in server.ts and handed to the transports. */
export interface ServerContext {
  db: Db;
  auth: AuthService;
  codes: CodeService;
  queue: QueueService;
  chat: ChatService;
  audit: AuditService;
  scripts: ScriptService;
  teams: TeamService;
  /** Presence, routing, issue types and portal requests without a code. */
  desk: Desk;
  hub: Hub;
  /** The jump registry (groups, tokens, installed clients) and which clients are connected now. */
  jump: JumpService;
  jumpLive: JumpPresence;
  /** Support buttons: install tokens, installed buttons, presses. */
  buttons: ButtonService;
  /** Technician chat outside sessions. */
  teamChat: TeamChatService;
  codeFailures: FailureLimiter;
  iceServers: IceServer[];
  /** The URL users and agents reach this server at (shown in the portal's instructions). */
  publicUrl: string | null;
  /** Console installers and electron-updater's latest*.yml, served at /updates/ (data/updates). */
  updatesDir: string;
}
