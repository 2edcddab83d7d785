import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import type { NetworkTracker } from './network.js';
import { isRunning, type ProcessStat, readBootId, readProcessStat, startedAtSeconds } from './proc.js';

/**
 * `testbed-<testbedId>.json` in the testbed's workDir: who owns the testbed and what it created. Written when
 * provisioning starts (so a process killed half-way leaves a map too), rewritten when it is done, removed by a clean
 * release. `recoverLocalTestbeds` reads it after a crash.
 */
export interface TestbedStateFile {
  version: 2;
  testbedId: string;
  /** The owner process; it is alive only while `pid` runs with the same start time in the same boot. */
  pid: number;
  pidStartTicks: string;
  bootId: string;
  host: string;
  status: 'provisioning' | 'provisioned';
  /** Absolute cgroup folders this testbed created, parents first. */
  cgroups: string[];
  network: NetworkTracker;
  dataNode?: string;
}

/** What a state file of version 1 (before owner start times were recorded) or 2 may hold. */
export interface ParsedStateFile {
  testbedId: string;
  pid: number;
  pidStartTicks?: string;
  bootId?: string;
  host?: string;
  cgroups: string[];
  network: NetworkTracker;
}

/**
 * Testbeds of this process that are provisioning or provisioned: recovery never touches them, whatever the files
 * and folders look like (a folder adopted from a crashed run of a reused pid, say).
 */
export const ownTestbeds = new Set<string>();

/** Seconds of slack when comparing a process start time (1 s resolution) with a file time. */
export const CLOCK_SLACK_SECONDS = 2;

export const STATE_FILE_NAME = /^testbed-([A-Za-z0-9_.-]{1,32})\.json$/;

export function stateFilePath(workDir: string, testbedId: string): string {
  return join(resolve(workDir), `testbed-${testbedId}.json`);
}

let self: { pid: number; pidStartTicks: string; bootId: string } | undefined;

/** This process, as a state file records its owner. */
export function ownerIdentity(): { pid: number; pidStartTicks: string; bootId: string; host: string } {
  self ??= {
    pid: process.pid,
    pidStartTicks: readProcessStat(process.pid)?.startTicks ?? '',
    bootId: readBootId(),
  };
  return { ...self, host: hostname() };
}

/** Parses a state file's text; undefined when it is not one (the reason goes to `problems`). */
export function parseStateFile(text: string, file: string, problems: string[]): ParsedStateFile | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    problems.push(`${file}: not JSON (${(error as Error).message}); remove it once its testbed is cleaned up by hand`);
    return undefined;
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const strings = (x: unknown): string[] =>
    Array.isArray(x) ? x.filter((item): item is string => typeof item === 'string') : [];
  const network = (typeof record.network === 'object' && record.network !== null ? record.network : {}) as Record<
    string,
    unknown
  >;
  if (typeof record.testbedId !== 'string' || !Number.isSafeInteger(record.pid) || (record.pid as number) < 1) {
    problems.push(`${file}: no testbedId and owner pid (got keys ${Object.keys(record).join(', ') || 'none'})`);
    return undefined;
  }
  const parsed: ParsedStateFile = {
    testbedId: record.testbedId,
    pid: record.pid as number,
    cgroups: strings(record.cgroups),
    network: {
      bridges: strings(network.bridges),
      links: strings(network.links),
      namespaces: strings(network.namespaces),
    },
  };
  if (typeof record.pidStartTicks === 'string') parsed.pidStartTicks = record.pidStartTicks;
  if (typeof record.bootId === 'string') parsed.bootId = record.bootId;
  if (typeof record.host === 'string') parsed.host = record.host;
  return parsed;
}

/** Whether the owner recorded in a state file still runs, and why we think so. */
export type OwnerVerdict =
  | { alive: true; reason: string }
  | { alive: false; reason: string }
  | { alive: 'elsewhere'; reason: string };

/**
 * Judges a state file's owner: alive only when its pid runs (zombies do not count) and is the same process, i.e.
 * has the recorded start time in the recorded boot. Files from before start times were recorded fall back to the
 * file's modification time: a process that started after the file was written cannot have written it.
 */
export function judgeOwner(state: ParsedStateFile, fileModifiedSeconds: number): OwnerVerdict {
  if (state.host !== undefined && state.host !== hostname()) {
    return { alive: 'elsewhere', reason: `written on host ${state.host} (this is ${hostname()})` };
  }
  const stat: ProcessStat | undefined = readProcessStat(state.pid);
  if (!isRunning(stat)) return { alive: false, reason: `owner pid ${state.pid} is gone` };
  if (state.bootId !== undefined && state.bootId !== readBootId()) {
    return { alive: false, reason: `written before the last reboot (boot ${state.bootId})` };
  }
  if (state.pidStartTicks !== undefined) {
    return stat.startTicks === state.pidStartTicks
      ? { alive: true, reason: `owner pid ${state.pid} is alive` }
      : {
          alive: false,
          reason: `pid ${state.pid} was reused (start ${stat.startTicks} ticks, the owner's was ${state.pidStartTicks})`,
        };
  }
  return startedAtSeconds(stat) <= fileModifiedSeconds + CLOCK_SLACK_SECONDS
    ? { alive: true, reason: `owner pid ${state.pid} is alive (legacy state file)` }
    : { alive: false, reason: `pid ${state.pid} started after the state file was written (reused)` };
}
