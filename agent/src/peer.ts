/**
 * The agent's end of the peer connection: simple-peer (the same library and
 * signalling format as the console) over node-datachannel's WebRTC polyfill.
 */
import SimplePeer from 'simple-peer';
import { setSctpSettings } from 'node-datachannel';
import * as wrtcPolyfill from 'node-datachannel/polyfill';
import type { IceServer, SignalData } from '../../shared/protocol.js';

const SCTP_SEND_BUFFER_BYTES = 256 * 1024;

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

/**
 * SCTP sends what its buffer holds first come, first served, whatever the
 * channel: a screen update queued behind a file transfer waits for the whole
 * buffer. A smaller buffer than libdatachannel's default keeps that wait short.
 */
setSctpSettings({ sendBufferSize: SCTP_SEND_BUFFER_BYTES });

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
