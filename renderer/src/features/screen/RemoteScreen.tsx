/**
 * The remote screen: a canvas whose pixel size is the remote screen's,
 * shown contain-fitted (CSS object-fit) and focusable for input. Rects go
 * from the peer link to the painter directly; React only mounts the canvas.
 * React must never render width/height on it: setting either clears it.
 */
import { useEffect, useRef, useState } from 'react';
import type { PeerLink } from '../session/peer-link.js';
import { ScreenPainter } from './screen-painter.js';
import { attachScreenInput } from './screen-input.js';

export function RemoteScreen({ link, placeholder }: { link: PeerLink | null; placeholder: string | null }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [hasPicture, setHasPicture] = useState(false);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || !link) return;
    const painter = new ScreenPainter(canvas, {
      onFrameDone: (frame) => {
        link.send({ t: 'ack', frame });
        setHasPicture(true);
      },
    });
    const disposers = [
      link.onPeerStarted(() => painter.restart()),
      link.onMessage((m) => {
        if (m.kind === 'rect') painter.fragment(m.fragment);
        else if (m.msg.t === 'screen') painter.resize(m.msg.width, m.msg.height);
      }),
      attachScreenInput(canvas, {
        send: (msg) => link.send(msg),
        remoteSize: () => painter.remoteSize,
      }),
    ];
    return () => {
      for (const d of disposers) d();
      painter.dispose();
    };
  }, [link]);

  return (
    <div className="screen">
      <canvas
        ref={canvasRef}
        className="remote-canvas"
        data-testid="remote-canvas"
        tabIndex={0}
        aria-label="Remote screen. Click to control; keys and mouse go to the remote computer while it has focus."
      />
      {(placeholder || !hasPicture) && (
        <div className="screen-overlay" aria-hidden="true">
          <span>{placeholder ?? 'Waiting for the remote screen…'}</span>
        </div>
      )}
    </div>
  );
}
