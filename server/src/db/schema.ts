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
  /** What the technician set by hand (0010-chosen-status); null = available. */
  chosen_status: 'busy' | 'away' | null;
  /** 1 while the account holds a one-time password (0011-must-change-password): it may do nothing but change it. */
  must_change_password: Generated<number>;
}

export interface AuthTokensTable {
  token_hash: string;
  technician_id: number;
  created_at: number;
  expires_at: number;
}

export interface SessionCodesTable {
  code_hash: string;
  /** Null for a code the server made for a portal request (0004-queues). */
  technician_id: number | null;
  created_at: number;
  expires_at: number;
  request_id: string | null;
}

export interface RequestsTable {
  id: string;
  /** The technician whose personal queue the request is in; null for team and general requests. */
  technician_id: number | null;
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
  /** Which queue it waits in (0004-queues); a team request without a team counts as general. */
  queue: Generated<'personal' | 'team' | 'general'>;
  team_id: number | null;
  description: string | null;
  issue_type: string | null;
  /** The skill the issue type asked for when the request was made. */
  required_skill: string | null;
  /** The technician routing assigned it to (team and general requests). */
  routed_to: number | null;
  routed_at: number | null;
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

export interface IssueTypesTable {
  id: Generated<number>;
  name: string;
  /** The team whose queue gets requests of this type; null = the general queue. */
  team_id: number | null;
  /** For teams routed by skills: the skill a member needs. */
  skill: string | null;
  created_at: number;
}

/** A jump group: its clients and who may reach them, and whether the user is asked (0005-jump). */
export interface JumpGroupsTable {
  id: Generated<number>;
  name: string;
  /** JSON array of technician usernames. */
  technicians: string;
  /** JSON array of team names. */
  teams: string;
  prompt: number;
  prompt_timeout_s: number;
  prompt_default: 'allow' | 'deny';
  created_at: number;
}

/** An install token, stored only as its hash; spent by one enrolment. */
export interface JumpTokensTable {
  id: Generated<number>;
  token_hash: string;
  group_id: number;
  created_by: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  used_at: number | null;
  client_id: number | null;
}

export interface JumpClientsTable {
  id: Generated<number>;
  group_id: number;
  name: string;
  hostname: string;
  os_user: string;
  os: string;
  mode: 'active' | 'passive';
  elevated: number;
  credential_hash: string;
  created_at: number;
  last_seen_at: number | null;
  removed: number;
  removed_at: number | null;
  /** Passive clients: the address and UDP port of the last check-in, where a wake is sent (0009-jump-wake). */
  wake_address: string | null;
  wake_port: number | null;
}

export interface JumpSessionsTable {
  request_id: string;
  client_id: number;
  technician_id: number;
  prompt: number;
  answer: 'allow' | 'deny' | null;
  answer_timed_out: number | null;
  answered_at: number | null;
  delivered_at: number | null;
  created_at: number;
}

/** A note a technician left when he transferred a session (0006-escalation). */
export interface SessionNotesTable {
  id: Generated<number>;
  request_id: string;
  author_id: number;
  kind: 'transfer';
  target: string;
  text: string;
  created_at: number;
}

/** A technician invited into a shared session besides its holder (0008-participants). */
export interface SessionParticipantsTable {
  request_id: string;
  technician_id: number;
  invited_by: number;
  joined_at: number;
}

/** Technician chat outside sessions (0007-buttons). */
export interface TeamChatMessagesTable {
  id: Generated<number>;
  sender_id: number;
  to_kind: 'technician' | 'team';
  to_id: number;
  text: string;
  created_at: number;
  client_id: string | null;
}

/** Support button install tokens (0007-buttons). */
export interface ButtonTokensTable {
  id: Generated<number>;
  token_hash: string;
  team_id: number | null;
  technician_id: number | null;
  target_kind: 'team' | 'technician';
  /** The team's name or the technician's username when the token was made. */
  target_name: string;
  created_by: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/** An installed support button (0007-buttons). */
export interface SupportButtonsTable {
  id: Generated<number>;
  token_id: number;
  credential_hash: string;
  hostname: string;
  os_user: string;
  created_at: number;
  last_pressed_at: number | null;
  revoked_at: number | null;
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
  jump_groups: JumpGroupsTable;
  jump_tokens: JumpTokensTable;
  jump_clients: JumpClientsTable;
  jump_sessions: JumpSessionsTable;
  issue_types: IssueTypesTable;
  button_tokens: ButtonTokensTable;
  support_buttons: SupportButtonsTable;
  team_chat_messages: TeamChatMessagesTable;
  session_notes: SessionNotesTable;
  session_participants: SessionParticipantsTable;
}

export type Db = Kysely<Database>;
