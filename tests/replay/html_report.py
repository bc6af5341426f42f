#!/usr/bin/python3
"""The replay report in a real browser: `lstm-lint --replay --report FILE.html` on the article's
Example 2 and 3, rendered by headless Chromium (Debian's `chromium`).

Checks that the page is self-contained (no script, no link, no external URL), that Chromium's
own DOM of it (--dump-dom) holds the SVG curves with and without the bug (polylines with many
points) and the spec table, and that the screenshot Chromium renders is not blank: enough
non-white pixels, and pixels of the two curve colours where the chart is.

Usage: html_report.py LSTM_LINT LSTM_LINT_REPLAY SOURCE_DIR   (exit 77: skipped)
"""

import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

FIXTURES = ["weights-reinit-as-reset/fires_article_example2_reset_states",
            "hidden-batch-size-mismatch/fires_article_example3_fixed_batch_state"]
CURVE_COLOURS = {"without the bug": (0x1f, 0x77, 0xb4), "with the bug": (0xd6, 0x27, 0x28)}

failures = []


def check(name, cond, detail=""):
    print(f"{'ok  ' if cond else 'FAIL'} {name}{'' if cond else ': ' + detail}")
    if not cond:
        failures.append(name)


def png_pixels(path):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG {header}"
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def main():
    if len(sys.argv) != 4:
        print(__doc__)
        return 2
    lstm_lint, replay, source = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    if not replay or not os.access(replay, os.X_OK):
        print("SKIP: lstm-lint-replay was not built (LibTorch missing)")
        return 77
    chromium = shutil.which("chromium")
    if not chromium:
        print("SKIP: needs Debian's chromium")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        page = tmp / "report.html"
        env = dict(os.environ, LSTM_LINT_REPLAY=replay)
        notebooks = [str(source / "fixtures" / f"{f}.ipynb") for f in FIXTURES]
        p = subprocess.run([lstm_lint, "--report", str(page), "-q", *notebooks], capture_output=True, text=True,
                           env=env, timeout=300)
        check("lstm-lint --report ran", p.returncode in (0, 1) and page.is_file(), p.stderr[-800:])
        if not page.is_file():
            return 1
        html = page.read_text(encoding="utf-8")
        check("the page is self-contained", not re.search(r"<script|<link|<img|<iframe|https?://(?!www\.w3\.org/2000/svg)", html))

        browser = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                   f"--user-data-dir={tmp / 'profile'}", "--window-size=1000,1200"]
        dom = subprocess.run(browser + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
        check("chromium loaded the page", dom.returncode == 0 and "</html>" in dom.stdout, dom.stderr[-500:])
        polylines = re.findall(r'<polyline class="curve" data-name="([^"]*)"[^>]*points="([^"]*)"', dom.stdout)
        lengths = {name: len(points.split()) for name, points in polylines}
        print(f"     curves in Chromium's DOM: {lengths}")
        check("the curve without the bug is there", any("without" in n and k >= 10 for n, k in lengths.items()))
        check("the curve with the bug is there", any("re-initialising" in n and k >= 10 for n, k in lengths.items()))
        check("the verdicts and the spec table are there",
              dom.stdout.count('class="verdict confirmed"') >= 2 and '<table class="spec">' in dom.stdout)

        shot = tmp / "shot.png"
        s = subprocess.run(browser + [f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120)
        check("chromium rendered a screenshot", s.returncode == 0 and shot.is_file(), s.stderr[-500:])
        if shot.is_file():
            width, height, rows = png_pixels(shot)
            pixels = [px for row in rows for px in row]
            ink = sum(1 for r, g, b in pixels if r + g + b < 600)
            print(f"     screenshot {width}x{height}: {ink / len(pixels):.1%} of the pixels not white")
            check("the screenshot is not blank", ink > 0.02 * len(pixels))
            for what, colour in CURVE_COLOURS.items():
                near = sum(1 for px in pixels if sum(abs(a - b) for a, b in zip(px, colour)) < 40)
                print(f"     pixels of the curve {what}: {near}")
                check(f"the curve {what} is drawn", near > 200)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
