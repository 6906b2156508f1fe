"""Connections accepted by ``payments serve``'s parent process and served by its workers.

The parent listens and accepts; each new connection's file descriptor goes to the next
worker in turn over a Unix socket pair (``SCM_RIGHTS``, one byte each), and the worker's uvicorn
serves it as if it had accepted it (:class:`Server`). Round robin gives every worker the
same number of connections — 4 clients 2 and 2 — which matters for the few long keep-alive
connections a payroll system or a load balancer keeps open: :func:`cli.serve._serve_workers`
says what the kernel's ways did instead.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time

import uvicorn

log = logging.getLogger("payments.serve")

#: the queue of connections the parent has not accepted yet
BACKLOG = 2048
#: descriptors a worker takes from its channel at one wake-up
BATCH = 64


def listening(host: str, port: int) -> socket.socket:
    """The listening socket, listening before any worker starts: connections that arrive
    meanwhile wait in its queue instead of being refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def hand_out(sock: socket.socket, channels: list[socket.socket]) -> None:
    """Accept every connection and hand it to the workers in turn (a thread of the parent;
    ``channels`` are non-blocking). A worker whose channel is full — it has not read it for
    a while — is passed over for the next; with every channel full the connection is closed
    and the client sees it reset."""
    turn = 0
    while True:
        try:
            conn, _ = sock.accept()
        except OSError as exc:  # EMFILE and the like: the queue keeps the connection
            log.warning("serve: accept failed (%s); retrying", exc)
            time.sleep(0.1)
            continue
        with conn:  # the worker holds its own descriptor once it is sent
            for k in range(len(channels)):
                channel = channels[(turn + k) % len(channels)]
                try:
                    socket.send_fds(channel, [b"c"], [conn.fileno()])
                except OSError:  # full (BlockingIOError), or that worker is gone
                    continue
                turn = (turn + k + 1) % len(channels)
                break


class Server(uvicorn.Server):
    """uvicorn serving the connections handed to it over ``channel`` instead of accepting
    from a socket of its own (it is started with ``sockets=[]``: no listener)."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        loop = asyncio.get_running_loop()
        self.channel.setblocking(False)
        loop.add_reader(self.channel.fileno(), self._take, loop)

    def _protocol(self) -> asyncio.Protocol:
        # what uvicorn's own startup makes for each connection it accepts
        return self.config.http_protocol_class(
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state
        )

    def _take(self, loop: asyncio.AbstractEventLoop) -> None:
        for _ in range(BATCH):
            try:
                _, fds, _, _ = socket.recv_fds(self.channel, 1, 1)
            except (BlockingIOError, InterruptedError):
                return
            for fd in fds:
                conn = socket.socket(fileno=fd)
                conn.setblocking(False)
                loop.create_task(loop.connect_accepted_socket(self._protocol, conn))

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().remove_reader(self.channel.fileno())
        await super().shutdown(sockets=sockets)
