"""Compact files: one zip archive holding the JSON document and its ``.npy`` blocks.

Layout (schemas/README.md §1.2): every member is stored uncompressed; ``model.json`` comes
first (the milo document, strict JSON, validated like a readable file); then
``arrays/0.npy``, ``arrays/1.npy``, ... in the order the document names them. Only the zip
central directory is parsed (by the standard library); member data is read straight into
freshly allocated numpy arrays at offsets checked against the archive's size, so a block costs
one copy and no Python work per element.
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
from typing import Any

import numpy as np
from zlib_ng.zlib_ng import crc32  # the zip format's CRC-32, with SIMD: 12x the stdlib's here

from milo_codec.errors import ParseError, Problem
from milo_codec.limits import Limits, exceeded
from milo_codec.values.members import MEMBER_NAME, MemberSink, npy_header
from milo_codec.values.problems import DecodeProblem

ZIP_MAGIC = b"PK\x03\x04"
DOCUMENT = "model.json"
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # the fixed 30 bytes before a member's name
_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # fixed, so equal models give equal files
_ZIP64_SIZE = 0xFFFFFFFF  # a local size field meaning "see the zip64 extra field"
_END = struct.Struct("<4s4H2LH")  # end of central directory record: counts, size, offset
_END64_LOCATOR = struct.Struct("<4sLQL")  # just before it in a zip64 archive: where the next is
_END64 = struct.Struct("<4sQ2H2L4Q")  # zip64 end record: counts, size, offset in 64 bits
_MOST_ENTRY_BYTES = 128
# The standard library's objects for one directory entry: measured 460 to 674 bytes (names of
# 1 to 64 characters), so 600 per entry plus twice its bytes in the directory (name and extra
# field, each held as read and decoded) is from above, with 64 KB for the reader itself
# (92 KB measured for 100 entries).
_ENTRY_MEMORY, _ENTRY_BYTE_MEMORY, _READER_MEMORY = 600, 2, 1 << 16


def is_compact(head: bytes) -> bool:
    return head[:4] == ZIP_MAGIC


def _fail(message: str) -> ParseError:
    return ParseError("The file is not a valid compact milo archive.", [Problem("$", message)])


# ---------------------------------------------------------------------------
# writing


def compact_parts(document: bytes, sink: MemberSink) -> list[Any]:
    """The archive as a list of buffers (written out or joined once; blocks are not copied)."""
    members = [(DOCUMENT, [document])] + [
        (name, [npy_header(block.dtype, block.shape), block.reshape(-1).view(np.uint8).data])
        for name, block in sink.blocks
    ]
    total = sum(len(chunk) for _, chunks in members for chunk in chunks)
    if total >= _SMALL_ARCHIVE or len(members) >= 0xFFFF:
        return [_write_with_zipfile(members)]
    return _write_small(members)


# Below this size no zip64 records are needed, and the plain layout below is written in one
# pass; larger archives go through the standard library's writer.
_SMALL_ARCHIVE = 1 << 31
_DOS_DATE, _DOS_TIME = (1980 - 1980) << 9 | 1 << 5 | 1, 0
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")


def _write_small(members: list[tuple[str, list[Any]]]) -> list[Any]:
    """Stored members, local headers, central directory and end record, joined once."""
    parts: list[Any] = []
    central: list[bytes] = []
    offset = 0
    for name, chunks in members:
        raw_name = name.encode("ascii")
        size = sum(len(c) for c in chunks)
        crc = 0
        for chunk in chunks:
            crc = crc32(chunk, crc)
        header = _LOCAL_HEADER.pack(
            ZIP_MAGIC, 20, 0, 0, 0, _DOS_TIME, _DOS_DATE, crc, size, size, len(raw_name), 0
        )
        central.append(
            _CENTRAL.pack(
                b"PK\x01\x02",
                20,
                3,
                20,
                0,
                0,
                0,
                _DOS_TIME,
                _DOS_DATE,
                crc,
                size,
                size,
                len(raw_name),
                0,
                0,
                0,
                0,
                0o100644 << 16,
                offset,
            )
            + raw_name
        )
        parts += [header, raw_name, *chunks]
        offset += len(header) + len(raw_name) + size
    directory = b"".join(central)
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), offset, 0
    )
    return [*parts, directory, end]


def _write_with_zipfile(members: list[tuple[str, list[Any]]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        for name, chunks in members:
            info = zipfile.ZipInfo(name, _TIMESTAMP)
            info.file_size = sum(len(c) for c in chunks)
            with z.open(info, "w", force_zip64=info.file_size >= 1 << 31) as f:
                for chunk in chunks:
                    f.write(chunk)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# reading


class Archive:
    """The members of one compact file, read on demand from bytes or an open file."""

    def __init__(self, source: bytes | io.RawIOBase, size: int, limits: Limits) -> None:
        self._bytes = source if isinstance(source, bytes) else None
        self._file = None if isinstance(source, bytes) else source
        self._size = size
        # charged to max_parsed_bytes with the document's parse (pipeline.parse_document)
        self.directory_memory = self._check_directory_size(limits)
        try:
            opened = io.BytesIO(source) if isinstance(source, bytes) else source
            archive = zipfile.ZipFile(opened)
            infos = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
            raise _fail(f"the zip structure is unreadable: {e}") from None
        if len(infos) > limits.max_object_keys:
            raise exceeded(
                "max_object_keys",
                "$",
                f"an archive of {len(infos):,} members",
                limits.max_object_keys,
            )
        if not infos or infos[0].filename != DOCUMENT:
            raise _fail(f"the first member must be {DOCUMENT!r}")
        self._members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = info.filename
            if name in self._members:
                raise _fail(f"member {name!r} appears twice")
            if name != DOCUMENT and not MEMBER_NAME.match(name):
                raise _fail(f"unexpected member {name!r}; only {DOCUMENT} and arrays/<n>.npy")
            if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
                raise _fail(f"member {name!r} is compressed; compact files store members as is")
            if info.flag_bits & 0x1:
                raise _fail(f"member {name!r} is encrypted")
            self._members[name] = info
        self._used: set[str] = set()
        self._offsets: dict[str, int] = {}

    def _check_directory_size(self, limits: Limits) -> int:
        """Refuse an archive whose central directory declares more members than the limit, or
        holds more entries than it declares, before the standard library builds an object for
        each of its entries (2 million took 14 s and 1 GB). The memory those objects will take."""
        tail_size = min(self._size, _END.size + 0xFFFF)  # the end record, then its comment
        tail = self._read_at(self._size - tail_size, tail_size)
        # as the standard library finds it: at the very end (no comment), else the last one
        at = len(tail) - _END.size
        if at < 0 or tail[at : at + 4] != b"PK\x05\x06":
            at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _END.size:
            raise _fail("no zip end of central directory record")
        count, directory_bytes = _END.unpack_from(tail, at)[4:6]
        # Where a zip64 locator precedes the end record, the standard library takes the zip64
        # record's figures whatever the classic record says: so must this check.
        locator_at = self._size - tail_size + at - _END64_LOCATOR.size
        locator = self._read_at(locator_at, _END64_LOCATOR.size) if locator_at >= 0 else b""
        if len(locator) == _END64_LOCATOR.size and locator[:4] == b"PK\x06\x07":
            record = self._read_at(_END64_LOCATOR.unpack(locator)[2], _END64.size)
            if len(record) != _END64.size or record[:4] != b"PK\x06\x06":
                raise _fail("the zip64 end record is unreadable")
            count, directory_bytes = _END64.unpack(record)[7:9]
        if count > limits.max_object_keys:
            raise exceeded(
                "max_object_keys", "$", f"an archive of {count:,} members", limits.max_object_keys
            )
        # Each entry takes at least 46 bytes; milo's take at most 110 (a 20-character name
        # and a zip64 field). The reader walks the directory by its size, not by the count.
        if directory_bytes > _MOST_ENTRY_BYTES * max(count, 1):
            raise _fail(
                f"the central directory takes {directory_bytes:,} bytes, more than its {count:,} "
                "members can"
            )
        memory = _READER_MEMORY + _ENTRY_MEMORY * count + _ENTRY_BYTE_MEMORY * directory_bytes
        if memory > limits.max_parsed_bytes:
            raise exceeded(
                "max_parsed_bytes",
                "$",
                f"reading the archive's directory of {count:,} members would take about "
                f"{memory:,} bytes of memory",
                limits.max_parsed_bytes,
            )
        return memory

    def _data_offset(self, info: zipfile.ZipInfo) -> int:
        offset = self._offsets.get(info.filename)
        if offset is not None:
            return offset
        fixed = self._read_at(info.header_offset, _LOCAL_HEADER.size)
        fields = _LOCAL_HEADER.unpack(fixed) if len(fixed) == _LOCAL_HEADER.size else None
        if fields is None or fields[0] != ZIP_MAGIC:
            raise _fail(f"member {info.filename!r}: no local header at its offset")
        flags, method, sizes = fields[3], fields[4], (fields[8], fields[9])
        # Other zip readers trust the local header: where it tells another story than the
        # central directory (compression, encryption, sizes), they would read other bytes.
        if method != zipfile.ZIP_STORED or flags & 0x1:
            raise _fail(f"member {info.filename!r}: its local header says compressed or encrypted")
        if not flags & 0x8 and sizes != (info.file_size,) * 2 and sizes != (_ZIP64_SIZE,) * 2:
            raise _fail(f"member {info.filename!r}: local and central sizes differ")
        name_length, extra_length = fields[-2], fields[-1]
        name = self._read_at(info.header_offset + _LOCAL_HEADER.size, name_length)
        if name != info.filename.encode("utf-8") and name != info.filename.encode("cp437"):
            raise _fail(f"member {info.filename!r}: local and central names differ")
        offset = info.header_offset + _LOCAL_HEADER.size + name_length + extra_length
        if offset + info.file_size > self._size:
            raise _fail(f"member {info.filename!r} runs past the end of the file")
        self._offsets[info.filename] = offset
        return offset

    def _read_at(self, offset: int, n: int) -> bytes:
        if self._bytes is not None:
            return self._bytes[offset : offset + n]
        assert self._file is not None
        self._file.seek(offset)
        return self._file.read(n)

    def _read_into(self, offset: int, out: memoryview) -> None:
        if self._bytes is not None:
            out[:] = memoryview(self._bytes)[offset : offset + len(out)]
            return
        assert self._file is not None
        self._file.seek(offset)
        done = 0
        while done < len(out):
            n = self._file.readinto(out[done:])
            if not n:
                raise _fail("the file ended inside a member")
            done += n

    def document(self, limits: Limits) -> bytes:
        info = self._members[DOCUMENT]
        if info.file_size > limits.max_file_bytes:
            raise exceeded(
                "max_file_bytes",
                "$",
                f"{DOCUMENT} has {info.file_size:,} bytes",
                limits.max_file_bytes,
            )
        return self._read_at(self._data_offset(info), info.file_size)

    def read(self, name: str, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
        info = self._members.get(name)
        if info is None:
            raise DecodeProblem((), f"the archive has no member {name!r}")
        header = npy_header(dtype, shape)
        nbytes = math.prod(shape) * dtype.itemsize
        if info.file_size != len(header) + nbytes:
            raise DecodeProblem(
                (),
                f"member {name!r} has {info.file_size:,} bytes; a {dtype.name} block of shape "
                f"{list(shape)} takes {len(header) + nbytes:,}",
            )
        out = np.empty(shape, dtype)
        offset = self._data_offset(info)
        if self._read_at(offset, len(header)) != header:
            raise DecodeProblem(
                (),
                f"member {name!r} is not the NPY block the document declares ({dtype.name}, "
                f"shape {list(shape)}, C order)",
            )
        if out.nbytes:
            self._read_into(offset + len(header), out.reshape(-1).view(np.uint8).data)
        self._used.add(name)
        return out

    def unused(self) -> list[str]:
        return sorted(set(self._members) - self._used - {DOCUMENT})


class SinkSource:
    """The blocks ``dump`` is about to write, served to its own validation pass uncopied."""

    def __init__(self, sink: MemberSink) -> None:
        self._blocks = dict(sink.blocks)
        self._used: set[str] = set()

    def read(self, name: str, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
        block = self._blocks[name]
        assert block.dtype == dtype and block.shape == shape, name
        self._used.add(name)
        return block

    def unused(self) -> list[str]:
        return sorted(set(self._blocks) - self._used)
