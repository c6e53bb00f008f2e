import { open, readdir, type FileHandle } from 'node:fs/promises';
import type { Registry, RegistryContentType } from 'prom-client';
import { registeredGauge } from './registered-gauge.js';

/** prom-client's default Linux process gauges, which the kit registers in its own way below. */
export const PROM_CLIENT_PROC_SELF_NAMES = ['process_resident_memory_bytes', 'process_virtual_memory_bytes', 'process_heap_bytes', 'process_open_fds'] as const;

type StatusField = 'VmRSS' | 'VmSize' | 'VmData';

/** The `/proc/self/status` fields prom-client reports, in bytes (the file gives kB). */
function statusFields(status: string): Partial<Record<StatusField, number>> {
  const fields: Partial<Record<StatusField, number>> = {};
  for (const match of status.matchAll(/^(VmRSS|VmSize|VmData):\s+(\d+) kB$/gm)) fields[match[1] as StatusField] = Number(match[2]) * 1024;
  return fields;
}

/**
 * `/proc/self/status`, read through one descriptor kept open: each read from its start is a fresh
 * report, in one round trip to the thread pool instead of the five of opening, sizing, reading to the
 * end and closing it.
 */
class StatusFile {
  private handle: Promise<FileHandle> | undefined;
  private readonly buffer = Buffer.alloc(16 * 1024);

  async read(): Promise<string> {
    // A failed open (out of descriptors, say) is tried again at the next read.
    const handle = await (this.handle ??= open('/proc/self/status', 'r').catch((error: unknown) => {
      this.handle = undefined;
      throw error;
    }));
    const { bytesRead } = await handle.read(this.buffer, 0, this.buffer.length, 0);
    return this.buffer.toString('latin1', 0, bytesRead);
  }
}

/**
 * prom-client's Linux process gauges, with its names and help texts, read from `/proc/self` on libuv's
 * thread pool. prom-client reads the same files synchronously, and on a service scraped every few
 * seconds, with nothing of it in the CPU's caches, those reads were the largest part of the time a render
 * held the event loop (docs/performance.md, *Scrape*). The render starts every collect function first
 * (render.ts), so the reads overlap the rest of it. A reading that fails leaves its gauges as they were,
 * as prom-client's do.
 */
export function registerProcSelfMetrics(registry: Registry<RegistryContentType>): void {
  const status = new StatusFile();
  // One reading of the status file sets three gauges; each one's collect waits for it, so whichever
  // order a registry reads them in, none is a scrape behind.
  let statusRead: Promise<void> | undefined;
  const readStatus = (): Promise<void> =>
    (statusRead ??= status
      .read()
      .then((text) => {
        const { VmRSS, VmSize, VmData } = statusFields(text);
        if (VmRSS !== undefined) resident.set(VmRSS);
        if (VmSize !== undefined) virtual.set(VmSize);
        if (VmData !== undefined) heap.set(VmData);
      })
      .catch(() => undefined)
      .finally(() => {
        statusRead = undefined;
      }));
  const gauge = (name: string, help: string, collect: () => Promise<void>) => registeredGauge(registry, name, help, { collect });
  const resident = gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', readStatus);
  const virtual = gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', readStatus);
  const heap = gauge('process_heap_bytes', 'Process heap size in bytes.', readStatus);
  const openFds = gauge('process_open_fds', 'Number of open file descriptors.', async () => {
    const fds = await readdir('/proc/self/fd').catch(() => undefined);
    // The listing counts the descriptor it read the directory through, closed since.
    if (fds) openFds.set(fds.length - 1);
  });
}
