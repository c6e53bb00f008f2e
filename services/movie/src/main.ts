import { componentLogger, serviceMain, traced } from '@cinemetrics/kit';
import { movieEnvSchema } from './config.js';
import { MovieController } from './controller.js';
import { createDownstreamAgent } from './gateway/http.js';
import { HttpMetadataGateway } from './gateway/metadata.js';
import { HttpRatingGateway } from './gateway/rating.js';
import { movieRoutes } from './http/routes.js';

/** Readiness probes of downstreams stay well inside the health registry's own 1 s bound. */
const ALIVE_TIMEOUT_MAX_MS = 500;

serviceMain({
  name: 'movie',
  defaultPorts: { PORT: 8083, ADMIN_PORT: 8093 },
  mainDirectory: __dirname,
  env: () => movieEnvSchema,
  build: ({ env, logger, health }) => {
    const agent = createDownstreamAgent(env.DOWNSTREAM_TIMEOUT_MS);
    const timeoutMs = env.DOWNSTREAM_TIMEOUT_MS;
    const metadata = new HttpMetadataGateway({ peer: 'metadata', baseUrl: env.METADATA_URL, dispatcher: agent, timeoutMs });
    const rating = new HttpRatingGateway({ peer: 'rating', baseUrl: env.RATING_URL, dispatcher: agent, timeoutMs });
    const aliveTimeoutMs = Math.min(timeoutMs, ALIVE_TIMEOUT_MAX_MS);
    health.register({ name: 'metadata', check: () => metadata.alive(aliveTimeoutMs) });
    // Movies are still served without ratings, so a rating outage must not take this service out of rotation.
    health.register({ name: 'rating', critical: false, check: () => rating.alive(aliveTimeoutMs) });
    logger.info(
      { metadata_url: env.METADATA_URL, rating_url: env.RATING_URL, timeout_ms: timeoutMs },
      'downstream services configured',
    );
    // One span around the join, so a trace shows the two downstream calls side by side under it.
    const controller = traced<MovieController>(
      new MovieController(metadata, rating, componentLogger(logger, 'controller')),
      'Controller',
      { getMovieDetails: ([id]) => ({ 'movie.id': id }) },
    );
    return {
      routes: movieRoutes(controller),
      shutdownHooks: [{ name: 'close downstream connections', run: () => agent.close() }],
    };
  },
});
