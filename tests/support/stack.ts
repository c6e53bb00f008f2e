import {
  startMariaDb,
  startOtlpReceiver,
  startService,
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

/** metadata and rating on MariaDB, movie in front of them, all exporting to one OTLP receiver. */
export async function startMovieStack(extraEnv: Record<string, string> = {}): Promise<MovieStack> {
  const mariadb = await startMariaDb();
  const otlp = await startOtlpReceiver();
  const env = { ...otlpEnv(otlp), MYSQL_URL: mariadb.url, ...extraEnv };
  const [metadata, rating] = await Promise.all([startService('metadata', { env }), startService('rating', { env })]);
  const movie = await startService('movie', { env: { ...env, METADATA_URL: metadata.url, RATING_URL: rating.url } });
  return {
    mariadb,
    otlp,
    metadata,
    rating,
    movie,
    async stop() {
      await Promise.all([movie.stop(), metadata.stop(), rating.stop()]);
      await otlp.close();
      await mariadb.dispose();
    },
  };
}
