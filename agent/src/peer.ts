/**
 * The agent's end of the peer connection: simple-peer (the same library and
 * signalling format as the console) over node-datachannel's WebRTC polyfill.
 */
import SimplePeer from 'simple-peer';
import * as wrtcPolyfill from 'node-datachannel/polyfill';
import type { IceServer, SignalData } from '../../shared/protocol.js';

/**
 * simple-peer rewrites `offer.sdp` / `answer.sdp` in place, but the polyfill
 * resolves createOffer/createAnswer with RTCSessionDescription objects whose
 * `sdp` is read-only; hand it plain objects instead.
 */
class PlainDescriptionPeerConnection extends wrtcPolyfill.RTCPeerConnection {
  override async createOffer() {
    const d = await super.createOffer();
    return { type: d.type, sdp: d.sdp };
  }
  override async createAnswer() {
    const d = await super.createAnswer();
    return { type: d.type, sdp: d.sdp };
  }
}

/** node-datachannel's WebRTC, shaped for simple-peer's `wrtc` option. */
export const nodeWrtc = {
  RTCPeerConnection: PlainDescriptionPeerConnection,
  RTCSessionDescription: wrtcPolyfill.RTCSessionDescription,
  RTCIceCandidate: wrtcPolyfill.RTCIceCandidate,
};

export function createAgentPeer(iceServers: IceServer[]): SimplePeer.Instance {
  return new SimplePeer({
    initiator: false,
    trickle: true,
    config: { iceServers },
    wrtc: nodeWrtc as unknown as SimplePeer.Options['wrtc'],
  });
}

export function isOffer(data: SignalData): boolean {
  return data.type === 'offer';
}
