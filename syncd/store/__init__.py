"""syncd's store: the only code that reads and writes its tables (`syncd.db`), one module per
topic. Callers import the module or the functions they use: `from syncd.store import jobs`,
`from syncd.store.items import load_items`.

* `base`: sessions on an engine, the health check; `bulk`: many rows in one statement;
* `items`: pulled items, their history, worklogs and plan-task links; `pulls`: what a pull
  commits, with the cursor; `problems`: quarantined payloads, failed pulls and pushes, warnings;
  `runs`: pulls and pushes run;
* `baselines`: the plan's versions; `snapshots`: the status of each status date, as stored;
  `health`: a client's last pulls and open problems;
* `jobs`: the durable jobs behind every queued message, their states; `work`: their kinds and
  what each carries; `inbox`: the webhook deliveries taken; `timetable`: when pulls and
  cadences are due, and the scheduler's lease;
* `pushes`: what was last written to each target; `webhooks`: the ones syncd registered;
  `grants`: rotated OAuth refresh tokens; `tokens`: the dashboard's access tokens;
* `comms`: deliveries, feedback and signing keys; `rates`: the shared rate windows;
* `overview`: what the dashboard reads across every client at once.
"""

from __future__ import annotations

from syncd.store.base import sessions
from syncd.store.items import load_items
from syncd.store.snapshots import load_snapshots, newest_status_date, save_snapshot

__all__ = ["load_items", "load_snapshots", "newest_status_date", "save_snapshot", "sessions"]
