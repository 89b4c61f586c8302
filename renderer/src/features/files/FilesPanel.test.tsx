import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, describe, expect, it } from 'vitest';
import { FilesLink } from './files-link.js';
import { FilesPanel, percentDone, typedPath } from './FilesPanel.js';
import { TransferManager } from './transfers.js';
import { FakeFilesPeer, MemoryDownloadStore, PatternFile } from './testing.js';

const disposers: Array<() => void> = [];
afterEach(() => {
  for (const d of disposers.splice(0)) d();
});

function session() {
  const link = new FilesLink({ peer: new FakeFilesPeer(), log: { warn: () => undefined, info: () => undefined } });
  let id = 0;
  const transfers = new TransferManager({ link, store: new MemoryDownloadStore(), save: () => undefined, nextId: () => ++id });
  disposers.push(() => {
    transfers.dispose();
    link.dispose();
  });
  return { link, transfers };
}

describe('FilesPanel', () => {
  it('renders the browser, the drop zone and the transfers with their test ids, names as text', () => {
    const files = session();
    files.transfers.upload(new PatternFile('<img src=x onerror=alert(1)>.txt', 10), 'home', '');
    const html = renderToStaticMarkup(<FilesPanel files={files} allowed={{ ok: true }} active agentOnline />);
    for (const id of ['files-panel', 'files-dropzone', 'files-up', 'files-refresh', 'files-path', 'files-path-input', 'files-new-folder',
      'files-rename', 'files-delete', 'files-download', 'files-upload-input', 'files-connection', 'transfer', 'transfer-progress',
      'transfer-speed', 'transfer-eta', 'transfer-cancel']) {
      expect(html).toContain(`data-testid="${id}"`);
    }
    expect(html).toContain('data-state="queued"');
    expect(html).toContain('data-direction="upload"');
    expect(html).toContain('aria-valuenow="0"');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;.txt');
  });

  it('shows only the transfers when files are not allowed', () => {
    const html = renderToStaticMarkup(<FilesPanel files={session()} allowed={{ ok: false, reason: 'No.' }} active agentOnline />);
    expect(html).toContain('data-testid="files-panel"');
    expect(html).not.toContain('data-testid="files-dropzone"');
    expect(html).toContain('Nothing transferred yet');
  });

  it('reads a typed path as a path relative to the place', () => {
    expect(typedPath('  ')).toBe('');
    expect(typedPath('/')).toBe('');
    expect(typedPath('Documents/Letters/')).toBe('Documents/Letters');
    expect(typedPath('../../etc')).toBe('../../etc');
    expect(typedPath('/etc')).toBe('/etc');
  });

  it('shows whole percents, 100 only when done', () => {
    expect(percentDone({ size: null, bytesDone: 0, state: 'running' })).toBe(0);
    expect(percentDone({ size: 1000, bytesDone: 999, state: 'verifying' })).toBe(99);
    expect(percentDone({ size: 1000, bytesDone: 500, state: 'running' })).toBe(50);
    expect(percentDone({ size: 0, bytesDone: 0, state: 'done' })).toBe(100);
  });
});
