# tipstream/tipstream: this repository with its npm dependencies and the Flink functions jar
# (flink-udf/) built into TIPSTREAM_CACHE_DIR, where `tipstream deploy` finds it and names it in
# ADD JAR (the SQL Gateway's init container copies it to the same path). Build from the
# repository root: deploy/kubernetes/images/build.sh. Not built by the tests.
FROM node:22-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jdk-headless maven \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/tipstream
ENV TIPSTREAM_CACHE_DIR=/opt/tipstream/cache
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
RUN node --import tsx -e "const { loadConfig } = await import('./common/config.ts'); const { ensureFunctionsJar } = await import('./orchestrator/index.ts'); const { createProgress } = await import('./common/progress.ts'); console.log(await ensureFunctionsJar(loadConfig(), createProgress(false)));" \
 && rm -rf "$TIPSTREAM_CACHE_DIR/m2"
ENTRYPOINT ["node", "bin/tipstream.js"]
