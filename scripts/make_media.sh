#!/usr/bin/env bash
# Regenerate the tiny offline lecture clips in course_content/media/ (committed; a few KB
# each) so the video player and its events work with no network. Needs Debian's ffmpeg.
set -euo pipefail
out=course_content/media
mkdir -p "$out"
sources=("testsrc2=size=192x108:rate=10" "smptebars=size=192x108:rate=10" "mandelbrot=size=192x108:rate=10")
for i in 1 2 3; do
  ffmpeg -loglevel error -y \
    -f lavfi -i "${sources[$((i-1))]}" -f lavfi -i "sine=frequency=$((220*i)):sample_rate=22050" \
    -t 6 -c:v libx264 -profile:v baseline -pix_fmt yuv420p -b:v 12k -maxrate 16k -bufsize 32k -c:a aac -b:a 12k -ac 1 \
    -movflags +faststart "$out/lecture-$i.mp4"
done
ls -l "$out"
