"""Demo photos for the seed: a few hundred pictures drawn with Pillow (no
downloads) on cases — the resident's "before", the department's "after",
some of them published — and on diary visits, so the photo feature is
visible in the demo.

Pictures are small (480 × 360) and drawn from simple shapes — sky, sea,
seawall, road, litter, a street lamp — varied by a seeded random source; a
case's "after" is its "before" cleaned up.  They are written through the
configured media store like any upload (content-addressed) and the rows
are bulk-inserted in the seed's own transaction."""

import io
import random
import secrets
from datetime import datetime
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from rxapp.domain.media.images import JPEG, THUMB_QUALITY, WEB_QUALITY, Processed, StoredCopy
from rxapp.domain.media.storage import FileStorage, MediaStorage, storage_from_env
from rxapp.models import Media, MediaEvent

SIZE = (480, 360)
RESOLVED_CASES = 110  # before + after each
OPEN_CASES = 50  # the resident's photo, private
VISITS = 80
PUBLISHED_SHARE = 0.6


def _jpeg(img: Image.Image, quality: int) -> StoredCopy:
    import hashlib

    out = io.BytesIO()
    img.save(out, format="JPEG", quality=quality)
    data = out.getvalue()
    return StoredCopy(data, hashlib.sha256(data).hexdigest(), JPEG)


@lru_cache(maxsize=1)
def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """Pillow's default font, loaded once (each load decodes it anew)."""
    return ImageFont.load_default()


def _scene(r: random.Random, label: str, *, cleaned: bool = False, seed: int | None = None) -> Image.Image:
    """A small street or shore picture; ``cleaned`` draws the same scene
    without its litter and with the wall mended."""
    rr = random.Random(seed if seed is not None else r.random())
    w, h = SIZE
    img = Image.new("RGB", SIZE)
    sky = (rr.randint(120, 180), rr.randint(170, 210), rr.randint(215, 245))
    # sky gradient: one pixel wide, stretched to the width
    column = bytes([int(c * (1 - 0.25 * (y / (h / 2)))) for y in range(h // 2) for c in sky])
    img.paste(Image.frombytes("RGB", (1, h // 2), column).resize((w, h // 2), Image.Resampling.NEAREST), (0, 0))
    d = ImageDraw.Draw(img)
    horizon = h // 2 + rr.randint(-20, 20)
    kind = rr.randrange(3)
    if kind == 0:  # shore and seawall
        d.rectangle([0, horizon, w, h], fill=(40, 90 + rr.randint(0, 40), 140))
        wall_top = horizon + rr.randint(40, 80)
        d.rectangle([0, wall_top, w, h], fill=(150, 150, 140))
        for x in range(0, w, 40):
            d.line([(x, wall_top), (x, h)], fill=(120, 120, 110), width=2)
        if not cleaned:
            cx = rr.randint(80, w - 80)
            d.polygon([(cx - 50, wall_top), (cx + 40, wall_top), (cx + 10, wall_top + 60), (cx - 30, wall_top + 45)], fill=(70, 60, 50))
    elif kind == 1:  # road with a pothole
        d.rectangle([0, horizon, w, h], fill=(90, 140, 80))
        d.polygon([(w // 2 - 20, horizon), (w // 2 + 20, horizon), (w, h), (0, h)], fill=(70, 70, 75))
        d.line([(w // 2, horizon), (w // 2, h)], fill=(230, 230, 230), width=3)
        if not cleaned:
            px, py = rr.randint(w // 3, 2 * w // 3), rr.randint(horizon + 60, h - 40)
            d.ellipse([px - 45, py - 18, px + 45, py + 18], fill=(35, 30, 30))
    else:  # lane with a street lamp and litter
        d.rectangle([0, horizon, w, h], fill=(180, 170, 150))
        lx = rr.randint(60, w - 60)
        d.rectangle([lx - 4, horizon - 120, lx + 4, horizon + 40], fill=(60, 60, 60))
        d.ellipse([lx - 16, horizon - 136, lx + 16, horizon - 110], fill=(250, 230, 120) if cleaned else (90, 90, 90))
    if not cleaned:
        for _ in range(rr.randint(4, 12)):  # litter
            x, y = rr.randint(0, w - 20), rr.randint(horizon + 10, h - 10)
            d.rectangle([x, y, x + rr.randint(6, 22), y + rr.randint(4, 12)], fill=(rr.randint(150, 255), rr.randint(0, 200), rr.randint(0, 200)))
    d.rectangle([6, h - 22, 8 + 7 * len(label), h - 6], fill=(0, 0, 0))
    d.text((8, h - 20), label, fill=(255, 255, 255), font=_font())
    return img


def _processed(img: Image.Image) -> Processed:
    web = _jpeg(img, WEB_QUALITY)
    small = img.reduce(2)  # 240 x 180: within THUMB_EDGE, and far cheaper than a filtered resize
    return Processed("image", len(web.data), "", web, _jpeg(small, THUMB_QUALITY), img.width, img.height)


def seed_media(conn: Connection, *, random_seed: int, now: datetime, storage: MediaStorage | None = None) -> int:
    """Draw, store and attach the demo photos; returns how many rows."""
    r = random.Random(random_seed * 7919 + 16)
    store = storage or storage_from_env()
    if isinstance(store, FileStorage):  # demo data: no fsync per file (the seed is re-run, not recovered)
        store = FileStorage(store.root, durable=False)
    q = conn.exec_driver_sql
    dept_name = dict(q("SELECT id, name_zh FROM department").all())
    done = q(
        "SELECT id, code, department_id, submitted_at, resolved_at FROM \"case\" "
        "WHERE status IN ('resolved', 'closed') AND resolved_at IS NOT NULL ORDER BY submitted_at DESC LIMIT 3000"
    ).all()
    open_ = q(
        "SELECT id, code, department_id, submitted_at, NULL FROM \"case\" "
        "WHERE status IN ('accepted', 'routed', 'in_progress') ORDER BY submitted_at DESC LIMIT 1000"
    ).all()
    visits = q("SELECT id, user_id, created_at FROM visit ORDER BY created_at DESC LIMIT 2000").all()
    picked = [(row, True) for row in r.sample(done, min(RESOLVED_CASES, len(done)))]
    picked += [(row, False) for row in r.sample(open_, min(OPEN_CASES, len(open_)))]
    media_rows, events = [], []

    def add(p: Processed, *, at, stage, label, user_id=None, case_id=None, visit_id=None, public=False) -> None:
        store.put(p.web.sha256, p.web.data, JPEG)
        store.put(p.thumb.sha256, p.thumb.data, JPEG)
        media_rows.append(
            {
                "token": secrets.token_urlsafe(18),
                "case_id": case_id,
                "visit_id": visit_id,
                "meeting_item_id": None,
                "stage": stage,
                "kind": "image",
                "content_type": JPEG,
                "sha256": p.web.sha256,
                "size": len(p.web.data),
                "thumb_sha256": p.thumb.sha256,
                "thumb_size": len(p.thumb.data),
                "width": p.width,
                "height": p.height,
                "original_size": p.original_size,
                "filename": "",
                "uploaded_by_user_id": user_id,
                "uploaded_by_label": label,
                "created_at": at,
                "public": public,
                "version": 2 if public else 1,
            }
        )

    for (case_id, code, dept_id, submitted_at, resolved_at), resolved in picked:
        scene_seed = r.random()
        public = resolved and r.random() < PUBLISHED_SHARE
        add(_processed(_scene(r, code, seed=scene_seed)), at=_at(submitted_at), stage="report", label="居民", case_id=case_id, public=public)
        if resolved:
            label = dept_name.get(dept_id, "")
            add(_processed(_scene(r, code, cleaned=True, seed=scene_seed)), at=_at(resolved_at), stage="after", label=label, case_id=case_id, public=public)
    for visit_id, user_id, created_at in r.sample(visits, min(VISITS, len(visits))):
        add(_processed(_scene(r, f"visit {visit_id}")), at=_at(created_at), stage="visit", label="网格服务团队", user_id=user_id, visit_id=visit_id)
    if not media_rows:
        return 0
    conn.execute(insert(Media.__table__), media_rows)
    ids = dict(q("SELECT token, id FROM media").all())
    for m in media_rows:
        events.append({"media_id": ids[m["token"]], "at": m["created_at"], "actor_user_id": m["uploaded_by_user_id"], "action": "attach"})
        if m["public"]:
            events.append({"media_id": ids[m["token"]], "at": m["created_at"], "actor_user_id": None, "action": "publish"})
    conn.execute(insert(MediaEvent.__table__), events)
    return len(media_rows)


def _at(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
