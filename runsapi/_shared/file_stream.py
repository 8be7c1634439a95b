"""W&B's run stream (file_stream), as the client writes it and the server reads it.

wandb-core sends a live run's data as `POST <base>/files/<entity>/<project>/<run>/
file_stream` with a JSON body `{"files": {<name>: {"offset": N, "content": [lines]}},
"uploaded": [paths], "preempting": true, "complete": true, "exitcode": N}` (keys left
out when empty): history and system-metric rows as JSON lines at their line offset, the
whole summary as one JSON line, console output lines at their line index.
"""

from __future__ import annotations

FILE_STREAM = "file_stream"
"""The last segment of the stream's URL, after `/files/<entity>/<project>/<run>/`."""
HISTORY_FILE = "wandb-history.jsonl"
EVENTS_FILE = "wandb-events.jsonl"
SUMMARY_FILE = "wandb-summary.json"
OUTPUT_FILE = "output.log"
STREAMED_FILES = (HISTORY_FILE, EVENTS_FILE, SUMMARY_FILE, OUTPUT_FILE)
