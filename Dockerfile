# syntax=docker/dockerfile:1
#
# recovery-bot in a container: built with Rust 1.95, run on Debian slim as a non-root user, the store on the
# volume /data, /metrics and /healthz on port 9477. Not built in CI (see README, "Running in Docker").
#
#   docker build -t recovery-bot .
#   docker run -d --name recovery-bot --env-file recovery-bot.env -v recovery-bot-data:/data recovery-bot
#
# Both stages are on the same Debian release, so the binary finds the glibc it was linked against.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin recovery-bot \
 && strip target/release/recovery-bot

FROM debian:bookworm-slim
# ca-certificates: TLS to Telegram, Discord and the meeting feeds.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin recovery-bot \
 && mkdir /data \
 && chown recovery-bot:recovery-bot /data
COPY --from=build /src/target/release/recovery-bot /usr/local/bin/recovery-bot

USER recovery-bot
WORKDIR /data
VOLUME ["/data"]
# The store lives on the volume; /metrics and /healthz listen on every interface of the container (publish
# the port only to a private network: `-p 127.0.0.1:9477:9477`). A configuration file can be mounted and
# named with RECOVERY_BOT_CONFIG; tokens come from the environment (TELOXIDE_TOKEN, DISCORD_TOKEN).
ENV RECOVERY_BOT_STORE=/data/store \
    RECOVERY_BOT_METRICS_LISTEN=0.0.0.0:9477
EXPOSE 9477

# The binary asks its own /healthz (the address above, on the loopback): healthy when every configured
# platform is connected and the reminder scheduler runs.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["recovery-bot", "health"]

# SIGTERM (docker stop) stops cleanly: replies in flight finish, the store is flushed. Give it 30 s:
# `docker stop -t 30`.
STOPSIGNAL SIGTERM
ENTRYPOINT ["recovery-bot"]
CMD ["serve"]
