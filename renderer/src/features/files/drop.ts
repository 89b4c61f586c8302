/**
 * What the technician dropped on the files panel: plain files, and folders
 * (through the entries API), walked to the files inside them. Entries must be
 * taken from the DataTransfer while the drop event runs; reading them may
 * happen later.
 */

export interface Dropped {
  files: File[];
  folders: FileSystemDirectoryEntry[];
}

/** Takes what was dropped, synchronously (the DataTransfer is emptied once the event is over). */
export function takeDropped(data: DataTransfer): Dropped {
  const files: File[] = [];
  const folders: FileSystemDirectoryEntry[] = [];
  const items = [...data.items].filter((i) => i.kind === 'file');
  for (const item of items) {
    const entry = typeof item.webkitGetAsEntry === 'function' ? item.webkitGetAsEntry() : null;
    if (entry?.isDirectory) {
      folders.push(entry as FileSystemDirectoryEntry);
      continue;
    }
    const file = item.getAsFile();
    if (file) files.push(file);
  }
  // Some drops carry files without items.
  if (items.length === 0) files.push(...data.files);
  return { files, folders };
}

/** Every entry of a folder (a reader hands them out in batches until it has none left). */
export async function readFolder(folder: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = folder.createReader();
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

export function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

export interface FolderUploadTarget {
  /** Creates `path`; a folder that is already there is fine. */
  mkdir(path: string): Promise<void>;
  upload(file: File, dir: string): void;
}

/** Creates `folder` under `dir` and queues uploads of everything in it, folder by folder. Returns how many files were queued. */
export async function uploadFolder(folder: FileSystemDirectoryEntry, dir: string, target: FolderUploadTarget): Promise<number> {
  const path = dir === '' ? folder.name : `${dir}/${folder.name}`;
  await target.mkdir(path);
  let queued = 0;
  for (const entry of await readFolder(folder)) {
    if (entry.isDirectory) queued += await uploadFolder(entry as FileSystemDirectoryEntry, path, target);
    else if (entry.isFile) {
      target.upload(await fileOf(entry as FileSystemFileEntry), path);
      queued++;
    }
  }
  return queued;
}
