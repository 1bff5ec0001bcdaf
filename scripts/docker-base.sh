#!/usr/bin/env bash
# A Debian 12 base image made locally, for machines that reach no image registry (this
# project's CI machines): debootstrap from the machine's own apt mirror, then `docker
# import`. Cached: does nothing when the image already exists (--force remakes it).
#   bash scripts/docker-base.sh            -> local/debian:bookworm
#   CAIRN_BASE_IMAGE=name:tag bash scripts/docker-base.sh
# Real users skip this: docker/Dockerfile's default base is the public python:3.11-slim-bookworm.
set -euo pipefail
image=${CAIRN_BASE_IMAGE:-local/debian:bookworm}
if [ "${1:-}" != --force ] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image exists (cached)"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "FATAL: debootstrap is missing (apt-get install debootstrap)" >&2; exit 1; }
# The mirror apt uses here (deb822 sources first, then the one-line format).
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
if [ -z "$mirror" ]; then
  mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}
rootfs=$(mktemp -d /tmp/cairn-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
  || { tail -30 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"
# The image's apt uses the same mirror, with the security and updates suites as the host has.
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  rm -f "$rootfs/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/debian.sources"
fi
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$image" >/dev/null
echo "made base image $image"
