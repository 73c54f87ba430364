#!/usr/bin/env bash
# Installs the real third-party peers the interop tests and benchmarks use (Debian 12 packages):
# ffmpeg (decode oracle, reference client), GStreamer's RTSP server driven from Debian's python3.
# Idempotent: does nothing when everything is already there. Needs root (CI and dev machines are root).
set -euo pipefail
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
/usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer","1.0")' >/dev/null 2>&1 || need+=(
  gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad gstreamer1.0-libav
  gstreamer1.0-tools)
if [ ${#need[@]} -eq 0 ]; then echo "install-peers: all present"; exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "install-peers: need root to apt-get install: ${need[*]}" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "install-peers: installed ${need[*]}"
