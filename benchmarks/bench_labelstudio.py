"""Import + export beside Label Studio's own server, on the same corpus, in one run.

    python3 -m venv /tmp/lsvenv && /tmp/lsvenv/bin/pip install label-studio
    .venv/bin/python benchmarks/bench_labelstudio.py --labelstudio /tmp/lsvenv/bin/label-studio
    .venv/bin/python benchmarks/bench_labelstudio.py --sizes 1000 ...   # a quick run

Issue 14 asks for import + export at least 10 times faster than Label Studio. Its figure for
Label Studio (62.9 s) was taken on another day; this machine's speed moves by a third from one
hour to the next, so a fixed threshold (6.3 s) says as much about the hour as about the code.
This script measures both in the same run, on the issue-14 corpus (``benchmarks/corpus.py``,
seed 14, the corpus of ``bench_import.py`` and ``bench_export.py``):

- Label Studio: a server started for the run (``label-studio start``, its own data folder,
  SQLite, a user with an API token), a project with a labeling config of the corpus' labels and
  relations, then timed: the REST import of the documents as tasks with their annotations
  (regions and relations), uploaded as a JSON file as its import dialog sends one (quicker than
  the same tasks as the request's JSON body), and the REST export of the project as
  Label Studio JSON (``/api/projects/N/export?exportType=JSON``, the whole file received).
  The server's CPU and peak memory are read from ``/proc``. Its start-up is not timed.
- ours: ``annotator import`` of the doccano JSONL into a new project, then ``annotator export
  --format doccano --status all --spans all``, two commands as a user runs them (process
  start-up included), before and after Label Studio, so that a change of the machine's speed
  during the run shows.

Both sides carry the same documents, spans and relations; the script checks the counts each
export gives back. Prints a Markdown table, and the ratio that the goal names.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from corpus import ROOT, in_new_process, markdown_table, write_corpus

LABEL_CONFIG = """<View>
  <Relations>
    <Relation value="works_for"/>
    <Relation value="located_in"/>
  </Relations>
  <Labels name="label" toName="text">
    <Label value="PER"/>
    <Label value="ORG"/>
    <Label value="LOC"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>"""
"""The corpus' entity labels and relation types, as Label Studio's relation-extraction
template writes them."""

USERNAME = "bench@annotator.local"
STARTUP_TIMEOUT = 300.0
"""Seconds to wait for the server's first answer (its first start runs its migrations)."""


def labelstudio_tasks(source: Path) -> list[dict[str, Any]]:
    """The doccano JSONL records as Label Studio tasks, each with one annotation holding its
    entities as ``labels`` regions and its relations as ``relation`` results (the corpus'
    texts are in the BMP, so Label Studio's UTF-16 offsets are its character offsets)."""
    tasks = []
    with source.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            text = record["text"]
            result: list[dict[str, Any]] = [
                {
                    "id": f"e{entity['id']}",
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {
                        "start": entity["start_offset"],
                        "end": entity["end_offset"],
                        "text": text[entity["start_offset"] : entity["end_offset"]],
                        "labels": [entity["label"]],
                    },
                }
                for entity in record["entities"]
            ]
            result += [
                {
                    "type": "relation",
                    "from_id": f"e{relation['from_id']}",
                    "to_id": f"e{relation['to_id']}",
                    "direction": "right",
                    "labels": [relation["type"]],
                }
                for relation in record["relations"]
            ]
            tasks.append({"data": {"text": text}, "annotations": [{"result": result}]})
    return tasks


class LabelStudio:
    """A Label Studio server of its own for the run: started, asked over REST, stopped."""

    def __init__(self, executable: Path, folder: Path) -> None:
        self.token = secrets.token_hex(20)
        with socket.socket() as probe:  # a free port
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        command = [str(executable), "start", "--no-browser", "--port", str(self.port)]
        command += ["--data-dir", str(folder / "data"), "--username", USERNAME]
        command += ["--password", secrets.token_hex(12), "--user-token", self.token]
        command += ["--enable-legacy-api-token"]  # "Token ..." headers, off by default in 1.23
        self.log = (folder / "server.log").open("w")
        self.process = subprocess.Popen(
            command,
            env={**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(folder)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stopped as a group: the server and what it starts
        )
        try:
            self._wait_for_start()
        except BaseException:
            self.stop()
            raise

    def _wait_for_start(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"label-studio stopped at start-up: {self._log_tail()}")
            try:
                self.request("GET", "/api/projects")
                return
            except urllib.error.HTTPError:
                raise
            except (urllib.error.URLError, ConnectionError):
                time.sleep(1)
        raise SystemExit(
            f"label-studio did not answer in {STARTUP_TIMEOUT:.0f} s: {self._log_tail()}"
        )

    def _log_tail(self) -> str:
        """The last line the server logged (its folder is removed when the script ends)."""
        self.log.flush()
        lines = Path(self.log.name).read_text(errors="replace").strip().splitlines()
        return lines[-1] if lines else "(it logged nothing)"

    def request(self, method: str, path: str, body: Any = None, target: Path | None = None) -> Any:
        """JSON in and out, or the answer's bytes streamed into ``target``."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Authorization", f"Token {self.token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=3600) as answer:
            if target is None:
                return json.loads(answer.read() or b"null")
            with target.open("wb") as handle:
                while chunk := answer.read(1 << 20):
                    handle.write(chunk)
            return None

    def upload(self, path: str, name: str, content: bytes) -> Any:
        """POST ``content`` as the file ``name`` of a multipart form, as the web page's import
        dialog sends a file."""
        boundary = secrets.token_hex(16)
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{name}"\r\nContent-Type: application/json\r\n\r\n'
        ).encode()
        data = head + content + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(self.url + path, data=data, method="POST")
        request.add_header("Authorization", f"Token {self.token}")
        request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
        with urllib.request.urlopen(request, timeout=3600) as answer:
            return json.loads(answer.read() or b"null")

    def cpu_seconds(self) -> float:
        """User + system CPU of the server's processes so far (threads and waited-for
        children included), from ``/proc``."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self._processes():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
        return total / ticks

    def peak_rss_mb(self) -> float:
        """The largest peak RSS (``VmHWM``) among the server's processes."""
        peaks = [0.0]
        for pid in self._processes():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks)

    def _processes(self) -> list[int]:
        """The server's process and its descendants."""
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                children.setdefault(int(fields[1]), []).append(int(entry.name))
        found, pending = [], [self.process.pid]
        while pending:
            pid = pending.pop()
            found.append(pid)
            pending += children.get(pid, [])
        return found

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


def run_labelstudio(executable: Path, source: Path, folder: Path) -> dict[str, float]:
    """Label Studio's REST import and export of the corpus, timed (wall clock, and the
    server's CPU), with the counts its export gives back."""
    tasks = labelstudio_tasks(source)
    content = json.dumps(tasks).encode()
    try:
        return _run_labelstudio(LabelStudio(executable, folder), len(tasks), content, folder)
    except urllib.error.HTTPError as error:
        detail = error.read(300).decode(errors="replace")
        raise SystemExit(
            f"label-studio: {error.code} {error.reason} at {error.url}: {detail}"
        ) from None


def _run_labelstudio(
    server: LabelStudio, count: int, content: bytes, folder: Path
) -> dict[str, float]:
    try:
        project = server.request(
            "POST", "/api/projects", {"title": "issue 14", "label_config": LABEL_CONFIG}
        )
        path = f"/api/projects/{project['id']}"
        cpu = server.cpu_seconds()
        started = time.perf_counter()
        # a file, as the import dialog sends it: quicker than the same tasks as the request's
        # JSON body (2,000 documents: 4.8 and 5.6 s against 6.3 and 8.9 s)
        server.upload(f"{path}/import", "tasks.json", content)
        while server.request("GET", path)["task_number"] < count:  # if it goes on after
            time.sleep(0.2)
        imported = time.perf_counter() - started
        import_cpu = server.cpu_seconds() - cpu
        output = folder / "export.json"
        started = time.perf_counter()
        server.request("GET", f"{path}/export?exportType=JSON", target=output)
        exported = time.perf_counter() - started
        export_cpu = server.cpu_seconds() - cpu - import_cpu
        peak = server.peak_rss_mb()
    finally:
        server.stop()
    written = json.loads(output.read_text(encoding="utf-8"))
    results = [item for task in written for item in task["annotations"][0]["result"]]
    return {
        "import_seconds": imported,
        "export_seconds": exported,
        "import_cpu_seconds": import_cpu,
        "export_cpu_seconds": export_cpu,
        "max_rss_mb": peak,
        "tasks": len(written),
        "spans": sum(item["type"] == "labels" for item in results),
        "relations": sum(item["type"] == "relation" for item in results),
    }


def _row(size: int, tool: str, run: dict[str, float]) -> tuple[str, ...]:
    total = run["import_seconds"] + run["export_seconds"]
    cpu = run["import_cpu_seconds"] + run["export_cpu_seconds"]
    peak = run.get("max_rss_mb", run.get("export_max_rss_mb", 0.0))
    return (
        f"{size:,}",
        tool,
        f"{run['import_seconds']:.2f}",
        f"{run['export_seconds']:.2f}",
        f"{total:.2f}",
        f"{cpu:.2f}",
        f"{peak:.0f}",
    )


def _total(run: dict[str, float]) -> float:
    return run["import_seconds"] + run["export_seconds"]


def _exported(output: Path) -> tuple[int, int, int]:
    """Documents, spans and relations in a doccano JSONL export."""
    documents = spans = relations = 0
    with output.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            documents += 1
            spans += len(record["entities"])
            relations += len(record["relations"])
    return documents, spans, relations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--labelstudio",
        type=Path,
        default=Path("/tmp/lsvenv/bin/label-studio"),
        help="the label-studio command of a venv it was installed in",
    )
    parser.add_argument("--sizes", default="10000", help="comma-separated counts")
    args = parser.parse_args()
    if not args.labelstudio.exists():
        raise SystemExit(
            f"{args.labelstudio}: no label-studio here; install it in a venv of its own "
            "(python3 -m venv /tmp/lsvenv && /tmp/lsvenv/bin/pip install label-studio) "
            "and pass --labelstudio"
        )
    header = (
        "documents",
        "tool",
        "import s",
        "export s",
        "total s",
        "CPU s",
        "peak RSS MB",
    )
    rows, ratios = [], []
    with tempfile.TemporaryDirectory() as folder:
        for size in (int(value) for value in args.sizes.split(",")):
            source = Path(folder) / f"corpus-{size}.jsonl"
            write_corpus(source, size)
            ours = []
            for turn in ("before", "after"):
                if turn == "after":
                    studio_folder = Path(folder) / f"labelstudio-{size}"
                    studio_folder.mkdir()
                    studio = run_labelstudio(args.labelstudio, source, studio_folder)
                    tool = "Label Studio (REST, a JSON file of tasks with annotations)"
                    rows.append(_row(size, tool, studio))
                project = Path(folder) / f"ours-{size}-{turn}.annotator"
                run = in_new_process(
                    str(ROOT / "benchmarks" / "bench_import.py"),
                    "commands",
                    str(source),
                    str(project),
                )
                output = project.with_suffix(".out.jsonl")
                counts = _exported(output)
                assert counts[0] == size, counts
                ours.append((run, counts))
                rows.append(_row(size, f"annotator, doccano JSONL in and out ({turn})", run))
            assert studio["tasks"] == size, studio
            assert (studio["spans"], studio["relations"]) == ours[0][1][1:], (studio, ours)
            for run, _ in ours:
                ratios.append(f"{size:,}: {_total(studio) / _total(run):.1f}x")
    print(markdown_table(header, rows))
    print()
    print("Label Studio's total / ours (goal >= 10x): " + ", ".join(ratios))


if __name__ == "__main__":
    main()
