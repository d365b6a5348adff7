"""``POST /api/v1/publish``: load a dataset under the server's data root into the store."""

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from pydantic import Field
from sqlalchemy.orm import Session

from neonwatch.api.deps import Auth, Ctx, MarkingIn, Strict
from neonwatch.api.records import PREFIX
from neonwatch.share import audit
from neonwatch.sightings.model import error_text

router = APIRouter(prefix=PREFIX, tags=["store"])


class PublishIn(Strict):
    """A dataset under the server's data root, with the markings of every row it loads."""

    dataset: str = Field(min_length=1, description="folder under the server's --data-root")
    events: str | None = None
    screen: str | None = None
    marking: MarkingIn = Field(default_factory=MarkingIn)


@router.post("/publish")
def post_publish(p: Auth, ctx: Ctx, body: PublishIn, request: Request) -> dict[str, Any]:
    """Load a dataset folder under the server's data root (vessels, events, risk) into the
    store, marked as given; for members of the server's publishing group."""
    from neonwatch.store.publish import publish

    cfg = ctx.settings
    if cfg.data_root is None:
        raise ctx.refuse(
            p,
            request,
            403,
            "publishing over HTTP is off on this server (start it with --data-root DIR)",
        )
    if cfg.publish_group not in p.groups:
        raise ctx.refuse(
            p, request, 403, f"publishing needs membership of group {cfg.publish_group!r}"
        )
    mark = ctx.marking_for(p, body.marking, request)
    root = cfg.data_root.resolve()

    def inside(name: str | None, label: str) -> Path | None:
        if name is None:
            return None
        path = (root / name).resolve()
        if not path.is_relative_to(root) or not path.exists():
            raise ctx.refuse(
                p, request, 400, f"{label}: {name!r} is not a folder under the server's data root"
            )
        return path

    dataset = inside(body.dataset, "dataset")
    events = inside(body.events, "events")
    screen = inside(body.screen, "screen")
    assert dataset is not None
    try:
        with Session(ctx.engine) as s, s.begin():
            result = publish(
                dataset,
                events,
                screen,
                ctx.store,
                originator=p.nation,
                node=cfg.node,
                classification=mark["classification"],
                releasability=mark["releasability"],
                group=mark["group"],
                connection=s.connection(),
            )
            out = result.to_json()
            out["sources"] = {
                k: str(Path(v).relative_to(root)) if Path(v).is_relative_to(root) else v
                for k, v in out["sources"].items()
            }
            out.pop("store", None)
            audit.append(s, p.user, "publish", "dataset", body.dataset, out)
    except (ValueError, OSError) as exc:
        raise ctx.refuse(
            p, request, 400, error_text(exc).replace(str(root), "<data-root>")
        ) from None
    return out
