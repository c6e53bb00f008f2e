import { startAuth } from '@cinemetrics/testing';

/** The auth service a bench's kit processes verify tokens with; only the seeding write carries one (an admin's). */
export interface BenchIdentity {
  /** `AUTH_URL` for the processes under test. */
  env: Record<string, string>;
  /** An administrator's `Authorization` header. */
  admin: Record<string, string>;
  stop(): Promise<void>;
}

export async function startBenchIdentity(): Promise<BenchIdentity> {
  const auth = await startAuth({ env: { MYSQL_URL: undefined, OTEL_SDK_DISABLED: 'true', LOG_LEVEL: 'warn' } });
  return {
    env: auth.env,
    admin: await auth.identities.adminHeaders(),
    stop: async () => {
      await auth.service.stop();
    },
  };
}
