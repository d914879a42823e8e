"""`flarebind queues list|info|purge --local` as real processes, over messages a platform proxy persisted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from flarebind.platform import platform_proxy

BIN = Path(sys.executable).parent

CONFIG = """
name = "qcli"
main = "src/entry.py"
compatibility_date = "2026-05-01"
compatibility_flags = ["python_workers"]

[[queues.producers]]
binding = "JOBS"
queue = "jobs"

[[queues.consumers]]
queue = "jobs"
dead_letter_queue = "jobs-dlq"
"""


def _cli(project: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "flarebind"), "queues", *args], cwd=project, capture_output=True, text=True, input=input, timeout=60
    )


async def test_queues_cli_lists_describes_and_purges_local_queues(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "entry.py").write_text(
        "from workers import WorkerEntrypoint\n\nclass Default(WorkerEntrypoint):\n    pass\n"
    )
    (tmp_path / "wrangler.toml").write_text(CONFIG)
    async with platform_proxy(tmp_path / "wrangler.toml") as proxy:
        await proxy.env.JOBS.sendBatch([{"body": "a"}, {"body": {"n": 2}}])

    listed = _cli(tmp_path, "list", "--local")
    assert listed.returncode == 0, listed.stderr
    assert "│ jobs     │ 1         │ 1         │ 2       │" in listed.stdout
    assert "│ jobs-dlq │ 0         │ 0         │ 0       │" in listed.stdout

    described = _cli(tmp_path, "info", "jobs", "--local")
    assert described.stdout.splitlines() == [
        "Queue Name: jobs",
        "Number of Producers: 1",
        "Producers: worker:qcli",
        "Number of Consumers: 1",
        "Consumers: worker:qcli",
        "Backlog: 2 messages (10 bytes)",  # json: "a" and {"n":2}
    ]

    refused = _cli(tmp_path, "purge", "jobs", "--local", input="nope\n")
    assert refused.returncode == 1 and "Incorrect queue name provided. Skipping purge operation" in refused.stderr
    purged = _cli(tmp_path, "purge", "jobs", "--local", input="jobs\n")
    assert purged.returncode == 0 and "Purged Queue 'jobs'" in purged.stdout
    assert "Backlog: 0 messages (0 bytes)" in _cli(tmp_path, "info", "jobs", "--local").stdout

    remote = _cli(tmp_path, "list")
    assert remote.returncode == 1 and "add --local" in remote.stderr
