import {
  componentLogger,
  DownstreamRegistry,
  downstreamPolicyFromEnv,
  loadDownstreamEnv,
  ReadThroughCache,
  serviceClientCredentials,
  serviceMain,
  traced,
} from '@cinemetrics/kit';
import { movieEnvSchema } from './config.js';
import { MovieController } from './controller.js';
import { CachedMetadataGateway, HttpMetadataGateway } from './gateway/metadata.js';
import { HttpRatingGateway } from './gateway/rating.js';
import type { Metadata } from './model.js';
import { movieRoutes } from './http/routes.js';

serviceMain({
  name: 'movie',
  defaultPorts: { PORT: 8083, ADMIN_PORT: 8093 },
  mainDirectory: __dirname,
  env: () => movieEnvSchema,
  build: ({ env, logger, health }) => {
    // Registered by name once; each gets a keep-alive pool, retries, a breaker and a readiness check.
    const downstreams = new DownstreamRegistry({ logger, health, policy: downstreamPolicyFromEnv(env) });
    // Calls carry the service's own client-credentials token unless a downstream's variables say otherwise.
    const credentials = serviceClientCredentials(env, 'movie');
    if (credentials === undefined) logger.warn('no client credentials (AUTH_CLIENT_SECRET unset): downstream calls carry no token');
    const metadataEnv = loadDownstreamEnv('METADATA', process.env, credentials);
    const ratingEnv = loadDownstreamEnv('RATING', process.env, credentials);
    downstreams.register('metadata', { baseUrl: env.METADATA_URL, ...metadataEnv });
    // Movies are still served without ratings, so a rating outage must not take this service out of rotation.
    downstreams.register('rating', { baseUrl: env.RATING_URL, critical: false, ...ratingEnv });

    const metadataCache = new ReadThroughCache<Metadata>({
      name: 'metadata',
      maxEntries: env.METADATA_CACHE_MAX_ENTRIES,
      ttlMs: env.METADATA_CACHE_TTL_MS,
    });
    const metadata = new CachedMetadataGateway(new HttpMetadataGateway(downstreams.get('metadata')), metadataCache);
    const rating = new HttpRatingGateway(downstreams.get('rating'));
    logger.info(
      {
        request_deadline_ms: env.REQUEST_DEADLINE_MS,
        metadata_cache_max_entries: env.METADATA_CACHE_MAX_ENTRIES,
        metadata_cache_ttl_ms: env.METADATA_CACHE_TTL_MS,
      },
      'movie service configured',
    );
    // One span around the join, so a trace shows the two downstream calls side by side under it.
    const controller = traced<MovieController>(
      new MovieController(metadata, rating, componentLogger(logger, 'controller')),
      'Controller',
      { getMovieDetails: ([id]) => ({ 'movie.id': id }) },
    );
    return {
      routes: movieRoutes(controller),
      shutdownHooks: [downstreams.shutdownHook()],
    };
  },
});
