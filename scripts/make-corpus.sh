#!/usr/bin/env bash
# Rebuilds corpus/ base media with ffmpeg (Debian 12, ffmpeg 5.1). Deterministic settings; the outputs
# are committed so tests never need to run this. DH/DHAV files are made from these by
# scripts/make-dh-corpus (see corpus/README.md).
set -euo pipefail
cd "$(dirname "$0")/../corpus"
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
# 4 s of 640x360 25 fps H.264 Constrained Baseline, IDR every 25 frames (1 s GOP), SPS/PPS before each IDR.
ff -f lavfi -i "testsrc2=size=640x360:rate=25" -t 4 -c:v libx264 -preset veryfast -profile:v baseline \
   -pix_fmt yuv420p -g 25 -keyint_min 25 -sc_threshold 0 -bf 0 -b:v 600k -x264-params repeat-headers=1 \
   -f h264 h264-640x360-25fps.h264
# The same picture in H.265 (Main), 1 s GOP.
ff -f lavfi -i "testsrc2=size=640x360:rate=25" -t 4 -c:v libx265 -preset veryfast -pix_fmt yuv420p \
   -x265-params "keyint=25:min-keyint=25:scenecut=0:bframes=0:repeat-headers=1:log-level=error" -b:v 500k \
   -f hevc h265-640x360-25fps.h265
# 4 s of a 440 Hz tone, 8 kHz mono G.711 mu-law and A-law (raw), and AAC-LC in ADTS at 16 kHz.
ff -f lavfi -i "sine=frequency=440:sample_rate=8000" -t 4 -ac 1 -c:a pcm_mulaw -f mulaw g711u-8k.ulaw
ff -f lavfi -i "sine=frequency=440:sample_rate=8000" -t 4 -ac 1 -c:a pcm_alaw -f alaw g711a-8k.alaw
ff -f lavfi -i "sine=frequency=440:sample_rate=16000" -t 4 -ac 1 -c:a aac -b:a 32k -f adts aac-16k.adts
# 10 baseline JPEG frames, 320x180 (MJPEG corpus), quality ~ q=5.
mkdir -p jpeg
ff -f lavfi -i "testsrc2=size=320x180:rate=5" -frames:v 10 -c:v mjpeg -pix_fmt yuvj420p -q:v 5 jpeg/frame-%02d.jpg
ls -l
