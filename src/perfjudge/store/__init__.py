"""The one results store (SQLite, WAL): judged results by content address, the runs that
used them with each sample's generation record and the finished summary, and derived data
(expected outputs, generated inputs, the machine's speed). Safe to share between processes."""

from perfjudge.store.sqlite import (KEY_SCHEMA, MACHINE_DEPENDENT_METERS, SCHEMA_VERSION,
                                    RunInfo, Store, StoreError, default_store_path,
                                    machine_fingerprint, result_key)

__all__ = ["KEY_SCHEMA", "MACHINE_DEPENDENT_METERS", "SCHEMA_VERSION", "RunInfo", "Store",
           "StoreError", "default_store_path", "machine_fingerprint", "result_key"]
