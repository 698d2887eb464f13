"""Readiness notification for the listener: epoll with one-shot connections on Linux, a selector elsewhere.

Listening sockets stay armed. A connection fires once when it has bytes to read and is then disarmed while a
worker serves it; the worker re-arms it when it is idle again. With epoll the re-arm is one ``epoll_ctl`` from
the worker thread (the kernel call is thread-safe), so the polling thread is not on the request path at all.
The selector fallback hands re-arms to the polling thread through a wake-up socket.
"""

from __future__ import annotations

import contextlib
import select
import selectors
import socket
import threading
from collections import deque
from typing import Any

__all__ = ["Poller", "make_poller"]


class Poller:
    """Common interface; see :func:`make_poller`."""

    def watch(self, sock: Any, data: Any) -> None:
        """Watch ``sock`` for reading until :meth:`forget` (listening sockets, hung connections)."""
        raise NotImplementedError

    def watch_once(self, sock: Any, data: Any) -> None:
        """Report ``sock`` once when readable, then disarm it until :meth:`rearm`."""
        raise NotImplementedError

    def rearm(self, sock: Any, data: Any) -> None:
        """Arm a one-shot socket again (callable from any thread)."""
        raise NotImplementedError

    def forget(self, sock: Any) -> None:
        """Stop watching ``sock`` (call before closing it; callable from any thread)."""
        raise NotImplementedError

    def poll(self, timeout: float) -> list[Any]:
        """The data of every socket that became readable (waits up to ``timeout`` seconds)."""
        raise NotImplementedError

    def wake(self) -> None:
        """Make a blocked :meth:`poll` return."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the poller's own descriptors."""
        raise NotImplementedError


class _EpollPoller(Poller):
    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._data: dict[int, Any] = {}
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._epoll.register(self._wake_r.fileno(), select.EPOLLIN)

    def watch(self, sock: Any, data: Any) -> None:
        self._data[sock.fileno()] = data
        self._epoll.register(sock.fileno(), select.EPOLLIN)

    def watch_once(self, sock: Any, data: Any) -> None:
        self._data[sock.fileno()] = data
        self._epoll.register(sock.fileno(), select.EPOLLIN | select.EPOLLONESHOT)

    def rearm(self, sock: Any, data: Any) -> None:
        self._data[sock.fileno()] = data
        self._epoll.modify(sock.fileno(), select.EPOLLIN | select.EPOLLONESHOT)

    def forget(self, sock: Any) -> None:
        fd = sock.fileno()
        if fd < 0:
            return
        self._data.pop(fd, None)
        with contextlib.suppress(OSError, ValueError):
            self._epoll.unregister(fd)

    def poll(self, timeout: float) -> list[Any]:
        ready = []
        for fd, _ in self._epoll.poll(timeout):
            if fd == self._wake_r.fileno():
                with contextlib.suppress(OSError):
                    self._wake_r.recv(4096)
                continue
            data = self._data.get(fd)
            if data is not None:
                ready.append(data)
        return ready

    def wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def close(self) -> None:
        self._epoll.close()
        self._wake_r.close()
        self._wake_w.close()


class _SelectorPoller(Poller):
    """Portable fallback: only the polling thread touches the selector; others queue their changes."""

    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._changes: deque[tuple[str, Any, Any]] = deque()
        self._once: set[Any] = set()
        self._owner: threading.Thread | None = None

    def _change(self, kind: str, sock: Any, data: Any) -> None:
        if self._owner is None or threading.current_thread() is self._owner:
            self._apply(kind, sock, data)
        else:
            self._changes.append((kind, sock, data))
            self.wake()

    def _apply(self, kind: str, sock: Any, data: Any) -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            if kind == "forget":
                self._once.discard(sock)
                self._selector.unregister(sock)
            else:
                if kind == "once":
                    self._once.add(sock)
                self._selector.register(sock, selectors.EVENT_READ, data)

    def watch(self, sock: Any, data: Any) -> None:
        self._change("watch", sock, data)

    def watch_once(self, sock: Any, data: Any) -> None:
        self._change("once", sock, data)

    def rearm(self, sock: Any, data: Any) -> None:
        self._change("once", sock, data)

    def forget(self, sock: Any) -> None:
        self._change("forget", sock, None)

    def poll(self, timeout: float) -> list[Any]:
        self._owner = threading.current_thread()
        while self._changes:
            self._apply(*self._changes.popleft())
        ready = []
        for key, _ in self._selector.select(timeout):
            if key.fileobj is self._wake_r:
                with contextlib.suppress(OSError):
                    self._wake_r.recv(4096)
                continue
            if key.fileobj in self._once:
                self._once.discard(key.fileobj)
                self._selector.unregister(key.fileobj)
            ready.append(key.data)
        return ready

    def wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def close(self) -> None:
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()


def make_poller() -> Poller:
    """An epoll poller where the platform has one, else the selector fallback."""
    return _EpollPoller() if hasattr(select, "epoll") else _SelectorPoller()
