/** Table types for Kysely. Domain code talks to the database only through these. */
import type { Generated, Kysely } from 'kysely';

export interface TechniciansTable {
  id: Generated<number>;
  username: string;
  display_name: string;
  password_hash: string;
  role: 'admin' | 'technician';
  created_at: number;
  /** JSON array of tools; null = the role's defaults. */
  permissions: string | null;
}

export interface AuthTokensTable {
  token_hash: string;
  technician_id: number;
  created_at: number;
  expires_at: number;
}

export interface SessionCodesTable {
  code_hash: string;
  technician_id: number;
  created_at: number;
  expires_at: number;
  request_id: string | null;
}

export interface RequestsTable {
  id: string;
  /** The technician whose queue the request is in. */
  technician_id: number;
  code_hash: string | null;
  customer_name: string;
  status: 'waiting' | 'active' | 'ended';
  created_at: number;
  accepted_by: number | null;
  accepted_at: number | null;
  ended_at: number | null;
  ended_reason: string | null;
  portal_key_hash: string | null;
  agent_key_hash: string | null;
  /** AgentInfo as JSON. */
  agent_info: string | null;
  consent_view: number;
  consent_control: number;
  /** JSON: the user's consent to in-session tools beyond view and control. */
  consent_tools: string | null;
}

export interface ChatMessagesTable {
  id: Generated<number>;
  request_id: string;
  sender: 'technician' | 'user' | 'system';
  author: string;
  text: string;
  created_at: number;
  /** Sender-chosen id so a message re-sent after a reconnect is stored once. */
  client_id: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  detail: string;
}

export interface ScriptsTable {
  id: Generated<number>;
  name: string;
  description: string;
  shell: string;
  body: string;
  created_by: string;
  updated_at: number;
}

export interface ScriptRunsTable {
  id: Generated<number>;
  request_id: string;
  script_id: number;
  script_name: string;
  technician_id: number;
  started_at: number;
  finished_at: number | null;
  exit_code: number | null;
  /** Combined output, capped (see ScriptService). */
  output: string;
}

export interface TeamsTable {
  id: Generated<number>;
  name: string;
  routing: 'least_busy' | 'skills';
  created_at: number;
}

export interface TeamMembersTable {
  team_id: number;
  technician_id: number;
  /** JSON array of skill names. */
  skills: string;
}

export interface Database {
  technicians: TechniciansTable;
  auth_tokens: AuthTokensTable;
  session_codes: SessionCodesTable;
  requests: RequestsTable;
  chat_messages: ChatMessagesTable;
  audit_log: AuditLogTable;
  scripts: ScriptsTable;
  script_runs: ScriptRunsTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
}

export type Db = Kysely<Database>;
