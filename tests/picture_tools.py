"""Pictures made in memory for the upload tests: real ones, one with a location, a bomb, an SVG."""

import io

from PIL import Image

GPS_IFD = 0x8825


def picture_bytes(fmt="JPEG", size=(1600, 1200), color=(200, 150, 90), **save):
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def jpeg_with_gps():
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotated 90° clockwise
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)})
    return picture_bytes("JPEG", size=(1200, 1600), exif=exif.tobytes())


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="400" height="300"/></svg>'


def png_bomb(width, height):
    """A PNG of one-bit black pixels: a few kilobytes on disk, width×height pixels once unpacked."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def one_colour_png(width, height):
    """A PNG of one colour: about 200 KB on disk for 7070×7070, 150 MB of RGB once decoded."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 150, 90)).save(buffer, "PNG")
    return buffer.getvalue()
