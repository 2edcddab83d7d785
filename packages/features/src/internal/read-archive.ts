import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { isProteusError, ProteusError } from '@proteus-wf/core';
import { unzipSync } from 'fflate';

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
 * Opens a Flow-Bench zip or an extracted folder. The central directory is read once; each entry is inflated by Node's
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
  // Fast path: the central directory read here, each entry inflated by Node's zlib straight from its slice of the
  // zip when its run is read, so at most one run's text is held at a time. A zip this reader does not take (zip64,
  // spanned, inconsistent local headers) is listed by fflate instead, and an entry zlib rejects falls back to
  // fflate's unzipSync for that entry, so only damaged runs are lost and each gets its own error.
  const directory = readCentralDirectory(bytes);
  const names: string[] = [];
  const ignored: string[] = [];
  if (directory !== undefined) {
    for (const name of directory.keys()) {
      if (isNoise(name)) continue;
      if (isCsv(name)) names.push(name);
      else ignored.push(name);
    }
  } else {
    try {
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
  }
  names.sort(compareNames);
  const entries = names.map((name): TraceEntry => {
    let located: ZipEntry | undefined = directory?.get(name);
    return {
      file: name,
      folder: folderOf(name),
      read: async () => {
        const fast = located === undefined ? undefined : inflateEntry(bytes, located);
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
        located = undefined;
      },
    };
  });
  return { kind: 'zip', path, workflow, entries, ignored: ignored.sort(compareNames) };
}

/** Where an entry's data lies in the zip, from its central directory record. */
interface ZipEntry {
  /** 0 stored, 8 deflated. */
  method: number;
  /** The local header's offset. */
  header: number;
  compressedSize: number;
  size: number;
}

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_RECORD = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;

/**
 * The entries of a single-disk, non-zip64 zip by name, from its central directory (no data is read); undefined
 * when the zip is anything else or its directory does not hold together, for fflate to handle.
 */
function readCentralDirectory(bytes: Uint8Array): Map<string, ZipEntry> | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lowest = Math.max(0, bytes.length - 22 - 0xffff);
  let end = -1;
  for (let at = bytes.length - 22; at >= lowest; at--) {
    if (view.getUint32(at, true) === END_OF_DIRECTORY && at + 22 + view.getUint16(at + 20, true) <= bytes.length) {
      end = at;
      break;
    }
  }
  if (end < 0) return undefined;
  const count = view.getUint16(end + 10, true);
  if (view.getUint16(end + 4, true) !== 0 || view.getUint16(end + 8, true) !== count || count === 0xffff) {
    return undefined;
  }
  const directorySize = view.getUint32(end + 12, true);
  let at = view.getUint32(end + 16, true);
  if (at + directorySize > end) return undefined;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries = new Map<string, ZipEntry>();
  for (let k = 0; k < count; k++) {
    if (at + 46 > end || view.getUint32(at, true) !== DIRECTORY_RECORD) return undefined;
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const compressedSize = view.getUint32(at + 20, true);
    const size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const header = view.getUint32(at + 42, true);
    // Encrypted entries and zip64 sizes or offsets are fflate's to handle (or to reject).
    if ((flags & 1) !== 0 || compressedSize === 0xffffffff || size === 0xffffffff || header === 0xffffffff) {
      return undefined;
    }
    const name = text.toString((flags & 0x800) !== 0 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLength);
    entries.set(name, { method, header, compressedSize, size });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The entry's bytes, or undefined when its local header or data does not fit (the caller then tries fflate). */
function inflateEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { header, compressedSize, size, method } = entry;
  if (header + 30 > bytes.length || view.getUint32(header, true) !== LOCAL_HEADER) return undefined;
  const start = header + 30 + view.getUint16(header + 26, true) + view.getUint16(header + 28, true);
  if (start + compressedSize > bytes.length) return undefined;
  const data = bytes.subarray(start, start + compressedSize);
  if (method === 0) return compressedSize === size ? new Uint8Array(data) : undefined;
  if (method !== 8) return undefined;
  try {
    // One output chunk of the entry's size: zlib's default 16 KiB chunks would be concatenated (a copy) afterwards.
    const inflated = inflateRawSync(data, size > 0 && size <= MAX_CHUNK ? { chunkSize: size + 64 } : {});
    return inflated.length === size ? inflated : undefined;
  } catch {
    return undefined;
  }
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
