"""Product pictures: prove an upload is a picture, strip what it carries, store it at the sizes pages use.

An upload is never trusted nor kept as sent: Pillow must decode it as JPEG, PNG or WebP
(whatever its name or Content-Type claims), its pixel count is checked before the pixels
are decoded (a 40 KB file can unpack to gigabytes), and what is stored is a fresh WebP
encoding of the pixels alone — no EXIF, GPS, comments or trailing bytes of a polyglot.
Names carry a hash of the picture, so a new picture gets a new URL that no cache holds.
"""

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from .exceptions import Invalid

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 48-megapixel phone photo (8000x6000) gets in; 20000x20000 does not
MIN_SIDE = 200
WIDTHS = (200, 400, 800, 1200)  # thumbnails, cards, the product page, and 2x of each
ASPECT = (4, 3)  # every card shows a 4:3 picture; cropping here keeps the grid even
QUALITY = 82
URL_PREFIX = "/uploads/products/"
STORED_NAME = re.compile(r"(?P<digest>[0-9a-f]{20})-(?P<width>[0-9]+)\.webp")
FIELD = "picture"


@dataclass(frozen=True)
class Source:
    url: str
    width: int


def refuse(message):
    return Invalid(message, {FIELD: message})


def store_picture(data, folder):
    """Check, strip and re-encode an upload into `folder`; return the URL to keep on the product."""
    image = _decoded(data)
    picture = ImageOps.fit(_upright_rgb(image), _crop_size(image), method=Image.Resampling.LANCZOS)
    digest = hashlib.sha256(picture.tobytes()).hexdigest()[:20]
    target = Path(folder) / "products"
    target.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        path = target / f"{digest}-{width}.webp"
        if not path.exists():  # same pixels, same name: an upload repeated costs nothing
            _write_atomically(path, _encoded(picture, width))
    return f"{URL_PREFIX}{digest}-{WIDTHS[1]}.webp"


def sources(image_url):
    """The stored sizes of an uploaded picture, smallest first; [] for any other URL (e.g. the demo SVGs)."""
    if not image_url or not image_url.startswith(URL_PREFIX):
        return []
    match = STORED_NAME.fullmatch(image_url[len(URL_PREFIX) :])
    if match is None:
        return []
    return [Source(f"{URL_PREFIX}{match['digest']}-{width}.webp", width) for width in WIDTHS]


def _decoded(data):
    if not data:
        raise refuse("Choose a picture file to upload.")
    if len(data) > MAX_BYTES:
        raise refuse(f"That file is {len(data) / 1024 / 1024:.1f} MB; a picture can be at most 5 MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)  # reads the header only
            if image.width * image.height > MAX_PIXELS:
                raise refuse(
                    f"That picture is {image.width}×{image.height} pixels; please use one under "
                    f"{MAX_PIXELS // 1_000_000} megapixels."
                )
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refuse(
            f"That picture has too many pixels; please use one under {MAX_PIXELS // 1_000_000} megapixels."
        ) from None
    except UnidentifiedImageError:
        raise refuse("That file is not a JPEG, PNG or WebP picture.") from None
    except (OSError, SyntaxError, ValueError):  # truncated or corrupt data inside a valid header
        raise refuse("That picture file is damaged; please export it again.") from None
    if min(image.size) < MIN_SIDE:
        raise refuse(
            f"That picture is {image.width}×{image.height} pixels; please use one at least "
            f"{MIN_SIDE} pixels on each side."
        )
    return image


def _upright_rgb(image):
    """Turned the way the camera meant (EXIF orientation), in RGB or RGBA, metadata gone."""
    upright = ImageOps.exif_transpose(image)
    mode = "RGBA" if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info else "RGB"
    clean = upright.convert(mode)
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
