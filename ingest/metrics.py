"""Counters of mail ingestion, rendered in the Prometheus text format for `/metrics`.

One `IngestMetrics` object is created by the composition root and handed to the receiver, the
worker and the web app; nothing here is global. Updates take a lock because the worker may
count from threads while the receiver counts on the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

#: Stable reasons for `rejected`; the receiver uses only these, so dashboards can rely on them.
REJECT_REASONS = (
    "unknown_recipient",
    "too_many_recipients",
    "message_too_big",
    "tls_required",
    "connection_limit",
    "timeout",
    "policy_unavailable",
    "spool_error",
)

#: Upper bounds (seconds) of the processing-time histogram buckets.
PROCESSING_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class IngestMetrics:
    def __init__(self, queue_depth: Callable[[], int] | None = None) -> None:
        self._lock = threading.Lock()
        self._queue_depth = queue_depth
        self.received = 0
        self.received_bytes = 0
        self.rejected: dict[str, int] = dict.fromkeys(REJECT_REASONS, 0)
        self.quarantined = 0
        self.processed = 0
        self.connections = 0
        self._buckets = [0] * len(PROCESSING_BUCKETS)
        self._seconds_sum = 0.0
        self._seconds_count = 0

    # -- receiver ------------------------------------------------------------------------

    def count_received(self, size: int) -> None:
        with self._lock:
            self.received += 1
            self.received_bytes += size

    def count_rejected(self, reason: str) -> None:
        with self._lock:
            self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def count_connection(self) -> None:
        with self._lock:
            self.connections += 1

    # -- worker --------------------------------------------------------------------------

    def count_processed(self, seconds: float) -> None:
        with self._lock:
            self.processed += 1
            self._seconds_sum += seconds
            self._seconds_count += 1
            for i, bound in enumerate(PROCESSING_BUCKETS):
                if seconds <= bound:
                    self._buckets[i] += 1

    def count_quarantined(self) -> None:
        with self._lock:
            self.quarantined += 1

    # -- exposition ----------------------------------------------------------------------

    def render_prometheus(self) -> str:
        with self._lock:
            lines = [
                "# HELP diia_inbox_messages_received_total Messages accepted (answered 250).",
                "# TYPE diia_inbox_messages_received_total counter",
                f"diia_inbox_messages_received_total {self.received}",
                "# HELP diia_inbox_received_bytes_total Bytes of accepted messages.",
                "# TYPE diia_inbox_received_bytes_total counter",
                f"diia_inbox_received_bytes_total {self.received_bytes}",
                "# HELP diia_inbox_messages_rejected_total Messages or recipients refused.",
                "# TYPE diia_inbox_messages_rejected_total counter",
            ]
            lines += [
                f'diia_inbox_messages_rejected_total{{reason="{r}"}} {n}'
                for r, n in sorted(self.rejected.items())
            ]
            lines += [
                "# HELP diia_inbox_smtp_connections_total SMTP/LMTP connections accepted.",
                "# TYPE diia_inbox_smtp_connections_total counter",
                f"diia_inbox_smtp_connections_total {self.connections}",
                "# HELP diia_inbox_messages_processed_total Messages the worker finished.",
                "# TYPE diia_inbox_messages_processed_total counter",
                f"diia_inbox_messages_processed_total {self.processed}",
                "# HELP diia_inbox_messages_quarantined_total Messages set aside.",
                "# TYPE diia_inbox_messages_quarantined_total counter",
                f"diia_inbox_messages_quarantined_total {self.quarantined}",
                "# HELP diia_inbox_processing_seconds Time to process one message.",
                "# TYPE diia_inbox_processing_seconds histogram",
            ]
            lines += [
                f'diia_inbox_processing_seconds_bucket{{le="{b}"}} {n}'
                for b, n in zip(PROCESSING_BUCKETS, self._buckets, strict=True)
            ]
            lines += [
                f'diia_inbox_processing_seconds_bucket{{le="+Inf"}} {self._seconds_count}',
                f"diia_inbox_processing_seconds_sum {self._seconds_sum}",
                f"diia_inbox_processing_seconds_count {self._seconds_count}",
            ]
        if self._queue_depth is not None:
            try:
                depth = self._queue_depth()
            except OSError:
                depth = -1
            lines += [
                "# HELP diia_inbox_queue_depth Messages in the spool not yet processed.",
                "# TYPE diia_inbox_queue_depth gauge",
                f"diia_inbox_queue_depth {depth}",
            ]
        return "\n".join(lines) + "\n"
