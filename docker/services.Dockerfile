# PostgreSQL 15 and Redis 7-compatible images on a local Debian 12 base, for machines that
# reach no image registry (scripts/docker-smoke.sh builds them). Real users keep the public
# postgres:15-bookworm and redis:7-bookworm images that docker/compose.yaml names by default;
# these take the same environment (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, PGDATA)
# and the same command forms, so compose.yaml runs either unchanged.
#   docker build -f docker/services.Dockerfile --target postgres --build-arg BASE_IMAGE=... .
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS postgres
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
COPY docker/postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
USER postgres
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]

FROM ${BASE_IMAGE} AS redis
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/* && mkdir -p /data && chown redis:redis /data
WORKDIR /data
USER redis
CMD ["redis-server"]
