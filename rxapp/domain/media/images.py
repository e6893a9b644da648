"""What an uploaded file is, decided by its bytes — never by its name or the
type the client claims — and the safe copies kept of it.

A photo (JPEG, PNG, WebP, HEIC/HEIF from phones) is decoded by Pillow with the
decompression-bomb limit on, turned upright by its EXIF orientation, and
re-encoded as two fresh JPEGs (web size and thumbnail) that carry no metadata
at all: no EXIF (GPS above all), no XMP, no ICC, no comments.  A staff PDF is
kept as is but only after its structure is checked, and is only ever served
as a download.  Anything else — a PDF renamed .jpg, a polyglot (an image
with a PDF, HTML, script or archive glued on or inside), a truncated file, an
image of 50,000 × 50,000 pixels — is refused with a Chinese message and
nothing is written."""

import hashlib
import io
import re
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps

from rxapp.domain.errors import DomainError

pillow_heif.register_heif_opener()

MAX_FILE_BYTES = 10 * 1024 * 1024  # per file, every channel
MAX_PUBLIC_FILES = 3  # a resident's photos per case (/public/submit, Open311 POST)
MAX_STAFF_FILES = 5  # files in one staff upload
# pixels a photo may decode to: a 48-megapixel phone photo passes, a bomb does not
MAX_PIXELS = 50_000_000
WEB_EDGE = 1600
THUMB_EDGE = 320
WEB_QUALITY = 82
THUMB_QUALITY = 75

# Pillow refuses above twice this with DecompressionBombError; above it, only
# a warning, which ``inspect_image`` turns into a refusal as well.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
JPEG = "image/jpeg"
PDF = "application/pdf"

# Text a browser or PDF reader would act on.  A genuine photo's compressed
# bytes match one of these by chance with odds far below one in a billion.
_ACTIVE = re.compile(rb"%PDF-|<\s*(?:script|html|svg|iframe|body|\?php|\?xml)|PK\x03\x04|Rar!\x1a\x07", re.IGNORECASE)
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA|OpenAction|AA)\b")


@dataclass(frozen=True)
class StoredCopy:
    data: bytes
    sha256: str
    content_type: str


@dataclass(frozen=True)
class Processed:
    """A checked upload and the copies that will be stored."""

    kind: str  # image / pdf
    original_size: int
    filename: str
    web: StoredCopy
    thumb: StoredCopy | None
    width: int = 0
    height: int = 0


def _copy(data: bytes, content_type: str) -> StoredCopy:
    return StoredCopy(data, hashlib.sha256(data).hexdigest(), content_type)


def safe_filename(name: object) -> str:
    """The client's file name, for a PDF's download name only: letters,
    digits, CJK, dot, dash and underscore; at most 80 characters."""
    text = name if isinstance(name, str) else ""
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = re.sub(r"[^\w.\-\u4e00-\u9fff]+", "_", text).strip("._")
    return text[-80:] or "file"


def _label(name: str) -> str:
    return f"“{name[:40]}”" if name else "文件"


def _check_size(data: object, label: str) -> bytes:
    if not isinstance(data, (bytes, bytearray)):
        raise DomainError(f"{label}无法读取", "media")
    if len(data) == 0:
        raise DomainError(f"{label}是空文件", "media")
    if len(data) > MAX_FILE_BYTES:
        raise DomainError(f"{label}超过10MB，请压缩后再上传", "media")
    return bytes(data)


def _trailing_junk(data: bytes, fmt: str) -> bool:
    """Bytes after the image's own end marker: where polyglots hide."""
    if fmt == "JPEG":
        end = data.rfind(b"\xff\xd9")
        return end < 0 or data[end + 2 :].strip(b"\x00\r\n") != b""
    if fmt == "PNG":
        end = data.rfind(b"IEND")
        return end < 0 or len(data) > end + 8
    if fmt == "WEBP":
        return len(data) < 12 or int.from_bytes(data[4:8], "little") + 8 != len(data)
    if fmt == "HEIF":  # ISO-BMFF: the top-level boxes must tile the file exactly
        at = 0
        while at < len(data):
            if len(data) - at < 8:
                return True
            size = int.from_bytes(data[at : at + 4], "big")
            if size == 1:
                size = int.from_bytes(data[at + 8 : at + 16], "big")
            elif size == 0:
                size = len(data) - at
            if size < 8:
                return True
            at += size
        return at != len(data)
    return False


def inspect_image(data: bytes, label: str) -> Image.Image:
    """Decode fully, with the bomb limit on; refuse anything but a whole,
    plain JPEG / PNG / WebP / HEIC image."""
    if _ACTIVE.search(data):
        raise DomainError(f"{label}不是纯图片文件（内含其他格式的内容），已拒收", "media")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
            fmt = img.format
            w, h = img.size
            if w * h > MAX_PIXELS or w < 1 or h < 1:
                raise DomainError(f"{label}尺寸过大（{w}×{h}像素），请缩小后再上传", "media")
            img.load()
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError(f"{label}尺寸过大，请缩小后再上传", "media") from None
    except Exception:  # noqa: BLE001 - Pillow raises many kinds for broken input
        raise DomainError(f"{label}不是可识别的照片（仅支持JPEG、PNG、WebP、HEIC），或文件已损坏", "media") from None
    if fmt not in IMAGE_FORMATS:
        raise DomainError(f"{label}格式不受支持（仅支持JPEG、PNG、WebP、HEIC）", "media")
    if _trailing_junk(data, fmt):
        raise DomainError(f"{label}文件结尾附带了其他内容，已拒收", "media")
    if getattr(img, "n_frames", 1) > 1 and fmt != "HEIF":
        raise DomainError(f"{label}是动图，请上传单张照片", "media")
    return img


def _encode(img: Image.Image, edge: int, quality: int) -> bytes:
    copy = img.copy()
    copy.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # a fresh image from pixels only: nothing of the original's metadata comes along
    copy.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def _pixels_only(img: Image.Image) -> Image.Image:
    upright = ImageOps.exif_transpose(img)
    if upright.mode in ("RGBA", "LA") or (upright.mode == "P" and "transparency" in upright.info):
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        upright = flat
    clean = Image.new("RGB", upright.size)
    clean.paste(upright.convert("RGB"))
    return clean


def process_photo(data: object, filename: object = "") -> Processed:
    name = safe_filename(filename) if filename else ""
    label = _label(name)
    raw = _check_size(data, label)
    img = inspect_image(raw, label)
    clean = _pixels_only(img)
    web = _encode(clean, WEB_EDGE, WEB_QUALITY)
    thumb = _encode(clean, THUMB_EDGE, THUMB_QUALITY)
    w, h = Image.open(io.BytesIO(web)).size
    return Processed("image", len(raw), name, _copy(web, JPEG), _copy(thumb, JPEG), w, h)


def _check_pdf(data: bytes, label: str) -> None:
    if not data.startswith(b"%PDF-1.") and not data.startswith(b"%PDF-2."):
        raise DomainError(f"{label}不是可识别的照片或PDF文件", "media")
    if b"%%EOF" not in data[-1024:]:
        raise DomainError(f"{label}PDF文件不完整", "media")
    if _PDF_ACTIVE.search(data):
        raise DomainError(f"{label}PDF含有脚本、附件或自动动作，已拒收", "media")
    if re.search(rb"<\s*(?:script|html|svg|iframe)", data, re.IGNORECASE):
        raise DomainError(f"{label}PDF内含网页内容，已拒收", "media")


def process_upload(data: object, filename: object = "", *, allow_pdf: bool = False) -> Processed:
    """A photo, or (staff only) a PDF: by content, never by name."""
    name = safe_filename(filename) if filename else ""
    label = _label(name)
    raw = _check_size(data, label)
    if raw.startswith(b"%PDF-"):
        if not allow_pdf:
            raise DomainError(f"{label}是PDF文件：此处只能上传照片（JPEG、PNG、WebP、HEIC）", "media")
        _check_pdf(raw, label)
        pdf_name = name if name.lower().endswith(".pdf") else f"{name or 'file'}.pdf"
        return Processed("pdf", len(raw), pdf_name, _copy(raw, PDF), None)
    return process_photo(raw, filename)


def process_all(files: list, *, allow_pdf: bool, max_files: int) -> list[Processed]:
    """Every file checked before any is kept: one bad file refuses the lot.
    ``files`` holds ``(name, bytes)`` pairs, or uploads already processed."""
    if not isinstance(files, list) or not files:
        raise DomainError("请选择要上传的文件", "media")
    if len(files) > max_files:
        raise DomainError(f"一次最多上传{max_files}个文件", "media")
    return [f if isinstance(f, Processed) else process_upload(f[1], f[0], allow_pdf=allow_pdf) for f in files]
