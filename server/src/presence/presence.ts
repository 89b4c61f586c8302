/**
 * Technicians' presence: offline (no console connected), away (set by
 * hand), busy (set by hand, or running as many sessions as the server
 * allows), available otherwise. What a technician chose is stored with his
 * account, so it survives a reconnect and a server restart; the rest is
 * derived each time from the hub and the database.
 */
import type { ChosenStatus, PresenceStatus, TechnicianPresence } from '../../../shared/desk.js';
import type { Db } from '../db/index.js';

export const DEFAULT_BUSY_AFTER_SESSIONS = 1;

export interface PresenceInput {
  online: boolean;
  chosen: ChosenStatus;
  activeSessions: number;
  /** Sessions at which a technician counts as busy. */
  busyAfter: number;
}

export function deriveStatus({ online, chosen, activeSessions, busyAfter }: PresenceInput): PresenceStatus {
  if (!online) return 'offline';
  if (chosen === 'away') return 'away';
  if (chosen === 'busy' || activeSessions >= busyAfter) return 'busy';
  return 'available';
}

export class PresenceService {
  constructor(
    private readonly db: Db,
    private readonly isOnline: (technicianId: number) => boolean,
    readonly busyAfter = DEFAULT_BUSY_AFTER_SESSIONS,
  ) {
    if (!Number.isInteger(busyAfter) || busyAfter < 1) throw new Error('A technician is busy after at least one session.');
  }

  async choose(technicianId: number, status: ChosenStatus): Promise<void> {
    await this.db.updateTable('technicians').set({ chosen_status: status === 'available' ? null : status }).where('id', '=', technicianId).execute();
  }

  /** Every technician's presence, by display name. */
  async list(activeSessions: ReadonlyMap<number, number>): Promise<TechnicianPresence[]> {
    const techs = await this.db.selectFrom('technicians').select(['id', 'display_name', 'chosen_status']).orderBy('display_name').orderBy('id').execute();
    return techs.map((t) => {
      const active = activeSessions.get(t.id) ?? 0;
      const chosen: ChosenStatus = t.chosen_status ?? 'available';
      return {
        id: t.id,
        displayName: t.display_name,
        chosen,
        activeSessions: active,
        status: deriveStatus({ online: this.isOnline(t.id), chosen, activeSessions: active, busyAfter: this.busyAfter }),
      };
    });
  }
}
