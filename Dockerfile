# Strata DICOMweb server. The TypeScript sources are compiled to dist/ (bin/build.mjs, esbuild) and
# run as plain JavaScript: no TypeScript loader in the running process.
# Embedded default: PGlite index + filesystem blobs under /data; set DATABASE_URL for PostgreSQL.
# Node 22 LTS is the supported runtime (package.json engines; 20.19+ still works).
FROM node:22-bookworm-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data

WORKDIR /app

# Dependencies first, so source edits reuse this layer. sharp ships prebuilt binaries for
# linux-x64/arm64 glibc inside its npm packages.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY migrations ./migrations
# .dockerignore keeps test support out of src (testing/ folders, *.test.ts, *.contract.ts); fail
# the build if any slipped through.
RUN if find src -path '*/testing/*' -o -name '*.test.ts' -o -name '*.contract.ts' | grep -q .; then \
      echo 'test support in the image' >&2; exit 1; fi
RUN node bin/build.mjs

# Run as the unprivileged user of the base image; /data is the only writable place it needs.
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080

# Readiness, not liveness: Docker's health status answers "can it serve?", which is what compose
# `depends_on: condition: service_healthy` and load balancers wait for; /readyz checks the index
# and every storage tier (2 s each, inside the 5 s timeout). Docker restarts nothing on
# "unhealthy", so a database outage marks the container unhealthy without killing it. On
# Kubernetes use /healthz (process only) as livenessProbe and /readyz as readinessProbe. The
# start period covers DATABASE_CONNECT_RETRY_SECONDS (60 s) of waiting for the database.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

# SIGTERM from `docker stop` closes the server cleanly (cli/serve.ts).
ENTRYPOINT ["node", "dist/main.js"]
CMD ["serve"]
