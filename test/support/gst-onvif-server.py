#!/usr/bin/python3
"""GStreamer's ONVIF RTSP server (gst-rtsp-server 1.22: RTSPOnvifServer + RTSPOnvifMediaFactory) for
camstream's playback and two-way audio interop tests. Loopback only.

Usage: gst-onvif-server.py --port N
         [--backchannel /path]     live H.264 + a PCMU backchannel; what arrives on the backchannel is
                                   depayloaded and appended to --sink-file (a filesink in the backchannel
                                   pipeline itself, unbuffered: the file's size is what arrived)
         [--sink-file FILE]
         [--replay /path=FILE.mp4] an MP4 recording served with replay support (Require: onvif-replay),
                                   H.264 payloaded then stamped by rtponviftimestamp (RTP extension 0xABAC)
         [--replay-start ISO8601]  the recording's absolute start (UTC) for the NTP offset
Prints "READY <port>" once listening; runs until SIGTERM.
"""
import argparse, calendar, signal, sys, time
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer, GLib

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--backchannel", action="append", default=[])
ap.add_argument("--sink-file", default="/dev/null")
ap.add_argument("--replay", action="append", default=[])
ap.add_argument("--replay-start", default="2024-01-02T03:04:05Z")
ap.add_argument("--e-bit", action="store_true")
ap.add_argument("--t-bit", action="store_true")
args = ap.parse_args()

Gst.init(None)
server = GstRtspServer.RTSPOnvifServer()
server.set_address("127.0.0.1")
server.set_service(str(args.port))
mounts = server.get_mount_points()

LIVE = ("videotestsrc is-live=true ! video/x-raw,width=320,height=180,framerate=25/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! rtph264pay name=pay0 pt=96")
# The sink is part of the launch line: nothing to connect after the media is built (a handoff signal
# connected from media-configure could miss the element and so every buffer).
BACKCHANNEL = ('capsfilter caps="application/x-rtp,media=audio,payload=0,clock-rate=8000,encoding-name=PCMU" '
               'name=depay_backchannel ! rtppcmudepay ! filesink location="%s" append=true buffer-mode=unbuffered async=false sync=false'
               % args.sink_file.replace('"', ''))

for path in args.backchannel:
    f = GstRtspServer.RTSPOnvifMediaFactory()
    # The ONVIF factory only builds RTSPOnvifMedia; the default media type makes construct() fail.
    f.set_media_gtype(GstRtspServer.RTSPOnvifMedia)
    f.set_launch("( " + LIVE + " )")
    f.set_backchannel_launch("( " + BACKCHANNEL + " )")
    f.set_shared(False)
    mounts.add_factory(path, f)

NTP_UNIX = 2208988800
start_unix = calendar.timegm(time.strptime(args.replay_start, "%Y-%m-%dT%H:%M:%SZ"))


class ReplayFactory(GstRtspServer.RTSPOnvifMediaFactory):
    def __init__(self, location):
        super().__init__()
        self.location = location
        self.set_replay_support(True)
        self.set_media_gtype(GstRtspServer.RTSPOnvifMedia)
        self.set_shared(False)

    def do_create_element(self, url):
        top = Gst.Bin.new("replay")
        src = Gst.ElementFactory.make("filesrc")
        src.set_property("location", self.location)
        demux = Gst.ElementFactory.make("qtdemux")
        parse = Gst.ElementFactory.make("h264parse")
        pay_bin = Gst.Bin.new("pay0")
        pay = Gst.ElementFactory.make("rtph264pay")
        pay.set_property("pt", 96)
        pay.set_property("config-interval", -1)
        ts = Gst.ElementFactory.make("rtponviftimestamp")
        # NTP time = running time + offset: the recording's absolute start, in ns since 1900.
        ts.set_property("ntp-offset", (start_unix + NTP_UNIX) * Gst.SECOND)
        ts.set_property("set-e-bit", args.e_bit)
        ts.set_property("set-t-bit", args.t_bit)
        for e in (pay, ts):
            pay_bin.add(e)
        pay.link(ts)
        pay_bin.add_pad(Gst.GhostPad.new("sink", pay.get_static_pad("sink")))
        pay_bin.add_pad(Gst.GhostPad.new("src", ts.get_static_pad("src")))
        for e in (src, demux, parse, pay_bin):
            top.add(e)
        src.link(demux)
        parse.link(pay_bin)
        demux.connect("pad-added", lambda _d, pad: pad.link(parse.get_static_pad("sink")) if pad.get_name().startswith("video") else None)
        return top


for spec in args.replay:
    path, location = spec.split("=", 1)
    mounts.add_factory(path, ReplayFactory(location))

if server.attach(None) == 0:
    print("ERROR attach failed", flush=True)
    sys.exit(1)
loop = GLib.MainLoop()
signal.signal(signal.SIGTERM, lambda *a: loop.quit())
signal.signal(signal.SIGINT, lambda *a: loop.quit())
print("READY %d" % args.port, flush=True)
loop.run()
