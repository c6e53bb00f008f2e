import {
  startAuth,
  startMariaDb,
  startOtlpReceiver,
  startService,
  type Identities,
  type MariaDb,
  type OtlpReceiver,
  type StartedService,
} from '@cinemetrics/testing';

export interface MovieStack {
  mariadb: MariaDb;
  otlp: OtlpReceiver;
  metadata: StartedService;
  rating: StartedService;
  movie: StartedService;
  auth: StartedService;
  /** Users and clients of the stack's auth service, signed in. */
  identities: Identities;
  stop(): Promise<void>;
}

/** Telemetry settings for tests: export over OTLP to the receiver, quickly. */
export function otlpEnv(otlp: OtlpReceiver, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    LOG_FORMAT: 'json',
    ...extra,
  };
}

/**
 * metadata, rating and auth on MariaDB, movie in front of them (calling with its own client-credentials
 * token), all exporting to one OTLP receiver.
 */
export async function startMovieStack(extraEnv: Record<string, string> = {}): Promise<MovieStack> {
  const mariadb = await startMariaDb();
  const otlp = await startOtlpReceiver();
  const base = { ...otlpEnv(otlp), MYSQL_URL: mariadb.url, ...extraEnv };
  const auth = await startAuth({ env: base });
  const env = { ...base, ...auth.env };
  const [metadata, rating, movieClient] = await Promise.all([
    startService('metadata', { env }),
    startService('rating', { env }),
    auth.identities.client('movie', ['service']),
  ]);
  const movie = await startService('movie', {
    env: { ...env, METADATA_URL: metadata.url, RATING_URL: rating.url, AUTH_CLIENT_SECRET: movieClient.secret },
  });
  return {
    mariadb,
    otlp,
    metadata,
    rating,
    movie,
    auth: auth.service,
    identities: auth.identities,
    async stop() {
      await Promise.all([movie.stop(), metadata.stop(), rating.stop(), auth.service.stop()]);
      await otlp.close();
      await mariadb.dispose();
    },
  };
}
