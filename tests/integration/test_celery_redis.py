"""Background work through the real parts: a Celery worker process fed by Redis.

Everything else in the suite runs tasks eagerly. Here a separate worker process consumes
the queue: a command user asks for a ranking computation and a bulletin; the web process
only enqueues (after commit), and the worker writes the results into the same database
file. Skipped when no Redis answers, unless CIVICLOOP_REQUIRE_REDIS=1 (CI sets it).
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379

pytestmark = pytest.mark.celery


def _redis_answers() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    if not _redis_answers():
        if os.environ.get("CIVICLOOP_REQUIRE_REDIS") == "1":
            pytest.fail("Redis does not answer on 127.0.0.1:6379 but is required here")
        pytest.skip("no Redis on 127.0.0.1:6379")
    tmp = tmp_path_factory.mktemp("celery")
    # A private Redis database number per run, so parallel runs never share a queue.
    db_number = 1 + (os.getpid() % 14)
    base = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DATABASE_"))},
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp / "media"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    _manage(base, "migrate", "--noinput")
    _manage(base, "demo_city", "--size", "tiny", "--seed", "5")
    with_broker = base | {"CELERY_BROKER_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{db_number}"}
    subprocess.run(["redis-cli", "-n", str(db_number), "FLUSHDB"], capture_output=True, check=False)
    return with_broker


def _manage(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result.stdout


@pytest.fixture(scope="module")
def worker(env):
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


ENQUEUE = """
from civicloop.accounts.models import User
from civicloop.bulletins import services as bulletins
from civicloop.scoring.models import Period, PublishedSnapshot
from civicloop.scoring import services as scoring

command = User.objects.get(username="command")
snapshot = PublishedSnapshot.objects.order_by("-id").first()
bulletin = bulletins.bulletin_request(command, snapshot, include_photos=False)
period = Period.objects.exclude(status="published").order_by("id").first()
if period is None:
    period = scoring.period_create(command, snapshot.period.scheme,
                                   snapshot.period.end_date + __import__("datetime").timedelta(days=8))
job = scoring.computation_start(command, period)
print("IDS", bulletin.pk, job.pk)
"""

POLL = """
from civicloop.bulletins.models import Bulletin
from civicloop.scoring.models import Computation
b = Bulletin.objects.get(pk={bulletin})
c = Computation.objects.get(pk={job})
print("STATE", b.status, bool(b.docx), bool(b.xlsx), c.status, c.progress)
"""


def test_worker_generates_bulletin_and_computes_period(env, worker):
    out = _manage(env, "shell", "-c", ENQUEUE)
    bulletin_id, job_id = out.split("IDS", 1)[1].split()
    deadline = time.monotonic() + 120
    state = ""
    while time.monotonic() < deadline:
        state = _manage(env, "shell", "-c", POLL.format(bulletin=bulletin_id, job=job_id))
        fields = state.split("STATE", 1)[1].split()
        if fields[0] in {"succeeded", "failed"} and fields[3] in {"succeeded", "failed"}:
            break
        assert worker.poll() is None, "the Celery worker died"
        time.sleep(1)
    fields = state.split("STATE", 1)[1].split()
    assert fields[0] == "succeeded" and fields[1] == "True" and fields[2] == "True", state
    assert fields[3] == "succeeded" and fields[4] == "100", state
