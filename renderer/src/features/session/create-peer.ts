/**
 * The real peer: simple-peer over the browser's RTCPeerConnection. Kept apart
 * from peer-link.ts so the link can be tested without WebRTC.
 */
import '../../platform/node-globals.js';
import SimplePeer from 'simple-peer';
import type { PeerFactory, PeerLike } from './peer-link.js';

export const createSimplePeer: PeerFactory = ({ iceServers }) =>
  new SimplePeer({ initiator: true, trickle: true, config: { iceServers } }) as unknown as PeerLike;
