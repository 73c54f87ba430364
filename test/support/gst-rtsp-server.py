#!/usr/bin/python3
"""GStreamer RTSP server (gst-rtsp-server 1.22) for camstream's interop tests. Loopback only.

Usage: gst-rtsp-server.py --port N [--auth none|basic|digest|both] [--user U --password P]
                          [--mount /path=LAUNCH]... [--timeout S]
Prints "READY <port>" on stdout once listening; runs until killed (SIGTERM).
"""
import argparse, signal, sys
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import Gst, GstRtsp, GstRtspServer, GLib

ap = argparse.ArgumentParser()
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--auth", default="none", choices=["none", "basic", "digest", "both"])
ap.add_argument("--user", default="user")
ap.add_argument("--password", default="pass")
ap.add_argument("--mount", action="append", default=[])
ap.add_argument("--timeout", type=int, default=0, help="session timeout (s), shown in Session header")
ap.add_argument("--tls-cert", default="", help="PEM with certificate and key: serve RTSPS (GstRTSPAuth.set_tls_certificate)")
ap.add_argument("--unpaced", action="store_true", help="sinks with sync=false: push a file as fast as the client reads")
args = ap.parse_args()

Gst.init(None)
server = GstRtspServer.RTSPServer()
server.set_address("127.0.0.1")
server.set_service(str(args.port))

auth = None
if args.auth != "none" or args.tls_cert:
    auth = GstRtspServer.RTSPAuth()
if args.tls_cert:
    gi.require_version("Gio", "2.0")
    from gi.repository import Gio
    auth.set_tls_certificate(Gio.TlsCertificate.new_from_file(args.tls_cert))
    if args.auth == "none":
        # With an auth object every request needs a role: give anonymous users the media role.
        anon = GstRtspServer.RTSPToken()
        anon.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
        auth.set_default_token(anon)
    server.set_auth(auth)
if args.auth != "none":
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
    if args.auth in ("basic", "both"):
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
    if args.auth in ("digest", "both"):
        auth.add_digest(args.user, args.password, token)
    basic, digest = GstRtsp.RTSPAuthMethod.BASIC, GstRtsp.RTSPAuthMethod.DIGEST
    if args.auth == "both":
        # The introspection binding types the method mask as a plain enum and refuses BASIC|DIGEST;
        # call the C function with the raw mask through ctypes.
        import ctypes
        lib = ctypes.CDLL("libgstrtspserver-1.0.so.0")
        ctypes.pythonapi.PyCapsule_GetPointer.restype = ctypes.c_void_p
        ctypes.pythonapi.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
        ptr = ctypes.pythonapi.PyCapsule_GetPointer(auth.__gpointer__, None)
        lib.gst_rtsp_auth_set_supported_methods.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.gst_rtsp_auth_set_supported_methods(ptr, int(basic) | int(digest))
    else:
        auth.set_supported_methods(basic if args.auth == "basic" else digest)
    server.set_auth(auth)

mounts = server.get_mount_points()
for m in args.mount:
    path, launch = m.split("=", 1)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch("( " + launch + " )")
    factory.set_shared(False)
    if args.unpaced:
        def on_configure(f, media):
            # The stream sinks (appsink for TCP, udpsink for UDP) are created at SETUP, inside the
            # media's pipeline: turn off clock sync on each as it is added, so a file is not paced.
            def on_added(_bin, _sub, el):
                if el.find_property("sync") is not None:
                    el.set_property("sync", False)
            pipeline = media.get_element().get_parent()
            pipeline.connect("deep-element-added", on_added)
            # The server may set the sinks' sync again when the media goes to PLAYING: redo it then.
            def on_state(m, state):
                it = pipeline.iterate_recurse()
                while True:
                    res, el = it.next()
                    if res != Gst.IteratorResult.OK:
                        break
                    if el.find_property("sync") is not None:
                        el.set_property("sync", False)
            media.connect("new-state", on_state)
        factory.connect("media-configure", on_configure)
    if auth is not None:
        perms = GstRtspServer.RTSPPermissions()
        perms.add_role("user")
        perms.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
        perms.add_permission_for_role("user", GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, True)
        factory.set_permissions(perms)
    mounts.add_factory(path, factory)

if args.timeout > 0:
    def on_client(srv, client):
        def on_session(cl, session):
            session.set_timeout(args.timeout)
            session.props.timeout_always_visible = True
        client.connect("new-session", on_session)
    server.connect("client-connected", on_client)

if server.attach(None) == 0:
    print("ERROR attach failed", flush=True)
    sys.exit(1)
loop = GLib.MainLoop()
signal.signal(signal.SIGTERM, lambda *a: loop.quit())
signal.signal(signal.SIGINT, lambda *a: loop.quit())
print("READY %d" % args.port, flush=True)
loop.run()
