"""Synapse's thumbnailing engine as the reference: Pillow, full decode, LANCZOS, the five spec sizes.

Usage: pillow_thumbnails.py IMAGE ITERATIONS  ->  prints the mean milliseconds per image (decode once,
make and encode all five thumbnails), like the JMH benchmark's one operation.
"""
import io
import sys
import time

from PIL import Image

SIZES = [(32, 32, "crop"), (96, 96, "crop"), (320, 240, "scale"), (640, 480, "scale"), (800, 600, "scale")]


def aspect(w, h, max_w, max_h):
    if max_w * h < max_h * w:
        return max_w, max(max_w * h // w, 1)
    return max(max_h * w // h, 1), max_h


def thumbnails(path):
    image = Image.open(path)
    image.load()  # the full decode, as Synapse does
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGB")
    out_format = "PNG" if image.mode == "RGBA" or path.endswith(".png") and image.mode == "RGBA" else "JPEG"
    for w, h, method in SIZES:
        if method == "scale":
            tw, th = aspect(image.width, image.height, w, h)
            thumb = image.resize((tw, th), Image.LANCZOS)
        else:  # Synapse's crop: scale to cover, then centre crop
            if w * image.height > h * image.width:
                sw, sh = w, max(image.height * w // image.width, 1)
            else:
                sw, sh = max(image.width * h // image.height, 1), h
            scaled = image.resize((sw, sh), Image.LANCZOS)
            left, top = (sw - w) // 2, (sh - h) // 2
            thumb = scaled.crop((left, top, left + w, top + h))
        buf = io.BytesIO()
        thumb.save(buf, out_format, quality=80)


def main():
    path, iterations = sys.argv[1], int(sys.argv[2])
    thumbnails(path)  # warm-up
    start = time.perf_counter()
    for _ in range(iterations):
        thumbnails(path)
    print("%.1f" % ((time.perf_counter() - start) * 1000 / iterations))


if __name__ == "__main__":
    main()
