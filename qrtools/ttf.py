"""Just enough of TrueType for posters: character-to-glyph map, advance widths and subsetting.

The poster PDF embeds a Cyrillic font (DejaVu Sans); embedding the whole 700 KB file for a few
dozen letters would make every poster large, so the `glyf` table is cut down to the glyphs used
(components of composite glyphs included) while glyph ids stay as they are, which keeps the PDF
side simple (Identity mapping from CID to glyph id).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qrtools.errors import PosterError

#: Tables a PDF viewer needs from an embedded TrueType font (the hinting programs included);
#: layout tables (GSUB, GPOS, kern) and glyph names (post) are dropped.
_KEEP_TABLES: tuple[bytes, ...] = (b"head", b"hhea", b"maxp", b"hmtx", b"loca", b"glyf")
_KEEP_TABLES += (b"cvt ", b"fpgm", b"prep", b"OS/2", b"cmap", b"name")


def _bad_font(why: str) -> PosterError:
    return PosterError(
        f"Шрифт для плаката не читається: {why}.",
        f"The poster font cannot be read: {why}.",
        reason="QR_FONT_UNREADABLE",
    )


@dataclass(frozen=True)
class TrueTypeFont:
    """A parsed TrueType file: raw tables plus the metrics layout needs."""

    name: str
    tables: dict[bytes, bytes]
    units_per_em: int
    ascent: int
    descent: int
    cap_height: int
    bbox: tuple[int, int, int, int]
    advances: tuple[int, ...]
    cmap: dict[int, int]

    @classmethod
    def load(cls, path: str | Path) -> TrueTypeFont:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise PosterError(
                f"Немає файлу шрифту {path}.",
                f"The font file {path} is missing ({exc.strerror}).",
                reason="QR_FONT_MISSING",
            ) from None
        return cls.parse(data, Path(path).stem)

    @classmethod
    def parse(cls, data: bytes, name: str) -> TrueTypeFont:
        try:
            return cls._parse(data, name)
        except (struct.error, KeyError, IndexError) as exc:
            raise _bad_font(type(exc).__name__) from None

    @classmethod
    def _parse(cls, data: bytes, name: str) -> TrueTypeFont:
        version, num_tables = struct.unpack_from(">IH", data, 0)
        if version not in (0x00010000, 0x74727565):
            raise _bad_font("not a TrueType font")
        tables: dict[bytes, bytes] = {}
        for i in range(num_tables):
            tag, _checksum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
            tables[tag] = data[offset : offset + length]
        head, hhea, maxp = tables[b"head"], tables[b"hhea"], tables[b"maxp"]
        units_per_em = struct.unpack_from(">H", head, 18)[0]
        bbox = struct.unpack_from(">hhhh", head, 36)
        ascent, descent = struct.unpack_from(">hh", hhea, 4)
        metrics_count = struct.unpack_from(">H", hhea, 34)[0]
        glyph_count = struct.unpack_from(">H", maxp, 4)[0]
        hmtx = tables[b"hmtx"]
        advances = [struct.unpack_from(">H", hmtx, 4 * i)[0] for i in range(metrics_count)]
        advances += [advances[-1]] * (glyph_count - metrics_count)
        cap_height = ascent
        os2 = tables.get(b"OS/2", b"")
        if len(os2) >= 90 and struct.unpack_from(">H", os2, 0)[0] >= 2:
            cap_height = struct.unpack_from(">h", os2, 88)[0]
        return cls(
            name=name,
            tables=tables,
            units_per_em=units_per_em,
            ascent=ascent,
            descent=descent,
            cap_height=cap_height,
            bbox=(bbox[0], bbox[1], bbox[2], bbox[3]),
            advances=tuple(advances),
            cmap=_parse_cmap(tables[b"cmap"]),
        )

    def glyph(self, char: str) -> int:
        """The glyph id of a character; 0 (the "missing" box) when the font lacks it."""
        return self.cmap.get(ord(char), 0)

    def width(self, text: str, size: float) -> float:
        """Advance width of `text` at `size` points, in points."""
        units = sum(self.advances[self.glyph(c)] for c in text)
        return units * size / self.units_per_em

    def subset(self, glyphs: Iterable[int]) -> bytes:
        """A valid TrueType file with outlines only for `glyphs` (and glyph 0)."""
        loca = self._loca()
        glyf = self.tables[b"glyf"]
        wanted = {0, *glyphs}
        todo = list(wanted)
        while todo:  # composite glyphs pull in their components
            gid = todo.pop()
            for part in _components(glyf[loca[gid] : loca[gid + 1]]):
                if part not in wanted:
                    wanted.add(part)
                    todo.append(part)
        new_glyf = bytearray()
        new_loca = []
        for gid in range(len(loca) - 1):
            new_loca.append(len(new_glyf))
            if gid in wanted:
                new_glyf += glyf[loca[gid] : loca[gid + 1]]
                new_glyf += b"\0" * (-len(new_glyf) % 4)
        new_loca.append(len(new_glyf))
        head = bytearray(self.tables[b"head"])
        struct.pack_into(">h", head, 50, 1)  # long loca offsets
        struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, set below
        tables = {tag: self.tables[tag] for tag in _KEEP_TABLES if tag in self.tables}
        tables[b"head"] = bytes(head)
        tables[b"glyf"] = bytes(new_glyf)
        tables[b"loca"] = struct.pack(f">{len(new_loca)}I", *new_loca)
        return _assemble(tables)

    def _loca(self) -> list[int]:
        long_format = struct.unpack_from(">h", self.tables[b"head"], 50)[0] == 1
        raw = self.tables[b"loca"]
        if long_format:
            return list(struct.unpack(f">{len(raw) // 4}I", raw))
        return [2 * v for v in struct.unpack(f">{len(raw) // 2}H", raw)]


def _parse_cmap(cmap: bytes) -> dict[int, int]:
    count = struct.unpack_from(">H", cmap, 2)[0]
    subtables: dict[tuple[int, int], int] = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", cmap, 4 + 8 * i)
        subtables[(platform, encoding)] = offset
    for key in ((3, 10), (0, 4), (3, 1), (0, 3)):
        if key in subtables:
            offset = subtables[key]
            fmt = struct.unpack_from(">H", cmap, offset)[0]
            if fmt == 12:
                return _cmap12(cmap, offset)
            if fmt == 4:
                return _cmap4(cmap, offset)
    raise _bad_font("no Unicode character map")


def _cmap4(cmap: bytes, offset: int) -> dict[int, int]:
    seg_count = struct.unpack_from(">H", cmap, offset + 6)[0] // 2
    ends = struct.unpack_from(f">{seg_count}H", cmap, offset + 14)
    starts_at = offset + 16 + 2 * seg_count
    starts = struct.unpack_from(f">{seg_count}H", cmap, starts_at)
    deltas = struct.unpack_from(f">{seg_count}h", cmap, starts_at + 2 * seg_count)
    ranges_at = starts_at + 4 * seg_count
    ranges = struct.unpack_from(f">{seg_count}H", cmap, ranges_at)
    result: dict[int, int] = {}
    for i in range(seg_count):
        for code in range(starts[i], ends[i] + 1):
            if code == 0xFFFF:
                continue
            if ranges[i] == 0:
                gid = (code + deltas[i]) & 0xFFFF
            else:
                at = ranges_at + 2 * i + ranges[i] + 2 * (code - starts[i])
                gid = struct.unpack_from(">H", cmap, at)[0]
                if gid:
                    gid = (gid + deltas[i]) & 0xFFFF
            if gid:
                result[code] = gid
    return result


def _cmap12(cmap: bytes, offset: int) -> dict[int, int]:
    groups = struct.unpack_from(">I", cmap, offset + 12)[0]
    result: dict[int, int] = {}
    for i in range(groups):
        start, end, first = struct.unpack_from(">III", cmap, offset + 16 + 12 * i)
        for code in range(start, end + 1):
            result[code] = first + code - start
    return result


def _components(glyph: bytes) -> list[int]:
    """Glyph ids a composite glyph is built from (none for a simple glyph)."""
    if len(glyph) < 10 or struct.unpack_from(">h", glyph, 0)[0] >= 0:
        return []
    parts = []
    at = 10
    while True:
        flags, gid = struct.unpack_from(">HH", glyph, at)
        parts.append(gid)
        at += 4 + (4 if flags & 0x0001 else 2)
        if flags & 0x0008:
            at += 2
        elif flags & 0x0040:
            at += 4
        elif flags & 0x0080:
            at += 8
        if not flags & 0x0020:
            return parts


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


def _assemble(tables: dict[bytes, bytes]) -> bytes:
    tags = sorted(tables)
    count = len(tags)
    power = 1
    while power * 2 <= count:
        power *= 2
    entry_selector = power.bit_length() - 1
    header = struct.pack(
        ">IHHHH", 0x00010000, count, power * 16, entry_selector, count * 16 - power * 16
    )
    directory = bytearray()
    body = bytearray()
    offset = 12 + 16 * count
    for tag in tags:
        data = tables[tag]
        directory += struct.pack(">4sIII", tag, _checksum(data), offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + directory + body)
    head_at = (
        12
        + 16 * count
        + sum(len(tables[t]) + (-len(tables[t]) % 4) for t in tags[: tags.index(b"head")])
    )
    adjustment = (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF
    struct.pack_into(">I", font, head_at + 8, adjustment)
    return bytes(font)
