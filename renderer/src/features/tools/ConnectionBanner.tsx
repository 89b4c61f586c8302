import { useAppState } from '../../app/context.js';

/** Why the tools channel is not open, for the panels that need it; nothing once it is (or the session is over). */
export function ConnectionBanner({ active, agentOnline }: { active: boolean; agentOnline: boolean }) {
  const toolsOpen = useAppState((s) => s.toolsOpen);
  if (toolsOpen || !active) return null;
  return (
    <p className="banner" role="status" data-testid="tools-connection">
      {agentOnline ? 'Waiting for the connection to the remote computer…' : 'The support client is not connected.'}
    </p>
  );
}
