/**
 * Escalation in the session view: hand the session to a colleague's personal
 * queue or a team's queue, with a note for whoever takes it next. The
 * choices come from what the store already holds (everyone's presence, the
 * technician's teams); the server checks the target again.
 */
import { useId, useState, type FormEvent } from 'react';
import { TRANSFER_NOTE_CHARS, type TransferTarget } from '../../../../shared/escalation.js';
import { useActions, useApi, useAppState } from '../../app/context.js';
import { useAction } from '../../app/use-action.js';

/** `tech:ID` or `team:NAME` in the select, back to the wire's target. */
export function targetOf(value: string): TransferTarget | null {
  if (value.startsWith('tech:')) {
    const id = Number(value.slice(5));
    return Number.isSafeInteger(id) && id > 0 ? { technicianId: id } : null;
  }
  if (value.startsWith('team:') && value.length > 5) return { team: value.slice(5) };
  return null;
}

export function TransferForm({ requestId, onClose }: { requestId: string; onClose: () => void }) {
  const api = useApi();
  const me = useAppState((s) => s.technician?.id ?? null);
  const presence = useAppState((s) => s.presence);
  const teams = useAppState((s) => s.teams);
  const [target, setTarget] = useState('');
  const [note, setNote] = useState('');
  const ids = useId();
  const transfer = useAction(async (to: TransferTarget) => {
    await api.invoke('session:transfer', { requestId, to, note: note.trim() });
  });
  const colleagues = presence.filter((p) => p.id !== me);
  const to = targetOf(target);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (to && !transfer.pending) void transfer.run(to);
  };

  return (
    <form className="transfer-form" data-testid="transfer-form" onSubmit={submit} aria-label="Transfer the session">
      <label className="field" htmlFor={`${ids}-to`}>
        <span>Transfer to</span>
        <select id={`${ids}-to`} data-testid="transfer-target" value={target} onChange={(e) => setTarget(e.target.value)}>
          <option value="">Choose a team or a technician…</option>
          {teams.length > 0 && (
            <optgroup label="Team queues">
              {teams.map((t) => (
                <option key={t.id} value={`team:${t.name}`}>{t.name}</option>
              ))}
            </optgroup>
          )}
          {colleagues.length > 0 && (
            <optgroup label="Technicians">
              {colleagues.map((p) => (
                <option key={p.id} value={`tech:${p.id}`}>{`${p.displayName} (${p.status})`}</option>
              ))}
            </optgroup>
          )}
        </select>
      </label>
      <label className="field" htmlFor={`${ids}-note`}>
        <span>Note for the next technician</span>
        <textarea
          id={`${ids}-note`}
          data-testid="transfer-note"
          rows={3}
          maxLength={TRANSFER_NOTE_CHARS}
          value={note}
          onChange={(e) => setNote(e.target.value)}
        />
      </label>
      {transfer.error && <p className="form-error small" role="alert">{transfer.error}</p>}
      <div className="transfer-actions">
        <button type="submit" className="button primary" data-testid="transfer-submit" disabled={!to || transfer.pending}>
          {transfer.pending ? 'Transferring…' : 'Transfer'}
        </button>
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** Back in the queue after a transfer: say where the session went. */
export function HandedOverBanner() {
  const handedOver = useAppState((s) => s.handedOver);
  const session = useAppState((s) => s.session);
  const { handedOverDismissed } = useActions();
  if (!handedOver || session) return null;
  return (
    <p className="banner" role="status" data-testid="transferred-banner">
      <span>
        You transferred the session with {handedOver.customerName} to {handedOver.to}. It is no longer on this console.
      </span>
      <button className="link-button" onClick={handedOverDismissed}>
        Dismiss
      </button>
    </p>
  );
}
