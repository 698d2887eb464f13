"""Who may talk to the simulated hosts: Basic, NTLM/Negotiate (pyspnego as acceptor) and WinRM message encryption.

pyspnego's NTLM acceptor validates the initiator against a flat file named by the process-wide environment
variable ``NTLM_USER_FILE``, taking the first line that matches the user name. Several listeners may run in one
process (tests start many, often with the same user name and different passwords), so each listener writes its
own private credential file, and its acceptors point the variable at that file only while pyspnego reads it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import os
import re
import struct
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs

__all__ = ["Credentials", "EncryptionError", "NegotiateAcceptor", "register_user", "unregister_user", "unwrap", "wrap"]

_BOUNDARY = b"--Encrypted Boundary"
SPNEGO_ENCRYPTED = "application/HTTP-SPNEGO-session-encrypted"
ENCRYPTED_CONTENT_TYPE = f'multipart/encrypted;protocol="{SPNEGO_ENCRYPTED}";boundary="Encrypted Boundary"'


@attrs.frozen
class Credentials:
    """The one account every simulated host accepts (a local administrator of each device).

    Attributes:
        domain: NetBIOS domain the account belongs to (``PINRESET``).
        username: the account name without domain.
        password: its password (never shown in reprs).
    """

    domain: str
    username: str
    password: str = attrs.field(repr=False)

    def accepts(self, presented: str, password: str) -> bool:
        """True when ``presented`` (``user``, ``DOMAIN\\user`` or ``user@domain``) and ``password`` match."""
        name = presented
        domain = ""
        if "\\" in name:
            domain, name = name.split("\\", 1)
        elif "@" in name:
            name, domain = name.split("@", 1)
        if domain and domain.split(".")[0].upper() != self.domain.upper():
            return False
        same_user = hmac.compare_digest(name.upper().encode(), self.username.upper().encode())
        return same_user and hmac.compare_digest(password.encode(), self.password.encode())

    def check_basic(self, header_value: str) -> bool:
        """Validate the token of an ``Authorization: Basic <b64>`` header."""
        try:
            decoded = base64.b64decode(header_value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        return bool(sep) and self.accepts(user, password)


class _UserFile:
    """One listener's private NTLM credential file (see the module docstring)."""

    def __init__(self, creds: Credentials) -> None:
        directory = Path(tempfile.mkdtemp(prefix="pinreset-ntlm-"))
        self.path = directory / "users"
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            # Clients send the domain they were given, or none at all: accept both spellings.
            handle.write("\n".join(_user_lines(creds)) + "\n")
        _claim_env()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.path.parent.rmdir()
        _release_env()


# pyspnego reads NTLM_USER_FILE from the process environment whenever an acceptor is created or validates an
# AUTHENTICATE message. Listeners in one process (tests start many, each with its own password) take turns:
# each points the variable at its own file for the duration of that call. The key stays present from the first
# listener's start to the last one's stop, so that other threads iterating os.environ (building a subprocess's
# environment, say) never see the mapping change size under them; only its value changes in between.
_ENV_LOCK = threading.Lock()
_ENV_USERS = 0
_ENV_BEFORE: str | None = None
_ENV_IDLE = os.devnull  # where the variable points while no call is in progress


def _claim_env() -> None:
    global _ENV_USERS, _ENV_BEFORE  # one process-wide variable with one owner: this module
    with _ENV_LOCK:
        if _ENV_USERS == 0:
            _ENV_BEFORE = os.environ.get("NTLM_USER_FILE")
            os.environ["NTLM_USER_FILE"] = _ENV_IDLE
        _ENV_USERS += 1


def _release_env() -> None:
    global _ENV_USERS  # see _claim_env
    with _ENV_LOCK:
        _ENV_USERS -= 1
        if _ENV_USERS == 0:
            if _ENV_BEFORE is None:
                os.environ.pop("NTLM_USER_FILE", None)
            else:
                os.environ["NTLM_USER_FILE"] = _ENV_BEFORE


@contextlib.contextmanager
def _user_file_env(path: Path) -> Iterator[None]:
    with _ENV_LOCK:
        os.environ["NTLM_USER_FILE"] = str(path)
        try:
            yield
        finally:
            os.environ["NTLM_USER_FILE"] = _ENV_IDLE


def _user_lines(creds: Credentials) -> list[str]:
    """The credential file lines for ``creds``, with the hashes computed once.

    pyspnego derives the LM and NT hashes from a plain-text line on every authentication (pure-Python DES, about
    2 ms); the smbpasswd form carries them precomputed. The Heimdal form is the fallback should pyspnego's
    internal hash helpers move.
    """
    try:
        from spnego._ntlm_raw.crypto import lmowfv1, ntowfv1
    except ImportError:  # pragma: no cover - depends on pyspnego's internals
        return [f"{creds.domain}:{creds.username}:{creds.password}", f":{creds.username}:{creds.password}"]
    lm = lmowfv1(creds.password).hex().upper()
    nt = ntowfv1(creds.password).hex().upper()
    return [f"{name}:1000:{lm}:{nt}:[U]:LCT-00000000" for name in (f"{creds.domain}\\{creds.username}", creds.username)]


def register_user(creds: Credentials) -> _UserFile:
    """Write ``creds`` to a private NTLM credential file; pass the result to :class:`NegotiateAcceptor`."""
    return _UserFile(creds)


def unregister_user(user_file: _UserFile) -> None:
    """Delete a credential file made by :func:`register_user`."""
    user_file.remove()


class NegotiateAcceptor:
    """The server side of one connection's Negotiate (SPNEGO or raw NTLM) exchange.

    HTTP.sys binds NTLM to the TCP connection: once the exchange completes, later requests on the same
    connection carry no ``Authorization`` header and are trusted, and the completed context seals and
    unseals the WinRM message encryption.
    """

    def __init__(self, user_file: _UserFile) -> None:
        import spnego

        self._user_file = user_file.path
        with _user_file_env(self._user_file):
            self._context: Any = spnego.server(protocol="negotiate", options=spnego.NegotiateOptions.use_negotiate)

    @property
    def complete(self) -> bool:
        """True once the initiator proved its password."""
        return bool(self._context.complete)

    def step(self, token_b64: str) -> str | None:
        """Feed the client's token; returns the base64 answer token (``None`` when there is none).

        Raises:
            PermissionError: when the token is malformed or the credentials are wrong.
        """
        import spnego.exceptions

        try:
            with _user_file_env(self._user_file):
                answer = self._context.step(base64.b64decode(token_b64))
        except (spnego.exceptions.SpnegoError, binascii.Error, ValueError) as exc:
            raise PermissionError("negotiate authentication failed") from exc
        return base64.b64encode(answer).decode() if answer else None

    def unwrap(self, header: bytes, data: bytes) -> bytes:
        """Unseal one encrypted WinRM message part."""
        return bytes(self._context.unwrap_winrm(header, data))

    def wrap(self, data: bytes) -> tuple[bytes, bytes, int]:
        """Seal ``data``; returns ``(signature, ciphertext, padding_length)``."""
        result = self._context.wrap_winrm(data)
        return result.header, result.data, result.padding_length


class EncryptionError(ValueError):
    """An encrypted body that cannot be read (wrong framing, wrong length, or a seal that does not verify)."""


_LENGTH = re.compile(rb"Length=(\d+)")


def unwrap(acceptor: NegotiateAcceptor, body: bytes) -> bytes:
    """Decrypt a ``multipart/encrypted`` WinRM body (MS-WSMV 2.2.9.1).

    Raises:
        EncryptionError: when the framing or the seal is wrong.
    """
    parts = [p for p in body.split(_BOUNDARY + b"\r\n") if p]
    if len(parts) != 2:
        raise EncryptionError("expected one encrypted part")
    length = _LENGTH.search(parts[0])
    payload = parts[1]
    if payload.endswith(_BOUNDARY + b"--\r\n"):
        payload = payload[: -len(_BOUNDARY) - 4]
    marker = b"\tContent-Type: application/octet-stream\r\n"
    if not payload.startswith(marker) or length is None:
        raise EncryptionError("missing encrypted part headers")
    payload = payload[len(marker) :]
    if len(payload) < 4:
        raise EncryptionError("truncated encrypted part")
    (sig_len,) = struct.unpack("<i", payload[:4])
    try:
        plain = acceptor.unwrap(payload[4 : 4 + sig_len], payload[4 + sig_len :])
    except Exception as exc:  # spnego raises its own tree; any failure means the seal did not verify
        raise EncryptionError("the message seal did not verify") from exc
    if len(plain) != int(length.group(1)):
        raise EncryptionError("decrypted length does not match the declared length")
    return plain


def wrap(acceptor: NegotiateAcceptor, message: bytes) -> bytes:
    """Encrypt ``message`` in the same framing (answered with :data:`ENCRYPTED_CONTENT_TYPE`)."""
    signature, data, padding = acceptor.wrap(message)
    head = (
        f"--Encrypted Boundary\r\n\tContent-Type: {SPNEGO_ENCRYPTED}\r\n"
        f"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length={len(message) + padding}\r\n"
        "--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n"
    ).encode()
    return head + struct.pack("<i", len(signature)) + signature + data + _BOUNDARY + b"--\r\n"
