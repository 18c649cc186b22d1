"""Masking personal data before anything reaches the public exposure board.

- Mobile numbers 13812345678 → 138****5678; landlines 0531-88886666 → 0531-****6666.
- ID card numbers: the 8 birth-date digits are starred.
- Known person names (reporter, point person in charge, unit contacts) → surname + 某.
- Names after a label ("举报人：张三", "联系人:李四") or between a "who" word and a
  reporting verb ("市民王小明反映") → surname + 某.
- House numbers (12号, 3栋, 5单元, 302室) → *号 …, so a location stays at street level.

Faces in photos are not masked (not required); evidence images are already re-encoded
without EXIF (civicloop.problems.evidence).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ID_RE = re.compile(r"(?<![0-9])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9])")
MOBILE_RE = re.compile(r"(?<![0-9])(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![0-9])")
LANDLINE_RE = re.compile(r"(?<![0-9])(0\d{2,3})[-－ ]?(\d{3,4})(\d{4})(?![0-9])")
LABELLED_NAME_RE = re.compile(
    r"(举报人|联系人|反映人|投诉人|报告人|当事人|户主|姓名)([:：]\s*)([\u4e00-\u9fff])([\u4e00-\u9fff]{1,2})"
)
# "市民王小明反映…": a 2–3 character name between a "who" word and a reporting verb.
REPORTER_NAME_RE = re.compile(
    r"(市民|群众|居民|村民|网友|商户|店主)([\u4e00-\u9fff])([\u4e00-\u9fff]{1,2}?)(反映|举报|投诉|来电|称|说)"
)
HOUSE_NUMBER_RE = re.compile(r"\d+(?:-\d+)*(号楼|号院|号|栋|幢|单元|室|弄)")


def mask_phones(text: str) -> str:
    text = ID_RE.sub(lambda m: f"{m.group(1)}********{m.group(3)}", text)
    text = MOBILE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return LANDLINE_RE.sub(lambda m: f"{m.group(1)}-****{m.group(3)}", text)


def mask_names(text: str, names: Iterable[str] = ()) -> str:
    # Longest first, so "张三丰" is not left as "张某丰" by a shorter "张三".
    for name in sorted(
        {n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True
    ):
        text = text.replace(name, f"{name[0]}某")
    text = LABELLED_NAME_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}某", text)
    return REPORTER_NAME_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}某{m.group(4)}", text)


def mask_house_numbers(text: str) -> str:
    return HOUSE_NUMBER_RE.sub(lambda m: f"*{m.group(1)}", text)


def mask_text(text: str, names: Iterable[str] = ()) -> str:
    """Everything the public board needs masked in free text."""
    return mask_house_numbers(mask_names(mask_phones(text or ""), names))


def street_of_address(address: str) -> str:
    """The road part of an address: everything before the first digit ("东华路12号" →
    "东华路"), so exact doors never reach the public page."""
    match = re.search(r"\d", address or "")
    return (address[: match.start()] if match else (address or "")).strip(" ，,")
