"""Tasks beyond chat: their names, how long one attempt may take, and checks that an answer is one.

A provider that answers 200 with something that is not the task's answer (a truncated PNG, a
vector of the wrong size, an empty audio file) raises `BadAnswer` inside the attempt, so the
failover reports it as `bad_response` and tries the next candidate instead of handing it back."""

from __future__ import annotations

import io
import os
import struct
from typing import Any, Optional, Sequence

from .transport import SwitchyardError

CHAT = "chat"
COMPLETION = "completion"
EMBEDDINGS = "embeddings"
TEXT_TO_IMAGE = "text-to-image"
SPEECH_TO_TEXT = "speech-to-text"
TEXT_TO_SPEECH = "text-to-speech"
TEXT_TO_VIDEO = "text-to-video"

#: Every task the daemon routes (`/v1/route?model=M&task=T`), chat being the default.
TASKS = (CHAT, COMPLETION, EMBEDDINGS, TEXT_TO_IMAGE, SPEECH_TO_TEXT, TEXT_TO_SPEECH, TEXT_TO_VIDEO)

#: Seconds one attempt may take unless configured: what users expect such a request to take
#: (the daemon's defaults: an image may take a minute, a video five).
ATTEMPT_TIMEOUTS = {CHAT: 30.0, COMPLETION: 30.0, EMBEDDINGS: 10.0, TEXT_TO_IMAGE: 60.0, SPEECH_TO_TEXT: 60.0,
                    TEXT_TO_SPEECH: 60.0, TEXT_TO_VIDEO: 300.0}

#: The Hub's pipeline tag `huggingface_hub` uses for each task.
HUB_TASKS = {CHAT: "conversational", COMPLETION: "text-generation", EMBEDDINGS: "feature-extraction",
             TEXT_TO_IMAGE: "text-to-image", SPEECH_TO_TEXT: "automatic-speech-recognition",
             TEXT_TO_SPEECH: "text-to-speech", TEXT_TO_VIDEO: "text-to-video"}


class BadAnswer(SwitchyardError, ValueError):
    """A provider answered, but not with what the task asks for; reported as `bad_response`."""


def check_image(image: Any) -> Any:
    """`image` (a PIL image, decoded lazily by `huggingface_hub`) decoded in full, or `BadAnswer`."""
    try:
        image.load()
    except Exception as error:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError... for a bad file
        raise BadAnswer(f"the image does not decode: {error}") from error
    if not image.size or min(image.size) <= 0:
        raise BadAnswer(f"the image is empty ({image.size})")
    return image


_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"


def check_image_bytes(raw: bytes) -> bytes:
    """`raw` when it is a whole PNG (ending with its IEND chunk), JPEG (ending FFD9), WebP or GIF, else `BadAnswer`."""
    if raw.startswith(_PNG):
        if not raw.endswith(_PNG_END):
            raise BadAnswer(f"the PNG is truncated ({len(raw)} bytes, no IEND chunk)")
    elif raw.startswith(b"\xff\xd8\xff"):
        if not raw.rstrip(b"\x00").endswith(b"\xff\xd9"):
            raise BadAnswer(f"the JPEG is truncated ({len(raw)} bytes)")
    elif not (raw[:4] == b"RIFF" and raw[8:12] == b"WEBP") and not raw.startswith(b"GIF8"):
        raise BadAnswer(f"the answer is not an image (starts {raw[:8]!r})")
    return raw


def check_vectors(vectors: Any, inputs: int, dimensions: Optional[int]) -> Any:
    """`vectors` (one row per input) when each is non-empty and `dimensions` long (when asked), else `BadAnswer`."""
    shape = getattr(vectors, "shape", None)
    rows = list(vectors) if shape is None else None
    count = shape[0] if shape is not None and len(shape) >= 1 else len(rows or [])
    size = (shape[-1] if shape is not None and len(shape) >= 2 else
            (len(rows[0]) if rows and isinstance(rows[0], Sequence) else 0))
    if shape is not None and len(shape) != 2:
        raise BadAnswer(f"expected one vector per input, got an array of shape {tuple(shape)}")
    if count != inputs:
        raise BadAnswer(f"expected {inputs} vectors, got {count}")
    if size == 0:
        raise BadAnswer("the provider answered empty vectors")
    if dimensions is not None and size != dimensions:
        raise BadAnswer(f"expected vectors of {dimensions} dimensions, got {size}")
    if rows is not None and any(not isinstance(row, Sequence) or len(row) != size for row in rows):
        raise BadAnswer("the vectors differ in length")
    return vectors


_AUDIO_MAGIC = (b"RIFF", b"fLaC", b"OggS", b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"\xff\xf1", b"\xff\xf9")


def check_audio(data: Any) -> bytes:
    """`data` when it is audio bytes of a known container (WAV, FLAC, Ogg, MP3, AAC), else `BadAnswer`."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise BadAnswer("the provider answered no audio")
    if not bytes(data[:4]).startswith(_AUDIO_MAGIC):
        raise BadAnswer(f"the answer is not audio (starts {bytes(data[:8])!r})")
    return bytes(data)


def check_video(data: Any) -> bytes:
    """`data` when it is an MP4/MOV (an `ftyp` box) or WebM file, else `BadAnswer`."""
    if not isinstance(data, (bytes, bytearray)) or len(data) < 12:
        raise BadAnswer("the provider answered no video")
    if bytes(data[4:8]) != b"ftyp" and not bytes(data[:4]) == b"\x1a\x45\xdf\xa3":
        raise BadAnswer(f"the answer is not a video (starts {bytes(data[:8])!r})")
    return bytes(data)


def check_text(output: Any) -> Any:
    """A transcription whose `text` is a string, else `BadAnswer`."""
    text = output.get("text") if isinstance(output, dict) else getattr(output, "text", None)
    if not isinstance(text, str):
        raise BadAnswer("the transcription has no text")
    return output


def audio_seconds(audio: Any) -> Optional[float]:
    """The duration of a PCM WAV given as bytes or a path, the measure a speech-to-text report
    carries; None for anything else (other formats, URLs, file objects)."""
    header: bytes
    if isinstance(audio, (bytes, bytearray, memoryview)):
        header = bytes(audio[:64])
        total = len(audio)
    elif isinstance(audio, (str, os.PathLike)) and os.path.isfile(audio):
        with open(audio, "rb") as f:
            header = f.read(64)
        total = os.path.getsize(audio)
    else:
        return None
    if len(header) < 44 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
        return None
    byte_rate = struct.unpack_from("<I", header, 28)[0]
    stream = io.BytesIO(header)
    stream.seek(12)
    while True:  # the `data` chunk's size, past any chunk before it within the header read
        head = stream.read(8)
        if len(head) < 8:
            data_size = total - 44
            break
        name, size = head[:4], struct.unpack("<I", head[4:])[0]
        if name == b"data":
            data_size = min(size, total - stream.tell())
            break
        stream.seek(size + (size & 1), io.SEEK_CUR)
    return data_size / byte_rate if byte_rate > 0 else None
