"""The deployment files hang together (Docker cannot run here, so they are read).

docker-compose.yml is parsed with PyYAML: the services exist, every STRAATWIJS_*
variable it sets is a real setting, the webhook URL's path is the one the proxy
routes to the workers, and every required variable is in deploy/env.example.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
EXTRA_VARIABLES = {"STRAATWIJS_HEALTH_URL"}  # read by deploy/healthcheck.py only


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_has_database_workers_proxy_and_dashboard(compose):
    services = compose["services"]
    assert {"db", "migrate", "bot", "web", "proxy"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    assert services["bot"]["command"] == ["run"]
    assert services["bot"]["deploy"]["replicas"] >= 2
    assert services["web"]["command"][:3] == ["web", "--host", "0.0.0.0"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    for name in ("bot", "web"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert "ports" not in services[name]  # only the proxy is reachable from outside
        assert services[name]["environment"]["STRAATWIJS_DATABASE_URL"].startswith("postgresql://")


def test_compose_sets_only_real_settings(compose):
    known = {f"STRAATWIJS_{name.upper()}" for name in Settings.model_fields} | EXTRA_VARIABLES
    for name, service in compose["services"].items():
        environment = service.get("environment", {})
        unknown = {k for k in environment if k.startswith("STRAATWIJS_")} - known
        if name != "proxy":
            assert not unknown, f"{name}: {unknown}"


def test_the_proxy_routes_the_webhook_path_to_every_worker(compose):
    url = compose["services"]["bot"]["environment"]["STRAATWIJS_WEBHOOK_URL"]
    path = re.sub(r"^https://[^/]+", "", url)
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    handled = re.search(r"handle (/\S+)\*", caddyfile)
    assert handled is not None
    assert path.startswith(handled.group(1))
    assert "dynamic a bot 8443" in caddyfile
    assert "reverse_proxy web:8080" in caddyfile
    mounts = compose["services"]["proxy"]["volumes"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in mounts


def test_every_required_variable_is_in_the_example_env():
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{(\w+):\?", text))
    example = (ROOT / "deploy" / "env.example").read_text(encoding="utf-8")
    listed = set(re.findall(r"^#? ?(\w+)=", example, flags=re.MULTILINE))
    assert required
    assert required <= listed


def test_the_image_runs_as_a_user_with_a_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.\d+-slim", dockerfile, flags=re.MULTILINE)
    assert re.search(r"^USER straatwijs$", dockerfile, flags=re.MULTILINE)
    assert "HEALTHCHECK" in dockerfile
    assert 'ENTRYPOINT ["straatwijs"]' in dockerfile
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8")
    for source in re.findall(r"^COPY (\S+)", dockerfile, flags=re.MULTILINE):
        assert (ROOT / source).exists(), source
        assert f"!{source}" in ignored or f"!{source}/" in ignored, source


def test_the_healthcheck_fails_when_nothing_answers():
    found = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "healthcheck.py")],
        env={"STRAATWIJS_HEALTH_URL": "http://127.0.0.1:9/healthz", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert found.returncode == 1
    assert "not answering" in found.stdout
