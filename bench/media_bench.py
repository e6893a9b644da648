"""What the photo feature costs: the demo seed with and without its photo
step, and checking + re-encoding one phone photo.

Prints JSON lines:
- ``seed_floor``: the seed on a fresh SQLite file without the photo step;
- ``seed_with_photos``: the same seed with it (same run, same arguments), the
  photos written, and the difference;
- ``process_photo``: median time to check and re-encode a 12-megapixel JPEG
  (4000 x 3000, with GPS EXIF) into the web-size copy and thumbnail.

    .venv/bin/python bench/media_bench.py [--cases 2000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _seed_seconds(cases: int, with_photos: bool, media_dir: Path) -> tuple[float, int]:
    from rxapp.db import make_engine
    from rxapp.domain import seed as S
    from rxapp.domain.media.storage import FileStorage

    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        written = []

        def photos(conn, **kw):
            from rxapp.domain.media.seed import seed_media

            written.append(seed_media(conn, storage=FileStorage(media_dir), **kw))

        with mock.patch.object(S, "seed_media", photos if with_photos else (lambda conn, **kw: None)):
            t = time.perf_counter()
            S.seed(engine, cases=cases, random_seed=7, grids_per_township=1)
            seconds = time.perf_counter() - t
        engine.dispose()
    return seconds, sum(written)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cases", type=int, default=2000)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as media:
        floor = [_seed_seconds(args.cases, False, Path(media))[0] for _ in range(args.repeat)]
        runs = [_seed_seconds(args.cases, True, Path(media) / str(i)) for i in range(args.repeat)]
    f, w = min(floor), min(s for s, _ in runs)
    print(json.dumps({"bench": "seed_floor", "cases": args.cases, "seconds_min": round(f, 2), "runs": [round(x, 2) for x in floor]}))
    print(json.dumps({"bench": "seed_with_photos", "cases": args.cases, "photos": runs[0][1], "seconds_min": round(w, 2),
                      "runs": [round(s, 2) for s, _ in runs], "photo_step_seconds": round(w - f, 2)}))

    from PIL import Image

    from rxapp.domain.media.images import process_photo

    img = Image.new("RGB", (4000, 3000), (40, 110, 170))
    for x in range(0, 4000, 50):
        img.paste((255, 255, 255), (x, 0, x + 6, 3000))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (29.0, 53.0, 10.0), 3: "E", 4: (122.0, 24.0, 5.0)}
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    data = out.getvalue()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        done = process_photo(data, "IMG.jpg")
        times.append(time.perf_counter() - t)
    print(json.dumps({"bench": "process_photo", "input_bytes": len(data), "pixels": "4000x3000", "median_seconds": round(statistics.median(times), 3),
                      "min_seconds": round(min(times), 3), "web_bytes": len(done.web.data), "thumb_bytes": len(done.thumb.data)}))


if __name__ == "__main__":
    main()
