"""Picture uploads: only real JPEG/PNG/WebP pictures get in, stripped and re-encoded at the page sizes."""

import io
import threading

import pytest
from PIL import Image

from app.catalog.pictures import DECODE_LOCK, MAX_BYTES, URL_PREFIX, WIDTHS, sources, store_picture
from app.exceptions import Invalid
from tests.picture_tools import GPS_IFD, SVG, jpeg_with_gps, one_colour_png, picture_bytes, png_bomb


def stored_files(folder):
    return sorted(p.name for p in (folder / "products").iterdir())


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_real_picture_is_stored_as_webp_at_every_size(tmp_path, fmt):
    url = store_picture(picture_bytes(fmt), tmp_path)
    assert url.startswith(URL_PREFIX) and url.endswith("-400.webp")
    assert len(stored_files(tmp_path)) == len(WIDTHS)
    for source in sources(url):
        with Image.open(tmp_path / "products" / source.url.rsplit("/", 1)[1]) as stored:
            assert stored.format == "WEBP"
            assert stored.size == (source.width, source.width * 3 // 4)


def test_location_and_camera_data_are_stripped_and_the_photo_is_turned_upright(tmp_path):
    original = Image.open(io.BytesIO(jpeg_with_gps()))
    assert original.getexif().get_ifd(GPS_IFD)  # the upload really carries a location
    url = store_picture(jpeg_with_gps(), tmp_path)
    for name in stored_files(tmp_path):
        data = (tmp_path / "products" / name).read_bytes()
        with Image.open(io.BytesIO(data)) as stored:
            assert not stored.getexif()
            assert "exif" not in stored.info and "icc_profile" not in stored.info
        assert b"PhoneMaker" not in data and b"Exif" not in data
    with Image.open(tmp_path / "products" / url.rsplit("/", 1)[1]) as card:
        assert card.width > card.height  # a portrait photo, turned as the camera meant, cropped to 4:3


def test_a_new_picture_gets_a_new_name_and_the_same_picture_the_same(tmp_path):
    first = store_picture(picture_bytes(color=(10, 20, 30)), tmp_path)
    assert store_picture(picture_bytes(color=(10, 20, 30)), tmp_path) == first
    assert store_picture(picture_bytes(color=(90, 20, 30)), tmp_path) != first


HTML = b"<!doctype html><script>alert(document.cookie)</script>"


def gif():
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300)).save(buffer, "GIF")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (SVG, "not a JPEG, PNG or WebP"),
        (HTML, "not a JPEG, PNG or WebP"),
        (b"#!/bin/sh\nrm -rf /\n", "not a JPEG, PNG or WebP"),
        (gif(), "not a JPEG, PNG or WebP"),
        (b"", "Choose a picture"),
        (picture_bytes("PNG")[:400], "damaged"),
        (picture_bytes("JPEG", size=(120, 90)), "at least 200 pixels"),
    ],
)
def test_anything_but_a_whole_picture_is_refused_at_the_field(tmp_path, data, message):
    with pytest.raises(Invalid) as refused:
        store_picture(data, tmp_path)
    assert message in refused.value.details["picture"]
    assert not (tmp_path / "products").exists()


def test_a_polyglot_keeps_only_its_pixels(tmp_path):
    polyglot = picture_bytes("PNG") + HTML  # a PNG that is also an HTML page
    url = store_picture(polyglot, tmp_path)
    for name in stored_files(tmp_path):
        assert b"<script>" not in (tmp_path / "products" / name).read_bytes()
    assert url.endswith(".webp")


def test_a_file_over_five_megabytes_is_refused(tmp_path):
    with pytest.raises(Invalid, match="at most 5 MB"):
        store_picture(picture_bytes("PNG", size=(400, 300)) + b"\0" * MAX_BYTES, tmp_path)


@pytest.mark.parametrize("size", [(20000, 20000), (10000, 8000)])
def test_a_decompression_bomb_is_refused_before_its_pixels_are_unpacked(tmp_path, size):
    bomb = png_bomb(*size)
    assert len(bomb) < MAX_BYTES  # small on disk, huge in memory
    with pytest.raises(Invalid, match="megapixels"):
        store_picture(bomb, tmp_path)


def test_sources_only_for_uploaded_pictures():
    assert sources("/static/products/baguette.svg") == []
    assert sources(None) == []
    assert sources(f"{URL_PREFIX}../../etc-400.webp") == []
    assert [s.width for s in sources(f"{URL_PREFIX}{'a' * 20}-400.webp")] == list(WIDTHS)


def test_a_picture_of_50_megapixels_is_refused_before_decoding(tmp_path):
    png = one_colour_png(7070, 7070)
    assert len(png) < 1024 * 1024
    with pytest.raises(Invalid, match="7070×7070 pixels") as refused:
        store_picture(png, tmp_path)
    assert "at most 25 megapixels" in refused.value.details["picture"]
    assert not (tmp_path / "products").exists()


def test_the_pixel_budget_is_the_caller_s(tmp_path):
    with pytest.raises(Invalid, match="at most 1 megapixels"):
        store_picture(picture_bytes("PNG", size=(1600, 1200)), tmp_path, max_pixels=1_000_000)
    assert store_picture(picture_bytes("PNG", size=(1000, 750)), tmp_path, max_pixels=1_000_000)


def test_a_12_megapixel_phone_photo_is_stored(tmp_path):
    url = store_picture(picture_bytes("JPEG", size=(4000, 3000)), tmp_path)
    assert url.endswith("-400.webp") and len(stored_files(tmp_path)) == len(WIDTHS)
    with Image.open(tmp_path / "products" / stored_files(tmp_path)[0]) as stored:
        assert stored.size[0] in WIDTHS


def test_a_big_jpeg_decodes_at_a_fraction_of_its_size(tmp_path):
    """A 48 MP phone JPEG takes 144 MB decoded whole; decoded at a quarter it is 3 MP and gets in."""
    photo = picture_bytes("JPEG", size=(8000, 6000))
    with Image.open(io.BytesIO(photo)) as image:
        image.draft(None, (WIDTHS[-1], WIDTHS[-1]))
        assert image.width * image.height <= 8000 * 6000 // 16
    assert store_picture(photo, tmp_path, max_pixels=25_000_000).endswith(".webp")


def test_pictures_are_processed_one_at_a_time(tmp_path):
    with DECODE_LOCK:  # another upload of this process is being decoded
        second = threading.Thread(target=store_picture, args=(picture_bytes("PNG", size=(400, 300)), tmp_path))
        second.start()
        second.join(timeout=1)
        assert second.is_alive()  # waits its turn
        assert not (tmp_path / "products").exists()
    second.join(timeout=30)
    assert not second.is_alive()
    assert len(stored_files(tmp_path)) == len(WIDTHS)
