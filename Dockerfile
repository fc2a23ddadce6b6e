# hallmark in a container (for `hallmark policy serve` in Kubernetes, see
# examples/kubernetes/): built on Debian, run from a slim Debian with only
# the shared libraries hallmark links, as a non-root user, on a read-only
# root filesystem (the Deployment sets readOnlyRootFilesystem; hallmark
# writes nothing when serving).
#
#   docker build -t registry.example.com/tools/hallmark:0.1.0 .

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config libssl-dev \
      libcurl4-openssl-dev libcjson-dev libyaml-dev libgit2-dev libsodium-dev libmicrohttpd-dev libp11-kit-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j"$(nproc)" build/hallmark CFLAGS="-O2" && strip build/hallmark

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 libcurl4 libcjson1 libyaml-0-2 \
      libgit2-1.5 libsodium23 libmicrohttpd12 \
 && rm -rf /var/lib/apt/lists/* /var/cache/debconf/* /var/log/*
COPY --from=build /src/build/hallmark /usr/local/bin/hallmark
# no shell needed at run time; a fixed uid that runAsNonRoot can check
USER 65532:65532
ENV HOME=/nonexistent
EXPOSE 8443
ENTRYPOINT ["/usr/local/bin/hallmark"]
CMD ["--help"]
