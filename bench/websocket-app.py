# Websocket echo through uWSGI's own API (python3 plugin), used by bench/websocket.bench.mjs.
import uwsgi


def application(environ, start_response):
    uwsgi.websocket_handshake()
    while True:
        try:
            msg = uwsgi.websocket_recv()
        except IOError:
            return []
        uwsgi.websocket_send_binary(msg)
