/**
 * Shared sessions in the session view: the holder invites an online
 * colleague (from the presence list the store holds) or hands control to a
 * participant. The server checks both again; the agent gives control only to
 * the holder's connection.
 */
import { useId, useState, type FormEvent } from 'react';
import type { SessionState } from '../../../../shared/protocol.js';
import { useApi, useAppState } from '../../app/context.js';
import { useAction } from '../../app/use-action.js';

/** `invite`: online colleagues not yet in the session; `handover`: the other participants. */
export function SharingForm({ session, kind, onClose }: { session: SessionState; kind: 'invite' | 'handover'; onClose: () => void }) {
  const api = useApi();
  const me = useAppState((s) => s.technician?.id ?? null);
  const presence = useAppState((s) => s.presence);
  const [chosen, setChosen] = useState('');
  const ids = useId();
  const participants = session.participants ?? [];
  const choices = kind === 'invite'
    ? presence
      .filter((p) => p.id !== me && p.status !== 'offline' && !participants.some((q) => q.technicianId === p.id))
      .map((p) => ({ id: p.id, label: `${p.displayName} (${p.status})` }))
    : participants.filter((p) => p.technicianId !== me).map((p) => ({ id: p.technicianId, label: p.displayName }));
  const act = useAction(async (technicianId: number) => {
    await api.invoke(kind === 'invite' ? 'session:invite' : 'session:handover', { requestId: session.requestId, technicianId });
    onClose();
  });
  const target = Number(chosen);
  const ok = Number.isSafeInteger(target) && target > 0;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (ok && !act.pending) void act.run(target);
  };
  const words = kind === 'invite'
    ? { label: 'Invite a colleague', empty: 'Choose an online colleague…', submit: 'Invite', pending: 'Inviting…' }
    : { label: 'Hand control to', empty: 'Choose a participant…', submit: 'Hand over', pending: 'Handing over…' };

  return (
    <form className="transfer-form" data-testid={`${kind}-form`} onSubmit={submit} aria-label={words.label}>
      <label className="field" htmlFor={`${ids}-who`}>
        <span>{words.label}</span>
        <select id={`${ids}-who`} data-testid={`${kind}-target`} value={chosen} onChange={(e) => setChosen(e.target.value)}>
          <option value="">{choices.length ? words.empty : 'Nobody to choose'}</option>
          {choices.map((c) => (
            <option key={c.id} value={String(c.id)}>{c.label}</option>
          ))}
        </select>
      </label>
      {act.error && <p className="form-error small" role="alert">{act.error}</p>}
      <div className="transfer-actions">
        <button type="submit" className="button primary" data-testid={`${kind}-submit`} disabled={!ok || act.pending}>
          {act.pending ? words.pending : words.submit}
        </button>
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
