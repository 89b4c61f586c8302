import { describe, expect, it } from 'vitest';
import { TransferTarget } from '../../../../shared/escalation.js';
import { targetOf } from './Transfer.js';

describe('transfer target select', () => {
  it('maps the select value to the wire target, which the contract accepts', () => {
    expect(targetOf('team:Printers')).toEqual({ team: 'Printers' });
    expect(targetOf('tech:7')).toEqual({ technicianId: 7 });
    for (const v of ['team:Printers', 'tech:7']) expect(TransferTarget.safeParse(targetOf(v)).success).toBe(true);
  });

  it('gives nothing for an empty or broken value', () => {
    for (const v of ['', 'team:', 'tech:', 'tech:x', 'tech:-1', 'other']) expect(targetOf(v)).toBeNull();
  });
});
