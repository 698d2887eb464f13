"""An opt-in persistent token cache: msal's serializable cache in a file only its owner can read."""

from __future__ import annotations

import os
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any

from pinreset.exceptions import ConfigurationError

__all__ = ["TokenCache"]


class TokenCache:
    """msal's ``SerializableTokenCache`` kept in ``path`` (mode 0600, written atomically).

    The file holds refresh tokens, which are as good as a password: it is created owner-only, and an existing
    file that others can read or write is refused rather than used.

    Args:
        path: the cache file; its directory is created (mode 0700) when missing.

    Raises:
        ConfigurationError: when the existing file is readable or writable by group or others.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()
        self._msal_cache: Any = None

    def __repr__(self) -> str:
        return f"TokenCache(path={str(self.path)!r})"

    @property
    def msal_cache(self) -> Any:
        """The msal cache object, loaded from the file on first use."""
        with self._lock:
            if self._msal_cache is None:
                import msal

                cache = msal.SerializableTokenCache()
                if self.path.exists():
                    mode = stat.S_IMODE(self.path.stat().st_mode)
                    if os.name == "posix" and mode & 0o077:
                        raise ConfigurationError(
                            f"token cache {self.path} is accessible to other users (mode {mode:o}); "
                            "run: chmod 600 on it, or delete it"
                        )
                    cache.deserialize(self.path.read_text(encoding="utf-8"))
                self._msal_cache = cache
            return self._msal_cache

    def save(self) -> None:
        """Write the cache when msal changed it (new file mode 0600, replaced atomically)."""
        with self._lock:
            cache = self._msal_cache
            if cache is None or not cache.has_state_changed:
                return
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # mkstemp creates a new file (O_EXCL, never through a symlink) with mode 0600 from the start, so the
            # refresh tokens are never readable by others, not even for a moment, and no planted file is reused.
            fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            tmp = Path(tmp_name)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(cache.serialize())
                    handle.flush()
                    os.fsync(handle.fileno())
                tmp.replace(self.path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            cache.has_state_changed = False
