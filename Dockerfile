# syntax=docker/dockerfile:1
#
# One Dockerfile for every Emporium image.
#
#   docker build --target service --build-arg SERVICE=orders -t emporium/orders .
#   docker build --target all-in-one -t emporium .
#
# A service image holds its bundle (services/<name>/dist/main.js), the SQL migrations and the web
# app its code reads, and the npm packages of `npm ci --omit=dev`: no TypeScript, no tsx, no dev
# dependencies. `docs/decisions/0014-build-with-esbuild.md` says why the code is bundled.

ARG NODE_IMAGE=node:20.20-bookworm-slim

FROM ${NODE_IMAGE} AS base
WORKDIR /app
# tini is PID 1: it passes SIGTERM to node (which drains and exits) and reaps any zombie.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

# Only the package manifests and the lock, so the dependency layers below are rebuilt only when
# one of them changes, not on every source change.
FROM base AS manifests
COPY . /context
RUN cd /context \
 && find . -name package.json -not -path '*/node_modules/*' -exec cp --parents {} /app/ \; \
 && cp package-lock.json /app/

# Every dependency, to build with.
FROM base AS build
COPY --from=manifests /app/ ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY packages/ packages/
COPY services/ services/
COPY tools/ tools/
COPY web/ web/
# Bundles every service and the launcher, builds the web app, and lays out each image's files
# under stage/<name>/ (tools/src/build.ts). Types are checked by CI, not here.
RUN npx tsx tools/src/build.ts --stage stage

# Production dependencies only.
FROM base AS production-dependencies
COPY --from=manifests /app/ ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM base AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data
COPY --from=production-dependencies /app/node_modules/ node_modules/
COPY --from=production-dependencies /app/package.json ./
# A fixed non-root user; the root filesystem can be mounted read-only: only /data (PGlite, when
# no DATABASE_URL is set) and /tmp are written.
RUN groupadd --system --gid 10001 emporium \
 && useradd --system --uid 10001 --gid emporium --home-dir /app --shell /usr/sbin/nologin emporium \
 && mkdir -p /data \
 && chown emporium:emporium /data
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8080
# Ready means the database and the broker answer (the same path as the Kubernetes readiness probe).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]

# One service: `node services/<name>/dist/main.js`; `… migrate` applies its migrations and exits.
FROM runtime AS service
ARG SERVICE
COPY --from=build /app/stage/${SERVICE}/ ./
ENV SERVICE=${SERVICE}
CMD ["sh", "-c", "exec node services/${SERVICE}/dist/main.js"]

# Every service in one process on PGlite in /data, as `npm start` runs them. Production by default
# (it then needs ADMIN_PASSWORD and IDENTITY_SIGNING_KEY); `-e NODE_ENV=development` gives the
# seeded demo with its development accounts.
FROM runtime AS all-in-one
COPY --from=build /app/stage/launcher/ ./
ENV WEB_DIR=/app/web/dist
CMD ["node", "tools/dist/launcher.js", "embedded"]
