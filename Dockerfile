# Build and run dli-pg-gateway.
#   docker build -t dli-pg-gateway .
#   docker run -p 15432:15432 dli-pg-gateway            # embedded local DLI + demo data
#   docker run -p 15432:15432 -e DLIGW__DLI__ENDPOINT=https://dli.cn-north-4.myhuaweicloud.com \
#     -e DLIGW__DLI__PROJECT_ID=... -e DLIGW__DLI__AUTH__MODE=aksk \
#     -e DLIGW__DLI__AUTH__AK=... -e DLIGW__DLI__AUTH__SK=... dli-pg-gateway
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin dli-pg-gateway

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/dli-pg-gateway --create-home gateway
COPY --from=build /src/target/release/dli-pg-gateway /usr/local/bin/dli-pg-gateway
COPY config/gateway.example.toml /etc/dli-pg-gateway/gateway.example.toml
USER gateway
WORKDIR /var/lib/dli-pg-gateway
ENV DLIGW__SERVER__LISTEN=0.0.0.0:15432 \
    DLIGW__LOCAL__WAREHOUSE=/var/lib/dli-pg-gateway/warehouse
EXPOSE 15432
ENTRYPOINT ["dli-pg-gateway"]
CMD ["serve"]
