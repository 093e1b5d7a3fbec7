"""The client files of one directory, read once and again only when one changes.

`ClientDirectory` is where a syncd process keeps its client configuration: the daemon's
scheduler, workers and webhook receiver and the dashboard all read the one instance, parsed by
`syncd.clients`. `refresh` parses what changed and logs it: ``client X added``, ``client Y
changed``, ``client Z removed``, and a file that cannot be loaded as a problem of that file. A
broken file harms only itself: a client whose file breaks keeps running on its last good
configuration until the file is fixed or removed. `request_reload` (SIGHUP) makes the next
refresh parse every file, whatever its stat says.

What a refresh costs is bounded, whatever the number of clients. It stats the directory: a file
added, removed or renamed into place changes the directory's modification time, and only then
is it listed and every file stat'ed. Otherwise it stats the next `ROTATE` files in turn
(modification time, size, inode: nothing is read when nothing changed), so a file edited in
place is seen within ``files / ROTATE`` refreshes (at the next one with up to `ROTATE` files);
at the end of each turn the directory's names are read once, for a file added too soon after
another for the directory's timestamp to move. A
job needs one client: `refresh_client` stats that client's file alone.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from syncd.clients import Client, ClientConfig, parse_file

log = logging.getLogger(__name__)

Stamp = tuple[int, int, int]  # modification time (ns), size, inode
ROTATE = 64  # files stat'ed per refresh when the directory itself did not change


@dataclass(frozen=True, slots=True)
class ClientFile:
    """One client file as last read: its config (None: unreadable), every problem found
    (``field: message``) and, when there is none, the loaded client."""

    path: Path
    stamp: Stamp
    config: ClientConfig | None
    problems: tuple[str, ...]
    client: Client | None


@dataclass(frozen=True, slots=True)
class Changes:
    """What a refresh changed among the running clients, and which files it found broken."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    broken: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.broken)


def _stamp(path: Path) -> Stamp | None:
    try:
        st = path.stat()
    except OSError:
        return None  # gone (between a listing and the stat, perhaps): the next refresh sees it
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _stamps(directory: Path) -> dict[str, tuple[Path, Stamp]]:
    found: dict[str, tuple[Path, Stamp]] = {}
    for path in sorted(directory.glob("*.toml")) if directory.is_dir() else ():
        stamp = _stamp(path)
        if stamp is not None:
            found[path.stem] = (path, stamp)
    return found


class ClientDirectory(Mapping[str, Client]):
    """As a mapping: the running clients by id (each file's last valid version)."""

    def __init__(self, directory: Path, env: Mapping[str, str] | None = None) -> None:
        self.directory = directory
        self.env = env  # None: the process environment, read at each parse
        self._lock = threading.Lock()
        self._files: dict[str, ClientFile] = {}
        self._running: dict[str, Client] = {}
        self._reload = False
        self._listed: Stamp | None = None  # the directory's own stamp when it was last listed
        self._turn = 0  # where the next turn of stats starts, in `_files` order
        self.generation = 0  # grows by one whenever the running clients change
        self.checked = 0  # files the last refresh stat'ed: its cost
        self.refresh(quiet=True)

    def __getitem__(self, client_id: str) -> Client:
        return self._running[client_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._running)  # the dict is replaced on change, never mutated

    def __len__(self) -> int:
        return len(self._running)

    @property
    def files(self) -> Mapping[str, ClientFile]:
        """Every client file by id, loadable or not, as last read."""
        return self._files

    def problems(self) -> list[str]:
        """Every problem of every file, as ``file › field: message``."""
        return [f"{f.path.name} › {p}" for f in self._files.values() for p in f.problems]

    def request_reload(self) -> None:
        """Parse every file at the next refresh (safe to call from a signal handler)."""
        self._reload = True

    def refresh(self, *, force: bool = False, quiet: bool = False) -> Changes:
        """Apply what changed: every file when the directory changed, `force` or a reload was
        requested, else the next `ROTATE` files in turn; log what changed unless `quiet`."""
        with self._lock:
            force, self._reload = force or self._reload, False
            listed = _stamp(self.directory)
            turn = None if force or listed is None or listed != self._listed else self._rotation()
            if turn is None:  # the whole directory
                self._listed = listed
                stamps = _stamps(self.directory)
                self.checked = len(stamps)
                if force and not quiet:
                    log.info("reloading every client file in %s", self.directory)
                files = {s: self._read(s, p, st, force) for s, (p, st) in stamps.items()}
            else:
                files = dict(self._files)
                for stem, (path, stamp) in turn.items():
                    files[stem] = self._read(stem, path, stamp, False)
            changes = self._replace(files)
        if not quiet:
            self._log(changes)
        return changes

    def refresh_client(self, client_id: str) -> Changes:
        """Apply a change of one client's file (a stat of it alone), as a job needs; a pending
        reload reads every file."""
        if self._reload:
            return self.refresh()
        path = self.directory / f"{client_id}.toml"
        if Path(client_id).name != client_id or client_id.startswith("."):
            return Changes()  # not a file name: no such client, and nothing to read
        with self._lock:
            stamp, old = _stamp(path), self._files.get(client_id)
            if (old.stamp if old is not None else None) == stamp:
                return Changes()
            files = dict(self._files)
            if stamp is None:
                del files[client_id]
            else:
                files[client_id] = self._read(client_id, path, stamp, False)
            changes = self._replace(dict(sorted(files.items())))
        self._log(changes)
        return changes

    def _rotation(self) -> dict[str, tuple[Path, Stamp]] | None:
        """The stamps of the next `ROTATE` files; None when one is gone, or when a turn ends and
        the file names differ from the known ones (a file added within the directory's own
        timestamp resolution, which did not move it): then every file is listed."""
        stems = list(self._files)
        count = min(ROTATE, len(stems))
        start = self._turn % len(stems) if stems else 0
        self._turn = start + count
        if start + count >= len(stems) and self._names() != set(stems):
            return None
        found: dict[str, tuple[Path, Stamp]] = {}
        for stem in (stems[(start + n) % len(stems)] for n in range(count)):
            path = self._files[stem].path
            stamp = _stamp(path)
            if stamp is None:
                return None
            found[stem] = (path, stamp)
        self.checked = count
        return found

    def _names(self) -> set[str]:
        """The client files' names (no stat): once per turn of the rotation."""
        try:
            return {n[:-5] for n in os.listdir(self.directory) if n.endswith(".toml")}
        except OSError:
            return set()

    def _replace(self, files: dict[str, ClientFile]) -> Changes:
        """Make `files` the current ones (under the lock); what changed among the clients."""
        old = self._files
        if files.keys() == old.keys() and all(files[k] is old[k] for k in files):
            return Changes()
        changes, running = self._apply(files)
        self._files, self._running = files, running
        if changes.added or changes.changed or changes.removed:
            self.generation += 1
        return changes

    def _read(self, stem: str, path: Path, stamp: Stamp, force: bool) -> ClientFile:
        old = self._files.get(stem)
        if old is not None and old.stamp == stamp and not force:
            return old
        env = os.environ if self.env is None else self.env
        config, client, problems = parse_file(path, env)
        return ClientFile(path, stamp, config, tuple(problems), client)

    def _apply(self, files: dict[str, ClientFile]) -> tuple[Changes, dict[str, Client]]:
        before = self._running
        running: dict[str, Client] = {}
        broken: list[str] = []
        for stem, file in files.items():
            if file.problems and self._files.get(stem) is not file:
                broken.append(stem)
            kept = file.client or before.get(stem)  # a broken file keeps its last good version
            if kept is not None:
                running[stem] = kept
        changes = Changes(
            added=tuple(k for k in running if k not in before),
            changed=tuple(k for k in running if k in before and running[k] != before[k]),
            removed=tuple(k for k in before if k not in running),
            broken=tuple(broken),
        )
        return changes, running

    def _log(self, changes: Changes) -> None:
        for stem in changes.broken:
            file = self._files[stem]
            keeps = " (it keeps running as before)" if stem in self._running else ""
            log.warning(
                "client file %s cannot be loaded%s: %s",
                file.path.name,
                keeps,
                "; ".join(file.problems),
            )
        for verb, ids in (
            ("added", changes.added),
            ("changed", changes.changed),
            ("removed", changes.removed),
        ):
            for client_id in ids:
                log.info("client %s %s", client_id, verb)
