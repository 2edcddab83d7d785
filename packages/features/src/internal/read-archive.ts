import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { isProteusError, ProteusError } from '@proteus-wf/core';
import {
  type AsyncFlateStreamHandler,
  Unzip,
  type UnzipDecoder,
  type UnzipFile,
  UnzipPassThrough,
  unzipSync,
} from 'fflate';

/** One CSV of a trace archive. */
export interface TraceEntry {
  /** Path inside the archive (zip entry name, or relative to the folder, with `/`). */
  file: string;
  /** The folder holding the CSV (gen-1 label), or undefined for a flat CSV. */
  folder: string | undefined;
  /** The bytes; throws `PROTEUS_FEATURES_ZIP_ENTRY_INVALID` for a corrupt entry. */
  read(): Promise<Uint8Array>;
  /** Lets the archive drop its copy once the run is parsed. */
  release(): void;
}

/** A zip or folder of trace CSVs. */
export interface TraceArchive {
  kind: 'zip' | 'folder';
  path: string;
  /** The zip's or folder's name without extension (`montage.zip` -> `montage`). */
  workflow: string;
  /** CSV entries sorted by path. */
  entries: TraceEntry[];
  /** Entries that are not CSVs (reported, never read). */
  ignored: string[];
}

const WHERE = 'features/loadFlowBench';
/** The largest single inflate output chunk asked for (a lying header cannot make zlib allocate more up front). */
const MAX_CHUNK = 64 * 1024 * 1024;

/**
 * Opens a Flow-Bench zip or an extracted folder. fflate reads the zip structure; each entry is inflated by Node's
 * zlib when it is read, falling back to fflate for that entry, so only damaged runs are lost.
 * @throws ProteusError PROTEUS_FEATURES_PATH_NOT_FOUND, PROTEUS_FEATURES_ZIP_INVALID
 */
export async function openTraceArchive(path: string): Promise<TraceArchive> {
  const info = await stat(path).catch((error: unknown) => {
    throw new ProteusError(
      'PROTEUS_FEATURES_PATH_NOT_FOUND',
      `${WHERE}: no file or folder at ${path}. Pass the path of a Flow-Bench zip (e.g. flowbench/montage.zip) or of its extracted folder.`,
      { cause: error },
    );
  });
  const workflow = basename(path, extname(path));
  if (info.isDirectory()) return openFolder(path, workflow);
  return openZip(path, workflow, await readFile(path));
}

/** One entry as `readEntries` hands it over: its bytes, or the coded error that kept them from being read. */
export type EntryRead =
  | { entry: TraceEntry; bytes: Uint8Array; error?: undefined }
  | { entry: TraceEntry; bytes?: undefined; error: ProteusError };

/**
 * Reads entries one at a time, in order: an entry is inflated only when the consumer asks for it, and released
 * (the archive drops its copy) before the next one is read, so one run's bytes are held at a time.
 * @throws whatever an entry's read throws that is not a ProteusError (a coded error is handed over as `error`)
 */
export async function* readEntries(entries: readonly TraceEntry[]): AsyncGenerator<EntryRead, void, undefined> {
  for (const entry of entries) {
    let read: EntryRead;
    try {
      read = { entry, bytes: await entry.read() };
    } catch (error) {
      if (!isProteusError(error)) throw error;
      read = { entry, error };
    }
    try {
      yield read;
    } finally {
      entry.release();
    }
  }
}

function isCsv(name: string): boolean {
  return name.toLowerCase().endsWith('.csv');
}

function isNoise(name: string): boolean {
  return name.endsWith('/') || name.startsWith('__MACOSX/') || basename(name).startsWith('.');
}

function folderOf(file: string): string | undefined {
  const parts = file.split('/');
  return parts.length > 1 ? parts[parts.length - 2] : undefined;
}

function openZip(path: string, workflow: string, bytes: Uint8Array): TraceArchive {
  const names: string[] = [];
  const ignored: string[] = [];
  try {
    // The central directory alone: names without inflating anything.
    unzipSync(bytes, {
      filter: (file) => {
        if (isNoise(file.name)) return false;
        if (isCsv(file.name)) names.push(file.name);
        else ignored.push(file.name);
        return false;
      },
    });
  } catch (error) {
    throw new ProteusError(
      'PROTEUS_FEATURES_ZIP_INVALID',
      `${WHERE}: ${path} is not a readable zip (${error instanceof Error ? error.message : String(error)}; ${bytes.length} bytes). Is the download truncated? Re-download it or pass the extracted folder.`,
      { cause: error, details: { file: path, bytes: bytes.length } },
    );
  }
  // Fast path: fflate's streaming reader indexes the local headers (keeping views, no copies) and each entry is
  // inflated by Node's zlib when its run is read, so at most one run's text is held at a time. A zip whose local
  // headers disagree with its central directory, or an entry zlib rejects, falls back to fflate's unzipSync for
  // that entry, so only damaged runs are lost and each gets its own error.
  const indexed = indexEntries(bytes, new Set(names));
  names.sort(compareNames);
  const entries = names.map((name): TraceEntry => {
    let file: UnzipFile | undefined = indexed?.get(name);
    return {
      file: name,
      folder: folderOf(name),
      read: async () => {
        const fast = file === undefined ? undefined : inflateEntry(file);
        if (fast !== undefined) return fast;
        try {
          const one = unzipSync(bytes, { filter: (entry) => entry.name === name })[name];
          if (one === undefined) throw new Error('entry vanished');
          return one;
        } catch (error) {
          throw new ProteusError(
            'PROTEUS_FEATURES_ZIP_ENTRY_INVALID',
            `${WHERE}: entry ${name} of ${path} cannot be inflated (${error instanceof Error ? error.message : String(error)}). The zip is damaged; re-download it.`,
            { cause: error, details: { file: name } },
          );
        }
      },
      release: () => {
        file = undefined;
        indexed?.delete(name);
      },
    };
  });
  return { kind: 'zip', path, workflow, entries, ignored: ignored.sort(compareNames) };
}

/** fflate's streaming reader walks the local headers; DEFLATE goes to Node's zlib (several times faster than JS). */
class NativeInflate implements UnzipDecoder {
  static compression = 8;
  ondata: AsyncFlateStreamHandler = () => undefined;
  readonly #chunks: Uint8Array[] = [];
  readonly #originalSize: number | undefined;

  constructor(_name: string, _size?: number, originalSize?: number) {
    this.#originalSize = originalSize;
  }

  push(data: Uint8Array, final: boolean): void {
    if (data.length > 0) this.#chunks.push(data);
    if (!final) return;
    const input = this.#chunks.length === 1 ? (this.#chunks[0] as Uint8Array) : Buffer.concat(this.#chunks);
    this.#chunks.length = 0;
    // One output chunk of the entry's size: zlib's default 16 KiB chunks would be concatenated (a copy) afterwards.
    const size = this.#originalSize;
    const chunkSize = size !== undefined && size <= MAX_CHUNK ? size + 64 : undefined;
    this.ondata(null, inflateRawSync(input, chunkSize === undefined ? {} : { chunkSize }), true);
  }
}

function indexEntries(bytes: Uint8Array, wanted: ReadonlySet<string>): Map<string, UnzipFile> | undefined {
  const files = new Map<string, UnzipFile>();
  try {
    const reader = new Unzip((file) => {
      if (wanted.has(file.name)) files.set(file.name, file);
    });
    reader.register(NativeInflate);
    reader.register(UnzipPassThrough);
    reader.push(bytes, true);
  } catch {
    return undefined;
  }
  return files.size === wanted.size ? files : undefined;
}

/** The entry's bytes, or undefined when the decoder fails (the caller then tries fflate). */
function inflateEntry(file: UnzipFile): Uint8Array | undefined {
  const chunks: Uint8Array[] = [];
  let done = false;
  try {
    file.ondata = (error, data, final) => {
      if (error) throw error;
      if (data.length > 0) chunks.push(data);
      if (final) done = true;
    };
    file.start();
  } catch {
    return undefined;
  } finally {
    // The decoder keeps this handler; drop it so the inflated bytes are not pinned by the index.
    file.ondata = () => undefined;
  }
  if (!done) return undefined;
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : new Uint8Array(Buffer.concat(chunks));
}

async function openFolder(path: string, workflow: string): Promise<TraceArchive> {
  const files: string[] = [];
  const ignored: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      const name = relative(path, full).split(sep).join('/');
      if (entry.name.startsWith('.') || entry.name === '__MACOSX') continue;
      if (entry.isDirectory()) {
        if (entry.name !== 'adjacency_list_dags') await walk(full);
      } else if (isCsv(entry.name)) {
        files.push(name);
      } else {
        ignored.push(name);
      }
    }
  };
  await walk(path);
  files.sort(compareNames);
  const entries = files.map(
    (name): TraceEntry => ({
      file: name,
      folder: folderOf(name),
      read: async () => readFile(join(path, ...name.split('/'))),
      release: () => undefined,
    }),
  );
  return { kind: 'folder', path, workflow, entries, ignored: ignored.sort(compareNames) };
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
