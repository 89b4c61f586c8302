/**
 * The remote screen: a toolbar, and a canvas whose pixel size is the
 * streamed area's, shown fitted to the window or 1:1 with scrolling, with
 * the remote pointer drawn over it. Rects, cursor messages and input go
 * between the peer link and the canvas directly; React only mounts the
 * elements and holds the technician's view settings.
 * React must never render width/height on the canvas: setting either clears it.
 */
import { useEffect, useRef, useState } from 'react';
import { useActions, useAppState } from '../../app/context.js';
import type { PeerLink } from '../session/peer-link.js';
import { CanvasSurface } from './canvas-surface.js';
import { AckHolder } from './ack-holder.js';
import { WorkerDecoder } from './decoder.js';
import { placement, type ScaleMode } from './geometry.js';
import { RemoteCursor } from './remote-cursor.js';
import { ScreenPainter } from './screen-painter.js';
import { attachScreenInput, type ScreenInput } from './screen-input.js';
import { ScreenToolbar } from './ScreenToolbar.js';
import { formatRates, RateMeter, STATS_PERIOD_MS } from './stats.js';
import { useFullscreen } from './use-fullscreen.js';

export function RemoteScreen({ link, placeholder }: { link: PeerLink | null; placeholder: string | null }) {
  const { viewOnlyChanged } = useActions();
  const viewOnly = useAppState((s) => s.viewOnly);
  const control = useAppState((s) => s.session?.consent.control ?? false);
  const [scaleMode, setScaleMode] = useState<ScaleMode>('fit');
  const [hasPicture, setHasPicture] = useState(false);
  const [pasteProblem, setPasteProblem] = useState<string | null>(null);
  const paneRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const cursorRef = useRef<HTMLCanvasElement>(null);
  const statsRef = useRef<HTMLSpanElement>(null);
  const fullscreen = useFullscreen(paneRef, !viewOnly);

  // The long-lived objects below read the view settings through refs, so changing one never rebuilds them.
  const settings = useRef({ scaleMode, viewOnly });
  const screen = useRef<{ input: ScreenInput; cursor: RemoteCursor; relayout(): void } | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    const cursorElement = cursorRef.current;
    const statsElement = statsRef.current;
    if (!canvas || !cursorElement || !statsElement || !link) return;
    const decoder = new WorkerDecoder({ onWorkerFailed: () => link.send({ t: 'refresh' }) });
    let pictured = false;
    const acks = new AckHolder({ send: (msg) => link.send(msg) });
    const painter = new ScreenPainter({
      surface: new CanvasSurface(canvas),
      decoder,
      onFrameDone: (frame, bytes) => {
        acks.frameDone(frame, bytes);
        if (pictured) return;
        pictured = true;
        setHasPicture(true);
      },
    });
    const cursor = new RemoteCursor({ element: cursorElement, screen: canvas, decoder });
    const relayout = () => {
      const remote = painter.remoteSize;
      const box = { width: canvas.clientWidth, height: canvas.clientHeight };
      cursor.layout(placement(settings.current.scaleMode, box, remote ?? { width: 0, height: 0 }), remote);
    };
    const input = attachScreenInput(canvas, {
      send: (msg) => {
        acks.flush();
        link.send(msg);
      },
      remoteSize: () => painter.remoteSize,
      scaleMode: () => settings.current.scaleMode,
      enabled: () => !settings.current.viewOnly,
      onPasteRefused: (problem) => setPasteProblem(`Not pasted. ${problem}`),
    });
    screen.current = { input, cursor, relayout };

    const resized = new ResizeObserver(relayout);
    resized.observe(canvas);

    const meter = new RateMeter();
    const showStats = () => {
      const rates = meter.sample(performance.now(), { frames: painter.framesPainted, bytes: link.bytesReceived });
      statsElement.dataset.fps = String(rates.fps);
      statsElement.dataset.kbps = String(rates.kBps);
      statsElement.textContent = formatRates(rates);
    };
    showStats();
    const statsTimer = setInterval(showStats, STATS_PERIOD_MS);

    const disposers = [
      link.onPeerStarted(() => {
        acks.drop();
        painter.restart();
        cursor.reset();
      }),
      link.onMessage((m) => {
        if (m.kind === 'rect') return painter.fragment(m.fragment);
        if (m.kind === 'cursor') return cursor.shape(m.cursor);
        if (m.kind === 'controls') return; // the agent sends none
        if (m.msg.t === 'cursor-pos') return cursor.position(m.msg);
        if (m.msg.t === 'screen') {
          painter.resize(m.msg.width, m.msg.height);
          relayout();
        }
      }),
    ];
    return () => {
      for (const d of disposers) d();
      clearInterval(statsTimer);
      resized.disconnect();
      input.dispose();
      acks.drop();
      cursor.dispose();
      painter.dispose();
      decoder.dispose();
      screen.current = null;
    };
  }, [link]);

  // Declared after the effect that builds `screen`, so they see the new one when the link changes.
  useEffect(() => {
    settings.current = { scaleMode, viewOnly };
    screen.current?.relayout();
  }, [scaleMode, viewOnly]);

  useEffect(() => {
    screen.current?.cursor.setLocalPointerMayHide(control && !viewOnly);
  }, [control, viewOnly, link]);

  const changeViewOnly = (on: boolean) => {
    if (on) screen.current?.input.releaseAll();
    viewOnlyChanged(on);
  };

  return (
    <div className="screen-pane" ref={paneRef}>
      <ScreenToolbar
        link={link}
        scaleMode={scaleMode}
        onScaleMode={setScaleMode}
        fullscreen={fullscreen}
        onViewOnly={changeViewOnly}
        onSpecialKey={(keys) => {
          screen.current?.input.chord(keys);
          canvasRef.current?.focus({ preventScroll: true });
        }}
        statsRef={statsRef}
      />
      {pasteProblem && (
        <p className="banner error screen-banner" role="alert" data-testid="paste-refused">
          <span>{pasteProblem}</span>
          <button className="link-button" onClick={() => setPasteProblem(null)}>
            Dismiss
          </button>
        </p>
      )}
      <div className={`screen ${scaleMode === 'fit' ? 'fit' : 'one-to-one'}`}>
        <div className="screen-stage">
          <canvas
            ref={canvasRef}
            className="remote-canvas"
            data-testid="remote-canvas"
            tabIndex={0}
            aria-label={
              viewOnly
                ? 'Remote screen, view only.'
                : 'Remote screen. Click to control; keys and mouse go to the remote computer while it has focus.'
            }
          />
          <canvas ref={cursorRef} className="remote-cursor" data-testid="remote-cursor" aria-hidden="true" hidden />
        </div>
        {(placeholder || !hasPicture) && (
          <div className="screen-overlay" aria-hidden="true">
            <span>{placeholder ?? 'Waiting for the remote screen…'}</span>
          </div>
        )}
      </div>
    </div>
  );
}
