"""PDF from the DOCX through LibreOffice, when the machine has it.

No LibreOffice (`soffice` / `libreoffice` not on PATH) is a normal situation, not an
error: `pdf_available()` says so and the UI shows "本机不支持生成PDF". We never install it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_SECONDS = 120


def converter() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def pdf_available() -> bool:
    return converter() is not None


class PdfFailed(Exception):
    pass


def docx_to_pdf(docx: bytes) -> bytes:
    """Convert with `soffice --headless --convert-to pdf` in a private temp dir (its own
    user profile, so parallel conversions do not fight over one profile lock)."""
    exe = converter()
    if exe is None:
        raise PdfFailed("LibreOffice is not installed")
    with tempfile.TemporaryDirectory(prefix="civicloop-pdf-") as tmp:
        src = Path(tmp) / "bulletin.docx"
        src.write_bytes(docx)
        profile = Path(tmp) / "profile"
        cmd = [
            exe,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            tmp,
            str(src),
        ]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfFailed(str(exc)) from exc
        out = Path(tmp) / "bulletin.pdf"
        if done.returncode != 0 or not out.exists():
            raise PdfFailed((done.stderr or done.stdout or b"").decode(errors="replace")[:2000])
        return out.read_bytes()
