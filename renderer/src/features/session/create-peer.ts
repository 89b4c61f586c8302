/**
 * The real peer: simple-peer over the browser's RTCPeerConnection. Kept apart
 * from peer-link.ts so the link can be tested without WebRTC.
 */
import '../../platform/node-globals.js';
import SimplePeer from 'simple-peer';
import type { PeerFactory, PeerLike } from './peer-link.js';

export const createSimplePeer: PeerFactory = ({ iceServers }) => {
  const peer = new SimplePeer({ initiator: true, trickle: true, config: { iceServers } });
  // simple-peer offers one data channel; further ones go on its RTCPeerConnection, which it keeps as `_pc`.
  const pc = (peer as unknown as { _pc: RTCPeerConnection })._pc;
  return Object.assign(peer, {
    createDataChannel: (label: string, init: RTCDataChannelInit) => pc.createDataChannel(label, init),
  }) as unknown as PeerLike;
};
