"""``publish``: load the outputs of ingest, detect and screen into the store.

Publishing is what turns one analyst's Parquet folders into the shared picture, so it has to be
safe to repeat and impossible to leave half done: rows are upserted on their natural keys (a
vessel identity row's content, detect's stable ``event_id``, a risk's subject), and the whole
load is one transaction. Inputs are read in Arrow record batches and written with batched
executemany, so memory holds one batch, not the dataset.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite

from neonwatch.detect.schema import EVENTS
from neonwatch.ingest.schema import IDENTITY_FIELDS, VESSELS
from neonwatch.store.engine import Store, open_store
from neonwatch.store.models import MARKING_COLUMNS, NATIONS, TABLES, Base, Event, Risk, Vessel

BATCH_ROWS = 5_000
# Namespace of the store's derived UUIDs (vessel identity rows, risk rows); never change it, or
# republishing would duplicate every vessel.
_NAMESPACE = uuid.UUID("2b0f5a43-7c1e-5d3a-9e0b-4e454f4e5354")
# The lowest national classified level of each originator's scheme (DESIGN.md): the default
# when the caller names none, because guessing low is the mistake that cannot be undone.
DEFAULT_CLASSIFICATION = {"CAN": "CONFIDENTIAL", "JPN": "秘"}
DEFAULT_RELEASABILITY = "REL TO CAN, JPN"
DEFAULT_GROUP = "maritime-picture"


@dataclass(frozen=True)
class Markings:
    """The markings stamped on every row of one publish."""

    originator_nation: str
    originating_node: str
    classification: str
    releasability: str
    group: str

    def __post_init__(self) -> None:
        # stored in upper case, as the policy filter compares it (migration 0006)
        object.__setattr__(self, "releasability", self.releasability.upper())

    def check(self) -> None:
        """Refuse markings that the policy layer could not read later (empty or unknown
        nation); the meaning of the levels is checked by that layer, from configuration."""
        if self.originator_nation not in NATIONS:
            raise ValueError(
                f"originator {self.originator_nation!r}: must be one of {', '.join(NATIONS)}"
            )
        for name, value in asdict(self).items():
            if not str(value).strip():
                raise ValueError(f"{name}: must not be empty")


@dataclass
class PublishResult:
    """What one publish read, what it added, and what the store now holds."""

    store: str
    markings: Markings
    read: dict[str, int] = field(default_factory=dict)  # rows read per table
    added: dict[str, int] = field(default_factory=dict)  # rows new to the store per table
    totals: dict[str, int] = field(default_factory=dict)  # rows in the store afterwards
    sources: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The result as ``neonwatch publish --json`` prints it."""
        return {
            "store": self.store,
            "markings": asdict(self.markings),
            "read": self.read,
            "added": self.added,
            "totals": self.totals,
            "sources": self.sources,
        }


def _batches(files: Iterable[Path], columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
    for file in files:
        try:
            handle = pq.ParquetFile(file)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ValueError(f"{file}: not a readable Parquet file ({exc})") from exc
        names = set(handle.schema_arrow.names)
        cols = [c for c in columns if c in names] if columns is not None else None
        yield from handle.iter_batches(batch_size=BATCH_ROWS, columns=cols)


def _rows(batch: pa.RecordBatch, names: Iterable[str]) -> list[dict[str, Any]]:
    present = {n: batch.column(n).to_pylist() for n in names if n in batch.schema.names}
    return [{n: present[n][i] if n in present else None for n in names} for i in range(len(batch))]


def _upsert(
    conn: Connection, model: type[Base], rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> None:
    """Insert ``rows`` or, on a key already stored, update its data columns. The markings and
    created_at of a stored row are kept: changing a marking is the originator's explicit act
    (the share layer), never a side effect of loading the same data again."""
    if not rows:
        return
    # One statement must not touch a key twice (PostgreSQL refuses), so the last row wins.
    unique = list({tuple(r[k] for k in keys): r for r in rows}.values())
    table = Base.metadata.tables[model.__tablename__]
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table)
    data = [c for c in unique[0] if c not in keys and c not in _MARKING_FIELDS]
    stmt = stmt.on_conflict_do_update(
        index_elements=list(keys), set_={c: stmt.excluded[c] for c in data}
    )
    conn.execute(stmt, unique)


_MARKING_FIELDS = frozenset(MARKING_COLUMNS)


def _stamp(rows: list[dict[str, Any]], markings: dict[str, Any]) -> list[dict[str, Any]]:
    for r in rows:
        r.update(markings)
    return rows


def _vessel_id(r: dict[str, Any]) -> uuid.UUID:
    first = r["first_seen"].isoformat() if r["first_seen"] is not None else ""
    key = "|".join(str(r[c] if r[c] is not None else "") for c in ("mmsi", *IDENTITY_FIELDS))
    return uuid.uuid5(_NAMESPACE, f"vessel|{key}|{first}")


def _vessel_files(dataset: Path) -> list[Path]:
    root = dataset / "vessels" if (dataset / "vessels").is_dir() else dataset
    files = sorted(root.glob("day=*/*.parquet")) if root.is_dir() else []
    if dataset.is_file() and dataset.suffix == ".parquet":
        files = [dataset]
    if not files:
        raise ValueError(
            f"{dataset}: no vessels here (vessels/day=YYYY-MM-DD/*.parquet); give the --out "
            "folder of `neonwatch ingest` or `neonwatch simulate`"
        )
    return files


def _events_file(events_dir: Path) -> Path:
    file = events_dir / "events.parquet" if events_dir.is_dir() else events_dir
    if not file.is_file():
        raise ValueError(f"{events_dir}: no events.parquet here; give the --out folder of detect")
    return file


def _load_vessels(conn: Connection, files: list[Path], stamp: dict[str, Any]) -> int:
    names = VESSELS.names
    n = 0
    for batch in _batches(files, names):
        if "mmsi" not in batch.schema.names:
            raise ValueError("vessels: no mmsi column; not a vessels table of ingest")
        rows = [r for r in _rows(batch, names) if r["mmsi"] is not None]
        for r in rows:
            r["id"] = _vessel_id(r)
        _upsert(conn, Vessel, _stamp(rows, stamp), ("id",))
        n += len(rows)
    return n


def _load_events(conn: Connection, file: Path, stamp: dict[str, Any]) -> int:
    names = EVENTS.names
    n = 0
    for batch in _batches([file], names):
        if "event_id" not in batch.schema.names or "kind" not in batch.schema.names:
            raise ValueError(f"{file}: no event_id/kind columns; not an events table of detect")
        rows = _rows(batch, names)
        for r in rows:
            try:
                r["event_id"] = uuid.UUID(r["event_id"])
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{file}: event_id {r['event_id']!r} is not a UUID") from exc
        _upsert(conn, Event, _stamp(rows, stamp), ("event_id",))
        n += len(rows)
    return n


def _factors(screen_dir: Path) -> dict[tuple[str, str], list[dict[str, Any]]]:
    file = screen_dir / "risk_factors.parquet"
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    if not file.is_file():
        return out
    for batch in _batches([file]):
        for r in _rows(batch, ("subject", "subject_id", "factor", "weight", "evidence")):
            key = (r.pop("subject"), r.pop("subject_id"))
            out.setdefault(key, []).append(r)
    return out


def _load_risk(conn: Connection, screen_dir: Path, stamp: dict[str, Any]) -> int:
    files = {s: screen_dir / f"{s}_risk.parquet" for s in ("vessel", "event")}
    if not any(f.is_file() for f in files.values()):
        raise ValueError(
            f"{screen_dir}: no vessel_risk.parquet or event_risk.parquet here; give the --out "
            "folder of `neonwatch screen`"
        )
    factors = _factors(screen_dir)
    n = 0
    for subject, file in files.items():
        if not file.is_file():
            continue
        id_col = "subject_id" if subject == "vessel" else "event_id"
        for batch in _batches([file]):
            if id_col not in batch.schema.names or "score" not in batch.schema.names:
                raise ValueError(f"{file}: no {id_col}/score columns; not a screen output")
            rows = []
            for r in _rows(batch, (id_col, "mmsi", "score", "top_factors")):
                sid = str(r.pop(id_col))
                rows.append(
                    {
                        "id": uuid.uuid5(_NAMESPACE, f"risk|{subject}|{sid}"),
                        "subject": subject,
                        "subject_id": sid,
                        **r,
                        "factors": factors.get((subject, sid), []),
                    }
                )
            _upsert(conn, Risk, _stamp(rows, stamp), ("id",))
            n += len(rows)
    return n


def _counts(conn: Connection) -> dict[str, int]:
    return {
        m.__tablename__: int(conn.execute(select(func.count()).select_from(m)).scalar_one())
        for m in TABLES
    }


def publish(
    dataset_dir: Path | str,
    events_dir: Path | str | None = None,
    screen_dir: Path | str | None = None,
    store: Store | str | Path | None = None,
    *,
    originator: str = "CAN",
    node: str | None = None,
    classification: str | None = None,
    releasability: str = DEFAULT_RELEASABILITY,
    group: str = DEFAULT_GROUP,
    connection: Connection | None = None,
) -> PublishResult:
    """Load a dataset's vessels, its events and its risk into ``store``, all or nothing.

    ``dataset_dir`` is the ``--out`` folder of ingest or simulate; ``events_dir`` the folder of
    detect (default ``DATASET/events`` when it exists); ``screen_dir`` the folder of screen
    (default: no risk). ``store`` is an opened :class:`Store` or a URL/path for
    :func:`open_store`. Every row is stamped with the markings given: ``originator`` ("CAN" or
    "JPN"), ``node`` (default: this host's name), ``classification`` in the originator's scheme
    (default: its lowest national level, CONFIDENTIAL or 秘), ``releasability`` and ``group``.
    Loading the same outputs again changes no row count. With ``connection`` the load runs in
    that connection's open transaction, which the caller commits (with its audit entry).
    """
    dataset = Path(dataset_dir)
    if not dataset.exists():
        raise ValueError(f"{dataset}: not found")
    markings = Markings(
        originator_nation=originator,
        originating_node=node or socket.gethostname(),
        classification=classification or DEFAULT_CLASSIFICATION.get(originator, ""),
        releasability=releasability,
        group=group,
    )
    markings.check()
    vessel_files = _vessel_files(dataset)
    if events_dir is None and (dataset / "events" / "events.parquet").is_file():
        events_dir = dataset / "events"
    events_file = _events_file(Path(events_dir)) if events_dir is not None else None
    screen = Path(screen_dir) if screen_dir is not None else None
    if screen is not None and not screen.is_dir():
        raise ValueError(f"{screen}: not a folder; give the --out folder of `neonwatch screen`")

    opened = store if isinstance(store, Store) else open_store(store)
    result = PublishResult(store=opened.url, markings=markings)
    result.sources["vessels"] = str(vessel_files[0].parent.parent)
    stamp: dict[str, Any] = asdict(markings)
    try:
        outer = nullcontext(connection) if connection is not None else opened.engine.begin()
        with outer as conn:
            before = _counts(conn)
            result.read["vessels"] = _load_vessels(conn, vessel_files, stamp)
            result.read["events"] = 0
            if events_file is not None:
                result.sources["events"] = str(events_file)
                result.read["events"] = _load_events(conn, events_file, stamp)
            result.read["risk"] = 0
            if screen is not None:
                result.sources["risk"] = str(screen)
                result.read["risk"] = _load_risk(conn, screen, stamp)
            result.totals = _counts(conn)
            result.added = {t: result.totals[t] - before[t] for t in result.totals}
    finally:
        if opened is not store:
            opened.close()
    return result


def dumps(result: PublishResult) -> str:
    """``result`` as one line of JSON (what ``--json`` prints)."""
    return json.dumps(result.to_json(), ensure_ascii=False)
