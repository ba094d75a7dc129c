"""No PII and no secret ever reaches a report or a log.

A short load run sends queries carrying freshly made-up PII (e-mail, card, IBAN, phone, DNI) to
the whole stack — service, mock LLM, proxy, Locust — with an API key and a password planted in
the environment; then the release report is built from it. Every file under the reports folder
is scanned for every planted value, in every form it could take.
"""

from __future__ import annotations

import csv
import json
import os
import random
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from harness.report import GateSettings, build_report, scan_artifacts

pytestmark = [pytest.mark.slow, pytest.mark.harness_self]

ROOT = Path(__file__).resolve().parents[4]
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def _luhn_card(rng: random.Random) -> str:
    digits = [4, *(rng.randrange(10) for _ in range(14))]
    total = 0
    for i, d in enumerate(reversed(digits)):  # the check digit will sit to the right
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    digits.append((10 - total % 10) % 10)
    text = "".join(map(str, digits))
    return " ".join(text[i : i + 4] for i in range(0, 16, 4))


def _spanish_iban(rng: random.Random) -> str:
    bban = "".join(str(rng.randrange(10)) for _ in range(20))
    check = 98 - int(bban + "142800") % 97  # "ES00" moved to the end, letters as numbers
    text = f"ES{check:02d}{bban}"
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def _planted() -> tuple[dict[str, str], dict[str, str]]:
    """({label: PII value}, {env var: secret}) — new every run, so nothing can match by luck."""
    rng = random.Random(secrets.randbits(64))
    number = rng.randrange(10**7, 10**8)
    pii = {
        "email": f"ana.{secrets.token_hex(4)}@example.com",
        "card": _luhn_card(rng),
        "iban": _spanish_iban(rng),
        "phone": f"6{rng.randrange(10, 100)} {rng.randrange(100, 1000)} {rng.randrange(100, 1000)}",
        "dni": f"{number}{_DNI_LETTERS[number % 23]}",
    }
    env = {
        "SUPPORT_DESK_LLM_API_KEY": f"sk-planted-{secrets.token_hex(12)}",
        "HARNESS_PLANTED_DB_PASSWORD": f"pw-planted-{secrets.token_hex(12)}",
    }
    return pii, env


def _scenarios(folder: Path, pii: dict[str, str]) -> Path:
    queries = [
        ("technical_support", f"I can't log in, write to me at {pii['email']}"),
        ("billing_support", f"Please charge my invoice to the card {pii['card']}"),
        ("billing_support", f"Mi IBAN es {pii['iban']}, cambiad la domiciliación de la factura"),
        ("billing_support", f"Llamadme al {pii['phone']} por lo de la factura"),
        ("general_support", f"My DNI is {pii['dni']}, what are your opening hours?"),
    ]
    lines = [
        {"id": f"planted-{i}", "query": q, "language": "en", "customer_tier": "standard", "user_id": f"u{i}",
         "category": "pii", "expected": {"route": r, "escalated": False, "reason": None, "rejected": False}}
        for i, (r, q) in enumerate(queries)
    ]  # fmt: skip
    lines.append({**lines[0], "id": "plain-0", "query": "My app crashes at login", "category": "technical"})
    path = folder / "scenarios.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


_PROFILE = """[profiles.pii_scan]
description = "PII and secrets through the whole stack, briefly"
users = 3
spawn_rate = 3.0
duration_s = 5
wait_s = [0.1, 0.3]
mix = { pii = 5, technical = 1 }
"""


def test_no_planted_pii_or_secret_reaches_any_artifact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pii, env = _planted()
    for name, value in env.items():
        monkeypatch.setenv(name, value)  # for the report build too, and inherited by the load run
    inputs, reports = tmp_path / "inputs", tmp_path / "reports"
    inputs.mkdir()
    (inputs / "profiles.toml").write_text(_PROFILE)
    scenarios = _scenarios(inputs, pii)
    cmd = [sys.executable, "-m", "harness.load", "--profile", "pii_scan", "--no-progress"]
    cmd += [
        "--profiles",
        str(inputs / "profiles.toml"),
        "--scenarios",
        str(scenarios),
        "--reports",
        str(reports),
    ]
    done = subprocess.run(
        cmd, cwd=ROOT, env=os.environ, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode in (0, 1), done.stderr[-3000:]  # 1: this tiny run misses an SLA; fine here
    built = build_report(reports, settings=GateSettings.model_construct(
        **{k: f.default for k, f in GateSettings.model_fields.items()}))  # fmt: skip

    # The planted queries really went through: answered, and the report read the run.
    samples = next(reports.glob("load/*/samples.csv"))
    with samples.open(newline="") as fh:
        answered = [r for r in csv.DictReader(fh) if r["category"] == "pii" and r["status"] == "200"]
    assert {r["scenario"] for r in answered} == {f"planted-{i}" for i in range(5)}
    assert built.summary.sla is not None and built.summary.sla.sent >= len(answered)
    files = {p.relative_to(reports).as_posix() for p in reports.rglob("*") if p.is_file()}
    for expected in ("index.html", "summary.json", "sla.json"):
        assert expected in files
    for suffix in ("samples.csv", "stack/audit.jsonl", "stack/service.log", "stack/llm.log", "locust.log"):
        assert any(f.endswith(suffix) for f in files), suffix

    planted = {**pii, **{f"env {k}": v for k, v in env.items()}}
    # The scanner finds them where they are (the inputs), so "none found" below means none there.
    assert {leak.label for leak in scan_artifacts(inputs, planted)} == set(pii)
    leaks = scan_artifacts(reports, planted)
    assert leaks == [], "\n".join(map(str, leaks))
