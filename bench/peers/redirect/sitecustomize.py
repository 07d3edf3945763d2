# Loaded at interpreter start by every peer process (bench/peers puts this folder on PYTHONPATH): sends
# the peers' Graph calls to the loopback sandbox and refuses any other connection or name lookup, so
# nothing leaves the machine. The peers' own code is untouched.
#   FB_PEERS_SANDBOX_URL  http://127.0.0.1:PORT  (required, else this module does nothing)
#   FB_PEERS_BLOCKED_LOG  file that gets one line per refused host (optional)
import ipaddress
import os
import socket

SANDBOX = os.environ.get('FB_PEERS_SANDBOX_URL', '').rstrip('/')
GRAPH_HOSTS = ('https://graph.facebook.com', 'http://graph.facebook.com', 'https://graph-video.facebook.com')
LOCAL_NAMES = {'localhost', '127.0.0.1', '::1', 'ip6-localhost'}


def _blocked(what):
    path = os.environ.get('FB_PEERS_BLOCKED_LOG')
    if path:
        with open(path, 'a', encoding='utf-8') as f:
            f.write(f'{os.getpid()} {what}\n')
    return OSError(f'bench/peers: refused {what} (only the loopback sandbox is reachable)')


def _is_loopback(host):
    try:
        return ipaddress.ip_address(host.split('%')[0]).is_loopback
    except ValueError:
        return host in LOCAL_NAMES


if SANDBOX:
    _getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        h = host.decode() if isinstance(host, bytes) else host
        if h is not None and not _is_loopback(str(h)):
            raise socket.gaierror(socket.EAI_NONAME, str(_blocked(f'lookup {h}')))
        return _getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo

    _connect = socket.socket.connect

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(str(address[0])):
            raise _blocked(f'connect {address[0]}:{address[1]}')
        return _connect(self, address)

    socket.socket.connect = connect

    def rewrite(url):
        for host in GRAPH_HOSTS:
            if isinstance(url, str) and url.startswith(host):
                return SANDBOX + url[len(host):]
        return url

    try:
        import requests.adapters

        _send = requests.adapters.HTTPAdapter.send

        def send(self, request, *args, **kwargs):
            request.url = rewrite(request.url)
            return _send(self, request, *args, **kwargs)

        requests.adapters.HTTPAdapter.send = send
    except ImportError:  # a peer without requests: the socket guard still holds
        pass
