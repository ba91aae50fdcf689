#!/usr/bin/env bash
# Installs what uwsgi-node's tests need on a fresh Debian/Ubuntu machine (run as root):
# the Debian packages the tests start for real (uWSGI + python3 plugin, nginx, redis; wrk for
# `npm run bench`; iproute2 and util-linux for the network-namespace and PID-namespace tests), then the npm packages and the native addon (`npm ci` builds it with node-gyp
# against Node's headers).
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
packages=(uwsgi-core uwsgi-plugin-python3 redis-server python3 wrk curl)
# packaging (prebuilt addons for linux x64/arm64, glibc/musl; musl-dev:arm64 needs the arm64
# architecture), promtool (prometheus), the terminal view's tmux test, the dashboard's browser test
packages+=(build-essential gcc-aarch64-linux-gnu libc6-dev-arm64-cross musl-tools musl-dev:arm64 prometheus tmux chromium)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then dpkg --add-architecture arm64; fi
# ip netns (remote-access allow-list test) and unshare (PID-namespace isolation test)
packages+=(iproute2 util-linux)
# the docs' examples run by the tests: logrotate (docs/logrotate) and systemd-analyze (docs/systemd)
packages+=(logrotate systemd)
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then packages+=(nginx-light); fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts the services it installs; the tests start their own on ephemeral ports.
for svc in nginx redis-server prometheus; do
  if pidof "$svc" >/dev/null 2>&1 && command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
done

echo "== node $(node --version), npm $(npm --version)"
npm ci --no-audit --no-fund
