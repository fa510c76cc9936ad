# syntax=docker/dockerfile:1
# One image for every Chorus process; the command picks the role:
#   worker (default)  node --max-old-space-size=512 --max-semi-space-size=16 --heap-growing-percent=25 dist/workers/reply-worker.js
#   gateway           node dist/src/gateway/main.js
#   slash commands    node dist/src/commands/deploy-commands.js
#
# node:24-slim, not alpine: package-lock.json pins glibc builds of the native binaries (the TypeScript 7
# compiler, msgpackr-extract under BullMQ); on musl they would be skipped or fall back to slower code.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/copy-lua.mjs scripts/
COPY src src
COPY workers workers
# tsc → dist/ (src and workers; the sandbox stays out of the build context), then the Lua scripts beside the JS.
RUN npm run build

FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    HTTP_PORT=8080 \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
# Owned by root and only readable by the app user: the process cannot rewrite its own code.
COPY --from=build /app/dist/src dist/src
COPY --from=build /app/dist/workers dist/workers
USER node
EXPOSE 8080
# No curl in slim: node's own fetch probes the health server.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+process.env.HTTP_PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself, not npm: SIGTERM reaches the process (compose adds `init: true`), so shutdown can drain jobs.
# The worker's heap budget (as `npm run start:worker:prod`): V8 sizes its heap for the host, not the container,
# and at 1,000 jobs in flight let garbage pile up to 600 MB; with it the worker peaks near 250 MB.
CMD ["node", "--max-old-space-size=512", "--max-semi-space-size=16", "--heap-growing-percent=25", "dist/workers/reply-worker.js"]
