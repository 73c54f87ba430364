#!/usr/bin/env bash
# Installs the real third-party peers the interop tests and benchmarks use (Debian 12 packages):
# ffmpeg (decode oracle, reference client), GStreamer's RTSP server driven from Debian's python3
# (with plugins-bad for ONVIF replay timestamps), VLC (a UDP-only RTSP server), tshark (pcapng
# dissection), mediainfo (MP4 checks), Chromium (MediaSource playback), openssl (test certificates).
# Idempotent: does nothing when everything is already there. Needs root (CI and dev machines are root).
set -euo pipefail
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
/usr/bin/python3 -c 'import gi; gi.require_version("GstRtspServer","1.0")' >/dev/null 2>&1 || need+=(
  gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad gstreamer1.0-libav
  gstreamer1.0-tools)
command -v cvlc >/dev/null 2>&1 || need+=(vlc-bin vlc-plugin-base)
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v mediainfo >/dev/null 2>&1 || need+=(mediainfo)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -eq 0 ]; then echo "install-peers: all present"; exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "install-peers: need root to apt-get install: ${need[*]}" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture: answer no, without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "install-peers: installed ${need[*]}"
