# aop-status container image. Two stages: the first compiles TypeScript with every dependency,
# the second carries only dist/ and the production dependencies, and runs as the unprivileged
# `node` user that the official image ships.
#
#   docker build -t aop-status .
#   docker run --env-file .env -v "$PWD/aop-status.yml:/app/aop-status.yml:ro" -p 3000:3000 aop-status
#
# Configuration comes from the environment (README "Configuration") and from the YAML file,
# which the process reads from /app/aop-status.yml (its working directory) unless AOP_CONFIG
# names another path. Nothing secret is baked into the image: .dockerignore only lets the
# sources and the lockfile in.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; the npm cache is dropped so it does not weigh on the image.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The files above stay owned by root, so the running process cannot change its own code.
USER node
# POST /slack/events (HTTP mode), GET /healthz and GET /metrics; every role serves the last two.
EXPOSE 3000
# The slim image has no curl; Node's own fetch does the same job. /healthz answers 503 with the
# reasons when Redis is unreachable or the workers stopped (README "Operations").
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"]
# node itself is PID 1: src/main.ts handles SIGTERM (finish running jobs, close Redis, exit 0).
# The heap is sized as `npm start` sizes it (README "Memory at scale"): V8 otherwise sizes it from the
# host's memory and, on a large host, lets garbage reach four times the live heap before collecting.
CMD ["node", "--max-old-space-size=512", "--enable-source-maps", "dist/main.js"]
