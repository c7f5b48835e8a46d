"""`check --deploy` refuses a production configuration without shared state (issue 19, finding 11).

With DEBUG=False and no REDIS_URL every process keeps its own call budget, locks and login delays;
without CREDENTIALS_KEYS stored secrets cannot be encrypted. Run as a subprocess, as in production.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "x7" * 30 + "-Qz_w9!kLm#p2",
    "ALLOWED_HOSTS": "credits.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://credits.example.com",
    "DATABASE_URL": "postgres://credit:desk@127.0.0.1:5432/creditdesk",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CREDENTIALS_KEYS": "k1:" + "A" * 43 + "=",
}


def check(tmp_path, env, *options):
    """`manage.py check` in a process of its own with exactly `env`."""
    # HOME elsewhere and an explicit environment: the worktree's .env must not fill in what is missing.
    full = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), **env}
    for name in PRODUCTION:
        full.setdefault(name, "")
    return subprocess.run(
        [sys.executable, "manage.py", "check", *options], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120
    )


def check_deploy(tmp_path, env):
    return check(tmp_path, env, "--deploy", "--fail-level", "WARNING")


def test_check_deploy_passes_with_the_documented_production_environment(tmp_path):
    result = check_deploy(tmp_path, PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("missing", "check_id"),
    [("REDIS_URL", "site_config.E001"), ("CREDENTIALS_KEYS", "site_config.E002")],
)
def test_check_deploy_fails_without_shared_state(tmp_path, missing, check_id):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = check_deploy(tmp_path, env)
    assert result.returncode != 0, result.stdout + result.stderr
    assert check_id in result.stderr and missing in result.stderr


def test_check_deploy_fails_when_proxies_are_counted_but_not_named(tmp_path):
    result = check_deploy(tmp_path, {**PRODUCTION, "TRUSTED_PROXY_COUNT": "1"})
    assert result.returncode != 0 and "site_config.E003" in result.stderr
    ok = check_deploy(tmp_path, {**PRODUCTION, "TRUSTED_PROXY_COUNT": "1", "TRUSTED_PROXY_IPS": "10.0.0.0/8"})
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_debug_runs_are_not_held_to_production_rules(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k not in ("REDIS_URL", "CREDENTIALS_KEYS")}
    result = check(tmp_path, {**env, "DEBUG": "true"})  # REDIS_URL and CREDENTIALS_KEYS set empty
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_proxy_entry_that_is_not_an_address_fails_every_check(tmp_path):
    result = check_deploy(tmp_path, {**PRODUCTION, "TRUSTED_PROXY_COUNT": "1", "TRUSTED_PROXY_IPS": "10.0.0.0/8,lb.internal"})
    assert result.returncode != 0 and "site_config.E004" in result.stderr and "lb.internal" in result.stderr
