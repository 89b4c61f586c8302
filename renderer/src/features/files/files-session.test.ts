import { describe, expect, it, vi } from 'vitest';
import type { PeerLink } from '../session/peer-link.js';
import { FilesSessions, type FilesSession, type PeersSource } from './files-session.js';

class FakePeers implements PeersSource {
  link: PeerLink | null = null;
  private readonly listeners = new Set<() => void>();
  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  current = () => this.link;
  set(link: PeerLink | null) {
    this.link = link;
    for (const l of this.listeners) l();
  }
}

const fakeLink = () => ({}) as PeerLink;

describe('FilesSessions', () => {
  it('makes one files link and transfer list per session link, and ends them with it, transfers first', () => {
    const peers = new FakePeers();
    const order: string[] = [];
    const create = vi.fn((peer: PeerLink) => {
      const n = create.mock.calls.length;
      void peer;
      return {
        link: { dispose: () => order.push(`link ${n}`) },
        transfers: { dispose: () => order.push(`transfers ${n}`) },
      } as unknown as FilesSession;
    });
    const first = fakeLink();
    peers.link = first;
    const sessions = new FilesSessions(peers, create);
    expect(create).toHaveBeenCalledWith(first);
    const s1 = sessions.current();
    const seen = vi.fn();
    sessions.subscribe(seen);
    peers.set(first);
    expect(sessions.current()).toBe(s1);
    expect(seen).not.toHaveBeenCalled();
    peers.set(fakeLink());
    expect(order).toEqual(['transfers 1', 'link 1']);
    expect(sessions.current()).not.toBe(s1);
    peers.set(null);
    expect(sessions.current()).toBeNull();
    expect(order).toEqual(['transfers 1', 'link 1', 'transfers 2', 'link 2']);
    expect(seen).toHaveBeenCalledTimes(2);
  });
});
