"""Product pictures: prove an upload is a picture, strip what it carries, store it at the sizes pages use.

An upload is never trusted nor kept as sent: Pillow must decode it as JPEG, PNG or WebP
(whatever its name or Content-Type claims), its pixel count is checked before the pixels
are decoded (a 200 KB PNG can unpack to 700 MB), and what is stored is a fresh WebP
encoding of the pixels alone — no EXIF, GPS, comments or trailing bytes of a polyglot.
Names carry a hash of the picture, so a new picture gets a new URL that no cache holds.

Memory: the pixels decoded are at most `max_pixels` (PICTURE_MAX_PIXELS), and a process
handles one picture at a time, so a few uploads at once cannot take a worker's memory. A
JPEG is decoded straight at 1/2, 1/4 or 1/8 of its size when that still covers the largest
stored width, so a phone photo costs far less than its megapixels.
"""

import hashlib
import io
import re
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from ..exceptions import Invalid

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_BYTES = 5 * 1024 * 1024
# Pixels decoded at most, unless PICTURE_MAX_PIXELS says otherwise: 25 MP is 75 MB of RGB (100 MB
# with transparency) and takes a 24 MP camera photo; JPEGs shrink while decoding, so they get in bigger.
MAX_PIXELS = 25_000_000
MIN_SIDE = 200
WIDTHS = (200, 400, 800, 1200)  # thumbnails, cards, the product page, and 2x of each
ASPECT = (4, 3)  # every card shows a 4:3 picture; cropping here keeps the grid even
QUALITY = 82
URL_PREFIX = "/uploads/products/"
STORED_NAME = re.compile(r"(?P<digest>[0-9a-f]{20})-(?P<width>[0-9]+)\.webp")
FIELD = "picture"
# One picture at a time in each process: decoding and resizing are what take the memory.
DECODE_LOCK = threading.Lock()


@dataclass(frozen=True)
class Source:
    url: str
    width: int


def refuse(message):
    return Invalid(message, {FIELD: message})


def store_picture(data, folder, max_pixels=MAX_PIXELS):
    """Check, strip and re-encode an upload into `folder`; return the URL to keep on the product."""
    with DECODE_LOCK:
        image = _decoded(data, max_pixels)
        picture = ImageOps.fit(_upright_rgb(image), _crop_size(image), method=Image.Resampling.LANCZOS)
        del image  # its full-size pixels can go before the encoding
        digest = hashlib.sha256(picture.tobytes()).hexdigest()[:20]
        target = Path(folder) / "products"
        target.mkdir(parents=True, exist_ok=True)
        for width in WIDTHS:
            path = target / f"{digest}-{width}.webp"
            if not path.exists():  # same pixels, same name: an upload repeated costs nothing
                _write_atomically(path, _encoded(picture, width))
    return f"{URL_PREFIX}{digest}-{WIDTHS[1]}.webp"


def too_many_pixels(width, height, max_pixels):
    """The message for a picture whose decoded pixels would be over the budget."""
    return refuse(
        f"That picture is {width}×{height} pixels, more than we can process; please use one of at most "
        f"{max_pixels / 1_000_000:g} megapixels."
    )


def sources(image_url):
    """The stored sizes of an uploaded picture, smallest first; [] for any other URL (e.g. the demo SVGs)."""
    if not image_url or not image_url.startswith(URL_PREFIX):
        return []
    match = STORED_NAME.fullmatch(image_url[len(URL_PREFIX) :])
    if match is None:
        return []
    return [Source(f"{URL_PREFIX}{match['digest']}-{width}.webp", width) for width in WIDTHS]


def _decoded(data, max_pixels):
    if not data:
        raise refuse("Choose a picture file to upload.")
    if len(data) > MAX_BYTES:
        raise refuse(f"That file is {len(data) / 1024 / 1024:.1f} MB; a picture can be at most 5 MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)  # reads the header only
            width, height = image.size
            if min(width, height) < MIN_SIDE:
                raise refuse(
                    f"That picture is {width}×{height} pixels; please use one at least {MIN_SIDE} pixels on each side."
                )
            # A JPEG can decode at a fraction of its size that still covers the largest width
            # stored, either way up (other formats ignore this); the budget counts what is decoded.
            image.draft(None, (WIDTHS[-1], WIDTHS[-1]))
            if image.width * image.height > max_pixels:
                raise too_many_pixels(width, height, max_pixels)
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refuse(
            f"That picture has too many pixels; please use one of at most {max_pixels / 1_000_000:g} megapixels."
        ) from None
    except UnidentifiedImageError:
        raise refuse("That file is not a JPEG, PNG or WebP picture.") from None
    except (OSError, SyntaxError, ValueError):  # truncated or corrupt data inside a valid header
        raise refuse("That picture file is damaged; please export it again.") from None
    return image


def _upright_rgb(image):
    """Turned the way the camera meant (EXIF orientation), in RGB or RGBA, metadata gone.

    In place where it can be: a copy of a big picture's pixels is memory it does not need."""
    ImageOps.exif_transpose(image, in_place=True)
    mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB"
    clean = image if image.mode == mode else image.convert(mode)
    clean.info = {}
    return clean


def _crop_size(image):
    """The largest 4:3 size that fits the picture, but no wider than the largest stored width."""
    width, height = image.size
    width = min(width, height * ASPECT[0] // ASPECT[1], WIDTHS[-1])
    return width, width * ASPECT[1] // ASPECT[0]


def _encoded(picture, width):
    height = width * ASPECT[1] // ASPECT[0]
    resized = picture if picture.width <= width else picture.resize((width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    resized.save(buffer, "WEBP", quality=QUALITY, method=4)  # no exif= or icc_profile=: nothing rides along
    return buffer.getvalue()


def _write_atomically(path, data):
    """Write beside the target and rename: a reader never sees half a picture."""
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    partial.replace(path)
