import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from conftest import AUTH, NO_TLS, assert_wix_error

ROOT = Path(__file__).resolve().parents[2]


def test_python_m_sandbox_serves_and_prints_credentials():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sandbox",
            "--port",
            "0",
            "--members",
            "25",
            "--seed",
            "3",
            "--latency-ms",
            "0",
            "--error-rate",
            "0",
            "--rate-limit",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        lines = []
        for _ in range(20):
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line or not line:
                break
        text = "".join(lines)
        url = re.search(r"http://127\.0\.0\.1:\d+", text).group(0)
        from sandbox import credentials

        assert credentials.API_KEY in text and credentials.SITE_ID in text and credentials.APP_SECRET in text
        assert httpx.get(url + "/_sandbox/health", **NO_TLS).json() == {"ok": True, "members": 25}
        r = httpx.post(url + "/members/v1/members/query", json={}, headers=AUTH, **NO_TLS)
        assert r.status_code == 200 and r.json()["metadata"]["total"] == 25
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_invalid_json_body_is_400(client):
    r = client.post("/members/v1/members/query", content=b"{not json", headers={"Content-Type": "application/json"})
    assert_wix_error(r, 400)
