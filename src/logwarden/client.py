"""Talking to a running `logwarden serve` from the CLI on the same machine.

The server writes `<data_dir>/server/info.json` (its URL) and `<data_dir>/server/credential` (a token,
mode 0600) while it runs. `local_server(data_dir)` returns a `ServerClient` when a server holds the
directory's lock and its files can be read, else None (the command then opens the directory itself).

    srv = local_server(obj.data_dir)
    if srv is not None:
        rows = srv.post_json("/api/v1/cli/search", {...})
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from logwarden.errors import LogwardenError, UsageError

TIMEOUT = httpx.Timeout(connect=5.0, read=3600.0, write=600.0, pool=5.0)


def _dir_is_locked(data_dir: Path) -> bool:
    """True when another process holds the data directory's lock (the server does while it runs)."""
    try:
        fd = os.open(data_dir / "lock", os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@dataclass
class ServerClient:
    url: str
    token: str
    pid: int = 0

    def _client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.token}"}, timeout=TIMEOUT)

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        response.read()
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        if response.status_code in (400, 404, 409, 422):
            raise UsageError(str(detail))
        raise LogwardenError(f"the server at {self.url} answered {response.status_code}: {detail}")

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            with self._client() as c:
                response = self._check(c.request(method, path, **kwargs))
        except httpx.HTTPError as exc:
            raise LogwardenError(f"cannot reach the logwarden server at {self.url}: {exc}") from None
        return response.json() if response.content else None

    def post_json(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body)

    def stream_bytes(self, path: str, params: dict[str, Any] | None = None) -> Iterator[bytes]:
        """GET `path`; yield the answer's bytes as they arrive (nothing is yielded for an error answer)."""
        try:
            with self._client() as c, c.stream("GET", path, params=params) as response:
                self._check(response)
                yield from response.iter_bytes()
        except httpx.HTTPError as exc:
            raise LogwardenError(f"lost the logwarden server at {self.url}: {exc}") from None

    def ndjson(self, path: str, body: Any) -> Iterator[dict[str, Any]]:
        """POST `body`; yield the objects of an NDJSON answer as they arrive."""
        try:
            with self._client() as c, c.stream("POST", path, json=body) as response:
                self._check(response)
                for line in response.iter_lines():
                    if line:
                        yield json.loads(line)
        except httpx.HTTPError as exc:
            raise LogwardenError(f"lost the logwarden server at {self.url}: {exc}") from None


def local_server(data_dir: Path) -> ServerClient | None:
    """The server that owns `data_dir`, or None when none runs."""
    folder = data_dir / "server"
    try:
        info = json.loads((folder / "info.json").read_text())
    except (OSError, ValueError):
        return None
    if not info.get("url") or not _dir_is_locked(data_dir):
        return None
    try:  # the lock's holder must be that server (info.json may be left over from a killed one)
        holder = (data_dir / "lock").read_text(errors="replace").split()
    except OSError:
        holder = []
    if len(holder) >= 2 and holder[0] == "pid" and holder[1] != str(info.get("pid")):
        return None
    try:
        token = (folder / "credential").read_text().strip()
    except PermissionError:
        raise LogwardenError(
            f"a logwarden server (pid {info.get('pid')}) owns {data_dir}, and its credential file "
            f"{folder / 'credential'} is not readable by this user: run the command as the server's user"
        ) from None
    except OSError:
        return None
    return ServerClient(info["url"], token, int(info.get("pid") or 0))
