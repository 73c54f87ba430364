#!/usr/bin/python3
"""An RTSP server that answers OPTIONS/DESCRIBE/SETUP/PLAY, then floods the client with requests and
never reads again. Its receive buffer is set small (SO_RCVBUF) so the client's write backlog builds up
after a few MB instead of the tens of MB Linux would autotune to. Loopback only.
Prints "READY <port>"; serves one connection, exits when it closes."""
import socket, sys

SDP = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n"
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
print("READY %d" % srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
buf = b""
while True:
    data = conn.recv(65536)
    if not data:
        sys.exit(0)
    buf += data
    while b"\r\n\r\n" in buf:
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        method = lines[0].split(b" ")[0]
        cseq = b"0"
        for l in lines[1:]:
            if l.lower().startswith(b"cseq:"):
                cseq = l.split(b":", 1)[1].strip()
        extra, body = b"", b""
        if method == b"DESCRIBE":
            extra, body = b"Content-Type: application/sdp\r\nContent-Base: rtsp://127.0.0.1/s/\r\n", SDP
        elif method == b"SETUP":
            extra = b"Session: N1;timeout=60\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n"
        elif method == b"PLAY":
            extra = b"Session: N1\r\n"
        conn.sendall(b"RTSP/1.0 200 OK\r\nCSeq: " + cseq + b"\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        if method == b"PLAY":
            flood = b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n" * 2000
            try:
                while True:
                    conn.sendall(flood)
            except OSError:
                sys.exit(0)
