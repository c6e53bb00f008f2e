/**
 * `work`, or a rejection with `Error(message)` once `ms` have passed, whichever comes first. The work
 * itself goes on: this bounds the wait for it (a health check, a shutdown hook, the last telemetry flush).
 */
export async function withinMs(work: Promise<unknown>, ms: number, message = `did not finish within ${ms} ms`): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
