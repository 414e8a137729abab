# Makes the fixtures that Go's encoders cannot write (CMYK JPEG, WebP).
# Run with Debian's python3-pil: python3 gen.py (from this folder).
# Every image is 32x24: the left half red, the right half light blue, and
# in the *-alpha files the bottom half fully transparent.
from PIL import Image

def base(mode="RGB"):
    im = Image.new("RGBA", (32, 24), (255, 0, 0, 255))
    im.paste((120, 180, 255, 255), (16, 0, 32, 24))
    return im

im = base()
im.convert("RGB").convert("CMYK").save("cmyk.jpg", quality=95)
im.convert("RGB").save("rgb.webp", lossless=True)
a = base()
a.paste((0, 0, 0, 0), (0, 12, 32, 24))
a.save("rgba.webp", lossless=True)
