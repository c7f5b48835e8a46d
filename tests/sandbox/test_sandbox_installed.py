"""The sandbox is installed only where it is used: demo and tests, never production's settings."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
from conftest import NO_TLS

ROOT = Path(__file__).resolve().parents[2]


def _installed_apps(settings_module: str) -> list[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module, "PYTHONPATH": str(ROOT)}
    code = "import django; django.setup(); from django.conf import settings; print(' '.join(settings.INSTALLED_APPS))"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    return out.stdout.split()


def test_production_settings_install_neither_the_sandbox_nor_the_demo():
    apps = _installed_apps("config.settings")
    assert "balances" in apps
    assert "sandbox" not in apps and "config.demo" not in apps


def test_demo_settings_add_the_sandbox_and_the_demo():
    apps = _installed_apps("config.demo.settings")
    assert apps[-2:] == ["sandbox", "config.demo"]


def test_manage_py_runsandbox_works_without_choosing_settings():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runsandbox", "--port", "0", "--members", "5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        for _ in range(20):
            line = proc.stdout.readline()
            lines.append(line)
            if "URL" in line or not line:
                break
        url = "".join(lines).split("URL", 1)[1].split()[0]
        assert httpx.get(url + "/_sandbox/health", **NO_TLS).json() == {"ok": True, "members": 5}
    finally:
        proc.terminate()
        proc.wait(timeout=5)


def test_endpoint_families_can_add_control_endpoints(server, anon):
    from sandbox import control

    control.EXTRA["/_sandbox/echo"] = lambda sandbox, method, body: (200, {"method": method, "body": body})
    try:
        assert anon.post("/_sandbox/echo", json={"a": 1}).json() == {"method": "POST", "body": {"a": 1}}
    finally:
        del control.EXTRA["/_sandbox/echo"]
    assert anon.post("/_sandbox/echo", json={}).status_code == 404
